#!/usr/bin/python3
"""Writes cases.tsv: texts and the ids Python's sentencepiece gives for them with tokenizer.model (this folder).

    /usr/bin/python3 tests/data/mini-tokenizer/make_cases.py --data artifacts/data/emojiworld-train

Rows: every 150th unique line of the tokenizer's own training corpus (scripts/train-mini-tokenizer.py's corpus(),
sorted), held-out entity names and captions (never in the corpus), and edge cases around the <Img>/</Img>
user-defined pieces. Column 2 is transformers' legacy LlamaTokenizer ids: BOS (1) then sp.encode(text); column 3
is sp.decode of those ids (without BOS).
Texts are written as JSON string literals (tabs and newlines escaped).
"""
import argparse, importlib.util, json, os
import sentencepiece as spm

here = os.path.dirname(os.path.abspath(__file__))
ap = argparse.ArgumentParser()
ap.add_argument("--data", required=True)
args = ap.parse_args()
spec = importlib.util.spec_from_file_location("t", os.path.join(here, "..", "..", "..", "scripts", "train-mini-tokenizer.py"))
t = importlib.util.module_from_spec(spec)
spec.loader.exec_module(t)
lines, _, _ = t.corpus(args.data)
corpus = sorted(set(lines))[::150]
extra = [
    "a cat wearing a crown is eating sushi", "一只熊猫戴着王冠在吃寿司", "a teddy bear", "一只考拉在玩悠悠球",
    "<Img>", "</Img>", "<Img></Img>", "a <Img>", "</Img> name:", "</Img> 名字：", "x<Img>y</Img>z", "<Img><Img>",
    "一只<Img>", "</Img>戴着<Img>", "</Img> is eating <Img>", " <Img> ", "<Img ", "</Img", "<<Img>>", "Img", "<img>",
    "", " ", "  two  spaces", "Hello World 123", "😀 emoji", "tab\there", "new\nline", "ÀÉÎ", "dog dog dog", "狗狗狗",
]
sp = spm.SentencePieceProcessor(model_file=os.path.join(here, "tokenizer.model"))
with open(os.path.join(here, "cases.tsv"), "w", encoding="utf-8") as f:
    f.write("# text (JSON)\tids (BOS + sentencepiece " + spm.__version__ + ")\tdecoded (JSON)\n")
    for text in corpus + extra:
        ids = sp.encode(text)
        f.write(json.dumps(text, ensure_ascii=False) + "\t" + " ".join(str(i) for i in [1] + ids) + "\t" + json.dumps(sp.decode(ids), ensure_ascii=False) + "\n")
print(len(corpus) + len(extra), "cases")
