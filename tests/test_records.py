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


def _readme_tables():
    import importlib.util

    from conftest import ROOT

    spec = importlib.util.spec_from_file_location("readme_tables", ROOT / "tools" / "readme_tables.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_and_results_say_what_the_records_say():
    """tools/readme_tables.py regenerates every measured section of README.md and docs/results.md from the
    records in docs/ and models/: a figure edited by hand, or a record rerun without regenerating, fails here."""
    import subprocess
    import sys

    from conftest import ROOT

    r = subprocess.run([sys.executable, str(ROOT / "tools" / "readme_tables.py"), "--check"], capture_output=True,
                       text=True, cwd=ROOT)  # fmt: skip
    assert r.returncode == 0, r.stdout + r.stderr


def test_a_section_without_its_markers_is_an_error():
    fill = _readme_tables().fill
    assert (
        fill("a\n<!-- s:start -->\nold\n<!-- s:end -->\n", "s", "new") == "a\n<!-- s:start -->\nnew\n<!-- s:end -->\n"
    )
    with pytest.raises(SystemExit, match="0 '<!-- s:start/end -->' marker pairs"):
        fill("a section renamed in the text only: <!-- t:start -->\nold\n<!-- t:end -->\n", "s", "new")
