"""Screenshot of the web export of the shipped model for docs/results.md and the README, with its browser-vs-Python parity.

    python tools/web_screenshot.py [--bundle models/mnist-dcgan] [--out docs/web-demo.png]

Builds the page from the bundle's ONNX fp32 generator (edgegan.export.web), serves it on a loopback
port, opens it in Debian's Chromium (headless, through Playwright), reads the generated values for
fixed latents and compares them with the Python runtime.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

import numpy as np
import report

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--bundle", default=str(ROOT / "models" / "mnist-dcgan"))
    p.add_argument("--out", default=str(ROOT / "docs" / "web-demo.png"))
    a = p.parse_args()
    from playwright.sync_api import sync_playwright

    import edgegan
    from edgegan.export.web import CHROMIUM_ARGS, ORT_WEB_VERSION, serve, write_web

    with tempfile.TemporaryDirectory() as tmp:
        site = write_web(Path(a.bundle), Path(tmp) / "site")
        z = np.random.default_rng(11).standard_normal((8, 100)).astype(np.float32)
        with serve(site) as url, sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
            page = browser.new_page(viewport={"width": 760, "height": 700})
            page.goto(url)
            page.wait_for_selector("body[data-ready='1']", timeout=120_000)
            values = np.asarray(page.evaluate("(z) => window.edgegan.generate(z)", z.ravel().tolist()), np.float32)
            status = page.inner_text("#status")
            page.screenshot(path=a.out)
            version = browser.version
            browser.close()
    python = edgegan.load(a.bundle, backend="onnx", precision="fp32").generate(z)
    diff = np.abs(values.reshape(python.shape) - python).max()
    print(f"{a.out}: {status}")
    print(f"browser vs Python runtime (8 latents, fp32): max abs diff {diff:.2e}")
    if Path(a.out).resolve() == ROOT / "docs" / "web-demo.png":
        report.write({"web": (
            "![the web export in headless Chromium](web-demo.png)\n\n"
            f"Screenshot by `python tools/web_screenshot.py` (Chromium {version}, headless, onnxruntime-web "
            f"{ORT_WEB_VERSION}, {Path(a.bundle).resolve().relative_to(ROOT)}); browser vs Python runtime on 8 fixed "
            f"latents: fp32 max abs diff {diff:.1e} (tests/test_web.py asserts <= 1e-4 on its test model)."
        )})  # fmt: skip


if __name__ == "__main__":
    main()
