"""``edgegan demo``: the README's main job on the shipped reference model.

Export (both networks, ONNX and LiteRT, fp32 and int8) -> verify every file -> generate a
sample grid with the light runtime -> a short benchmark table.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path

from edgegan.errors import VerificationFailed


def run_demo(model: str, out: str | None, output: str, log: Callable[[str], None] = print) -> int:
    import edgegan
    from edgegan.bench import bench, format_table
    from edgegan.export.bundle import export_bundle
    from edgegan.export.formats import select
    from edgegan.runtime.images import replaced_note
    from edgegan.verify import format_table as verify_table
    from edgegan.verify import verify

    with tempfile.TemporaryDirectory(prefix="edgegan-demo-") as tmp:
        bundle = Path(out) if out else Path(tmp) / "bundle"
        log(f"1/4 export {model} -> {bundle}")
        export_bundle(model, bundle, select("onnx,tflite", "fp32,int8"), log=log)
        log("\n2/4 verify")
        rows, summary = verify(bundle)
        log(verify_table(rows))
        if summary["failed"]:
            raise VerificationFailed(f"{summary['failed']} files failed verification")
        log("\n3/4 generate with the light runtime")
        for backend, precision in (("onnx", "fp32"), ("tflite", "int8")):
            g = edgegan.load(bundle, backend=backend, precision=precision)
            images = g.sample(64, seed=0)
            path = Path(output) / f"samples.{backend}-{precision}.png"
            replaced = replaced_note(path)
            g.save_grid(images, path)
            log(f"  {backend}/{precision}: wrote {path}{replaced}")
        log("\n4/4 bench (generator, batch 1, 100 runs; Keras original in the same run)")
        rows, info = bench(bundle, batch=32, runs=100, only=lambda e: e.role == "generator", cold=True)
        log(f"{info['machine']['cpu']}, {info['machine']['cores']} cores")
        log(format_table(rows))
    return 0
