#!/usr/bin/python3
"""Writes the tiny test models and vocabulary of tests/data/dataprep (run with Debian's python3-onnx 1.12).

    /usr/bin/python3 tests/data/dataprep/gen_models.py

The models have EXACTLY the input/output signatures the pipeline supports for Grounding DINO and SAM exports
(docs/dataprep.md) and simple, deterministic behaviour that the tests can predict in closed form:

* tiny_grounding_dino.onnx: query q (q = 0, 1, 2) "detects" the pixels whose normalised channel q (R, G, B) is > 1.0
  and returns their bounding box (cx, cy, w, h, normalised to the model's input image); its logit for token t is +4
  when t's phrase block (text_token_mask row) holds a word whose colour class (vocab_channels.json) is q, else -4;
  -4 everywhere when no pixel passes; tokens masked by attention_mask get -inf; columns past L are -inf (256 total).
  Query 3 is a constant full-image box with logit -2 everywhere (probability 0.12: below the box threshold).
  position_ids and token_type_ids enter with weight 0 (their values are checked by the fixture tests instead).
* tiny_sam_encoder.onnx: 16x16 average pooling of the preprocessed 1024x1024 image, channels 0-2 copied into
  channels 0-2 of a [1, 256, 64, 64] image_embeddings (the rest 0).
* tiny_sam_decoder.onnx: the box prompt (points labelled 2 and 3) and "foreground" = max over embedding channels
  0-2 > 1.0; three low-res masks (256x256 logits +-8): 0 = the box, 1 = foreground inside the box, 2 = foreground;
  iou_predictions = [0.5, 0.9, 0.3]; masks upscaled like SamOnnxModel.mask_postprocessing (bilinear to 1024, crop to
  the resized image, bilinear to orig_im_size). mask_input and has_mask_input enter with weight 0.
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
OPSET = 17

# A small WordPiece vocabulary in BERT's format (special tokens first, "##" continuations).
VOCAB = (
    ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", ".", "?", ",", "'", "-", "!"]
    + "a an the of and with in on is red green blue yellow square circle ball dog cat cap glasses scarf backpack "
      "pizza cake sushi noodle salad pastry ice cream burger bear teddy toy robot duck clock suit sloth wolf elephant "
      "monster soccer basketball plush man woman person photo cafe t shirt hat big small grey".split()
    + ["##ie", "##s", "##es", "##y", "un", "##aff", "##able", "狗", "猫"]
)
# Colour class of each word for the tiny grounding model: which channel query answers to it.
CHANNELS = {"red": 0, "green": 1, "blue": 2, "yellow": 0, "square": 0, "circle": 1, "ball": 2}


def channel_of(token):
    if token.startswith("[") or not token[0].isalnum() and not token.startswith("##"):
        return -1
    if token in CHANNELS:
        return CHANNELS[token]
    if token.startswith("##"):
        return -1
    return sum(map(ord, token)) % 3


def const(name, array):
    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.asarray(array), name + "_v"))


def save(graph, path):
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)], producer_name="unimog-testgen")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, path)
    print(path, os.path.getsize(path), "bytes")


def grounding_dino():
    table = np.array([channel_of(t) for t in VOCAB], dtype=np.int64)
    n = []
    n += [const("table", table), const("qids", np.arange(3, dtype=np.int64).reshape(1, 3, 1))]
    n += [helper.make_node("Gather", ["table", "input_ids"], ["chan"], axis=0)]                    # [1, L]
    n += [const("ax1", np.array([1], dtype=np.int64))]
    n += [helper.make_node("Unsqueeze", ["chan", "ax1"], ["chan3"])]                               # [1, 1, L]
    n += [helper.make_node("Equal", ["chan3", "qids"], ["match_b"])]                               # [1, 3, L]
    n += [helper.make_node("Cast", ["match_b"], ["match"], to=TensorProto.FLOAT)]
    n += [helper.make_node("Cast", ["text_token_mask"], ["ttm"], to=TensorProto.FLOAT)]            # [1, L, L]
    n += [helper.make_node("Transpose", ["ttm"], ["ttm_t"], perm=[0, 2, 1])]
    n += [helper.make_node("MatMul", ["match", "ttm_t"], ["spread"])]                              # [1, 3, L]
    n += [const("zero", np.array(0.0, dtype=np.float32)), const("pos4", np.array(4.0, dtype=np.float32)),
          const("neg4", np.array(-4.0, dtype=np.float32)), const("neg2", np.array(-2.0, dtype=np.float32)),
          const("one", np.array(1.0, dtype=np.float32)), const("half", np.array(0.5, dtype=np.float32)),
          const("ninf", np.array(-np.inf, dtype=np.float32))]
    n += [helper.make_node("Greater", ["spread", "zero"], ["hit"])]
    n += [helper.make_node("Where", ["hit", "pos4", "neg4"], ["text_logits"])]                    # [1, 3, L]
    # Image side: per channel, the bounding box of pixels above 1.0.
    n += [helper.make_node("Greater", ["img", "one"], ["fg_b"]),
          helper.make_node("Cast", ["fg_b"], ["fg"], to=TensorProto.FLOAT)]                        # [1, 3, H, W]
    n += [const("ax23", np.array([2, 3], dtype=np.int64))]
    n += [helper.make_node("ReduceSum", ["fg", "ax23"], ["area"], keepdims=0)]                     # [1, 3]
    n += [helper.make_node("ReduceMax", ["fg"], ["cols"], axes=[2], keepdims=0),                   # [1, 3, W]
          helper.make_node("ReduceMax", ["fg"], ["rows"], axes=[3], keepdims=0)]                   # [1, 3, H]
    n += [helper.make_node("Shape", ["img"], ["ishape"])]
    for axis, name in ((3, "w"), (2, "h")):
        n += [const(f"i{axis}", np.array(axis, dtype=np.int64)),
              helper.make_node("Gather", ["ishape", f"i{axis}"], [f"{name}_i"], axis=0),
              helper.make_node("Cast", [f"{name}_i"], [f"{name}_f"], to=TensorProto.FLOAT),
              helper.make_node("Range", ["zero", f"{name}_f", "one"], [f"{name}_r"])]              # [W] 0..W-1
        occ = "cols" if name == "w" else "rows"
        n += [helper.make_node("Add", [f"{name}_r", "one"], [f"{name}_r1"]),
              helper.make_node("Mul", [occ, f"{name}_r1"], [f"{name}_a"]),
              helper.make_node("ReduceMax", [f"{name}_a"], [f"{name}_max1"], axes=[2], keepdims=0),  # max + 1
              helper.make_node("Sub", [f"{name}_f", f"{name}_r"], [f"{name}_rev"]),
              helper.make_node("Mul", [occ, f"{name}_rev"], [f"{name}_b"]),
              helper.make_node("ReduceMax", [f"{name}_b"], [f"{name}_revmax"], axes=[2], keepdims=0),
              helper.make_node("Sub", [f"{name}_f", f"{name}_revmax"], [f"{name}_min"]),            # min index
              helper.make_node("Add", [f"{name}_min", f"{name}_max1"], [f"{name}_s"]),
              helper.make_node("Mul", [f"{name}_s", "half"], [f"{name}_c0"]),
              helper.make_node("Div", [f"{name}_c0", f"{name}_f"], [f"{name}_c"]),                  # centre
              helper.make_node("Sub", [f"{name}_max1", f"{name}_min"], [f"{name}_e0"]),
              helper.make_node("Div", [f"{name}_e0", f"{name}_f"], [f"{name}_e"])]                  # extent
    n += [const("ax2", np.array([2], dtype=np.int64))]
    for part in ("w_c", "h_c", "w_e", "h_e"):
        n += [helper.make_node("Unsqueeze", [part, "ax2"], [part + "3"])]
    n += [helper.make_node("Concat", ["w_c3", "h_c3", "w_e3", "h_e3"], ["boxes3"], axis=2)]        # [1, 3, 4]
    n += [const("box_bg", np.array([[[0.5, 0.5, 1.0, 1.0]]], dtype=np.float32)),
          helper.make_node("Concat", ["boxes3", "box_bg"], ["boxes"], axis=1)]                     # [1, 4, 4]
    # Queries with no pixel say "nothing" (-4); the background query 3 says -2.
    n += [helper.make_node("Greater", ["area", "zero"], ["present"]),
          helper.make_node("Unsqueeze", ["present", "ax2"], ["present3"]),
          helper.make_node("Where", ["present3", "text_logits", "neg4"], ["q3_logits"]),
          helper.make_node("Shape", ["input_ids"], ["tshape"]),
          const("one_i", np.array([1], dtype=np.int64)),
          const("sl1", np.array([1], dtype=np.int64)),
          const("sl2", np.array([2], dtype=np.int64)),
          helper.make_node("Slice", ["tshape", "sl1", "sl2"], ["L"]),
          helper.make_node("Concat", ["one_i", "one_i", "L"], ["bg_shape"], axis=0),
          helper.make_node("Expand", ["neg2", "bg_shape"], ["bg_logits"]),
          helper.make_node("Concat", ["q3_logits", "bg_logits"], ["q_logits"], axis=1)]            # [1, 4, L]
    # Masked tokens -inf; position ids and token types with weight 0; pad to 256 columns with -inf.
    n += [helper.make_node("Unsqueeze", ["attention_mask", "ax1"], ["attn3"]),
          helper.make_node("Where", ["attn3", "q_logits", "ninf"], ["masked"]),
          helper.make_node("Add", ["position_ids", "token_type_ids"], ["pt"]),
          helper.make_node("Cast", ["pt"], ["pt_f"], to=TensorProto.FLOAT),
          helper.make_node("Mul", ["pt_f", "zero"], ["pt0"]),
          helper.make_node("Unsqueeze", ["pt0", "ax1"], ["pt3"]),
          helper.make_node("Add", ["masked", "pt3"], ["logits_l"]),
          const("c256", np.array([256], dtype=np.int64)),
          helper.make_node("Sub", ["c256", "L"], ["padn"]),
          const("zeros5", np.zeros(5, dtype=np.int64)),
          helper.make_node("Concat", ["zeros5", "padn"], ["pads"], axis=0),
          helper.make_node("Pad", ["logits_l", "pads", "ninf"], ["logits"], mode="constant")]
    inputs = [
        helper.make_tensor_value_info("img", TensorProto.FLOAT, [1, 3, "height", "width"]),
        helper.make_tensor_value_info("input_ids", TensorProto.INT64, [1, "seq_len"]),
        helper.make_tensor_value_info("attention_mask", TensorProto.BOOL, [1, "seq_len"]),
        helper.make_tensor_value_info("position_ids", TensorProto.INT64, [1, "seq_len"]),
        helper.make_tensor_value_info("token_type_ids", TensorProto.INT64, [1, "seq_len"]),
        helper.make_tensor_value_info("text_token_mask", TensorProto.BOOL, [1, "seq_len", "seq_len"]),
    ]
    outputs = [
        helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, 4, 256]),
        helper.make_tensor_value_info("boxes", TensorProto.FLOAT, [1, 4, 4]),
    ]
    save(helper.make_graph(n, "tiny_grounding_dino", inputs, outputs), os.path.join(HERE, "tiny_grounding_dino.onnx"))


def sam_encoder():
    w = np.zeros((256, 3, 1, 1), dtype=np.float32)
    for c in range(3):
        w[c, c, 0, 0] = 1.0
    n = [helper.make_node("AveragePool", ["image"], ["pooled"], kernel_shape=[16, 16], strides=[16, 16]),
         const("w", w),
         helper.make_node("Conv", ["pooled", "w"], ["image_embeddings"])]
    inputs = [helper.make_tensor_value_info("image", TensorProto.FLOAT, [1, 3, 1024, 1024])]
    outputs = [helper.make_tensor_value_info("image_embeddings", TensorProto.FLOAT, [1, 256, 64, 64])]
    save(helper.make_graph(n, "tiny_sam_encoder", inputs, outputs), os.path.join(HERE, "tiny_sam_encoder.onnx"))


def sam_decoder():
    n = []
    n += [const("zero", np.array(0.0, dtype=np.float32)), const("one", np.array(1.0, dtype=np.float32)),
          const("p8", np.array(8.0, dtype=np.float32)), const("m8", np.array(-8.0, dtype=np.float32)),
          const("two", np.array(2.0, dtype=np.float32)), const("three", np.array(3.0, dtype=np.float32)),
          const("s0", np.array([0], dtype=np.int64)), const("s3", np.array([3], dtype=np.int64)),
          const("ax1", np.array([1], dtype=np.int64))]
    # Foreground on the 64x64 grid, nearest-upsampled to the 256x256 low-res grid.
    n += [helper.make_node("Slice", ["image_embeddings", "s0", "s3", "ax1"], ["rgb"]),
          helper.make_node("ReduceMax", ["rgb"], ["mx"], axes=[1], keepdims=1),                     # [1, 1, 64, 64]
          const("up4", np.array([1.0, 1.0, 4.0, 4.0], dtype=np.float32)),
          helper.make_node("Resize", ["mx", "", "up4"], ["mx256"], mode="nearest"),
          helper.make_node("Greater", ["mx256", "one"], ["fg"])]                                   # [1, 1, 256, 256]
    # Box corners from the points labelled 2 and 3.
    for label, name in (("two", "tl"), ("three", "br")):
        n += [helper.make_node("Equal", ["point_labels", label], [name + "_b"]),
              helper.make_node("Cast", [name + "_b"], [name + "_f"], to=TensorProto.FLOAT),
              const(name + "_ax", np.array([2], dtype=np.int64)),
              helper.make_node("Unsqueeze", [name + "_f", name + "_ax"], [name + "_w"]),          # [1, N, 1]
              helper.make_node("Mul", ["point_coords", name + "_w"], [name + "_p"]),
              helper.make_node("ReduceSum", [name + "_p", "ax1"], [name], keepdims=0)]             # [1, 2]
    centres = ((np.arange(256, dtype=np.float32) + 0.5) * 4.0)
    n += [const("grid", centres)]
    for k, axis in ((0, "x"), (1, "y")):
        n += [const(f"k{k}", np.array([k], dtype=np.int64)), const(f"k{k}e", np.array([k + 1], dtype=np.int64)),
              helper.make_node("Slice", ["tl", f"k{k}", f"k{k}e", "ax1"], [f"lo_{axis}"]),        # [1, 1]
              helper.make_node("Slice", ["br", f"k{k}", f"k{k}e", "ax1"], [f"hi_{axis}"]),
              helper.make_node("GreaterOrEqual", ["grid", f"lo_{axis}"], [f"ge_{axis}"]),          # [1, 256]
              helper.make_node("LessOrEqual", ["grid", f"hi_{axis}"], [f"le_{axis}"]),
              helper.make_node("And", [f"ge_{axis}", f"le_{axis}"], [f"in_{axis}"])]
    n += [const("shape_x", np.array([1, 1, 1, 256], dtype=np.int64)),
          const("shape_y", np.array([1, 1, 256, 1], dtype=np.int64)),
          helper.make_node("Reshape", ["in_x", "shape_x"], ["in_x4"]),
          helper.make_node("Reshape", ["in_y", "shape_y"], ["in_y4"]),
          helper.make_node("And", ["in_x4", "in_y4"], ["inside"]),                                # [1, 1, 256, 256]
          helper.make_node("And", ["inside", "fg"], ["fg_in"]),
          helper.make_node("Where", ["inside", "p8", "m8"], ["m0"]),
          helper.make_node("Where", ["fg_in", "p8", "m8"], ["m1"]),
          helper.make_node("Where", ["fg", "p8", "m8"], ["m2"]),
          helper.make_node("Concat", ["m0", "m1", "m2"], ["lr"], axis=1)]                          # [1, 3, 256, 256]
    n += [helper.make_node("ReduceSum", ["mask_input"], ["mi"], keepdims=0),
          helper.make_node("ReduceSum", ["has_mask_input"], ["hm"], keepdims=0),
          helper.make_node("Add", ["mi", "hm"], ["aux"]),
          helper.make_node("Mul", ["aux", "zero"], ["aux0"]),
          helper.make_node("Add", ["lr", "aux0"], ["low_res_masks"])]
    # SamOnnxModel.mask_postprocessing: bilinear to 1024, crop to the resized image, bilinear to orig_im_size.
    n += [const("up1024", np.array([1, 3, 1024, 1024], dtype=np.int64)),
          helper.make_node("Resize", ["low_res_masks", "", "", "up1024"], ["m1024"], mode="linear",
                           coordinate_transformation_mode="half_pixel"),
          const("c1024", np.array(1024.0, dtype=np.float32)), const("halfc", np.array(0.5, dtype=np.float32)),
          helper.make_node("ReduceMax", ["orig_im_size"], ["longest"], keepdims=0),
          helper.make_node("Div", ["c1024", "longest"], ["scale"]),
          helper.make_node("Mul", ["orig_im_size", "scale"], ["scaled"]),
          helper.make_node("Add", ["scaled", "halfc"], ["scaled5"]),
          helper.make_node("Floor", ["scaled5"], ["pre_f"]),
          helper.make_node("Cast", ["pre_f"], ["pre"], to=TensorProto.INT64),                      # [newh, neww]
          const("zz", np.array([0, 0], dtype=np.int64)), const("ax23", np.array([2, 3], dtype=np.int64)),
          helper.make_node("Slice", ["m1024", "zz", "pre", "ax23"], ["cropped"]),
          helper.make_node("Cast", ["orig_im_size"], ["orig_i"], to=TensorProto.INT64),
          const("b13", np.array([1, 3], dtype=np.int64)),
          helper.make_node("Concat", ["b13", "orig_i"], ["out_size"], axis=0),
          helper.make_node("Resize", ["cropped", "", "", "out_size"], ["masks"], mode="linear",
                           coordinate_transformation_mode="half_pixel"),
          const("iou_c", np.array([[0.5, 0.9, 0.3]], dtype=np.float32)),
          helper.make_node("Identity", ["iou_c"], ["iou_predictions"])]
    inputs = [
        helper.make_tensor_value_info("image_embeddings", TensorProto.FLOAT, [1, 256, 64, 64]),
        helper.make_tensor_value_info("point_coords", TensorProto.FLOAT, [1, "num_points", 2]),
        helper.make_tensor_value_info("point_labels", TensorProto.FLOAT, [1, "num_points"]),
        helper.make_tensor_value_info("mask_input", TensorProto.FLOAT, [1, 1, 256, 256]),
        helper.make_tensor_value_info("has_mask_input", TensorProto.FLOAT, [1]),
        helper.make_tensor_value_info("orig_im_size", TensorProto.FLOAT, [2]),
    ]
    outputs = [
        helper.make_tensor_value_info("masks", TensorProto.FLOAT, [1, 3, "h", "w"]),
        helper.make_tensor_value_info("iou_predictions", TensorProto.FLOAT, [1, 3]),
        helper.make_tensor_value_info("low_res_masks", TensorProto.FLOAT, [1, 3, 256, 256]),
    ]
    save(helper.make_graph(n, "tiny_sam_decoder", inputs, outputs), os.path.join(HERE, "tiny_sam_decoder.onnx"))


if __name__ == "__main__":
    with open(os.path.join(HERE, "vocab.txt"), "w", encoding="utf-8") as f:
        f.write("\n".join(VOCAB) + "\n")
    with open(os.path.join(HERE, "vocab_channels.json"), "w", encoding="utf-8") as f:
        json.dump({t: channel_of(t) for t in VOCAB}, f, ensure_ascii=False, indent=0)
    grounding_dino()
    sam_encoder()
    sam_decoder()
