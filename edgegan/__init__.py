"""edgegan: the seed article's DCGAN, from Keras training to a device.

This module is light: it imports no TensorFlow or Keras. The public runtime API is
``edgegan.load`` (see ``edgegan.runtime``); ``edgegan.export`` (export tier: TensorFlow, Keras) exports
in-memory Keras models or .keras files from a notebook, as ``edgegan export`` does.
"""

from __future__ import annotations

__version__ = "0.2.0"

from edgegan.errors import EdgeGanError


def load(path=None, **kwargs):
    """Load a bundle folder or a single .onnx/.ort/.tflite file (None: the shipped reference model, as the README's
    ``edgegan.load()``); see ``edgegan.runtime.load``."""
    from edgegan.runtime import load as _load

    return _load(path, **kwargs)


def __getattr__(name: str):
    """``edgegan.export``: the export tier's package, which is also the export function (loaded on first use)."""
    if name == "export":
        import edgegan.export

        return edgegan.export
    raise AttributeError(f"module 'edgegan' has no attribute {name!r}")


__all__ = ["EdgeGanError", "__version__", "export", "load"]
