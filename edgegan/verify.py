"""``edgegan verify``: check every file of a bundle against its manifest and its Keras references.

Light tier (runs on the device itself); ``against_keras=True`` first recomputes the references
from the bundle's .keras files (export tier). Every failure is collected before reporting.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from edgegan import manifest as mf
from edgegan import parity
from edgegan.errors import ConfigError, EdgeGanError, ManifestError
from edgegan.export.formats import BOUNDS
from edgegan.export.gpu import gpu_bound
from edgegan.roles import KINDS
from edgegan.runtime import make_engine
from edgegan.runtime.compiled import api_check


@dataclass
class Row:
    file: str
    role: str
    format: str
    precision: str
    figure: str
    bound: str
    ok: bool
    error: str = ""


ENCODER_KEYS = ("e_style", "e_eps", "e_z")  # an encoder's inputs (style, eps) and its latents


def load_reference(m: mf.Manifest) -> dict[str, np.ndarray]:
    ref = m.data.get("reference", {})
    path = mf.safe_path(m.root, ref.get("path", mf.REFERENCE), "reference path")
    if not path.is_file():
        raise ManifestError(f"{path}: missing; the bundle's reference outputs are needed to verify it")
    data = path.read_bytes()
    if "sha256" in ref and mf.sha256_bytes(data) != ref["sha256"]:
        raise ManifestError(f"{path}: sha256 differs from the manifest; the references were changed")
    import io

    with np.load(io.BytesIO(data), allow_pickle=False) as z:  # no pickle anywhere (docs/reliability.md item 6)
        # G's inputs by their signature's names (z or source, label, map); d_*: only with a D
        keys = (*m.contract.signature.names, "image", "d_source", "d_input", "d_label", "d_score", "f_features",
                *ENCODER_KEYS)  # fmt: skip
        return {k: z[k] for k in keys if k in z.files}


def keras_reference(
    m: mf.Manifest, ref: dict[str, np.ndarray], custom_objects=(), d_source: str | None = None
) -> tuple[dict[str, np.ndarray], float]:
    """Recompute G and D outputs from the bundle's .keras files (custom layers from ``custom_objects``, as at
    export); also return the largest change."""
    from edgegan.export.bundle import keras_runner
    from edgegan.export.inspect import image_inputs
    from edgegan.models import load_keras

    out = dict(ref)
    G = load_keras(mf.safe_path(m.root, "generator.keras"), "generator", custom_objects)
    path = mf.safe_path(m.root, "discriminator.keras") if "d_input" in ref else None
    D = load_keras(path, "discriminator", custom_objects) if path else None
    d_section = m.data.get("discriminator") or {}
    if D is not None and d_section.get("features"):  # --d-features: score and features, split after wrapping
        from edgegan.export.inspect import with_features

        D, _ = with_features(D, str(d_section["output"]), path)
    elif D is not None and d_section.get("output") is not None:  # --d-output, as at export
        from edgegan.export.inspect import score_output

        D = score_output(D, str(d_section["output"]), path)
    onehot = ((m.data.get("label") or {}).get("source_encoding") or {}).get("onehot")
    if onehot:  # the sources take the label one-hot: wrapped as at export (edgegan.export.onehot)
        from edgegan.export.onehot import wrap_pair

        G, D = wrap_pair(G, D, int(onehot), m.root / "generator.keras", path)
    for e in m.contract.signature.of_kind("map"):  # a one-hot map input: wrapped as at export (--map-onehot)
        from edgegan.export.onehot import wrap_map

        G, _ = wrap_map(G, e.onehot_of, m.root / "generator.keras")
    composed = m.data.get("composed")
    if isinstance(composed, dict):  # mapping, truncation, fixed inputs: assembled as at export
        from edgegan.export.bundle import composed as compose_again
        from edgegan.export.bundle import recorded_composition
        from edgegan.export.flags import options

        given = {k: v for k, v in recorded_composition(composed, m.root).items() if v is not None}
        G = compose_again(G, options({**given, "custom_objects": tuple(custom_objects)}), m.root / "generator.keras")
        D = _fixed(D, composed.get("fixed"), path)
    pinned = 1 if m.data.get("batch_statistics") else None  # --batch-one: Keras one picture per call, as at export
    out["image"] = keras_runner(G, pinned)(*_inputs(ref, "generator", m))
    drift = float(np.abs(out["image"] - ref["image"]).max())
    F = None
    if D is not None and len(D.outputs) == 2:  # --d-features (edgegan.export.inspect.with_features)
        from edgegan.export.inspect import split_features

        D, F = split_features(D)
    if D is not None:
        order = image_inputs(D, path, d_source or d_section.get("source_input"))
        out["d_score"] = keras_runner(D, pinned, order=order)(*_inputs(ref, "discriminator", m))
        drift = max(drift, float(np.abs(out["d_score"] - ref["d_score"]).max()))
    if F is not None and "f_features" in ref:
        out["f_features"] = keras_runner(F, pinned, order=order)(*_inputs(ref, "features", m))
        drift = max(drift, float(np.abs(out["f_features"] - ref["f_features"]).max()))
    if "e_z" in ref:  # the style encoder, wrapped as at export (edgegan.export.encoder)
        from edgegan.export.encoder import load_encoder

        e_path, variance = mf.safe_path(m.root, "encoder.keras"), (m.data.get("encoder") or {}).get("variance")
        E, _ = load_encoder(e_path, m.latent_size, m.image_shape, variance, custom_objects)
        out["e_z"] = keras_runner(E, order=list(E.inputs))(ref["e_style"], ref["e_eps"])
        drift = max(drift, float(np.abs(out["e_z"] - ref["e_z"]).max()))
    return out, drift


def _fixed(D, fixed, path: Path):
    """D with the inputs --fix held at export (StyleGAN's d_alpha) held again (edgegan.export.compose)."""
    from edgegan.export.compose import compose, input_names

    mine = {k: float(v) for k, v in (fixed or {}).items() if D is not None and k in input_names(D)}
    return compose(D, None, mine, None, path, "discriminator") if mine else D


def _inputs(ref: dict, role: str, m: mf.Manifest) -> list[np.ndarray]:
    """The reference inputs of a role: G's by the names of its signature (edgegan.signature: z or source, then a
    label, then a map), [d_input] or [d_input, d_label] (a paired D: [d_source, d_input]) for D."""
    if role == "generator":
        missing = [e.name for e in m.contract.signature if e.name not in ref]
        if missing:
            raise ManifestError(f"{m.root / mf.REFERENCE}: holds no {', '.join(missing)} for the generator's inputs")
        return [ref[e.name] for e in m.contract.signature]
    if role == "encoder":
        if "e_z" not in ref:
            raise ManifestError(f"{m.root / mf.REFERENCE}: holds no encoder references (e_style, e_eps, e_z)")
        return [ref["e_style"], ref["e_eps"]]
    return [ref[k] for k in ("d_source", "d_input", "d_label") if k in ref]


def verify(
    bundle: str | Path,
    against_keras: bool = False,
    threads: int | None = None,
    custom_objects=(),
    accelerator: str | None = None,
) -> tuple[list[Row], dict]:
    """Return one Row per file (and per bundle-level problem) plus a summary dict. With ``accelerator``
    ("gpu", "gpu,cpu", "cpu"): the LiteRT files only, run on it through LiteRT's CompiledModel API, against the
    GPU bounds (edgegan.export.gpu)."""
    if against_keras and accelerator in ("gpu", "gpu,cpu"):
        raise ConfigError(
            "--against-keras loads TensorFlow, and LiteRT's GPU accelerator crashes a process that has (a "
            "segmentation fault): run verify --against-keras, then verify --accelerator gpu"
        )
    m = mf.load(bundle)
    ref = load_reference(m)
    files = [e for e in m.files if accelerator is None or e.format == "tflite"]
    summary: dict = {"bundle": str(bundle), "files": len(files), "accelerator": accelerator}
    if against_keras:
        ref, drift = keras_reference(m, ref, custom_objects)
        summary["keras_drift"] = drift
    rows = []
    for e in files:
        bound = e.tolerance or BOUNDS["fp32" if e.precision == "fp32" else "fp16" if e.precision == "fp16" else "int8"]
        if accelerator in ("gpu", "gpu,cpu"):
            bound = e.gpu.get("bound") or gpu_bound(e.role, e.precision, m.contract.parity_kw(e.role).get("score"))
        try:
            rows.append(_verify_file(m, e, ref, bound, threads, accelerator))
        except EdgeGanError as err:
            rows.append(Row(e.path, e.role, e.format, e.precision, "-", _bound_text(e.role, bound), False, str(err)))
    summary["failed"] = sum(not r.ok for r in rows)
    return rows, summary


def _bound_text(role: str, bound: dict) -> str:
    fig = {"max_abs": 0.0, "psnr_db": 0.0, "agreement": 0.0, "mean_abs": 0.0, "p_mean_abs": 0.0}
    return parity.headline(role, bound, fig)[1]


def _verify_file(m: mf.Manifest, e: mf.FileEntry, ref: dict, bound: dict, threads, accelerator=None) -> Row:
    data = mf.read_checked(m.root, e)  # size + sha256 before any engine sees the bytes
    name = str(m.root / e.path)
    f32 = bool(e.gpu.get("enforce_f32"))
    engine = make_engine(data, e.format, name, threads=threads, accelerator=accelerator, enforce_f32=f32)
    problems = []
    if e.format == "tflite" and accelerator is None:  # the signature runner and CompiledModel load it too
        api_check(data, name, [a[:2] for a in _inputs(ref, e.role, m)], engine)
    pairs = [("input", t.to_dict(), e.inputs[i] if i < len(e.inputs) else {}) for i, t in enumerate(engine.inputs)]
    if len(e.inputs) > len(engine.inputs):
        problems.append(f"{len(engine.inputs)} inputs != manifest {len(e.inputs)}")
    for what, got, want in pairs + [("output", engine.output.to_dict(), e.outputs[0] if e.outputs else {})]:
        for key in ("name", "shape", "dtype"):
            if got.get(key) != want.get(key):
                problems.append(f"{what} {key} {got.get(key)} != manifest {want.get(key)}")
    if KINDS[e.role].judges and "d_input" not in ref:
        raise ManifestError(f"{m.root / mf.REFERENCE}: has no discriminator references for {e.path}")
    if KINDS[e.role].reference not in ref:
        raise ManifestError(f"{m.root / mf.REFERENCE}: has no {KINDS[e.role].reference} references for {e.path}")
    classes = 0 if e.role == "encoder" else m.classes
    if (engine.label is not None) != bool(classes) or (classes and "label" not in ref):
        raise ManifestError(
            f"{m.root / e.path}: {'takes' if engine.label is not None else 'takes no'} label but the manifest "
            f"says {m.classes or 'no'} classes and the references hold {'labels' if 'label' in ref else 'none'}"
        )
    y_ref = ref[KINDS[e.role].reference]
    y = engine.run(*_inputs(ref, e.role, m))
    wrong = parity.shape_problem(e.role, y_ref, y)
    if wrong is not None:
        return Row(e.path, e.role, e.format, e.precision, "not measured", _bound_text(e.role, bound), False, wrong)
    fig = parity.figures(e.role, y_ref, y, **m.contract.parity_kw(e.role))
    figure, limit = parity.headline(e.role, bound, fig)
    ok = parity.passes(e.role, bound, fig) and not problems
    return Row(e.path, e.role, e.format, e.precision, figure, limit, ok, "; ".join(problems))


def format_table(rows: list[Row]) -> str:
    head = ("file", "precision", "figure", "bound", "result")
    body = [
        (r.file, r.precision, r.figure, r.bound, "pass" if r.ok else "FAIL" + (f": {r.error}" if r.error else ""))
        for r in rows
    ]
    widths = [max(len(str(c)) for c in col) for col in zip(head, *body)]
    widths[-1] = 0
    line = lambda cells: "  ".join(str(c).ljust(w) for c, w in zip(cells, widths)).rstrip()  # noqa: E731
    return "\n".join([line(head), line(["-" * w for w in widths[:-1]] + ["------"])] + [line(b) for b in body])


def as_json(rows: list[Row], summary: dict) -> dict:
    return {**summary, "rows": [asdict(r) for r in rows]}
