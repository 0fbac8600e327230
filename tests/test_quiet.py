"""No command prints TensorFlow's or LiteRT's native log lines unless --debug asks for them.

TF_ENABLE_ONEDNN_OPTS=1 makes TensorFlow print its absl and oneDNN lines at import on any x86 CPU, as it
does by itself on CPUs with AVX-512 VNNI; every LiteRT interpreter prints its XNNPACK line."""

import re

import pytest

from conftest import needs_tf, run_cli, run_clis

NATIVE = re.compile(
    r"All log messages before absl::InitializeLog|oneDNN custom operations|^[IWEF]\d{4} \d\d:\d\d:\d\d"
    r"|^I0000 |Created TensorFlow Lite XNNPACK delegate|^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d+: [IWE] tensorflow/"
    r"|Created config in |UserWarning|tf.lite.Interpreter is deprecated",
    re.MULTILINE,
)
ONEDNN = {"TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPP_MIN_LOG_LEVEL": "0"}


def native_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if NATIVE.search(line)]


@needs_tf
@pytest.mark.slow
def test_every_command_keeps_native_log_lines_off_stderr(tiny_run, bundle, digits_dir, tmp_path):
    commands = {
        "train": [
            "train",
            "--data",
            str(digits_dir),
            "--epochs",
            "1",
            "--steps-per-epoch",
            "1",
            "--batch-size",
            "8",
            "--out",
            str(tmp_path / "run"),
        ],
        "export": [
            "export",
            "--model",
            str(tiny_run),
            "--format",
            "tflite,ort",
            "--precision",
            "fp32,int8",
            "--out",
            str(tmp_path / "bundle"),
        ],
        "generate": [
            "generate",
            "--model",
            str(bundle),
            "-n",
            "2",
            "--backend",
            "tflite",
            "-o",
            str(tmp_path / "g.png"),
        ],
        "verify": ["verify", str(bundle)],
        "bench": ["bench", str(bundle), "--runs", "3", "--no-cold", "--role", "generator"],
        "evaluate": ["evaluate", str(bundle), "-n", "20", "--real", str(digits_dir), "--backend", "tflite"],
    }
    for name, r in zip(commands, run_clis(list(commands.values()), env=ONEDNN)):  # independent: all at once
        assert r.returncode == 0, (name, r.stderr[-1500:])
        assert not native_lines(r.stderr), (name, native_lines(r.stderr))


@needs_tf
def test_debug_shows_them_so_the_check_can_fail(bundle, tmp_path):
    r = run_cli(
        "--debug",
        "generate",
        "--model",
        str(bundle),
        "-n",
        "1",
        "--backend",
        "tflite",
        "-o",
        str(tmp_path / "g.png"),
        env=ONEDNN,
    )
    assert r.returncode == 0, r.stderr[-1500:]
    assert native_lines(r.stderr), r.stderr  # LiteRT's XNNPACK line reaches the terminal with --debug


APP = """
import edgegan
g = edgegan.load("{bundle}", backend="tflite")
print(g.sample(2).shape)
"""


def test_an_app_using_the_runtime_sees_nothing_on_its_stderr_unless_edgegan_debug(bundle):
    """The library, not the CLI: LiteRT's XNNPACK line is kept off an app's stderr; EDGEGAN_DEBUG=1 shows it."""
    import os
    import subprocess
    import sys

    runs = {}
    for debug in (False, True):
        env = {k: v for k, v in os.environ.items() if k != "EDGEGAN_DEBUG"} | ({"EDGEGAN_DEBUG": "1"} if debug else {})
        runs[debug] = subprocess.run(
            [sys.executable, "-c", APP.format(bundle=bundle)], capture_output=True, text=True, env=env, timeout=120
        )
        assert runs[debug].returncode == 0, runs[debug].stderr
    assert runs[False].stderr == ""
    assert native_lines(runs[True].stderr)  # the positive control: the line exists and reaches stderr


NOTEBOOK = """
import sys
sys.path.insert(0, sys.argv[2])
import keras, edgegan
from zoo import dcgan as zoo
keras.utils.set_random_seed(0)
g, _ = zoo.tf_tutorial()
print("--- export ---", file=sys.stderr, flush=True)  # what the user's own import of TensorFlow printed is above
edgegan.export(g, out=sys.argv[1], formats="tflite", precisions="fp32,int8")
"""


@needs_tf
def test_export_from_a_notebook_is_as_quiet_as_the_cli(tmp_path):
    """edgegan.export() in a script: TensorFlow's native lines and the tf.lite.Interpreter deprecation warning stay
    off stderr; EDGEGAN_DEBUG=1 shows them (the positive control)."""
    import os
    import subprocess
    import sys

    from conftest import ROOT

    runs = {}
    for debug in (False, True):
        env = (
            {k: v for k, v in os.environ.items() if k != "EDGEGAN_DEBUG"}
            | ONEDNN
            | ({"EDGEGAN_DEBUG": "1"} if debug else {})
        )
        runs[debug] = subprocess.run(
            [sys.executable, "-c", NOTEBOOK, str(tmp_path / f"b{int(debug)}"), str(ROOT / "tools")],
            capture_output=True, text=True, env=env, timeout=600,
        )  # fmt: skip
        assert runs[debug].returncode == 0, runs[debug].stderr[-2000:]
    during = {k: r.stderr.split("--- export ---", 1)[1] for k, r in runs.items()}
    assert not native_lines(during[False]), native_lines(during[False])
    assert "generator.int8.tflite" in runs[False].stdout  # its own lines still print
    assert native_lines(during[True])
