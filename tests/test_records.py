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
