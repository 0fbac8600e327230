"""Image models users put on phones beside GANs, as keras.io and TensorFlow's tutorials publish them (tools/zoo/i2i.py:
ESPCN and EDSR super-resolution with a custom pixel shuffle, EDSR's pixels 0..255, Zero-DCE's curves applied in the
graph, TensorFlow's CycleGAN generator with its own InstanceNormalization layer, AdaIN style transfer's two
pictures): each exports fp32, fp16 and int8 to ONNX and LiteRT, verifies, and translates a picture as Keras does."""

from __future__ import annotations

import json

import numpy as np
import pytest

from conftest import ROOT, has, run_cli, run_clis

pytestmark = pytest.mark.slow
if not has("tensorflow"):
    pytest.skip("needs the export tier", allow_module_level=True)

USER_LAYERS = str(ROOT / "tools" / "zoo" / "layers.py")
# builder -> what edgegan cannot read from the model, said by flags (a linear output's range, EDSR's 0..255 input)
ZOO_MORE = {
    "espcn": ["--output-range", "0,1", "--input-size", "24,24"],
    "edsr": ["--input-range", "0,255", "--output-range", "0,255", "--input-size", "24,24"],
    "zero_dce": ["--output-range", "0,1", "--input-size", "24,24"],
    "tf_cyclegan": [],
    "adain": ["--style-input", "style_image"],
}
WANTED = {(f, p) for f in ("onnx", "tflite") for p in ("fp32", "fp16", "int8")}


@pytest.fixture(scope="module")
def more(tmp_path_factory):
    import keras

    from zoo import i2i as Z

    root = tmp_path_factory.mktemp("more_i2i")
    photos = Z.photos(root / "photos")
    cmds = []
    for i, (name, flags) in enumerate(ZOO_MORE.items()):
        keras.utils.set_random_seed(i)
        Z.save(root / "models", name, *getattr(Z, name)())
        cmds.append(["export", "--model", str(root / "models" / name), "--out", str(root / "out" / name),
                     "--calibration-data", str(photos), "--custom-objects", USER_LAYERS,
                     "--format", "onnx,tflite", "--precision", "fp32,fp16,int8", *flags])  # fmt: skip
    return root, dict(zip(ZOO_MORE, run_clis(cmds)))


@pytest.mark.parametrize("name", list(ZOO_MORE))
def test_each_exports_fp32_fp16_int8_to_onnx_and_litert_and_verifies(more, name):
    root, results = more
    r = results[name]
    assert r.returncode == 0, r.stderr[-2000:]
    m = json.loads((root / "out" / name / "manifest.json").read_text())
    assert {(f["format"], f["precision"]) for f in m["files"]} == WANTED
    assert m["signature"]["generator"][0]["kind"] == "image"
    r = run_cli("verify", str(root / "out" / name))
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("name", list(ZOO_MORE))
def test_each_translates_a_picture_as_keras_does(more, name):
    import edgegan
    import zoo.layers  # noqa: F401  registers the custom layers, as --custom-objects does at export
    from edgegan.models import load_keras
    from edgegan.runtime.images import from_uint8, load_pictures, to_uint8

    root, results = more
    assert results[name].returncode == 0, results[name].stderr[-2000:]
    G = load_keras(root / "models" / name / "generator.keras", "generator")
    g = edgegan.load(root / "out" / name, backend="onnx", precision="fp32")
    src = g.source
    h, w = (24, 24) if src.dynamic else src.shape[:2]  # the LiteRT files' size (--input-size)
    pic, style = load_pictures(root / "photos", h, w, src.channels, 2)
    given = [from_uint8(p[None], src.range) for p in ((pic, style) if name == "adain" else (pic,))]
    y = G(given if len(given) > 1 else given[0]).numpy()
    want = to_uint8(np.clip(y, *g.info.image_range), g.info.image_range)
    for backend in ("onnx", "tflite"):
        g = edgegan.load(root / "out" / name, backend=backend, precision="fp32")
        got = g.translate(pic, style=style) if name == "adain" else g.translate(pic)
        assert got.shape == want[0].shape and np.abs(got.astype(int) - want[0]).max() <= 1, backend


def test_a_second_picture_is_asked_for_in_one_line(more, tmp_path):
    root, results = more
    assert results["adain"].returncode == 0
    r = run_cli("export", "--model", str(root / "models" / "adain"), "--custom-objects", USER_LAYERS, "--format",
                "onnx", "--precision", "fp32", "--out", str(tmp_path / "x"))  # fmt: skip
    assert r.returncode == 1 and "pass --style-input NAME" in r.stderr and len(r.stderr.strip().splitlines()) == 1
    photo = sorted((root / "photos").iterdir())[0]
    out = tmp_path / "styled"
    r = run_cli("translate", str(photo), "--model", str(root / "out" / "adain"), "-o", str(out))
    assert r.returncode == 1 and "pass --style STYLE.png" in r.stderr
    r = run_cli("translate", str(photo), "--model", str(root / "out" / "adain"), "--style", str(photo), "-o", str(out))
    assert r.returncode == 0 and (out / f"{photo.stem}.png").is_file(), r.stderr
    from edgegan.errors import ExportError
    from edgegan.export.web import write_web

    with pytest.raises(ExportError, match="also takes style"):  # refused before anything is fetched or written
        write_web(root / "out" / "adain", tmp_path / "site", ort_files=tmp_path)
    assert not (tmp_path / "site").exists()


def test_an_extra_leading_output_axis_from_tf2onnx_is_squeezed_and_parity_checks_shapes(tmp_path, monkeypatch):
    """tf2onnx's graph of ESPCN depended on Python's string hashing: under some PYTHONHASHSEED values its output
    had an extra leading axis, (1, N, H, W, 1), and parity, which reshapes outputs, passed it on its values. Here
    the conversion is given that defect (an Unsqueeze after the output): keras_to_onnx squeezes the axis, the file
    runs as Keras does; parity refuses a generator output of another shape."""
    import keras
    import onnx
    import onnxruntime as ort

    from edgegan import parity
    from edgegan.export import isolated
    from edgegan.export import onnx as ox
    from zoo import i2i as zoo_i2i

    call = isolated.call

    def defective(func, what, *args, **kw):
        out = call(func, what, *args, **kw)
        m = onnx.load(kw["out"])  # the output gains a leading axis, as tf2onnx's defect gave it
        y = m.graph.output[0]
        for node in m.graph.node:
            node.output[:] = [f"{o}_pre" if o == y.name else o for o in node.output]
        m.graph.initializer.append(onnx.helper.make_tensor("axes0", onnx.TensorProto.INT64, [1], [0]))
        m.graph.node.append(onnx.helper.make_node("Unsqueeze", [f"{y.name}_pre", "axes0"], [y.name]))
        y.type.tensor_type.shape.dim.insert(0, onnx.TensorShapeProto.Dimension(dim_value=1))
        onnx.save(m, kw["out"])
        return out

    monkeypatch.setattr(isolated, "call", defective)
    keras.utils.set_random_seed(0)
    g, _ = zoo_i2i.espcn()
    ox.keras_to_onnx(g, tmp_path / "g.onnx", "source", "image", {})
    x = np.random.default_rng(0).uniform(0, 1, (3, 8, 8, 1)).astype(np.float32)
    y = ort.InferenceSession(str(tmp_path / "g.onnx")).run(None, {"source": x})[0]
    assert y.shape == (3, 24, 24, 1) and np.abs(y - g(x).numpy()).max() < 1e-4
    ref = np.zeros((2, 8, 8, 1), np.float32)
    assert "output shape (2, 8, 8, 1) is not Keras' (8, 8, 1)" in parity.shape_problem("generator", ref, ref[None])
    assert parity.shape_problem("generator", ref, ref.copy()) is None
    assert parity.shape_problem("discriminator", np.zeros(3), np.zeros((3, 1))) is None  # scores, reshaped
