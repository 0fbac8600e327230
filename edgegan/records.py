"""Measurement records: the JSON the tools write, one entry per CPU kind.

Which file is fastest depends on the CPU (int8 dot products, matrix tiles), so a tool run on another kind of machine
adds its figures beside the ones already recorded instead of overwriting them; a rerun on the same kind replaces that
kind's entry. On disk: ``{"by_cpu_kind": {"x86_64 AVX2": {...,"machine": {...}}, ...}}``, in the order the kinds
were first recorded. Files written before this (one record, or a bare list of rows) still load.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

KEY = "by_cpu_kind"


def cpu_kind(machine: dict | None) -> str:
    """ "x86_64 AVX2", "x86_64 AVX2 AVX-512 AVX-512 VNNI AMX", "aarch64": architecture and the features that decide
    speed (edgegan.bench.FEATURES); "not recorded" for a record made before the tools wrote the machine down."""
    if not machine or "features" not in machine:
        return "not recorded"
    return " ".join([machine.get("machine", "?"), *machine["features"]])


def load(path: Path) -> list[dict]:
    """Every CPU kind's record in ``path`` (first recorded first); [] when there is no file."""
    path = Path(path)
    if not path.is_file():
        return []
    data = json.loads(path.read_text())
    if isinstance(data, list):
        return [{"rows": data}]
    if KEY in data:
        return list(data[KEY].values())
    return [data]


def first(path: Path) -> dict | None:
    """The first CPU kind's record: the one the README's figures come from."""
    recs = load(path)
    return recs[0] if recs else None


def save(path: Path, record: dict) -> str:
    """Write ``record`` (its "machine" is this one's unless given) as its CPU kind's entry, keeping the other kinds'
    entries; atomic. Returns the kind."""
    from edgegan.bench import machine

    path = Path(path)
    record = {"machine": machine(), **record} if "machine" not in record else record
    kind = cpu_kind(record["machine"])
    kinds = {cpu_kind(r.get("machine")): r for r in load(path) if not _same_cpu_unrecorded(r, record)}
    kinds[kind] = record
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps({KEY: kinds}, indent=2) + "\n")
    os.replace(tmp, path)
    return kind


def _same_cpu_unrecorded(old: dict, new: dict) -> bool:
    """An entry from before the features were written down, made on a CPU of the same name as ``new``'s: the same
    kind, replaced by the new run."""
    m = old.get("machine")
    return isinstance(m, dict) and "features" not in m and m.get("cpu") == new["machine"].get("cpu")
