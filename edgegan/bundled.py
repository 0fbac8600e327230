"""Where the default model lives (stdlib only; light tier).

A checkout (or an editable install) uses the repository's ``models/mnist-dcgan``; an installed wheel
uses the light files of that bundle that setup.py packs as ``edgegan/default_bundle`` (hash-checked
like any bundle by its own manifest). Either way the default does not depend on the working directory.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT_BUNDLE = PACKAGE.parent / "models" / "mnist-dcgan"
PACKAGED_BUNDLE = PACKAGE / "default_bundle"


def default_bundle() -> Path:
    """The shipped reference bundle: the checkout's full one when there is one, else the packaged one."""
    if (CHECKOUT_BUNDLE / "manifest.json").is_file():
        return CHECKOUT_BUNDLE
    return PACKAGED_BUNDLE
