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
