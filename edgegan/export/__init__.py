"""Export tier: Keras generator/discriminator -> ONNX, LiteRT and ORT files in a verified bundle.

The package is also the function ``edgegan.export(G, D, out=..., ...)`` (edgegan.export.api.export): a package
and a function cannot share the name ``edgegan.export``, since importing any ``edgegan.export.*`` module sets
that attribute to the package, so the package itself is made callable.
"""

import sys
import types

from edgegan.export.formats import BOUNDS, FORMATS, PRECISIONS, VARIANTS, select


class _CallablePackage(types.ModuleType):
    def __call__(self, generator, discriminator=None, out=None, formats="all", precisions="all", **options):
        """Export a Keras G (and D), in memory or .keras files, to a verified bundle; returns a
        edgegan.export.api.Bundle (``.verify()``, ``.load()``). See edgegan.export.api.export."""
        from edgegan.export.api import export

        return export(generator, discriminator, out, formats, precisions, **options)


sys.modules[__name__].__class__ = _CallablePackage
__all__ = ["BOUNDS", "FORMATS", "PRECISIONS", "VARIANTS", "select"]
