"""The generator in a real browser: serve `edgegan export --format web` on loopback, drive Debian's
Chromium headless with Playwright, read the generated values and compare with the Python runtime."""

import contextlib
import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import needs_tf

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    needs_tf,
    pytest.mark.slow,
    pytest.mark.skipif(
        not Path(CHROMIUM).exists(),
        reason="Debian's chromium is not installed (apt-get install chromium; .ci/run does)",
    ),
    pytest.mark.skipif(
        shutil.which("npm") is None and not (Path.home() / ".cache" / "edgegan" / "npm").exists(),
        reason="onnxruntime-web comes from npm at export time",
    ),
]


@contextlib.contextmanager
def ready_page(url: str, webgpu: bool = False, **page_kw):
    """Debian's Chromium, headless, on ``url`` until the page says it is ready: yields (page, its page errors).
    ``webgpu``: with WebGPU on Chromium's own SwiftShader Vulkan device; else with the GPU off (no WebGPU)."""
    playwright = pytest.importorskip("playwright.sync_api")
    from edgegan.export.web import CHROMIUM_ARGS, CHROMIUM_WEBGPU_ARGS

    args = CHROMIUM_WEBGPU_ARGS if webgpu else CHROMIUM_ARGS
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=args)
        try:
            page = browser.new_page(**page_kw)
            errors = []
            page.on("pageerror", lambda e: errors.append(str(e)))
            page.goto(url)
            page.wait_for_selector("body[data-ready='1']", timeout=120_000)
            yield page, errors
        finally:
            browser.close()


@pytest.fixture(scope="module")
def web_dir(bundle, tmp_path_factory):
    from edgegan.export.web import write_web

    return write_web(bundle, tmp_path_factory.mktemp("web") / "site")


@pytest.fixture(scope="module")
def served(web_dir):
    from edgegan.export.web import serve

    with serve(web_dir) as url:
        yield url


def test_browser_images_match_the_python_runtime(served, bundle, tmp_path):
    import edgegan

    z = np.random.default_rng(11).standard_normal((4, 100)).astype(np.float32)
    with ready_page(served, viewport={"width": 800, "height": 760}) as (page, errors):
        values = page.evaluate("(z) => window.edgegan.generate(z)", z.ravel().tolist())
        page_latents = page.evaluate("() => window.edgegan.latents(64, 3)")
        status = page.inner_text("#status")
        backend = page.evaluate("() => window.edgegan.backend")
        page.click("#again")  # regenerates for the next seed
        page.wait_for_function("document.querySelector('#status').textContent.startsWith('seed 1,')", timeout=60_000)
        shot = Path(os.environ.get("EDGEGAN_WEB_SCREENSHOT", tmp_path / "web-demo.png"))
        page.screenshot(path=str(shot))
    assert not errors, errors
    # One latent definition: seed 3 in the page is seed 3 in the runtime and in export's reference set.
    from edgegan.latents import latents

    np.testing.assert_array_equal(np.asarray(page_latents, np.float32).reshape(64, 100), latents(64, 100, 3))
    np.testing.assert_array_equal(edgegan.load(bundle).latents(64, seed=3), latents(64, 100, 3))
    browser_images = np.asarray(values, np.float32).reshape(4, 28, 28, 1)
    python_images = edgegan.load(bundle, backend="onnx", precision="fp32").generate(z)
    diff = float(np.abs(browser_images - python_images).max())
    print(f"browser vs Python runtime, fp32 max |diff| = {diff:.2e}; {status}")
    assert diff <= 1e-4
    assert backend == "wasm" and "WebAssembly" in status  # a browser without WebGPU
    assert "64 digits" in status
    assert shot.stat().st_size > 1000


def test_the_digit_picker_draws_the_class_asked_for(cond_bundle, tmp_path):
    import edgegan
    from edgegan.export.web import serve, write_web

    site = write_web(cond_bundle, tmp_path / "site")
    z = edgegan.load(cond_bundle).latents(3, seed=4)
    with serve(site) as url, ready_page(url) as (page, errors):
        options = page.eval_on_selector_all("#label option", "os => os.map(o => o.value)")
        page.select_option("#label", "7")
        page.wait_for_function("document.querySelector('#status').textContent.includes('digit 7')", timeout=60_000)
        values = page.evaluate("([z, y]) => window.edgegan.generate(z, y)", [z.ravel().tolist(), [7, 7, 2]])
        page.select_option("#label", "all")
        page.wait_for_function("document.querySelector('#status').textContent.includes('one row per digit')")
        size = page.evaluate("() => [document.querySelector('#grid').width, document.querySelector('#grid').height]")
    assert not errors, errors
    assert options == ["all"] + [str(c) for c in range(10)]
    want = edgegan.load(cond_bundle, backend="onnx", precision="fp32").generate(z, labels=[7, 7, 2])
    assert float(np.abs(np.asarray(values, np.float32).reshape(want.shape) - want).max()) <= 1e-4
    assert size == [8 * 28, 10 * 28]  # 8 latents per row, one row per class


def test_the_image_page_translates_tile_by_tile_as_the_python_runtime(tmp_path):
    """An image-input bundle's page (the shipped x4 SR model): a picture larger than the page's tile goes
    through onnxruntime-web tile by tile; its pixels equal the Python runtime's within 1 level. The file input
    drives the before/after canvases."""
    from PIL import Image

    import edgegan
    from edgegan.export.web import serve, write_web
    from edgegan.runtime.images import synthetic_pictures

    sr = Path(__file__).resolve().parents[1] / "models" / "photo-sr4"
    site = write_web(sr, tmp_path / "site")
    pic = synthetic_pictures(1, 270, 300, 3, 9)[0]  # over the page's 256 tile: four windows
    Image.fromarray(pic[:40, :50]).save(tmp_path / "small.png")
    with serve(site) as url, ready_page(url) as (page, errors):
        got = page.evaluate("([p, h, w]) => window.edgegan.translate(p, h, w)", [pic.ravel().tolist(), 270, 300])
        page.set_input_files("#file", str(tmp_path / "small.png"))
        page.wait_for_function("document.querySelector('#status').textContent.includes('-> 200x160')", timeout=60_000)
        after = page.evaluate("() => [document.querySelector('#after').width, document.querySelector('#after').height]")
    assert not errors, errors
    y = np.asarray(got["pixels"], np.uint8).reshape(got["height"], got["width"], 3)
    want = edgegan.load(sr, backend="onnx", precision="fp32").translate(pic)
    assert y.shape == want.shape == (1080, 1200, 3)
    assert int(np.abs(y.astype(int) - want).max()) <= 1
    assert after == [200, 160]


def test_with_webgpu_the_page_runs_on_the_gpu_within_1e_2_of_the_python_runtime(served, bundle):
    """Chromium with WebGPU (SwiftShader's Vulkan device): the page picks onnxruntime-web's WebGPU backend, says
    so, and its digits stay within 1e-2 of the Python runtime's."""
    import edgegan

    z = np.random.default_rng(12).standard_normal((4, 100)).astype(np.float32)
    with ready_page(served, webgpu=True) as (page, errors):
        has_gpu = page.evaluate("async () => !!(navigator.gpu && await navigator.gpu.requestAdapter())")
        backend = page.evaluate("() => window.edgegan.backend")
        values = page.evaluate("(z) => window.edgegan.generate(z)", z.ravel().tolist())
        status = page.inner_text("#status")
    assert not errors, errors
    assert has_gpu, "Chromium exposed no WebGPU adapter"
    assert backend == "webgpu" and "WebGPU" in status, status
    want = edgegan.load(bundle, backend="onnx", precision="fp32").generate(z)
    diff = float(np.abs(np.asarray(values, np.float32).reshape(want.shape) - want).max())
    print(f"WebGPU page vs Python runtime, max |diff| = {diff:.2e}")
    assert diff <= 1e-2


def test_the_image_page_on_webgpu_matches_the_python_runtime(tmp_path):
    import edgegan
    from edgegan.export.web import serve, write_web
    from edgegan.runtime.images import synthetic_pictures

    sr = Path(__file__).resolve().parents[1] / "models" / "photo-sr4"
    site = write_web(sr, tmp_path / "site")
    pic = synthetic_pictures(1, 60, 70, 3, 5)[0]
    with serve(site) as url, ready_page(url, webgpu=True) as (page, errors):
        backend = page.evaluate("() => window.edgegan.backend")
        got = page.evaluate("([p, h, w]) => window.edgegan.translate(p, h, w)", [pic.ravel().tolist(), 60, 70])
    assert not errors, errors
    assert backend == "webgpu"
    y = np.asarray(got["pixels"], np.uint8).reshape(got["height"], got["width"], 3)
    want = edgegan.load(sr, backend="onnx", precision="fp32").translate(pic)
    assert y.shape == want.shape
    assert int(np.abs(y.astype(int) - want).max()) <= 3  # uint8 levels: 1e-2 of the [0, 1] range is 2.55


def test_the_image_page_refuses_a_decompression_bomb_in_one_line(tmp_path):
    from test_http_door import png_declaring

    from edgegan.export.web import serve, write_web

    site = write_web(Path(__file__).resolve().parents[1] / "models" / "photo-sr4", tmp_path / "site")
    (tmp_path / "bomb.png").write_bytes(png_declaring(50_000, 50_000))
    with serve(site) as url, ready_page(url) as (page, errors):
        page.set_input_files("#file", str(tmp_path / "bomb.png"))
        page.wait_for_function("document.querySelector('#status').textContent.startsWith('error:')", timeout=60_000)
        status = page.inner_text("#status")
    assert not errors, errors
    assert "50000x50000" in status and "decompression bomb" in status and "\n" not in status
