"""`edgegan export --format web`: a static folder that runs the generator in the browser.

index.html + app.mjs (no build step) load generator.onnx with onnxruntime-web: on the GPU through its WebGPU
backend when the browser has a WebGPU adapter, else on WebAssembly (SIMD; threads when the page is cross-origin
isolated); the page shows which and sets ``window.edgegan.backend`` ("webgpu" or "wasm"). onnxruntime-web's three files come
from the npm registry at export time (`npm pack onnxruntime-web@ORT_WEB_VERSION`) and are cached in
~/.cache/edgegan/npm, so later exports work offline; the folder itself needs no network at all.
Any static file server serves it (`python -m http.server -d DIR`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from importlib import resources
from pathlib import Path

from edgegan.errors import ExportError
from edgegan.export.staging import staged, swap_into_place

ORT_WEB_VERSION = "1.30.0"  # runs opset 17; pinned so exports are reproducible
# the WebAssembly build, then the WebGPU build (which runs the "webgpu" and "wasm" providers; 27 MB of wasm, so
# edgegan's page fetches it only in a browser that has a WebGPU adapter: web_assets/backend.mjs)
ORT_FILES = (
    "ort.wasm.min.mjs",
    "ort-wasm-simd-threaded.mjs",
    "ort-wasm-simd-threaded.wasm",
    "ort.webgpu.min.mjs",
    "ort-wasm-simd-threaded.asyncify.mjs",
    "ort-wasm-simd-threaded.asyncify.wasm",
)
# Flags for driving Debian's Chromium headless here (tests/test_web.py, tools/web_screenshot.py): no sandbox as
# root, and no background connections, which this machine's closed network refuses many at a time.
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The same with WebGPU on Chromium's own software Vulkan device (SwiftShader): without --disable-gpu, which turns
# WebGPU off. navigator.gpu exists only in a secure context (http://127.0.0.1, not about:blank).
CHROMIUM_WEBGPU_ARGS = [a for a in CHROMIUM_ARGS if a != "--disable-gpu"] + [
    "--enable-unsafe-webgpu",
    "--enable-features=Vulkan",
    "--use-vulkan=swiftshader",
    "--use-webgpu-adapter=swiftshader",
]


@contextlib.contextmanager
def serve(folder: Path) -> Iterator[str]:
    """Serve a static folder on a free loopback port; yields its base URL (tests, screenshots)."""
    import functools
    import http.server
    import threading

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def ort_web_files(cache: Path | None = None) -> Path:
    """Folder holding onnxruntime-web's WASM build, fetched once with npm and cached."""
    cache = Path(cache or os.environ.get("EDGEGAN_NPM_CACHE", Path.home() / ".cache" / "edgegan" / "npm"))
    dest = cache / f"onnxruntime-web-{ORT_WEB_VERSION}"
    if all((dest / f).is_file() for f in ORT_FILES):
        return dest
    npm = shutil.which("npm")
    if not npm:
        raise ExportError(
            f"--format web needs onnxruntime-web {ORT_WEB_VERSION}: install Node.js/npm once "
            f"(it is then cached in {cache}), or copy {', '.join(ORT_FILES)} from its dist/ folder into {dest}"
        )
    with tempfile.TemporaryDirectory() as tmp:
        r = subprocess.run(
            [npm, "pack", f"onnxruntime-web@{ORT_WEB_VERSION}", "--silent"],
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=600,
        )
        if r.returncode != 0:
            raise ExportError(f"npm pack onnxruntime-web@{ORT_WEB_VERSION} failed: {r.stderr.strip()[-300:]}")
        tgz = next(Path(tmp).glob("onnxruntime-web-*.tgz"))
        staging = Path(tmp) / "files"
        staging.mkdir()
        with tarfile.open(tgz) as t:
            for name in ORT_FILES:
                member = t.getmember(f"package/dist/{name}")
                with (
                    t.extractfile(member) as src,
                    open(staging / name, "wb") as out,
                ):  # no path from the archive is used
                    shutil.copyfileobj(src, out)
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(dest, ignore_errors=True)
        shutil.copytree(staging, dest)
    return dest


def _image_fields(m, entry) -> dict:
    """model.json's fields for an image-input generator: its input, and the tiling the Python runtime uses."""
    from edgegan.runtime.tiles import DEFAULT_TILE, overlap

    src = m.contract.source
    if src is None:
        return {}
    shape = entry.inputs[0]["shape"][1:3]
    any_size = None in shape
    tile = [DEFAULT_TILE // src.multiple * src.multiple] * 2 if any_size else [int(v) for v in shape]
    pad = overlap(src.receptive_field, tile)
    return {
        "source": {**src.section(), "channels": src.channels},
        "any_size": any_size,
        "tile": tile,
        "tile_pad": pad,
    }


def _inputs(m) -> list[dict]:
    """The generator's signature for the page (edgegan.signature), each noise input with the stream its draws
    add to the seed, so the page draws the noise the Python runtime draws."""
    return [{**e.section(), **({"stream": e.stream} if e.kind == "noise" else {})} for e in m.contract.signature]


def _encoder(m, stage: Path) -> dict | None:
    """A bundle's style encoder (edgegan.export.encoder) beside the page's generator: encoder.onnx and what the page
    feeds it, or None without one."""
    from edgegan import manifest as mf
    from edgegan.export.encoder import EPS, OUTPUT, STYLE

    found = m.find("encoder", "onnx", "fp32")
    if not found:
        return None
    (stage / "encoder.onnx").write_bytes(mf.read_checked(m.root, found[0]))
    style = m.data["signature"]["encoder"][0]
    return {"file": "encoder.onnx", "style": STYLE, "eps": EPS, "output": OUTPUT, "shape": style["shape"],
            "range": style["range"], "batch": found[0].batch}  # fmt: skip


def write_web(bundle: Path, out: Path, ort_files: Path | None = None) -> Path:
    """Build the web folder from a bundle's generator.fp32.onnx (atomically: staged, then renamed)."""
    from edgegan import manifest as mf

    m = mf.load(bundle)
    found = m.find("generator", "onnx", "fp32")
    if not found:
        raise ExportError(f"{bundle}: has no generator.fp32.onnx to put on the web")
    styles = [e.name for e in m.contract.signature.extra if e.kind == "image"]
    if styles:  # translate.mjs feeds one picture; a page that cannot run the model is not written
        raise ExportError(f"{bundle}: the web page takes one picture and this generator also takes {styles[0]}")
    entry = found[0]
    data = mf.read_checked(m.root, entry)
    src = ort_files or ort_web_files()
    out = Path(out)
    with staged(out) as stage:
        (stage / "ort").mkdir()
        for name in ORT_FILES:
            shutil.copyfile(src / name, stage / "ort" / name)
        (stage / "generator.onnx").write_bytes(data)
        encoder = _encoder(m, stage)
        model = {
            **_image_fields(m, entry),
            "file": "generator.onnx",
            "sha256": hashlib.sha256(data).hexdigest(),
            "input": entry.inputs[0]["name"],
            "label": next((e.name for e in m.contract.signature if e.kind == "label"), None),  # a conditional G's
            "classes": m.classes,
            "output": entry.outputs[0]["name"],
            "latent_size": m.latent_size,
            "image_shape": list(m.image_shape),
            "value_range": m.data["image"].get("range", [-1, 1]),
            "onnxruntime_web": ORT_WEB_VERSION,
            "optimized": entry.optimized,
            "batch": entry.batch,  # 1: a model pinned to one picture per call (--batch-one); null: any
            "inputs": _inputs(m),
            **({"encoder": encoder} if encoder else {}),
        }
        (stage / "model.json").write_text(json.dumps(model, indent=2) + "\n")
        assets = resources.files("edgegan.export") / "web_assets"
        pages = ("translate.html", "translate.mjs") if m.contract.source else ("index.html", "app.mjs")
        for src_name, name in zip((*pages, "backend.mjs"), ("index.html", "app.mjs", "backend.mjs")):
            (stage / name).write_text((assets / src_name).read_text())
        swap_into_place(stage, out, marker="model.json")  # never deletes a folder export did not write
    return out
