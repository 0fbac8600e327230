"""Any picture size: tiled translation (edgegan/runtime/tiles.py) against whole-picture runs, the receptive
field read at export, pictures as users have them, and the shipped photo super-resolution bundle."""

import io
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, needs_tf, run_cli

SR = ROOT / "models" / "photo-sr4"
pytestmark = pytest.mark.light  # the light tier runs them (CI's no-TensorFlow step); the one that needs TF says so


def smooth_picture(h: int, w: int, seed: int = 0) -> np.ndarray:
    from edgegan.runtime.images import synthetic_pictures

    return synthetic_pictures(1, h, w, 3, seed)[0]


def box_x2(field: int):
    """A stand-in model: a (2 field + 1)^2 box filter with zero padding, then nearest x2 (receptive field = field)."""

    def run(x):
        x = x.astype(np.float32)
        k = 2 * field + 1
        p = np.pad(x, ((0, 0), (field, field), (field, field), (0, 0)))
        c = p.cumsum(1).cumsum(2)
        c = np.pad(c, ((0, 0), (1, 0), (1, 0), (0, 0)))
        s = c[:, k:, k:] - c[:, :-k, k:] - c[:, k:, :-k] + c[:, :-k, :-k]
        return (s / k**2).repeat(2, 1).repeat(2, 2)

    return run


@pytest.mark.parametrize("length,tile,pad", [(100, 32, 4), (33, 32, 4), (32, 32, 0), (257, 64, 8), (1000, 128, 8)])
@pytest.mark.parametrize("blend", [False, True])
def test_windows_cover_the_axis_and_weights_sum_to_one(length, tile, pad, blend):
    from edgegan.runtime.tiles import starts, weights

    s = starts(length, tile, pad)
    assert s[0] == 0 and s[-1] + tile == length and all(b > a for a, b in zip(s, s[1:]))
    assert all(a + tile - b >= 2 * pad for a, b in zip(s, s[1:]))  # every overlap holds pad each side
    total = np.zeros(length * 2)
    for start, w in zip(s, weights(s, tile, 2, blend)):
        total[start * 2 : (start + tile) * 2] += w
    np.testing.assert_allclose(total, 1.0, atol=1e-6)


@pytest.mark.parametrize("field", [1, 3])
def test_tiles_join_exactly_when_the_overlap_holds_the_field_and_not_below(field):
    from edgegan.runtime.tiles import Tiling, translate_tiled

    run, pic = box_x2(field), smooth_picture(70, 95).astype(np.float32)
    whole = run(pic[None])[0]
    exact = translate_tiled(run, pic, 2, Tiling((24, 20), field), 3, lambda b: b)
    short = translate_tiled(run, pic, 2, Tiling((24, 20), field - 1), 3, lambda b: b)
    assert exact.shape == whole.shape == (140, 190, 3)
    assert float(np.abs(exact - whole).max()) < 1e-3
    assert float(np.abs(short - whole).max()) > 1.0  # the check can fail: a tile edge inside the field shows


def test_a_cut_beats_a_blend_where_the_field_is_larger_than_the_overlap():
    """A model that sees more than the overlap (field 6, pad 2): tiles differ from the whole picture either way,
    most at each tile's own edge, which a blend mixes in and a cut keeps furthest away. Why the cut is the
    default (docs/results.md has a U-Net's figures, tools/seam_error.py)."""
    from edgegan.runtime.tiles import Tiling, translate_tiled

    run, pic = box_x2(6), smooth_picture(80, 80, 3).astype(np.float32)
    whole = run(pic[None])[0]
    cut = np.abs(translate_tiled(run, pic, 2, Tiling((32, 32), 2), 4, lambda b: b) - whole)
    blend = np.abs(translate_tiled(run, pic, 2, Tiling((32, 32), 2, blend=True), 4, lambda b: b) - whole)
    print(
        f"max / mean |error| (levels): cut {cut.max():.1f} / {cut.mean():.2f}, blend {blend.max():.1f} / {blend.mean():.2f}"
    )
    assert 0 < cut.mean() < blend.mean() and 0 < cut.max() < blend.max()


def test_the_clis_default_tile_is_the_runtimes():
    """edgegan/cli.py repeats DEFAULT_TILE so that the CLI starts without importing numpy."""
    from edgegan import cli
    from edgegan.runtime import tiles

    assert cli.DEFAULT_TILE == tiles.DEFAULT_TILE


def test_small_pictures_and_pre_pad_keep_the_pictures_size():
    from edgegan.runtime.tiles import Tiling, translate_tiled

    run = box_x2(1)
    for shape, tiling in (((10, 7, 3), Tiling((16, 16), 2)), ((40, 50, 3), Tiling((16, 16), 2, pre_pad=3))):
        out = translate_tiled(run, smooth_picture(*shape[:2]).astype(np.float32), 2, tiling, 2, lambda b: b)
        assert out.shape == (shape[0] * 2, shape[1] * 2, 3)


@needs_tf
def test_receptive_field_is_read_from_the_layers():
    import keras
    from keras import layers

    from edgegan.export.reach import receptive_field
    from edgegan.photo_sr import build_sr_generator

    def chain(*ls):
        x = keras.Input((None, None, 3))
        y = x
        for layer in ls:
            y = layer(y)
        return keras.Model(x, y)

    assert receptive_field(build_sr_generator()) == 8  # 1 + 6 at low resolution, 1/2 + 1/4 + 1/4 above it
    assert receptive_field(chain(layers.Conv2D(4, 3, padding="same"), layers.Conv2D(3, 5, padding="same"))) == 3
    assert (
        receptive_field(chain(layers.Conv2D(4, 3, strides=2, padding="same"), layers.Conv2D(3, 3, padding="same"))) == 3
    )
    assert receptive_field(chain(layers.UpSampling2D(2), layers.Conv2D(3, 3, padding="same"))) == 1  # half a pixel
    assert receptive_field(chain(layers.Conv2D(3, 3, dilation_rate=4, padding="same"))) == 4
    assert receptive_field(chain(layers.Conv2D(4, 1), layers.GroupNormalization(2))) is None  # sees the whole picture


def sr_bundle_or_skip():
    if not (SR / "manifest.json").is_file():
        pytest.fail(f"{SR} is missing: tools/make_photo_sr.sh makes it")
    return SR


def test_the_shipped_sr_model_tiles_to_its_whole_picture_output():
    """Default tile settings: the LiteRT file tiles at its fixed size, the ONNX file at DEFAULT_TILE; both
    against the ONNX file run on the whole picture, on a picture that is no multiple of either tile."""
    import edgegan

    bundle = sr_bundle_or_skip()
    pic = smooth_picture(300, 410, 5)
    onnx = edgegan.load(bundle, backend="onnx", precision="fp32")
    whole = onnx.translate(pic, tile=0).astype(int)
    lite = edgegan.load(bundle, backend="tflite", precision="fp32")
    for g in (onnx, lite):
        plan = g.tiling(300, 410)
        assert plan is not None and g.exact_joins(plan) and plan.pad == g.source.receptive_field
        assert int(np.abs(g.translate(pic).astype(int) - whole).max()) <= 1, g
    below = lite.translate(pic, tile_pad=2)
    assert int(np.abs(below.astype(int) - whole).max()) > 1  # under the field, the joins show


def test_translate_writes_a_big_output_and_refuses_bad_pictures_in_one_line(tmp_path):
    from PIL import Image

    from edgegan.runtime.images import save_png

    sr_bundle_or_skip()
    good = tmp_path / "photo.jpg"
    Image.fromarray(smooth_picture(150, 130, 1)).save(good, quality=95)
    gray = tmp_path / "gray.png"
    Image.fromarray(smooth_picture(40, 30, 2)[..., 0]).save(gray)
    rgba = tmp_path / "rgba.png"
    save_png(np.concatenate([smooth_picture(40, 30, 3), np.full((40, 30, 1), 99, np.uint8)], 2), rgba)
    r = run_cli("translate", str(good), str(gray), str(rgba), "-o", str(tmp_path / "out"))  # default: photo-sr4
    assert r.returncode == 0, r.stderr
    assert Image.open(tmp_path / "out" / "photo.png").size == (520, 600)
    assert "gray.png: grayscale picture converted for a 3-channel model" in r.stdout
    assert "rgba.png: alpha channel dropped" in r.stdout
    buf = io.BytesIO()
    Image.fromarray(smooth_picture(64, 64)).save(buf, format="PNG")
    bomb = tmp_path / "bomb.png"
    Image.new("L", (9000, 9000)).save(bomb)  # 81 M pixels in a few kB: over the decode cap
    bad = {
        "empty.png": b"",
        "text.png": b"not a picture at all",
        "truncated.png": buf.getvalue()[: len(buf.getvalue()) // 2],
    }
    for name, data in bad.items():
        (tmp_path / name).write_bytes(data)
    for path in [tmp_path / n for n in bad] + [bomb]:
        out = tmp_path / f"out-{path.stem}"
        r = run_cli("translate", str(good), str(path), "-o", str(out))
        assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, (path, r.stderr)
        assert path.name in r.stderr and "Traceback" not in r.stderr
        assert not out.exists()  # nothing written, not even the good picture's output
    r = run_cli("translate", str(good), "--max-pixels", "100000", "-o", str(tmp_path / "out-cap"))
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1 and "--max-pixels" in r.stderr
    assert not (tmp_path / "out-cap").exists()


def test_streamed_png_is_what_pillow_reads(tmp_path):
    from PIL import Image

    from edgegan.runtime.images import save_png_streamed

    for c in (1, 3, 4):
        a = np.random.default_rng(c).integers(0, 256, (37, 301, c)).astype(np.uint8)
        save_png_streamed(a, tmp_path / f"{c}.png", rows=5)
        b = np.asarray(Image.open(tmp_path / f"{c}.png"))
        np.testing.assert_array_equal(b.reshape(a.shape), a)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1.png", "3.png", "4.png"]  # no staging file left


def test_sr_bundle_files_and_record():
    """The shipped bundle: x4, any size, the receptive field recorded; its training record names held-out photos
    that were never trained on."""
    import json

    from edgegan import manifest as mf
    from edgegan.photo_sr import HELD_OUT_PHOTOS, TRAIN_PHOTOS

    m = mf.load(sr_bundle_or_skip())
    assert m.contract.source.scale == 4 and m.contract.source.dynamic
    assert m.contract.source.receptive_field == 8
    record = json.loads((SR / "training.json").read_text())
    assert set(record["data"]["held_out"]) == set(HELD_OUT_PHOTOS) and not set(HELD_OUT_PHOTOS) & set(TRAIN_PHOTOS)
    assert Path(SR / "held_out.json").is_file()


def test_http_translate_serves_many_clients_and_refuses_bad_bodies():
    """examples/serve.py with the shipped SR bundle over real HTTP: the runtime's pixels, one-line 400s for bad
    bodies, and a load test (tools/load_translate.py) with no errors."""
    import json

    pytest.importorskip("skimage", reason="its photograph comes from scikit-image (the dev extra)")

    import load_translate as lt
    from PIL import Image

    import edgegan

    p, base = lt.start(str(sr_bundle_or_skip()))
    try:
        body = lt.photo_png(48)
        code, png, _ = lt.post(base, body)
        assert code == 200
        want = edgegan.load(SR).translate(np.asarray(Image.open(io.BytesIO(body))))
        np.testing.assert_array_equal(np.asarray(Image.open(io.BytesIO(png))), want)
        huge = io.BytesIO()
        Image.new("RGB", (2100, 2000)).save(huge, format="PNG")  # a few kB whose x4 answer is 67 M pixels
        for bad in (b"not a picture", body[: len(body) // 2], b"GIF89a" + b"\0" * 64, huge.getvalue()):
            code, answer, _ = lt.post(base, bad)
            assert code == 400 and len(json.loads(answer)["error"].splitlines()) == 1
        assert "output pixel limit" in json.loads(lt.post(base, huge.getvalue())[1])["error"]
        result = lt.load_test(base, body, clients=8, requests=48)
        print(result)
        assert result["errors"] == 0 and result["requests"] == 48
        assert lt.post(base, body)[0] == 200  # still serving
    finally:
        p.terminate()
        p.wait(timeout=10)
