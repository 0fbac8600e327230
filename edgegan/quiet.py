"""Keep native libraries' log lines off the user's terminal (stdlib only; light tier).

TensorFlow's C++ core and LiteRT write to file descriptor 2 directly: TensorFlow 2.21 prints
``WARNING: All log messages before absl::InitializeLog() ...`` and a oneDNN notice at import on
CPUs with AVX-512 VNNI even with ``TF_CPP_MIN_LOG_LEVEL=3``, and LiteRT prints ``INFO: Created
TensorFlow Lite XNNPACK delegate for CPU.`` for each interpreter. Python's ``logging`` and
environment variables do not reach those writes (docs/design.md, "Toolchain notes").

``native_stderr_silenced()`` points descriptor 2 at /dev/null for the duration of a command and
gives Python's ``sys.stderr`` a private duplicate of the real one, so edgegan's own messages,
warnings and progress bars still reach the terminal while native writes do not. ``--debug``
skips it and shows everything.

``native_writes_hidden()`` is the library's: the runtime wraps the one native call that prints (creating a
LiteRT interpreter) in it, so an app that calls ``edgegan.load(...)`` sees nothing on its stderr. For those
milliseconds descriptor 2 points at /dev/null for the whole process. ``EDGEGAN_DEBUG=1`` keeps the lines.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import sys
from collections.abc import Iterator

# Python-level loggers of the libraries the export tier drives, quiet below WARNING without --debug
# (onnxruntime's ORT-format converter logs "Created config in <tmp>" at INFO on the root handler).
CHATTY_LOGGERS = ("tensorflow", "absl", "tf2onnx", "onnxruntime", "onnxruntime.tools", "h5py", "matplotlib")


@contextlib.contextmanager
def native_stderr_silenced() -> Iterator[None]:
    """Silence writes to descriptor 2 by native code; Python's sys.stderr keeps writing to the terminal."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    for name in CHATTY_LOGGERS:
        logging.getLogger(name).setLevel(logging.WARNING)
    try:
        uses_fd2 = sys.stderr is not None and sys.stderr.fileno() == 2
    except (AttributeError, OSError, ValueError, io.UnsupportedOperation):
        uses_fd2 = False  # sys.stderr was replaced (pytest's capsys, an IDE): only the descriptor moves
    sys.stderr.flush() if sys.stderr else None
    saved = os.dup(2)
    devnull = os.open(os.devnull, os.O_WRONLY)
    old_stderr = sys.stderr
    try:
        if uses_fd2:
            # closed in the finally below: the stream lives exactly as long as the redirect
            sys.stderr = open(os.dup(saved), "w", buffering=1, encoding=old_stderr.encoding, errors="backslashreplace")  # noqa: SIM115
        os.dup2(devnull, 2)
        yield
    finally:
        if uses_fd2:
            sys.stderr.flush()
            sys.stderr.close()
            sys.stderr = old_stderr
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


@contextlib.contextmanager
def native_writes_hidden() -> Iterator[None]:
    """Point descriptor 2 at /dev/null around a native call that logs (unless EDGEGAN_DEBUG is set)."""
    if os.environ.get("EDGEGAN_DEBUG"):
        yield
        return
    with contextlib.suppress(AttributeError, OSError, ValueError):
        sys.stderr.flush()
    saved, devnull = os.dup(2), os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


# warnings the export tier's libraries raise that say nothing to a user: TensorFlow's converter opens its own
# tf.lite.Interpreter and warns that it is deprecated (6 lines per file); library internals' future changes
def hide_library_warnings() -> None:
    """Filter the export tier's noise warnings for the rest of the process (the CLI; --debug skips it)."""
    import warnings

    warnings.simplefilter("ignore", (FutureWarning, DeprecationWarning))
    warnings.filterwarnings("ignore", message=r"\s*Warning: tf.lite.Interpreter is deprecated", category=UserWarning)


@contextlib.contextmanager
def quiet_export() -> Iterator[None]:
    """``edgegan.export`` from a notebook or script: the CLI's quiet (native lines and the noise warnings) for the
    length of the call; EDGEGAN_DEBUG=1 keeps everything."""
    import warnings

    if os.environ.get("EDGEGAN_DEBUG"):
        yield
        return
    with warnings.catch_warnings():
        hide_library_warnings()
        with native_stderr_silenced():
            yield
