#!/usr/bin/python3
"""Writes tests/data/dataprep/fixtures.json from the reference implementations (run locally, nothing downloaded):

    /usr/bin/python3 tests/data/dataprep/gen_fixtures.py GROUNDINGDINO_REPO BERT_REPO

* pil_resize: Pillow's Image.resize(size, Image.BILINEAR) on RGB images (the resize GroundingDINO's
  T.RandomResize and SAM's ResizeLongestSide.apply_image go through).
* bert: token ids of google-research/bert's tokenization.FullTokenizer(vocab.txt, do_lower_case=True), with
  [CLS] and [SEP], for GroundingDINO-style captions over this folder's vocab.txt.
* grounding_masks: text_token_mask and position_ids of GroundingDINO's
  generate_masks_with_special_tokens_and_transfer_map (groundingdino/models/GroundingDINO/bertwarper.py) for those
  ids, special tokens [CLS], [SEP], ".", "?".

The two reference functions are read from the given checkouts and executed on their own (their modules import
packages, such as transformers and tensorflow, that are not needed for these functions).
"""
import ast
import base64
import json
import os
import sys
import types

import numpy as np
import PIL
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))


def load_function(path, name, env):
    tree = ast.parse(open(path, encoding="utf-8").read())
    fn = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == name)
    code = compile(ast.Module(body=[fn], type_ignores=[]), path, "exec")
    exec(code, env)
    return env[name]


def load_bert_tokenization(path):
    # tokenization.py imports tensorflow only for tf.gfile.GFile in load_vocab: give it open().
    tf = types.ModuleType("tensorflow")
    tf.gfile = types.SimpleNamespace(GFile=open)
    sys.modules["tensorflow"] = tf
    module = types.ModuleType("bert_tokenization")
    exec(compile(open(path, encoding="utf-8").read(), path, "exec"), module.__dict__)
    return module


def b64(a):
    return base64.b64encode(np.ascontiguousarray(a, dtype=np.uint8).tobytes()).decode()


def main(gdino_repo, bert_repo):
    rng = np.random.RandomState(0)
    resize = []
    for (w, h), targets in [((37, 23), [(20, 11), (64, 40), (37, 50), (9, 23), (36, 22)]),
                            ((64, 40), [(30, 19), (24, 80), (96, 60)])]:
        src = rng.randint(0, 256, size=(h, w, 3)).astype(np.uint8)
        src[h // 3: h // 2, w // 4: w // 2] = [250, 10, 10]  # a flat patch and sharp edges
        outs = []
        for tw, th in targets:
            out = np.asarray(Image.fromarray(src, "RGB").resize((tw, th), Image.BILINEAR))
            outs.append({"width": tw, "height": th, "rgb": b64(out)})
        resize.append({"width": w, "height": h, "rgb": b64(src), "outputs": outs})

    tokenization = load_bert_tokenization(os.path.join(bert_repo, "tokenization.py"))
    tok = tokenization.FullTokenizer(vocab_file=os.path.join(HERE, "vocab.txt"), do_lower_case=True)
    gen = load_function(os.path.join(gdino_repo, "groundingdino/models/GroundingDINO/bertwarper.py"),
                        "generate_masks_with_special_tokens_and_transfer_map", {"torch": torch})
    special = [tok.vocab[t] for t in ["[CLS]", "[SEP]", ".", "?"]]
    captions = [
        ["dog"], ["red square", "blue ball"], ["teddy bear", "dogs", "ice cream"], ["Café", "T-shirt", "unaffable"],
        ["狗", "猫 and dog"], ["big red ball", "cat", "glasses", "pizza", "sushi", "robot toy"], ["xylophone"],
    ]
    bert, masks = [], []
    for phrases in captions:
        caption = " . ".join(phrases) + " ."
        ids = [tok.vocab["[CLS]"]] + tok.convert_tokens_to_ids(tok.tokenize(caption)) + [tok.vocab["[SEP]"]]
        per_phrase = [tok.convert_tokens_to_ids(tok.tokenize(p)) for p in phrases]
        bert.append({"phrases": phrases, "caption": caption, "ids": ids, "phrase_ids": per_phrase})
        tokenized = {"input_ids": torch.tensor([ids])}
        attn, pos, _ = gen(tokenized, special, None)
        masks.append({"input_ids": ids, "position_ids": pos[0].tolist(),
                      "text_token_mask": attn[0].to(torch.int64).tolist()})

    out = {
        "versions": {"pillow": PIL.__version__, "torch": torch.__version__, "numpy": np.__version__},
        "pil_resize": resize, "bert": bert, "grounding_masks": masks,
    }
    with open(os.path.join(HERE, "fixtures.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False)
    print("wrote fixtures.json", os.path.getsize(os.path.join(HERE, "fixtures.json")), "bytes")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
