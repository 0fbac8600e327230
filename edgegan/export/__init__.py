"""Export tier: Keras generator/discriminator -> ONNX, LiteRT and ORT files in a verified bundle."""

from edgegan.export.formats import BOUNDS, FORMATS, PRECISIONS, VARIANTS, select

__all__ = ["BOUNDS", "FORMATS", "PRECISIONS", "VARIANTS", "select"]
