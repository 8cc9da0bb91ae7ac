import json, random, sys, unicodedata
rnd = random.Random(int(sys.argv[1])); n = int(sys.argv[2])
atoms = list("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .,;:!?'\"-_()[]{}<>|/\\@#$%^&*+=~`") + \
    [" ", "  ", "   ", "\t", "\n", "\u2581", "<s>", "</s>", "<unk>", "<|endoftext|>", "<|startoftext|>", "'s", "'LL", "ſ", "İ", "Σ", "ς"]
def rand_cp():
    r = rnd.random()
    if r < 0.5: return chr(rnd.randint(0x20, 0x2FF))
    if r < 0.8: return chr(rnd.randint(0x300, 0xFFFD))
    cp = rnd.randint(0x10000, 0x3134F)
    return chr(cp)
out = []
for _ in range(n):
    parts = []
    for _ in range(rnd.randint(1, 30)):
        r = rnd.random()
        if r < 0.45: parts.append(rnd.choice(atoms))
        elif r < 0.8: parts.append(rand_cp())
        elif r < 0.9: parts.append(rnd.choice(atoms) * rnd.randint(2, 20))
        else: parts.append(rnd.choice(["hello", "world", "The", "cat", "中文", "日本", "🙂", "👍🏽", "café", "naïve"]))
    s = "".join(parts)
    s = "".join(c for c in s if not (0xD800 <= ord(c) <= 0xDFFF))
    out.append(json.dumps(s))
print("\n".join(out))
