"""What a score means: a Wasserstein critic (keras.io's WGAN-GP, tools/zoo/dcgan.py) exported with --score critic,
also with its scores drifted to 40; its parity bounds are relative to the scores' scale and spread plus the
order of image pairs, so the drifted critic's correct files pass and broken ones fail."""

import json
from pathlib import Path

import numpy as np
import pytest

from conftest import needs_tf, run_cli, run_clis, verify_with_broken_file

pytestmark = needs_tf


@pytest.fixture(scope="module")
def critics(tmp_path_factory):
    """Both critics saved and exported with default options and --score critic (in parallel)."""
    from zoo import dcgan as zoo

    root = tmp_path_factory.mktemp("critics")
    for name, drift in (("plain", 0.0), ("drifted", 40.0)):
        zoo.save("wgan_gp", root / name, drift=drift)
    cmds = [
        ["export", "--model", str(root / n), "--score", "critic", "--out", str(root / f"b-{n}")]
        for n in ("plain", "drifted")
    ]
    results = dict(zip(("plain", "drifted"), run_clis(cmds)))
    return root, results


def bundle(critics, name: str) -> Path:
    root, results = critics
    assert results[name].returncode == 0, results[name].stderr[-2000:]
    return root / f"b-{name}"


@pytest.mark.parametrize("name", ["plain", "drifted"])
def test_critics_export_every_file_with_default_options_and_verify(critics, name):
    b = bundle(critics, name)
    m = json.loads((b / "manifest.json").read_text())
    assert m["discriminator"]["score"] == "critic" and m["discriminator"]["threshold"] is None
    files = {f["path"] for f in m["files"] if f["role"] == "discriminator"}
    assert {"discriminator.int8.onnx", "discriminator.int8.tflite", "discriminator.int8-io.tflite"} <= files
    r = run_cli("verify", str(b))
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("name", ["plain", "drifted"])
def test_score_is_the_critics_raw_score(critics, name):
    import keras

    import edgegan

    D = keras.models.load_model(critics[0] / name / "discriminator.keras")
    x = np.random.default_rng(3).uniform(-1, 1, (16, 28, 28, 1)).astype(np.float32)
    want = D(x, training=False).numpy()[:, 0]
    for backend in ("onnx", "tflite"):
        got = edgegan.load(bundle(critics, name), role="discriminator", backend=backend, precision="fp32").score(x)
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=0)
    if name == "drifted":
        assert want.min() > 39  # a critic far from 0: read as a logit, every image would be "real" with P 1.0


def test_a_linear_output_is_read_as_a_logit_and_export_names_the_critic_flag(critics):
    out = critics[0] / "as-logit"
    r = run_cli(
        "export", "--model", str(critics[0] / "plain"), "--format", "onnx", "--precision", "fp32", "--out", str(out)
    )
    assert r.returncode == 0, r.stderr
    assert "read as a logit" in r.stdout and "--score critic" in r.stdout


def _break(path: Path, how: str) -> None:
    """An ONNX critic whose scores are negated, reversed over the batch, or shifted per image."""
    import onnx
    from onnx import TensorProto, helper

    m = onnx.load(str(path))
    out = m.graph.output[0].name
    m.graph.node[-1].output[0] = "raw"
    const = lambda name, vals, t=TensorProto.INT64: helper.make_node(  # noqa: E731
        "Constant", [], [name], value=helper.make_tensor(name, t, [len(vals)], vals)
    )
    if how == "negate":
        nodes = [helper.make_node("Neg", ["raw"], [out])]
    elif how == "reverse":
        nodes = [const("s", [-1]), const("e", [-(2**62)]), const("a", [0]), const("st", [-1])]
        nodes.append(helper.make_node("Slice", ["raw", "s", "e", "a", "st"], [out]))
    else:  # shift each image by its mean pixel, scaled far past the scores' spread
        image = m.graph.input[0].name
        nodes = [
            helper.make_node("ReduceMean", [image], ["mean"], axes=[1, 2], keepdims=0),
            const("k", [1.0], TensorProto.FLOAT),
            helper.make_node("Mul", ["mean", "k"], ["shift"]),
            helper.make_node("Add", ["raw", "shift"], [out]),
        ]
    m.graph.node.extend(nodes)
    onnx.save(m, str(path))


@pytest.mark.parametrize("how", ["negate", "reverse", "shift"])
def test_a_broken_critic_file_fails_verify(critics, tmp_path, how):
    r = verify_with_broken_file(
        bundle(critics, "drifted"), tmp_path / "b", "discriminator.fp32.onnx", lambda p: _break(p, how)
    )
    assert r.returncode == 3, r.stdout + r.stderr
    line = next(ln for ln in r.stdout.splitlines() if ln.startswith("discriminator.fp32.onnx"))
    assert "FAIL" in line, line


def test_critic_figures_see_order_not_offset():
    from edgegan.parity import CRITIC_BOUNDS, critic_figures, passes

    rng = np.random.default_rng(0)
    ref = 40 + rng.normal(0, 1, (500, 1))
    assert passes("discriminator", CRITIC_BOUNDS["fp32"], critic_figures(ref, ref + 1e-5))
    noisy = ref + rng.normal(0, 0.01, ref.shape)  # an int8-like error, small against the spread
    assert passes("discriminator", CRITIC_BOUNDS["int8"], critic_figures(ref, noisy))
    assert critic_figures(ref, 80 - ref)["rank"] == 0.0  # negated
    assert 0.4 < critic_figures(ref, rng.permutation(ref))["rank"] < 0.6  # permuted
    shifted = critic_figures(ref, ref + rng.normal(0, 1, ref.shape))  # each image moved by about the spread
    assert shifted["rank"] < 0.9 and not passes("discriminator", CRITIC_BOUNDS["int8"], shifted)
