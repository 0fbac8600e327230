"""Build hook: the wheel carries the light files of the shipped reference bundle as ``edgegan/default_bundle``.

Everything else is in pyproject.toml. The files are copied from ``models/mnist-dcgan`` at build time (not
kept twice in the repository) with a manifest listing just them, so the packaged bundle is hash-checked
like any other and ``edgegan generate`` works from any directory after ``pip install edgegan-*.whl[tflite]``.
"""

import json
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

SOURCE = Path(__file__).parent / "models" / "mnist-dcgan"
# One LiteRT int8 and one ONNX fp32 file per role (either engine extra finds a file), and the references.
LIGHT_FILES = (
    "generator.int8.tflite",
    "generator.fp32.onnx",
    "discriminator.int8.tflite",
    "discriminator.fp32.onnx",
)


class BuildWithDefaultBundle(build_py):
    def run(self) -> None:
        super().run()
        if not (SOURCE / "manifest.json").is_file():  # an sdist without models/: a wheel without the bundle
            return
        dest = Path(self.build_lib) / "edgegan" / "default_bundle"
        dest.mkdir(parents=True, exist_ok=True)
        manifest = json.loads((SOURCE / "manifest.json").read_text())
        manifest["files"] = [f for f in manifest["files"] if f["path"] in LIGHT_FILES]
        manifest["sources"] = {}  # the .keras files stay in the repository
        manifest["subset_of"] = "models/mnist-dcgan"
        for name in (*LIGHT_FILES, manifest["reference"]["path"]):
            shutil.copyfile(SOURCE / name, dest / name)
        (dest / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


setup(cmdclass={"build_py": BuildWithDefaultBundle})
