"""The tools' measurement records keep one entry per CPU kind: a run on another kind adds, a rerun replaces."""

import json

import pytest

from edgegan import records
from edgegan.bench import machine

pytestmark = pytest.mark.light


def test_a_run_on_another_cpu_kind_adds_a_row_and_a_rerun_replaces_its_own(tmp_path):
    path = tmp_path / "bench.json"
    here = records.save(path, {"rows": ["first run here"]})
    assert here == records.cpu_kind(machine()) and here.startswith(machine()["machine"])
    amd = {**machine(), "cpu": "AMD EPYC 7B13", "features": ["AVX2"]}
    assert records.save(path, {"machine": amd, "rows": ["amd"]}) == f"{amd['machine']} AVX2"
    records.save(path, {"rows": ["second run here"]})
    assert [r["rows"] for r in records.load(path)] == [["second run here"], ["amd"]]  # order of first record
    assert records.first(path)["machine"]["features"] == machine()["features"]
    assert set(json.loads(path.read_text())[records.KEY]) == {here, "x86_64 AVX2"}
    assert not list(tmp_path.glob("*.tmp"))


def test_records_written_before_the_kinds_still_load_and_are_kept_apart(tmp_path):
    old = tmp_path / "old.json"
    old.write_text(json.dumps({"machine": {"cpu": "AMD EPYC 7B13"}, "rows": [1]}))
    assert records.load(old) == [{"machine": {"cpu": "AMD EPYC 7B13"}, "rows": [1]}]
    records.save(old, {"rows": [2]})  # another CPU's name: the old entry stays, as "not recorded"
    assert [r["rows"] for r in records.load(old)] == [[1], [2]]
    same = tmp_path / "same.json"
    same.write_text(json.dumps({"machine": {"cpu": machine()["cpu"]}, "rows": [1]}))
    records.save(same, {"rows": [2]})  # this CPU's name, features not written then: the same kind, replaced
    assert [r["rows"] for r in records.load(same)] == [[2]]
    bare = tmp_path / "list.json"
    bare.write_text("[1, 2]")
    assert records.first(bare) == {"rows": [1, 2]} and records.load(tmp_path / "none.json") == []


@pytest.fixture
def fill_docs():
    """tools/fill_docs.py as a module (tools/ is on the tests' path: pyproject.toml's pythonpath)."""
    import importlib

    return importlib.import_module("fill_docs")


def test_readme_and_results_say_what_the_records_say():
    """tools/fill_docs.py --check renders every tool's fragments again from the records in docs/ and models/ and
    compares them, pasted, with README.md and docs/results.md: a figure edited by hand, or a record rerun without
    its fragment, fails here."""
    import subprocess
    import sys

    from conftest import ROOT

    r = subprocess.run([sys.executable, str(ROOT / "tools" / "fill_docs.py"), "--check"], capture_output=True,
                       text=True, cwd=ROOT)  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr


def test_every_marked_section_has_its_fragment_and_every_fragment_one_place(fill_docs, tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("a\n<!-- s:start -->\nold\n<!-- s:end -->\nb\n")
    assert fill_docs.filled({"s": "new\n"}, (doc,)) == {doc: "a\n<!-- s:start -->\nnew\n<!-- s:end -->\nb\n"}
    with pytest.raises(SystemExit, match="no docs/fragments/s.md for the section"):
        fill_docs.filled({"t": "new"}, (doc,))  # a section renamed in the text only
    with pytest.raises(SystemExit, match="0 '<!-- t:start/end -->' marker pairs where one is expected"):
        fill_docs.filled({"s": "new", "t": "orphan"}, (doc,))  # a fragment nothing shows
    doc.write_text(doc.read_text() * 2)
    with pytest.raises(SystemExit, match="2 '<!-- s:start/end -->' marker pairs"):
        fill_docs.filled({"s": "new"}, (doc,))


def test_each_fragment_is_written_by_one_tool(fill_docs):
    """Every measuring tool says its own figures: no two tools write one fragment."""
    from pathlib import Path

    owners: dict[str, str] = {}
    for path in sorted(Path(fill_docs.__file__).parent.glob("*.py")):
        if "\ndef fragments(" in path.read_text():
            for name in __import__(path.stem).fragments():
                assert name not in owners, f"{name} is written by {owners[name]} and {path.stem}"
                owners[name] = path.stem
    assert {"own-gan", "i2i", "photo-sr-held-out", "headline"} <= set(owners)
    assert len(set(owners.values())) >= 10
