#!/usr/bin/python3
"""Trains the mini model's SentencePiece BPE tokenizer on EmojiWorld TRAIN-split text only.

    /usr/bin/python3 scripts/train-mini-tokenizer.py --data artifacts/data/emojiworld-train --out DIR [--vocab-size 2048]

Needs Debian's python3-sentencepiece (0.1.97). Reads the English and Chinese captions and the entity names of
every scene in the shard folder (made by `unimog emojiworld compose --split train`), refuses any scene of another
split or with a held-out entity (by the record's flag and by tools/UnimoG.EmojiWorld/catalog/entities.tsv), adds
the MLLM's task cues, and writes DIR/tokenizer.model plus DIR/tokenizer-report.json.

LLaMA's settings where they apply (identity normalisation, a dummy "▁" prefix, spaces kept, digits split, byte
fallback so any text encodes), ids 0/1/2 = <unk>/<s>/</s>, no pad piece, and the MiniGPT-4 markers <Img> and </Img>
as user-defined pieces (ids 3 and 4: always one piece, never merged with their neighbours; our C# tokenizer cuts the
text at them as SentencePiece does). The corpus holds the text segments exactly as the MLLM tokenises them.
Deterministic: the corpus is read in shard and member order and trained single-threaded.
"""
import argparse
import hashlib
import json
import os
import shutil
import sys
import tarfile
import tempfile

import sentencepiece as spm

HERE = os.path.dirname(os.path.abspath(__file__))
CATALOG = os.path.join(HERE, "..", "services", "UnimoG.EmojiWorld", "catalog", "entities.tsv")
MARKERS = ["<Img>", "</Img>"]
# What the MLLM pre-training writes around names and captions (tools/UnimoG.Mini/Mllm/MllmTasks.cs).
CUES = ["name:", "名字：", "caption:", "描述："]


def held_out_hexes():
    held = set()
    with open(CATALOG, encoding="utf-8") as f:
        header = None
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cells = line.split("\t")
            if header is None:
                header = cells
                continue
            row = dict(zip(header, cells))
            if row["held_out"].strip() == "1":
                held.add(row["hex"].strip().upper())
    return held


def corpus(folder):
    manifests = sorted(n for n in os.listdir(folder) if n.startswith("emojiworld-") and n.endswith(".json"))
    if len(manifests) != 1:
        sys.exit(f"{folder}: expected one emojiworld-{{split}}.json manifest, found {manifests}")
    manifest = json.load(open(os.path.join(folder, manifests[0]), encoding="utf-8"))
    if manifest["split"] != "train":
        sys.exit(f"{manifests[0]}: split '{manifest['split']}'; the tokenizer is part of the generator and reads the train split only")
    held = held_out_hexes()
    lines, scenes = [], 0
    for shard in sorted(manifest["shards"], key=lambda s: s["first"]):
        with tarfile.open(os.path.join(folder, shard["name"])) as tar:
            for member in tar:
                if not member.name.endswith(".json"):
                    continue
                r = json.loads(tar.extractfile(member).read().decode("utf-8"))
                if r["split"] != "train":
                    sys.exit(f"scene {r['key']}: split {r['split']}")
                for e in r["entities"]:
                    if e["held_out"] or e["hex"].upper() in held:
                        sys.exit(f"scene {r['key']} shows held-out entity {e['name_en']} ({e['hex']}): refusing")
                scenes += 1
                # Text segments exactly as the MLLM tokenises them, each on its own (tools/UnimoG.Mini/Mllm/MllmTasks.cs):
                # captions; "<Img>", image, the cue "</Img> name:" and the answer "dog"; captions whose entity names
                # are replaced by images ("a <Img>", image, "</Img> wearing <Img>", image, "</Img> is eating pizza").
                lines.append(r["caption_en"])
                lines.append(r["caption_zh"])
                lines.append(MARKERS[0])
                lines.extend(f"{MARKERS[1]} {cue}" for cue in CUES)
                for e in r["entities"]:
                    lines.append(e["name_en"])
                    lines.append(e["name_zh"])
                for lang in ("en", "zh"):
                    text, cursor, segment = r["caption_" + lang], 0, ""
                    for e in sorted(r["entities"], key=lambda e: e["span_" + lang][0]):
                        start, end = e["span_" + lang]
                        lines.append(segment + text[cursor:start] + MARKERS[0])
                        segment, cursor = MARKERS[1], end
                    lines.append(segment + text[cursor:])
    return lines, scenes, manifest


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", required=True, help="EmojiWorld train-split shard folder")
    ap.add_argument("--out", required=True, help="output folder for tokenizer.model")
    ap.add_argument("--vocab-size", type=int, default=2048)
    args = ap.parse_args()
    lines, scenes, manifest = corpus(args.data)
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp()
    # The model stores its trainer options, the output prefix among them: a fixed relative one keeps the bytes
    # independent of where the script writes.
    cwd = os.getcwd()
    os.chdir(work)
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(lines),
        model_prefix="tokenizer",
        model_type="bpe",
        vocab_size=args.vocab_size,
        character_coverage=1.0,
        byte_fallback=True,
        split_digits=True,
        user_defined_symbols=MARKERS,
        normalization_rule_name="identity",
        add_dummy_prefix=True,
        remove_extra_whitespaces=False,
        allow_whitespace_only_pieces=True,
        unk_id=0, bos_id=1, eos_id=2, pad_id=-1,
        input_sentence_size=0,
        shuffle_input_sentence=False,
        num_threads=1,
        minloglevel=2,
    )
    os.chdir(cwd)
    prefix = os.path.join(args.out, "tokenizer")
    shutil.move(os.path.join(work, "tokenizer.model"), prefix + ".model")
    shutil.rmtree(work)
    sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    tokens = sum(len(sp.encode(l)) for l in lines)
    chars = sum(len(l) for l in lines)
    unique = sorted(set(lines))
    roundtrip = sum(sp.decode(sp.encode(l)) == l for l in unique)
    report = {
        "scenes": scenes,
        "corpus_lines": len(lines),
        "unique_lines": len(unique),
        "catalog_sha256": manifest["catalog_sha256"],
        "vocab_size": sp.get_piece_size(),
        "tokens_per_char": round(tokens / chars, 4),
        "roundtrip_unique_lines": f"{roundtrip}/{len(unique)}",
        "model_sha256": hashlib.sha256(open(prefix + ".model", "rb").read()).hexdigest(),
        "sentencepiece": spm.__version__,
        "marker_ids": {m: sp.piece_to_id(m) for m in MARKERS},
    }
    json.dump(report, open(os.path.join(args.out, "tokenizer-report.json"), "w", encoding="utf-8"), ensure_ascii=False, indent=2)
    print(json.dumps(report, ensure_ascii=False))


if __name__ == "__main__":
    main()
