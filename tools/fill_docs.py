"""Paste each docs/fragments/NAME.md between the markers <!-- NAME:start --> and <!-- NAME:end --> of the docs.

    python tools/fill_docs.py            # paste the fragments as they are
    python tools/fill_docs.py --render   # first render every tool's fragments again from its records (no measuring)
    python tools/fill_docs.py --check    # write nothing: exit 1 naming what differs from the records (a test runs it)

A fragment is written by the tool that measured its figures (each defines ``fragments()``, tools/report.py). Every
marker pair needs its fragment and every fragment exactly one marker pair: a section renamed in one place only would
otherwise keep its old figures for good.
"""

from __future__ import annotations

import argparse
import importlib
import re
from collections import Counter
from pathlib import Path

from report import FRAGMENTS, ROOT, write

DOCS = (ROOT / "README.md", ROOT / "docs" / "results.md")
SECTION = re.compile(r"<!-- ([\w-]+):start -->\n.*?<!-- \1:end -->", re.S)


def fill(text: str, fragments: dict[str, str]) -> str:
    """``text`` with each marked section replaced by its fragment; a marker without one is an error."""

    def paste(m: re.Match) -> str:
        name = m.group(1)
        if name not in fragments:
            raise SystemExit(f"fill_docs: no docs/fragments/{name}.md for the section '<!-- {name}:start -->'")
        return f"<!-- {name}:start -->\n{fragments[name].rstrip()}\n<!-- {name}:end -->"

    return SECTION.sub(paste, text)


def filled(fragments: dict[str, str], docs=DOCS) -> dict[Path, str]:
    """Each document's text with every fragment pasted; a fragment without exactly one marker pair is an error."""
    out = {doc: fill(doc.read_text(), fragments) for doc in docs}
    used = Counter(m.group(1) for text in out.values() for m in SECTION.finditer(text))
    for name in fragments:
        if used[name] != 1:
            raise SystemExit(f"fill_docs: {used[name]} '<!-- {name}:start/end -->' marker pairs where one is expected")
    return out


def saved() -> dict[str, str]:
    return {p.stem: p.read_text() for p in sorted(FRAGMENTS.glob("*.md"))}


def rendered() -> dict[str, str]:
    """Every tool's fragments rendered again from its records (the tools beside this file that define them)."""
    out: dict[str, str] = {}
    for path in sorted(Path(__file__).parent.glob("*.py")):
        if "\ndef fragments(" in path.read_text():
            out.update(importlib.import_module(path.stem).fragments())
    return {name: text.rstrip() + "\n" for name, text in out.items()}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--render", action="store_true", help="render every fragment from its records first")
    p.add_argument("--check", action="store_true", help="write nothing; exit 1 if a fragment or document is stale")
    a = p.parse_args()
    if a.check:
        fresh = rendered()
        stale = [f"docs/fragments/{n}.md" for n, t in fresh.items() if saved().get(n) != t]
        docs = filled({**saved(), **fresh})
        stale += [str(d.relative_to(ROOT)) for d, t in docs.items() if d.read_text() != t]
        if stale:
            raise SystemExit(f"out of date: {', '.join(stale)}; run python tools/fill_docs.py --render")
        print("the fragments and the documents match the records")
        return
    if a.render:
        write(rendered())
    for doc, text in filled(saved()).items():
        doc.write_text(text)
    print(f"filled {', '.join(str(d.relative_to(ROOT)) for d in DOCS)}")


if __name__ == "__main__":
    main()
