"""What the measuring tools share to say their figures: each tool renders its own sections of README.md and the docs
from its own records (a ``fragments()`` function, no measuring) and writes them to docs/fragments/NAME.md when it
runs; tools/fill_docs.py pastes each fragment between its markers ``<!-- NAME:start -->`` and ``<!-- NAME:end -->``.

Imported by the tools beside it (a script's own folder is on sys.path when it runs).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRAGMENTS = ROOT / "docs" / "fragments"
SHORT = {  # the fixtures of tools/zoo/dcgan.py as the tables name them
    "seed": "seed MNIST",
    "tf_tutorial": "TF tutorial",
    "kerasio": "keras.io",
    "kerasgan": "Keras-GAN",
    "functional": "functional 30x30",
}


def cpu(m: dict) -> str:
    """Which CPU a figure was measured on: its name, cores and the features that decide speed."""
    return f"{m['cpu']}, {m['cores']} cores, {', '.join(m.get('features', [])) or 'features not recorded'}"


def met(ok: bool) -> str:
    return "met" if ok else "missed"


def write(fragments: dict[str, str]) -> None:
    """Write each fragment to docs/fragments/NAME.md (then run tools/fill_docs.py to paste them)."""
    FRAGMENTS.mkdir(exist_ok=True)
    for name, text in fragments.items():
        (FRAGMENTS / f"{name}.md").write_text(text.rstrip() + "\n")
