"""`edgegan bench` reports figures for every file (and Keras in the same run); `edgegan demo` runs end to end."""

import json

import pytest

from conftest import ROOT, needs_tf, run_cli

SHIPPED = ROOT / "models" / "mnist-dcgan"


@pytest.mark.light
@pytest.mark.skipif(not (SHIPPED / "manifest.json").is_file(), reason="no shipped bundle")
def test_bench_reports_every_generator_file(tmp_path):
    out = tmp_path / "b.json"
    r = run_cli(
        "bench", str(SHIPPED), "--role", "generator", "--runs", "10", "--no-cold", "--no-keras", "--json", str(out)
    )
    assert r.returncode == 0, r.stderr[-1500:]
    d = json.loads(out.read_text())
    files = {
        f["path"] for f in json.loads((SHIPPED / "manifest.json").read_text())["files"] if f["role"] == "generator"
    }
    assert {row["file"] for row in d["rows"]} == files
    for row in d["rows"]:
        assert 0 < row["p50_ms"] <= row["p90_ms"] <= row["p99_ms"] and row["images_per_s"] > 0
    assert d["machine"]["cores"] >= 1 and d["runs"] == 10
    assert "| variant | size MB | p50 ms" in r.stdout


@needs_tf
@pytest.mark.slow
def test_bench_includes_keras_and_cold_start_in_the_same_run(bundle):
    from edgegan.bench import bench, format_table

    rows, info = bench(
        bundle, runs=5, only=lambda e: e.role == "generator" and e.format == "tflite" and e.precision == "fp32"
    )
    variants = [r.variant for r in rows]
    assert variants == ["generator/tflite/fp32", "generator/keras/fp32"]  # only the benched role's Keras file
    assert all(r.cold_start_ms > 0 and r.peak_rss_mb > 0 for r in rows)
    assert "speed-up p50" in format_table(rows)


@needs_tf
@pytest.mark.slow
@pytest.mark.skipif(not (SHIPPED / "manifest.json").is_file(), reason="no shipped bundle")
def test_demo_runs_end_to_end(tmp_path):
    from test_quiet import native_lines

    r = run_cli("demo", "--out", str(tmp_path / "bundle"), "-o", str(tmp_path / "pics"), timeout=900)
    assert r.returncode == 0, r.stderr[-2000:]
    for step in ("1/4 export", "2/4 verify", "3/4 generate", "4/4 bench"):
        assert step in r.stdout
    assert (tmp_path / "pics" / "samples.onnx-fp32.png").is_file()
    assert (tmp_path / "pics" / "samples.tflite-int8.png").is_file()
    assert not native_lines(r.stderr), r.stderr[-2000:]
    assert "generator/keras/fp32" in r.stdout
