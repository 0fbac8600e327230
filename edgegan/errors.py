"""One error hierarchy. Every message says what is wrong and how to fix it.

The CLI prints ``str(error)`` on one line and exits with ``error.exit_code``.
"""

from __future__ import annotations


class EdgeGanError(Exception):
    """Base class: a user-facing problem, shown as one line (exit 1)."""

    exit_code = 1


class ConfigError(EdgeGanError):
    """An argument or setting that cannot work (e.g. an image size the model cannot produce)."""


class UsageError(ConfigError):
    """A command-line choice that does not exist (exit 2, like argparse's own usage errors)."""

    exit_code = 2


class DataError(EdgeGanError):
    """A dataset that cannot be read; the message names the file."""


class ModelFileError(EdgeGanError):
    """A model file or bundle that is missing, malformed or fails its hash check."""


class ManifestError(ModelFileError):
    """A bundle manifest that is malformed, unsafe or of an unknown schema."""


class InputError(EdgeGanError):
    """A latent or image array with the wrong shape, dtype or values."""


class BackendError(EdgeGanError):
    """An engine, execution provider or delegate that is not available."""


class ExportError(EdgeGanError):
    """A conversion that failed or produced a file that misses its parity bound."""


class TrainingError(EdgeGanError):
    """Training cannot go on (non-finite loss, unusable checkpoint)."""


class VerificationFailed(EdgeGanError):
    """One or more exported files failed verification (exit 3)."""

    exit_code = 3


class MissingDependency(EdgeGanError):
    """An optional package is not installed; the message names the extra that brings it."""


def require(module: str, extra: str):
    """Import ``module`` or raise MissingDependency naming ``pip install 'edgegan[extra]'``."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as e:
        raise MissingDependency(f"{module} is not installed; install it with: pip install 'edgegan[{extra}]'") from e
