"""Build hook: the wheel carries the light files of the shipped bundles as ``edgegan/default_bundle`` (the digit
model) and ``edgegan/default_sr_bundle`` (the x4 photo super-resolution model).

Everything else is in pyproject.toml. The files are copied from ``models/`` at build time (not kept twice in
the repository) with a manifest listing just them, so a packaged bundle is hash-checked like any other and
``edgegan generate`` and ``edgegan translate`` work from any directory after ``pip install edgegan-*.whl[tflite]``.
"""

import json
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

MODELS = Path(__file__).parent / "models"
# Per packed bundle: its folder in models/, its package folder, and the light files it carries: one LiteRT int8
# and one ONNX fp32 file per role (either engine extra finds a file), and the references.
BUNDLES = (
    (
        "mnist-dcgan",
        "default_bundle",
        ("generator.int8.tflite", "generator.fp32.onnx", "discriminator.int8.tflite", "discriminator.fp32.onnx"),
    ),
    ("photo-sr4", "default_sr_bundle", ("generator.int8.tflite", "generator.fp32.onnx")),  # edgegan translate's
)


class BuildWithDefaultBundle(build_py):
    def run(self) -> None:
        super().run()
        for folder, package, files in BUNDLES:
            source = MODELS / folder
            if not (source / "manifest.json").is_file():  # an sdist without models/: a wheel without the bundle
                continue
            dest = Path(self.build_lib) / "edgegan" / package
            dest.mkdir(parents=True, exist_ok=True)
            manifest = json.loads((source / "manifest.json").read_text())
            manifest["files"] = [f for f in manifest["files"] if f["path"] in files]
            manifest["sources"] = {}  # the .keras files stay in the repository
            manifest["subset_of"] = f"models/{folder}"
            for name in (*files, manifest["reference"]["path"]):
                shutil.copyfile(source / name, dest / name)
            (dest / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")


setup(cmdclass={"build_py": BuildWithDefaultBundle})
