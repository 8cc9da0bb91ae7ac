# Makes the image reference data in this folder with Pillow (Debian python3-pil 9.4.0, /usr/bin/python3).
# Deterministic: numpy seed 20261127. Run from this folder: /usr/bin/python3 make_reference.py
import json
import numpy as np
from PIL import Image

rng = np.random.default_rng(20261127)

# A 61x47 RGB source: smooth gradients plus noise plus a few hard edges (exercises ringing and clipping).
h, w = 47, 61
y, x = np.mgrid[0:h, 0:w]
src = np.stack([x * 255 / (w - 1), y * 255 / (h - 1), (x + y) % 32 * 8], axis=-1)
src = src + rng.integers(-40, 41, size=src.shape)
src[10:20, 5:15] = [255, 255, 255]
src[30:40, 40:55] = [0, 0, 0]
src = np.clip(src, 0, 255).astype(np.uint8)
im = Image.fromarray(src, "RGB")
im.save("source_61x47.png")

filters = {"bicubic": Image.BICUBIC, "bilinear": Image.BILINEAR, "lanczos": Image.LANCZOS,
           "box": Image.BOX, "hamming": Image.HAMMING}
cases = [("bicubic", 32, 24), ("bicubic", 150, 97), ("bicubic", 30, 47), ("bicubic", 61, 100),
         ("bicubic", 7, 5), ("bilinear", 32, 24), ("lanczos", 40, 90), ("box", 20, 15), ("hamming", 100, 33)]
for name, ow, oh in cases:
    # reducing_gap=None: transformers' resize calls Image.resize(size, resample) without it.
    im.resize((ow, oh), resample=filters[name]).save(f"resize_{name}_{ow}x{oh}.png")

# CLIPImageProcessor steps (transformers 4.37 image_transforms) with shortest_edge 32, crop 32x32:
# short side -> 32, long side int(32 * long / short), PIL bicubic, then crop at ((H-32)//2, (W-32)//2).
short, long_ = min(w, h), max(w, h)
new_w, new_h = (int(32 * long_ / short), 32) if w > h else (32, int(32 * long_ / short))
resized = np.asarray(im.resize((new_w, new_h), resample=Image.BICUBIC))
top, left = (new_h - 32) // 2, (new_w - 32) // 2
Image.fromarray(resized[top:top + 32, left:left + 32], "RGB").save("clip_crop_32.png")

# Alpha compositing over an opaque background, as newer transformers' convert_rgb does with white.
table = []
for src_c in [0, 17, 128, 200, 255]:
    for dst_c in [0, 77, 255]:
        a = np.arange(256, dtype=np.uint8)
        fg = np.zeros((1, 256, 4), np.uint8); fg[0, :, 0] = src_c; fg[0, :, 3] = a
        bg = np.zeros((1, 256, 4), np.uint8); bg[0, :, 0] = dst_c; bg[0, :, 3] = 255
        out = np.asarray(Image.alpha_composite(Image.fromarray(bg, "RGBA"), Image.fromarray(fg, "RGBA")))
        table.append({"src": src_c, "dst": dst_c, "out": out[0, :, 0].tolist()})
with open("alpha_composite.json", "w") as f:
    json.dump(table, f)

# EXIF orientation: a 3x2 image of six colours saved as PNG with an eXIf chunk for each orientation 1..8,
# and the upright pixels PIL's ImageOps.exif_transpose gives (what transformers' load_image applies).
from PIL import ImageOps
six = np.array([[[255, 0, 0], [0, 255, 0], [0, 0, 255]],
                [[255, 255, 0], [0, 255, 255], [255, 0, 255]]], np.uint8)
upright = {}
for o in range(1, 9):
    exif = Image.Exif()
    exif[0x0112] = o
    Image.fromarray(six, "RGB").save(f"orientation_{o}.png", exif=exif.tobytes())
    with Image.open(f"orientation_{o}.png") as stored:
        fixed = np.asarray(ImageOps.exif_transpose(stored).convert("RGB"))
    upright[o] = {"height": fixed.shape[0], "width": fixed.shape[1], "rgb": fixed.reshape(-1).tolist()}
with open("orientation_upright.json", "w") as f:
    json.dump(upright, f)
