# Tricky strings for tokenizer cases: hand-picked groups plus seeded random mixes. Deterministic.
import json, random, sys, unicodedata

hand = [
    "", " ", "  ", "\t", "\n", "\r\n", " a ", "a", "A", "hello world", "Hello World", "HELLO WORLD",
    # whitespace runs and kinds
    "a  b", "a\t\tb", "a\n\nb", "a\r\nb", "a\rb", "a\x0bb", "a\x0cb", "a\x1cb\x1dc\x1ed\x1fe", "a\x85b",
    "a\u00a0b", "a\u1680b", "a\u2000b\u2001c\u2002d\u200ae", "a\u2028b", "a\u2029b", "a\u202fb", "a\u205fb",
    "a\u3000b", "  leading", "trailing   ", " \t\n mixed \r\n\t ", "tab\tseparated\tvalues",
    # zero-width, format, controls
    "zero\u200bwidth", "a\u200cb\u200dc", "\ufeffbom", "soft\u00adhyphen", "rtl\u200fmark\u200e", "word\u2060joiner",
    "nul\x00char", "del\x7fchar", "bell\x07x", "esc\x1b[31mred", "repl\ufffdchar", "private\ue000use",
    "unassigned\u0378x", "nonchar\uffffx", "noncharacter\ufdd0x",
    # accents, NFC/NFD, casing traps
    "café", "cafe\u0301", "Cafe\u0301 CRE\u0300ME", "naïve résumé", "Ångström", "A\u030angstro\u0308m",
    "ÀÉÎÕÜ", "ǅungla", "ǈ ǋ ǲ", "ŉ", "İstanbul", "İ", "Iı", "DİYARBAKIR", "ΟΔΟΣ", "ΟΔΟΣ.", "Σ", "ΑΣ", "ΑΣ'Β",
    "ΣΑΣ ΣΑΣ.", "ὈΔΥΣΣΕΎΣ", "σς", "Straße STRASSE", "ẞ", "ﬁ ﬂ ﬀ ﬃ", "ǰ", "ΐ", "ᾈ ᾼ ῼ", "Ⅻ ⅻ", "Ⓐⓑ",
    "𐐀𐐁𐐂 deseret", "𐓀 osage", "𞤀 adlam", "Ꭰ cherokee", "ᏸ", "Ა Მ georgian mtavruli", "ǆ Ǆ",
    "it's", "IT'S", "don't", "I'M", "we're", "they've", "you'll", "he'd", "it'S", "'s", "''s", "s'", "x's'",
    "it\u2019s", "it'ſ", "<|ſtartoftext|>", "\u212aelvin", "ſ ſt",
    # Unicode categories
    "Ⅻ", "½ ¾ ⅓", "²³¹", "١٢٣", "१२३", "𝟎𝟏𝟐", "𝐀𝐁𝐂 math", "𝔄𝔅 fraktur", "ℕℤℚ", "①②③", "〇〡〢", "𒐀",
    "a̐b", "x\u0301y", "\u0301lead", "a\u20ddb", "e\u0308\u0301", "각", "한국어 텍스트", "ไทย ภาษา", "हिन्दी",
    "עברית", "مرحبا بالعالم", "ٱلْعَرَبِيَّة", "ελληνικά", "русский ТЕКСТ", "Ελληνική ΓΛΩΣΣΑ", "ქართული", "հայերեն",
    "ᚠᛇᚻ", "ⴰⵣⵓⵍ", "ꦗꦮ", "𓀀𓀁", "ᠮᠣᠩᠭᠣᠯ", "ᐃᓄᒃᑎᑐᑦ",
    # CJK
    "一个男孩", "中文，标点。", "漢字かなカナ", "ｶﾀｶﾅ", "㐀㐁", "𠀀𠀁 ext b", "𪜀 ext c", "豈 更", "丽 丸",
    "日本語のテキスト", "中文English混合", "図書館で本を読む", "我爱北京天安门！", "《红楼梦》", "「かぎ」『二重』",
    "⺀⼀", "㈠㈡", "㍿", "〜～", "ㄅㄆㄇ",
    # full-width / half-width
    "ＦＵＬＬＷＩＤＴＨ", "ｆｕｌｌ ｗｉｄｔｈ １２３", "！？＃＄％", "（括号）", "ﾊﾝｶｸ", "￥１００",
    # emoji
    "🙂", "😀😃😄", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷🇯🇵", "#️⃣", "1️⃣", "❤️", "☺︎", "🏳️‍🌈", "🧑🏿‍🚀", "🤖 robot",
    "cat🐱dog🐶", "🫠", "🥹", "emoji:)", "♥♦♣♠", "★☆", "→←↑↓",
    # punctuation, symbols, code, urls
    "!!!", "...", "?!", "a,b;c:d", "(x) [y] {z}", "\"quoted\"", "'single'", "`back`", "~tilde~", "a-b_c",
    "snake_case_name", "camelCaseName", "C++ & C#", "x = y + 1;", "if (a < b) { return c; }", "<b>bold</b>",
    "&amp; &lt; &gt;", "email@example.com", "https://example.com/a?b=c&d=e#f", "#hashtag @mention", "$100.00",
    "50% off", "3.14159", "1,000,000", "1e-5", "0x1F", "2024-01-31", "12:30pm", "+1 (555) 123-4567",
    "a/b\\c", "|pipe|", "^caret^", "•bullet", "—em dash–en dash", "…", "«guillemets»", "„quotes“", "‘single’",
    "§ ¶ © ® ™", "° ± × ÷", "µ Ω ∑ ∞", "€ £ ¥ ₹ ₿",
    # special tokens written in text
    "<|startoftext|>", "<|endoftext|>", "a<|endoftext|>b", "a <|endoftext|> b", "<|endoftext|><|endoftext|>",
    "!<|endoftext|>", "<|ENDOFTEXT|>", "<|EndOfText|> x", "<|endoftext|", "|endoftext|>", "<|startoftext|>hi<|endoftext|>",
    "<|endof\u200btext|>", " <|startoftext|> ", "x<|startoftext|>", "<<|endoftext|>>",
    "<s>", "</s>", "<unk>", "<s>hello", "hello</s>", "hello <s> world", " <s> ", "<s><s>", "<s></s>",
    "<<s>>", "<</s>>", "<s</s>", "<unk<s>", "<S>", "< s >", "<s >", "Hello <s>.", "a</s>b", "</s> leading",
    "<unk> unknown", "x<unk>y", "\u2581", "\u2581\u2581x", "a\u2581b", "\u2581<s>", " <s>", "<s> ", "\n<s>\n",
    "<pad>", "[CLS] [SEP]", "<img1> wearing <img2>", "<Img></Img>",
    # long text
    "a photo of " + "a very " * 40 + "long prompt",
    "The quick brown fox jumps over the lazy dog. " * 12,
    "一只猫坐在垫子上。" * 20,
    "x" * 300, "ab" * 150, "😀" * 60, "1234567890" * 20,
    "An astronaut riding a horse on Mars, 4k, highly detailed, trending on ArtStation, by Greg Rutkowski, " * 3,
]

# Seeded random mixes drawn from a pool across categories.
pool = (list("abcXYZ019 '.,!?-_<>|/\\\t\n") + list("éÉßİıΣσςΩЖжąĄçÇñÑ") + list("中文字汉語日本ぁアｱ한") +
        ["\u0301", "\u0308", "\u200b", "\u200d", "\u00a0", "\u3000", "\u2028", "\x1c", "\x85", "\ufeff"] +
        list("١٢٣४५६") + ["𝐀", "𝟎", "𐐀", "𠀀", "😀", "👍🏽", "🇫🇷", "❤️", "Ⅻ", "½", "①"] +
        ["<s>", "</s>", "<unk>", "<|endoftext|>", "<|startoftext|>", "\u2581", "'s", "'T", "'re", "ſ", "ǅ", "Ⓐ", "ＡＢ"])
rnd = random.Random(20261127)
mixes = []
for n in range(260):
    k = rnd.randint(1, 24)
    mixes.append("".join(rnd.choice(pool) for _ in range(k)))

texts = []
seen = set()
for t in hand + mixes:
    if t not in seen:
        seen.add(t); texts.append(t)
for t in texts:
    print(json.dumps(t, ensure_ascii=True))
