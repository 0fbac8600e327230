"""A model that needs the user's code says so in one line, naming the class, the model file and the flag, for every
form Keras saves user code in: a layer registered as keras.io registers it (``Custom>ReflectionPadding2D``), one
registered under a package, one defined in the script with no registration, a registered function. The models are
made in a script (``__main__``, as a notebook or keras.io's examples make them), so this process has none of them."""

import subprocess
import sys
import textwrap

import pytest

from conftest import needs_tf

pytestmark = needs_tf

DEFS = """
import keras
from keras import layers as L

@keras.saving.register_keras_serializable()
class ReflectionPadding2D(L.Layer):
    def call(self, x):
        return keras.ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]], mode="reflect")

@keras.saving.register_keras_serializable(package="mygan")
class Pad(L.Layer):
    def call(self, x):
        return keras.ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]])

class Gain(L.Layer):
    def call(self, x):
        return 2.0 * x

@keras.saving.register_keras_serializable(package="acts")
def swishy(x):
    return x * keras.ops.sigmoid(x)

FORMS = {
    "default": ReflectionPadding2D, "package": Pad, "plain": Gain, "function": lambda: L.Activation(swishy),
}
"""
MAKE = """
import sys
for name, make in FORMS.items():
    inp = keras.Input((8, 8, 3))
    keras.Model(inp, L.Conv2D(3, 3)(make()(inp))).save(f"{sys.argv[1]}/{name}.keras")
"""
SAID = {
    "default": "custom layer ReflectionPadding2D (registered as Custom>ReflectionPadding2D)",
    "package": "custom layer Pad (registered as mygan>Pad)",
    "plain": "custom layer Gain,",
    "function": "custom function swishy (registered as acts>swishy)",
}


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    folder = tmp_path_factory.mktemp("user_code")
    (folder / "defs.py").write_text(textwrap.dedent(DEFS))
    (folder / "other.py").write_text("import keras\n\nclass Unrelated(keras.layers.Layer):\n    pass\n")
    r = subprocess.run([sys.executable, "-c", DEFS + MAKE, str(folder)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    return folder


@pytest.mark.parametrize("form", list(SAID))
def test_a_model_with_user_code_is_refused_naming_the_class_the_file_and_the_flag(saved, form):
    from edgegan.errors import ModelFileError
    from edgegan.models import load_keras

    path = saved / f"{form}.keras"
    other = str(saved / "other.py")
    for given, tail in (
        ([], "pass the Python file or module that defines it"),
        ([other], "other.py does not define it"),
    ):
        with pytest.raises(ModelFileError) as e:
            load_keras(path, "generator", given)
        said = str(e.value)
        assert "\n" not in said and said.startswith(f"{path}: the generator uses {SAID[form]}"), said
        assert tail in said and said.endswith("--custom-objects FILE.py (or a module name)"), said


def test_the_file_that_defines_them_loads_every_form(saved):
    from edgegan.models import load_keras

    for form in SAID:  # after the refusals above: registering now must not hide anything from them
        model = load_keras(saved / f"{form}.keras", "generator", [str(saved / "defs.py")])
        want = (8, 8, 3) if form in ("default", "package") else (6, 6, 3)  # padded, or not, before a 3x3 conv
        assert tuple(model.output.shape[1:]) == want, form


PIXFNS = """
import tensorflow as tf

def pixel_shuffle(x):
    return tf.nn.depth_to_space(x, 2)
"""
MAKE_LAMBDA = """
import sys
sys.path.insert(0, sys.argv[1])
import keras
import tensorflow as tf
from keras import layers as L
import pixfns

keras.utils.set_random_seed(0)
z = keras.Input((100,), name="z")
x = L.Reshape((7, 7, 32))(L.Dense(7 * 7 * 32)(z))
x = L.Lambda(pixfns.pixel_shuffle, name="shuffle")(L.Conv2D(32, 3, padding="same", activation="relu")(x))
x = L.Lambda(pixfns.pixel_shuffle, name="shuffle_2")(L.Conv2D(16, 3, padding="same", activation="relu")(x))
keras.Model(z, L.Conv2D(1, 3, padding="same", activation="tanh")(x)).save(f"{sys.argv[1]}/g/generator.keras")
keras.Model(z, L.Lambda(lambda t: tf.nn.relu(t), name="code")(z)).save(f"{sys.argv[1]}/b/generator.keras")
"""


def test_a_lambda_around_a_named_function_exports_one_around_a_python_lambda_is_refused(tmp_path, gpu_device):
    """keras.io's EDSR wraps its pixel shuffle in a Lambda: around a named function (saved by name) it exports
    with the file that defines it, and its LiteRT file runs fully on LiteRT's GPU; around a Python lambda
    (bytecode in the model file) it is refused in one line naming the layer."""
    from test_gpu import assert_on_the_gpu

    from conftest import run_cli

    (tmp_path / "pixfns.py").write_text(PIXFNS)
    (tmp_path / "g").mkdir(), (tmp_path / "b").mkdir()
    r = subprocess.run([sys.executable, "-c", MAKE_LAMBDA, str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]
    flags = ["--format", "onnx,tflite", "--precision", "fp32", "--skip", "discriminator"]
    out = tmp_path / "bundle"
    r = run_cli("export", "--model", str(tmp_path / "g"), "--out", str(out), *flags)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "custom function pixel_shuffle" in r.stderr and "--custom-objects" in r.stderr
    r = run_cli("export", "--model", str(tmp_path / "g"), "--out", str(out), *flags,
                "--custom-objects", str(tmp_path / "pixfns.py"))  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr
    v = run_cli("verify", str(out))
    assert v.returncode == 0 and v.stdout.count("pass") >= 2, v.stdout + v.stderr
    assert_on_the_gpu(out)  # depth_to_space from a Lambda: DEPTH_TO_SPACE, which the GPU accelerator runs
    r = run_cli("export", "--model", str(tmp_path / "b"), "--out", str(tmp_path / "no"), *flags)
    assert r.returncode == 1 and len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "layer code is a Lambda around a Python lambda" in r.stderr and "--custom-objects" in r.stderr
    assert not (tmp_path / "no").exists()
