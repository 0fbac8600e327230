"""Build a verified bundle: convert, re-open each file through the light runtime, compare with
Keras, write manifest.json + reference.npz, then swap the staged folder into place.

Staging happens in a sibling temporary folder; the final name only ever points at a complete,
verified bundle (a kill or a full disk leaves the previous one intact; docs/reliability.md item 17).
"""

from __future__ import annotations

import ctypes
import json
import os
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

import edgegan
from edgegan import manifest as mf
from edgegan import parity
from edgegan.errors import ConfigError, ExportError, ModelFileError
from edgegan.export import onnx as onnx_export
from edgegan.export import tflite as tflite_export
from edgegan.export.formats import BOUNDS, Variant
from edgegan.export.optimize import optimize
from edgegan.latents import latents
from edgegan.models import IMAGE_NAME, LATENT_NAME, SCORE_NAME, load_keras, spec_of
from edgegan.runtime import make_engine


def auto_form(fmt: str, precision: str) -> str:
    """The phase-decomposition form per file, the fastest measured here (README 'Benchmarks', batch 1):
    "pads" (each phase conv with its own asymmetric padding, no Pad/Slice nodes) everywhere, except ONNX
    Runtime int8, whose QDQ convolutions with asymmetric pads ran slower than the plain file (0.90x / 0.71x
    on 1 / 2 threads) while "split" (one Pad, four VALID convolutions) ran 1.45x / 1.16x faster."""
    return "split" if fmt in ("onnx", "ort") and precision == "int8" else "pads"


REFERENCE_COUNT = 64  # fixed latents in reference.npz (and generated images for D)
# D's export parity: up to this many generated and as many real images. Agreement is a proportion: on 128
# images one flipped decision moves it 0.8 points and its standard error near 97% is 1.5 points, too coarse
# for a 97% bound; on 2,000 the standard error is 0.4 points.
D_PARITY_HALF = 1000
CARRIED = ("losses.png", "progress.gif", "samples.png", "evaluation.json", "MODEL_CARD.md")


@dataclass
class ExportOptions:
    batch: int = 1  # fixed batch of TFLite files (ONNX files keep a dynamic batch)
    calibration_data: str | None = None  # real images for D's int8 calibration; default: the run's data
    calibration_samples: int = 256  # rows used to calibrate int8 (G: latents; D: half real, half generated)
    seed: int = 0  # latents of calibration and reference
    optimize: bool = True  # phase-decompose upsample+conv blocks of G (exact; edgegan.export.optimize)
    # "auto": auto_form() per file; or "pads", "split", "fused" for every file (edgegan.export.optimize)
    optimize_form: str = "auto"
    # "[role:]format/precision" entries to leave out (e.g. a variant that misses its bound on this model).
    # None: inherit the "skipped" list of the source bundle's manifest, if it has one.
    skip: frozenset | None = None


def _sources(model_dir: Path) -> tuple[Path, Path, dict]:
    if model_dir.is_file():
        raise ConfigError(
            f"{model_dir}: --model takes a run or bundle folder holding generator.keras and discriminator.keras"
        )
    g, d = model_dir / "generator.keras", model_dir / "discriminator.keras"
    for p in (g, d):
        if not p.is_file():
            raise ModelFileError(
                f"{p}: not found; --model must be a training run or bundle folder with generator.keras and discriminator.keras"
            )
    record = {}
    for name in ("run.json", "training.json"):
        if (model_dir / name).is_file():
            record = json.loads((model_dir / name).read_text())
            break
    return g, d, record


def _real_images(opts: ExportOptions, record: dict, spec, n: int, log) -> tuple[np.ndarray | None, str]:
    from edgegan.data import load_images

    src = opts.calibration_data or record.get("config", {}).get("data")
    if not src:
        return None, "none"
    if opts.calibration_data is None and str(src) not in ("mnist", "fashion_mnist") and not Path(src).exists():
        log(f"note: the run's data {src} is not here; calibrating the discriminator on generated images only")
        return None, "none"
    x = load_images(src, channels=spec.channels, limit=n, seed=opts.seed)
    if x.shape[1:] != spec.image_shape:
        raise ConfigError(f"{src}: calibration images are {x.shape[1:]}, the model takes {spec.image_shape}")
    return x, str(src)


def export_bundle(
    model_dir: str | Path,
    out: str | Path,
    variants: list[Variant],
    opts: ExportOptions | None = None,
    log: Callable[[str], None] = lambda s: None,
) -> dict:
    """Export both networks in every variant to ``out``; returns the manifest dict."""
    import tensorflow as tf

    opts = opts or ExportOptions()
    if not 1 <= opts.batch <= 1024:
        raise ConfigError(f"--batch must be between 1 and 1024, got {opts.batch}")
    if opts.calibration_samples < 2 * opts.batch:
        raise ConfigError(f"--calibration-samples must be at least {2 * opts.batch}")
    model_dir, out = Path(model_dir), Path(out)
    g_path, d_path, record = _sources(model_dir)
    skip = opts.skip
    if skip is None:
        try:
            skip = frozenset(json.loads((model_dir / mf.MANIFEST).read_text()).get("skipped", []))
        except (OSError, ValueError, AttributeError):
            skip = frozenset()
        if skip:
            log(
                f"leaving out {', '.join(sorted(skip))}: recorded as skipped in {model_dir / mf.MANIFEST} (--skip none to try them)"
            )
    G, D = load_keras(g_path, "generator"), load_keras(d_path, "discriminator")
    spec = spec_of(G)
    forms = (
        {opts.optimize_form} if opts.optimize_form != "auto" else {auto_form(v.format, v.precision) for v in variants}
    )
    G_by_form = {f: optimize(G, f)[:2] if opts.optimize else (G, []) for f in sorted(forms)}
    rewrites = next(iter(G_by_form.values()))[1]
    if rewrites:
        log(f"optimized generator: {', '.join(rewrites)} -> phase convolutions ({'/'.join(sorted(forms))} form, exact)")
    rng = np.random.default_rng([opts.seed, 7])
    z_ref = latents(REFERENCE_COUNT, spec.latent_dim, opts.seed)  # what sample(64, seed) draws everywhere
    z_cal = rng.standard_normal((opts.calibration_samples, spec.latent_dim)).astype(np.float32)

    def keras_g(z: np.ndarray) -> np.ndarray:
        parts = [G(z[i : i + 256], training=False).numpy() for i in range(0, len(z), 256)]
        return np.concatenate(parts) if parts else np.zeros((0, *spec.image_shape), np.float32)

    def keras_d(x: np.ndarray) -> np.ndarray:
        return np.concatenate([D(x[i : i + 256], training=False).numpy() for i in range(0, len(x), 256)])

    g_ref = keras_g(z_ref)
    z_par = rng.standard_normal((D_PARITY_HALF - REFERENCE_COUNT, spec.latent_dim)).astype(np.float32)
    real, real_src = _real_images(opts, record, spec, opts.calibration_samples // 2 + D_PARITY_HALF, log)
    # real images kept for parity (disjoint from calibration); a small dataset is split in halves
    n_par = 0 if real is None else min(D_PARITY_HALF, len(real) - min(opts.calibration_samples // 2, len(real) // 2))
    n_real = 0 if real is None else len(real) - n_par  # the rest calibrate
    d_cal = np.concatenate(
        ([real[:n_real]] if n_real > 0 else []) + [keras_g(z_cal[: opts.calibration_samples - max(n_real, 0)])]
    )
    d_cal = d_cal[np.random.default_rng(opts.seed).permutation(len(d_cal))]
    # Export parity for D: generated + real (when available), disjoint from calibration; reference.npz keeps
    # the first REFERENCE_COUNT generated ones.
    d_in_export = (
        g_ref
        if real is None
        else np.concatenate([g_ref, keras_g(z_par[: max(n_par - REFERENCE_COUNT, 0)]), real[len(real) - n_par :]])
    )
    d_ref_export = keras_d(d_in_export)

    out.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{out.name}.staging-", dir=out.parent))
    try:
        os.chmod(stage, 0o755)
        shutil.copyfile(g_path, stage / "generator.keras")
        shutil.copyfile(d_path, stage / "discriminator.keras")
        if record:
            (stage / "training.json").write_text(json.dumps(record, indent=2) + "\n")
        for name in CARRIED:  # pictures and reports of the run travel with its bundle
            if (model_dir / name).is_file():
                shutil.copyfile(model_dir / name, stage / name)
        last_grid = sorted((model_dir / "samples").glob("epoch_*.png")) if (model_dir / "samples").is_dir() else []
        if last_grid and not (stage / "samples.png").exists():
            shutil.copyfile(last_grid[-1], stage / "samples.png")
        np.savez(stage / mf.REFERENCE, z=z_ref, image=g_ref, d_input=g_ref, d_score=d_ref_export[:REFERENCE_COUNT])
        entries = []
        tmp = Path(tempfile.mkdtemp(dir=stage, prefix=".work-"))
        for role, models, cal, x_ref, y_ref in (
            ("generator", {f: m for f, (m, _) in G_by_form.items()}, z_cal, z_ref, g_ref),
            ("discriminator", {None: D}, d_cal, d_in_export, d_ref_export),
        ):
            names = (LATENT_NAME, IMAGE_NAME) if role == "generator" else (IMAGE_NAME, SCORE_NAME)
            made: dict[tuple[str, str, str | None], Path] = {}
            for v in _ordered(variants):
                if f"{role}:{v.format}/{v.precision}" in skip or f"{v.format}/{v.precision}" in skip:
                    continue
                t0 = time.perf_counter()
                meta = {
                    "edgegan_version": edgegan.__version__,
                    "role": role,
                    "format": v.format,
                    "precision": v.precision,
                    "latent_size": spec.latent_dim,
                    "image_shape": list(spec.image_shape),
                    "value_range": [-1, 1],
                    "batch": opts.batch if v.format == "tflite" else None,
                    "optimized": bool(rewrites) and role == "generator",
                }
                form = None
                if meta["optimized"]:
                    form = meta["optimize_form"] = (
                        opts.optimize_form if opts.optimize_form != "auto" else auto_form(v.format, v.precision)
                    )
                path = stage / v.filename(role)
                _convert(v, models, path, tmp, made, names, cal, opts, meta)
                made[(v.format, v.precision, form)] = path
                data = path.read_bytes()
                checks = (
                    onnx_export.checks(path)
                    if v.format == "onnx"
                    else (tflite_export.checks(data, v.precision) if v.format == "tflite" else {"ort_format": True})
                )
                engine = make_engine(data, v.format, path.name, threads=None)  # the light runtime re-opens it
                y = engine.run(x_ref)
                fig = parity.figures(role, y_ref, y)
                bound = BOUNDS[v.bound]
                figure, limit = parity.headline(role, bound, fig)
                if not parity.passes(role, bound, fig):
                    raise ExportError(
                        f"{path.name}: parity {figure} misses its bound {limit}; the file was not written"
                    )
                entries.append(
                    {
                        "path": path.name,
                        "role": role,
                        "format": v.format,
                        "precision": v.precision,
                        "batch": engine.batch,
                        "optimized": meta["optimized"],
                        "rewrites": rewrites if meta["optimized"] else [],
                        "optimize_form": meta.get("optimize_form"),
                        "inputs": [engine.input.to_dict()],
                        "outputs": [engine.output.to_dict()],
                        "sha256": mf.sha256_bytes(data),
                        "bytes": len(data),
                        "tolerance": bound,
                        "parity": fig,
                        "checks": checks,
                        "metadata": meta,
                    }
                )
                log(
                    f"  {path.name:<34} {len(data) / 1e6:7.2f} MB  {time.perf_counter() - t0:6.1f} s  {figure} ({limit})"
                )
        shutil.rmtree(tmp)
        manifest = {
            "schema_version": mf.SCHEMA_VERSION,
            "kind": "edgegan-bundle",
            "edgegan_version": edgegan.__version__,
            "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "latent": {"size": spec.latent_dim, "distribution": "normal(0, 1)", "name": LATENT_NAME},
            "image": {"shape": list(spec.image_shape), "layout": "NHWC", "range": [-1, 1], "name": IMAGE_NAME},
            "spec": spec.to_dict(),
            "sources": {n: {"path": f"{n}.keras", "sha256": mf.sha256_file(stage / f"{n}.keras")} for n in mf.ROLES},
            "reference": {
                "path": mf.REFERENCE,
                "sha256": mf.sha256_file(stage / mf.REFERENCE),
                "count": REFERENCE_COUNT,
            },
            "calibration": {
                "samples": opts.calibration_samples,
                "seed": opts.seed,
                "discriminator_real_images": real_src,
            },
            "discriminator_parity_images": {"generated": len(d_in_export) - n_par, "real": n_par},
            "tools": _versions(tf),
            "skipped": sorted(skip),
            "files": entries,
        }
        (stage / mf.MANIFEST).write_text(mf.dumps(manifest))
        mf.load(stage)  # what we wrote must parse
        _fsync_tree(stage)
        swap_into_place(stage, out)
    except BaseException:
        shutil.rmtree(stage, ignore_errors=True)
        raise
    return manifest


def _ordered(variants: list[Variant]) -> list[Variant]:
    return sorted(variants, key=lambda v: ("onnx", "tflite", "ort").index(v.format))


def _convert(
    v: Variant, models, path: Path, tmp: Path, made: dict, names, cal, opts: ExportOptions, meta: dict
) -> None:
    in_name, out_name = names
    form = meta.get("optimize_form")  # None for D and for an unoptimized G: every form's model is the same
    model = models[form] if form in models else next(iter(models.values()))
    if v.format == "onnx" or v.format == "ort":
        fp32 = made.get(("onnx", "fp32", form))  # the fp32 ONNX of the same form, when already made
        if fp32 is None:
            fp32 = tmp / f"{meta['role']}.fp32.{form}.onnx"
            if not fp32.exists():
                onnx_export.keras_to_onnx(
                    model, fp32, in_name, out_name, {**meta, "format": "onnx", "precision": "fp32"}
                )
        if v.format == "onnx" and v.precision == "fp32":
            shutil.copy2(fp32, path) if fp32 != path else None
        elif v.format == "onnx" and v.precision == "fp16":
            onnx_export.to_fp16(fp32, path, meta)
        elif v.format == "onnx" and v.precision == "int8":
            onnx_export.to_int8(fp32, path, cal, meta, saturation_safe=meta["role"] == "discriminator")
        elif v.format == "ort":
            src = made.get(("onnx", v.precision, form))
            if src is None:
                src = tmp / f"{meta['role']}.{v.precision}.{form}.onnx"
                if not src.exists():
                    (
                        onnx_export.to_int8(fp32, src, cal, {**meta, "format": "onnx"}, meta["role"] == "discriminator")
                        if v.precision == "int8"
                        else shutil.copy2(fp32, src)
                    )
            tagged = tmp / f"{meta['role']}.{v.precision}.for-ort.onnx"  # carries the .ort file's own metadata
            onnx_export.retag(src, tagged, meta)
            onnx_export.to_ort(tagged, path)
    else:
        tflite_export.keras_to_tflite(model, path, v.precision, opts.batch, cal, meta)


def _versions(tf) -> dict:
    return {
        "tensorflow": tf.__version__,
        **mf.package_versions(("keras", "tf2onnx", "onnx", "onnxruntime", "ai-edge-litert", "numpy")),
    }


def _fsync_tree(folder: Path) -> None:
    for p in folder.rglob("*"):
        if p.is_file():
            with open(p, "rb") as f:
                os.fsync(f.fileno())
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def swap_into_place(stage: Path, out: Path, marker: str = mf.MANIFEST) -> None:
    """Make ``out`` the staged folder. On Linux, renameat2(RENAME_EXCHANGE) swaps the two folders
    atomically, so ``out`` never stops existing; elsewhere two renames. An existing ``out`` is
    replaced only if it is empty or holds ``marker`` (what an earlier export wrote there)."""
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{out}: exists and is a file; choose another --out")
    if not out.exists():
        os.rename(stage, out)
    else:
        if not (out / marker).exists() and any(out.iterdir()):
            raise ConfigError(
                f"{out}: exists and was not written by edgegan export (no {marker}); choose another --out"
            )
        if not _exchange(stage, out):
            old = out.with_name(f".{out.name}.old-{os.getpid()}")
            os.rename(out, old)
            os.rename(stage, out)
            stage = old
        shutil.rmtree(stage, ignore_errors=True)
    fd = os.open(out.parent, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _exchange(a: Path, b: Path) -> bool:
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    AT_FDCWD, RENAME_EXCHANGE = -100, 2
    return renameat2(AT_FDCWD, os.fsencode(a), AT_FDCWD, os.fsencode(b), RENAME_EXCHANGE) == 0
