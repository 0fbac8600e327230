"""Where the default models live (stdlib only; light tier).

A checkout (or an editable install) uses the repository's ``models/mnist-dcgan`` (and, for ``edgegan
translate``, ``models/photo-sr4``); an installed wheel uses the light files of those bundles that setup.py
packs as ``edgegan/default_bundle`` and ``edgegan/default_sr_bundle`` (hash-checked like any bundle by
their own manifests). Either way the default does not depend on the working directory.
"""

from __future__ import annotations

from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
CHECKOUT_BUNDLE = PACKAGE.parent / "models" / "mnist-dcgan"
PACKAGED_BUNDLE = PACKAGE / "default_bundle"
CHECKOUT_SR_BUNDLE = PACKAGE.parent / "models" / "photo-sr4"
PACKAGED_SR_BUNDLE = PACKAGE / "default_sr_bundle"


def default_bundle() -> Path:
    """The shipped reference bundle: the checkout's full one when there is one, else the packaged one."""
    if (CHECKOUT_BUNDLE / "manifest.json").is_file():
        return CHECKOUT_BUNDLE
    return PACKAGED_BUNDLE


def default_sr_bundle() -> Path:
    """The shipped x4 photo super-resolution bundle (``edgegan translate``'s default), found the same way."""
    if (CHECKOUT_SR_BUNDLE / "manifest.json").is_file():
        return CHECKOUT_SR_BUNDLE
    return PACKAGED_SR_BUNDLE
