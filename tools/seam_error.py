"""How far tiles of a U-Net stray from its whole-picture output: the seam error, cut against blend.

    python tools/seam_error.py [--json docs/seam_error.json]

A U-Net (pix2pix's layout, 5 levels, random weights with randomized BatchNorm statistics, any input size) sees
its whole tile, so no overlap makes its tiles exact. A 192x320 picture goes through it whole (Keras) and as
64x64 tiles with overlaps of 8 and 16 pixels, joined by the runtime's cut (edgegan/runtime/tiles.py) or by its
linear blend. Printed: max, mean and 99th-percentile |error| in uint8 levels, and the largest step of the
error between neighbouring pixels (where a join shows).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import report

from edgegan import records

ROOT = Path(__file__).resolve().parent.parent


def unet():
    import keras
    from keras import layers as L

    from zoo.dcgan import randomize_bn

    def down(x, n, bn=True):
        x = L.Conv2D(n, 4, strides=2, padding="same", use_bias=False)(x)
        return L.LeakyReLU(0.3)(L.BatchNormalization()(x) if bn else x)

    def up(x, n):
        return L.ReLU()(L.BatchNormalization()(L.Conv2DTranspose(n, 4, strides=2, padding="same", use_bias=False)(x)))

    keras.utils.set_random_seed(0)
    inp = keras.Input((None, None, 3))
    x, skips = inp, []
    for i, n in enumerate([8, 16, 32, 64, 64]):
        x = down(x, n, i > 0)
        skips.append(x)
    for n, s in zip([64, 32, 16, 8], reversed(skips[:-1])):
        x = L.Concatenate()([up(x, n), s])
    g = keras.Model(inp, L.Conv2DTranspose(3, 4, strides=2, padding="same", activation="tanh")(x))
    randomize_bn(g, 1)
    return g


RECORD = ROOT / "docs" / "seam_error.json"


def fragments() -> dict[str, str]:
    """docs/results.md's seams table: tiled output against the whole picture's, per tile pad and join."""
    seam = records.first(RECORD)
    if not seam:
        return {"photo-sr-seams": "Not measured yet: `python tools/seam_error.py --json docs/seam_error.json`."}
    res = [
        f"Seams of a model that sees its whole tile ({seam['model']}, {seam['picture']}, "
        "`python tools/seam_error.py`), |error| against the whole-picture output in uint8 levels:\n",
        "| tile | pad | join | max | mean | p99 | largest step |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    res += [
        f"| {r['tile']} | {r['pad']} | {r['join']} | {r['max']} | {r['mean']} | {r['p99']} | {r['max_step']} |"
        for r in seam["rows"]
    ]
    return {"photo-sr-seams": "\n".join(res)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--json", type=Path)
    a = ap.parse_args(argv)
    from edgegan.runtime.images import synthetic_pictures
    from edgegan.runtime.tiles import Tiling, translate_tiled

    g = unet()
    pic = synthetic_pictures(1, 192, 320, 3, 4)[0].astype(np.float32) / 127.5 - 1
    run = lambda b: np.asarray(g(b, training=False))  # noqa: E731
    whole = run(pic[None])[0] * 127.5  # uint8 levels
    rows = []
    for pad in (8, 16):
        for blend in (False, True):
            e = translate_tiled(run, pic, 1, Tiling((64, 64), pad, blend=blend), 4, lambda b: b) * 127.5 - whole
            step = max(np.abs(np.diff(e, axis=0)).max(), np.abs(np.diff(e, axis=1)).max())
            rows.append(
                {
                    "tile": 64,
                    "pad": pad,
                    "join": "blend" if blend else "cut",
                    "max": round(float(np.abs(e).max()), 2),
                    "mean": round(float(np.abs(e).mean()), 3),
                    "p99": round(float(np.percentile(np.abs(e), 99)), 2),
                    "max_step": round(float(step), 2),
                }
            )
            print(json.dumps(rows[-1]))
    if a.json:
        a.json.write_text(
            json.dumps({"model": "U-Net, 5 levels, random weights", "picture": "192x320", "rows": rows}, indent=1)
            + "\n"
        )
        if a.json.resolve() == RECORD:
            report.write(fragments())  # tools/fill_docs.py pastes it into docs/results.md
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
