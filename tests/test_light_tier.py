"""The light tier never imports TensorFlow or Keras (checked in a fresh interpreter)."""

import importlib.util
import subprocess
import sys

import numpy as np
import pytest

from conftest import ROOT

pytestmark = pytest.mark.light

LIGHT_MODULES = [
    "edgegan",
    "edgegan.cli",
    "edgegan.runtime",
    "edgegan.manifest",
    "edgegan.verify",
    "edgegan.parity",
    "edgegan.bench",
    "edgegan.data",
    "edgegan.evaluate",
    "edgegan.runtime.engines",
    "edgegan.export.formats",
    "edgegan.latents",
    "edgegan.contract",
    "edgegan.quiet",
    "edgegan.bundled",
]

CHECK = """
import sys, importlib
for m in sys.argv[1:]:
    importlib.import_module(m)
heavy = sorted(k for k in sys.modules if k.split('.')[0] in ('tensorflow', 'keras', 'tf2onnx', 'onnx'))
print(','.join(heavy))
"""


def heavy_modules_after(*code_or_modules: str) -> list[str]:
    out = subprocess.run([sys.executable, "-c", CHECK, *code_or_modules], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [m for m in out.stdout.strip().split(",") if m]


@pytest.mark.parametrize("module", LIGHT_MODULES)
def test_light_module_imports_no_tensorflow(module):
    assert heavy_modules_after(module) == []


def test_the_check_catches_a_tensorflow_import():
    pytest.importorskip("keras")
    # If a light module did `import keras`, this is what the check above would see.
    assert "keras" in heavy_modules_after("edgegan", "keras")


def test_running_an_onnx_file_imports_neither_tensorflow_nor_onnx():
    """The ONNX path's cold start: the external-data check reads protobuf itself; `import onnx` cost 1.06 s."""
    pytest.importorskip("onnxruntime")
    code = (
        "import edgegan; from edgegan.bundled import default_bundle; "
        "edgegan.load(default_bundle(), backend='onnx').sample(1)"
    )
    assert _heavy_after_code(code) == []
    if importlib.util.find_spec("onnx"):  # positive control: the check sees an onnx import
        assert "onnx" in _heavy_after_code("import onnx")


def _heavy_after_code(code: str) -> list[str]:
    check = (
        code
        + "\nimport sys\nprint(','.join(sorted(k for k in sys.modules if k.split('.')[0] in ('tensorflow', 'keras', 'tf2onnx', 'onnx'))))"
    )
    out = subprocess.run([sys.executable, "-c", check], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return [m for m in out.stdout.strip().split(",") if m]


def test_cli_help_and_generate_parse_without_tensorflow():
    code = "import sys; from edgegan.cli import build_parser; build_parser(); print(sorted(k for k in sys.modules if k.startswith(('tensorflow','keras'))))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0 and out.stdout.strip() == "[]", out.stderr


def test_png_writer_round_trips_through_pillow():
    import io

    import numpy as np
    from PIL import Image

    from edgegan.runtime.images import png_bytes

    rng = np.random.default_rng(0)
    for channels in (1, 3, 4):
        for scale in (1, 3):
            x = rng.integers(0, 256, (7, 5, channels), dtype=np.uint8)
            got = np.asarray(Image.open(io.BytesIO(png_bytes(x, scale))))
            want = x.repeat(scale, 0).repeat(scale, 1)
            np.testing.assert_array_equal(got.reshape(want.shape), want)


def test_latents_are_standard_normal_seeded_and_prefix_stable():
    import math

    import numpy as np

    from edgegan.latents import latents as normal_latents

    z = normal_latents(2000, 100, seed=3)
    assert z.dtype == np.float32 and z.shape == (2000, 100)
    np.testing.assert_array_equal(z, normal_latents(2000, 100, seed=3))
    np.testing.assert_array_equal(normal_latents(7, 100, seed=3), z[:7])  # sample(4) is sample(16)[:4]
    assert not np.array_equal(normal_latents(7, 100, seed=4), z[:7])
    np.testing.assert_array_equal(normal_latents(3, 100, seed=np.int64(3)), z[:3])  # numpy integers are seeds too
    from edgegan.errors import InputError

    for bad in (-1, 1.5, "3", 2**32):
        with pytest.raises(InputError, match="seed must be an integer from 0 to 4294967295"):
            normal_latents(2, 100, seed=bad)
    x = np.sort(z.ravel().astype(np.float64))
    cdf = 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))
    n = len(x)
    ks = max((np.arange(1, n + 1) / n - cdf).max(), (cdf - np.arange(n) / n).max())
    assert ks < 1.63 / math.sqrt(n), ks  # Kolmogorov-Smirnov against N(0, 1) at the 1% level


def test_cold_start_path_loads_one_engine_and_no_tensorflow():
    """`edgegan generate -n 1` loads the default engine only: no second engine, no onnx parser, no TensorFlow."""
    code = (
        "import sys, tempfile, os\n"
        "from edgegan.cli import main\n"
        "out = os.path.join(tempfile.mkdtemp(), 'a.png')\n"
        "assert main(['generate', '-n', '1', '-o', out]) == 0 and os.path.getsize(out) > 100\n"
        "print('LOADED:' + ','.join(sorted(m for m in ('onnx', 'onnxruntime', 'tensorflow', 'keras') if m in sys.modules)))\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr[-2000:]
    loaded = r.stdout.strip().splitlines()[-1].removeprefix("LOADED:")
    import importlib.util

    if importlib.util.find_spec("ai_edge_litert") or importlib.util.find_spec("tflite_runtime"):
        assert loaded == "", loaded  # LiteRT is the default engine when installed
    else:
        assert loaded == "onnx,onnxruntime", loaded


def test_export_takes_lists_as_well_as_comma_strings():
    """edgegan.export(G, formats=["onnx"], precisions=["fp32"]) crashed ('list' object has no attribute 'split');
    lists are read as the CLI's comma lists and checked the same way, before TensorFlow loads."""
    import edgegan
    from edgegan.errors import ModelFileError, UsageError

    quiet = {"log": lambda s: None}
    with pytest.raises(ModelFileError, match="not found"):  # got past the formats: the missing model stops it
        edgegan.export("no/such/run", formats=["onnx", "tflite"], precisions=["fp32"], **quiet)
    with pytest.raises(UsageError, match="unknown precision 'nope'"):
        edgegan.export("no/such/run", formats=["onnx"], precisions=["fp32", "nope"], **quiet)
    with pytest.raises(UsageError, match="precisions must be a comma string or a list"):
        edgegan.export("no/such/run", precisions=3, **quiet)


def test_models_run_on_their_inputs_by_name():
    """model.run(**inputs): the file's raw output for its inputs by name, the same in ONNX Runtime and LiteRT
    (the shipped bundles, so no TensorFlow); generate, translate and score are conveniences over it."""
    import edgegan
    from edgegan.errors import InputError

    z = edgegan.load(ROOT / "models" / "mnist-dcgan").latents(3, seed=1)
    labels = np.array([0, 4, 9], np.int32)
    for backend in ("onnx", "tflite"):
        g = edgegan.load(ROOT / "models" / "mnist-cdcgan", backend=backend, precision="fp32")
        assert g.input_names == ["z", "label"]
        np.testing.assert_array_equal(np.clip(g.run(z=z, label=labels), -1, 1), g.generate(z, labels))
        d = edgegan.load(ROOT / "models" / "mnist-dcgan", role="discriminator", backend=backend, precision="fp32")
        x = g.generate(z, labels)
        assert d.input_names == ["image"] and d.run(image=x).shape[0] == 3
        sr = edgegan.load(ROOT / "models" / "photo-sr4", backend=backend, precision="fp32")
        side = 24 if backend == "onnx" else 64  # the ONNX file takes any size, LiteRT's its fixed one
        pics = np.random.default_rng(0).uniform(0, 1, (2, side, side, 3)).astype(np.float32)
        assert sr.input_names == ["source"] and sr.run(source=pics).shape == (2, 4 * side, 4 * side, 3)
    with pytest.raises(InputError, match=r"takes z, label \(by name\); got image"):
        g.run(image=x)
    with pytest.raises(InputError, match="label 10 is not a class"):
        g.run(z=z, label=np.array([0, 1, 10]))


def test_one_table_makes_the_cli_flags_and_the_notebook_options():
    """edgegan.export.flags.FLAGS: the command line's strings and a notebook's Python values give the same
    ExportOptions; a flag's bad value is a one-line UsageError from either; every flag is on the CLI."""
    from edgegan.cli import build_parser
    from edgegan.errors import UsageError
    from edgegan.export import flags

    argv = ["export", "--output-range", "0,1", "--input-size", "64x48", "--skip", "onnx/fp16,discriminator",
            "--custom-objects", "a.py", "--custom-objects", "b", "--batch", "4", "--no-optimize", "--target", "arm",
            "--optimize-form", "pads-upsample-transposed", "--score", "critic"]  # fmt: skip
    a = build_parser().parse_args(argv)
    cli = flags.options({f.name: getattr(a, f.name) for f in flags.FLAGS})
    nb = flags.options({
        "output_range": (0, 1), "input_size": (64, 48), "skip": ["onnx/fp16", "discriminator"],
        "custom_objects": ["a.py", "b"], "batch": 4, "no_optimize": True, "target": "arm",
        "optimize_form": "pads-upsample-transposed", "score": "critic",
    })  # fmt: skip
    assert cli == nb and cli.input_size == (64, 48) and cli.skip == frozenset({"onnx/fp16", "discriminator"})
    assert flags.options({}) == flags.ExportOptions() and flags.ExportOptions().batch == 1
    for bad, words in (({"batch": "four"}, "--batch: expected an integer"), ({"target": "mips"}, "--target: expected"),
                       ({"optimize_form": "pads-bogus"}, "not a rewrite choice"), ({"no_such": 1}, "unknown export")):  # fmt: skip
        with pytest.raises(UsageError, match=words):
            flags.options(bad)
    help_text = build_parser()._subparsers._group_actions[0].choices["export"].format_help()
    assert all(f.cli in help_text for f in flags.FLAGS)
