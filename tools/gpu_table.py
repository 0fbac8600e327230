"""Markdown table of what LiteRT's GPU accelerator measured for each LiteRT file of bundles (their manifests).

    python tools/gpu_table.py models/mnist-dcgan models/mnist-cdcgan models/photo-sr4   # docs/gpu.md's table

Figures come from the manifests' ``gpu`` sections, written at export or by tools/resign_bundle.py: nothing is
measured here.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def rows(bundle: Path) -> list[str]:
    out = []
    for f in json.loads((bundle / "manifest.json").read_text())["files"]:
        if f["format"] != "tflite":
            continue
        g = f.get("gpu") or {}
        if not g.get("measured"):
            out.append(f"| {bundle.name} | {f['path']} | not measured ({g.get('reason', 'no gpu section')}) | - | - |")
            continue
        where = "all ops" if g["fully_accelerated"] else f"{g['ops_on_cpu']} ops on the CPU: {'; '.join(g['fallback'])}"
        f32 = " (enforce_f32)" if g.get("enforce_f32") else ""
        verdict = "pass" if g["passes"] else "**miss**"
        cells = [bundle.name, f["path"], where, f"{g['figure']}{f32}", f"{g['limit']}: {verdict}"]
        out.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return out


def main() -> None:
    lines = [
        "| bundle | file | on the GPU | error against Keras on the GPU | GPU bound |",
        "| --- | --- | --- | --- | --- |",
    ]
    devices = set()
    for b in map(Path, sys.argv[1:]):
        lines += rows(b)
        devices |= {
            (f.get("gpu") or {}).get("device")
            for f in json.loads((b / "manifest.json").read_text())["files"]
            if (f.get("gpu") or {}).get("device")
        }
    print("\n".join(lines))
    print(f"\nDevice: {', '.join(sorted(devices)) or 'none'}")


if __name__ == "__main__":
    main()
