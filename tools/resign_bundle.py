"""Bring an exported bundle's LiteRT files and manifest up to this edgegan without converting anything again.

    python tools/resign_bundle.py models/mnist-dcgan models/mnist-cdcgan

For each bundle:
- every int8-io file made from its int8 sibling by modify_model_interface gets the sibling's SignatureDef,
  re-pointed at its own I/O tensors (edgegan.export.tflite.with_signature_of): before, LiteRT's signature
  runner and CompiledModel API refused it;
- every fp16 file keeps the tables its GATHERs read in float32 (edgegan.export.tflite.float_gather_tables, as
  export now writes them): before, LiteRT's GPU accelerator ran a conditional model's fp16 files half on the CPU;
- only these files' bytes change (exact rewrites: the same outputs); the manifest gets their new sha256, size
  and I/O names;
- each ONNX file's mobile usability is re-read with both of ONNX Runtime's checker figures (as the file is, and
  with fixed shapes: the first alone said "0 nodes" for NNAPI and Core ML, because of the dynamic batch);
- the static analyzer's guess (checks.gpu_compatible, gpu_issues) leaves the manifest; each LiteRT file is
  opened through the Interpreter, the signature runner and the CompiledModel API (checks.apis) and measured on
  LiteRT's GPU accelerator against the bundle's Keras references (the ``gpu`` section, edgegan.export.gpu).

Run with a GPU device (tools/ci/gpu_device.sh installs lavapipe); without one the sections say "not measured".
Then `edgegan verify BUNDLE` and `edgegan verify BUNDLE --accelerator gpu`.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from edgegan import manifest as mf
from edgegan.export.gpu import Reference, measure_role
from edgegan.export.onnx import mobile_usability
from edgegan.export.tflite import float_gather_tables, with_signature_of
from edgegan.runtime.compiled import api_check
from edgegan.runtime.engines import LiteRTEngine
from edgegan.verify import _inputs, load_reference


def resign(root: Path, entry: dict, files: dict[str, dict]) -> bool:
    """Re-point an int8-io file's signature from its int8 sibling's, float32 tables in an fp16 file; True when
    its bytes changed."""
    path = root / entry["path"]
    data = path.read_bytes()
    sibling = files.get(entry["path"].replace(".int8-io.", ".int8."))
    if entry["precision"] == "int8-io" and sibling is not None:
        fixed = with_signature_of((root / sibling["path"]).read_bytes(), data)
    elif entry["precision"] == "fp16":
        fixed = float_gather_tables(data)
    else:
        return False
    if fixed == data:
        return False
    path.write_bytes(fixed)
    engine = LiteRTEngine(fixed, path.name)
    entry.update(
        sha256=mf.sha256_bytes(fixed),
        bytes=len(fixed),
        inputs=[t.to_dict() for t in engine.inputs],
        outputs=[engine.output.to_dict()],
    )
    return True


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("bundles", nargs="+", type=Path)
    for root in ap.parse_args().bundles:
        m = mf.load(root)
        data = json.loads((root / mf.MANIFEST).read_text())
        ref = load_reference(m)
        tflite = {e["path"]: e for e in data["files"] if e["format"] == "tflite"}
        changed = [p for p, e in tflite.items() if resign(root, e, tflite)]
        for role in mf.ROLES:
            entries = [e for e in tflite.values() if e["role"] == role]
            if not entries:
                continue
            x = _inputs(ref, role)
            for e in entries:
                for guess in ("gpu_compatible", "gpu_issues"):
                    e["checks"].pop(guess, None)
                e["checks"]["apis"] = api_check((root / e["path"]).read_bytes(), e["path"], [a[:2] for a in x])
            y = ref["image" if role == "generator" else "d_score"]
            measure_role(Reference(role, x, y, m.contract.parity_kw(role)), entries, root, print)
        for e in data["files"]:
            if e["format"] == "onnx":
                e["checks"].update(mobile_usability(root / e["path"]))
        (root / mf.MANIFEST).write_text(mf.dumps(data))
        mf.load(root)
        print(f"{root}: re-signed {', '.join(changed) or 'nothing'}; GPU measured for {len(tflite)} LiteRT files")


if __name__ == "__main__":
    main()
