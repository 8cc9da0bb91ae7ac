# Python 3.11's view of Unicode (unicodedata 14.0.0), for PythonUnicode's tests:
# "categories": [start, category] runs over all code points (surrogates included);
# "lower": [code point, lower-case string] where str.lower() changes a single character;
# "sigma": code points classified by the Final_Sigma rule: "C" cased and not case-ignorable, "I" case-ignorable.
# Run: /usr/bin/python3 make_python_unicode.py > python311_unicode.json
import json, sys, unicodedata
cats, prev = [], None
for cp in range(0x110000):
    c = unicodedata.category(chr(cp))
    if c != prev:
        cats.append([cp, c]); prev = c
lower = [[cp, chr(cp).lower()] for cp in range(0x110000)
         if not 0xD800 <= cp <= 0xDFFF and chr(cp).lower() != chr(cp)]
cased, ignorable = [], []
for cp in range(0x110000):
    if 0xD800 <= cp <= 0xDFFF: continue
    ch = chr(cp)
    if ("1" + ch + "\u03a3").lower()[-1] == "\u03c2": cased.append(cp)           # final after ch alone
    elif ("A\u03a3" + ch + "B").lower()[1] == "\u03c3": ignorable.append(cp)    # ch skipped, B is cased
json.dump({"python": sys.version.split()[0], "unidata": unicodedata.unidata_version, "categories": cats,
           "lower": lower, "sigma_cased": cased, "sigma_ignorable": ignorable}, sys.stdout, ensure_ascii=True)
