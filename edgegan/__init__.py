"""edgegan: the seed article's DCGAN, from Keras training to a device.

This module is light: it imports no TensorFlow or Keras. The public runtime API is
``edgegan.load`` (see ``edgegan.runtime``).
"""

from __future__ import annotations

__version__ = "0.2.0"

from edgegan.errors import EdgeGanError


def load(path=None, **kwargs):
    """Load a bundle folder or a single .onnx/.ort/.tflite file (None: the shipped reference model, as the README's
    ``edgegan.load()``); see ``edgegan.runtime.load``."""
    from edgegan.runtime import load as _load

    return _load(path, **kwargs)


__all__ = ["EdgeGanError", "__version__", "load"]
