"""Build a verified bundle: convert, re-open each file through the light runtime, compare with
Keras, write manifest.json + reference.npz, then swap the staged folder into place.

Staging happens in a sibling temporary folder; the final name only ever points at a complete,
verified bundle (a kill or a full disk leaves the previous one intact; docs/reliability.md item 17).
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

import edgegan
from edgegan import manifest as mf
from edgegan import parity
from edgegan.contract import SCORE, SOURCE_NAME, Contract, rescale
from edgegan.errors import ConfigError, ExportError, ModelFileError
from edgegan.export import carry, floor, gpu, keepfloat
from edgegan.export import onnx as onnx_export
from edgegan.export import tflite as tflite_export
from edgegan.export.converters import CONVERTERS, Conversion, rank4
from edgegan.export.flags import ExportOptions
from edgegan.export.formats import BOUNDS, VARIANTS, Variant
from edgegan.export.inspect import (
    FEATURES,
    forced_training,
    inference_mode,
    leaf_layers,
    read_contract,
    score_output,
    split_features,
    with_features,
)
from edgegan.export.optimize import Choice, at_size, optimize
from edgegan.export.sources import REFERENCE_COUNT, REFERENCE_VALUES, generator_inputs
from edgegan.export.staging import fsync_tree, staged, swap_into_place
from edgegan.models import IMAGE_NAME, LABEL_NAME, LATENT_NAME, SCORE_NAME, load_keras
from edgegan.roles import KINDS
from edgegan.runtime import make_engine
from edgegan.runtime.compiled import api_check


def auto_form(fmt: str, precision: str) -> Choice:
    """The rewrite per file, the fastest measured (python tools/bench_own_gan.py --choices: batch 1, 1 and 2
    threads, published-width fixtures): "pads" (each phase convolution with its own asymmetric padding) for
    every block (docs/bench_own_gan_forms.json, AMD EPYC), and the convolution after a block run on its phases
    (edgegan.export.optimize.carry_kernel; docs/bench_own_gan_choices.json, Intel Xeon with VNNI): any kernel
    for ONNX Runtime, kernels of 5 or more for LiteRT. ONNX/ORT int8 files keep their upsample+conv blocks as
    built: with uint8 activations on a CPU without VNNI (AMD EPYC) the plain Resize + Conv ran faster at 2
    threads than any phase form without the carry (Keras-GAN shape 1.64 ms plain vs 1.90 pads; the seed 1.19 vs
    1.51). On the Xeon with VNNI the upsample rewrite with the carry is faster there too (seed 0.655 -> 0.466 ms,
    Keras-GAN 0.798 -> 0.592 ms: `--optimize-form pads`), not measured without VNNI; their Conv2DTranspose
    blocks gain most (keras.io 42.1 ms plain -> 6.5 ms with the carry)."""
    if fmt in ("onnx", "ort") and precision == "int8":
        return Choice("pads", ("transposed", "carry"))
    if fmt == "tflite":
        return Choice("pads", ("upsample", "transposed", "carry5"))
    return Choice("pads")


# D's export parity: up to this many generated and as many real images. Decisive agreement is a proportion:
# on 128 images one flipped decision moves it 0.8 points, too coarse for a 97% bound; on 2,000 its standard
# error near 97% is 0.4 points. Larger images cost more per image, so the set shrinks with the pixel count
# (a 28x28x1 model gets 1,000 + 1,000; a 64x64x3 one 128 + 128), never below 128 + 128.
D_PARITY_HALF = 1000
D_PARITY_PIXELS = D_PARITY_HALF * 28 * 28
CARRIED = ("losses.png", "progress.gif", "samples.png", "evaluation.json", "MODEL_CARD.md")


@dataclass
class Sources:
    """Where the Keras models come from: a run/bundle folder, or one or two .keras files."""

    generator: Path
    discriminator: Path | None
    folder: Path | None = None  # a run or bundle folder: its record, pictures and skip list travel along
    record: dict = field(default_factory=dict)


def find_sources(model: str | Path | None = None, generator=None, discriminator=None) -> Sources:
    """Resolve --model FOLDER_OR_FILE, or --generator G.keras [--discriminator D.keras]."""
    if generator is not None:
        if model is not None:
            raise ConfigError("give --model or --generator/--discriminator, not both")
        g, d = Path(generator), Path(discriminator) if discriminator else None
        for p in (g, d):
            if p is not None and not p.is_file():
                raise ModelFileError(f"{p}: not found; --generator and --discriminator take .keras files")
        return Sources(g, d)
    if discriminator is not None:
        raise ConfigError("--discriminator needs --generator G.keras (or put both in a folder for --model)")
    model = Path(model)
    if model.is_file():
        if model.suffix != ".keras":
            raise ConfigError(f"{model}: --model takes a run or bundle folder or a generator .keras file")
        return Sources(model, None)
    g, d = model / "generator.keras", model / "discriminator.keras"
    if not g.is_file():
        raise ModelFileError(
            f"{g}: not found; --model takes a run or bundle folder holding generator.keras "
            "(and optionally discriminator.keras), a generator .keras file, or use --generator G.keras"
        )
    record = {}
    for name in ("run.json", "training.json"):
        if (model / name).is_file():
            record = json.loads((model / name).read_text())
            break
    return Sources(g, d if d.is_file() else None, model, record)


def _real_images(opts: ExportOptions, record: dict, contract: Contract, n: int, log) -> tuple[list | None, str]:
    """Real images for D's calibration and parity, in D's input range (the loaders give [-1, 1]), as [images] or,
    for a conditional D, [images, labels]."""
    from edgegan.data import check_labels, load_images, load_labeled

    src = opts.calibration_data or record.get("config", {}).get("data")
    if not src:
        return None, "none"
    if opts.calibration_data is None and str(src) not in ("mnist", "fashion_mnist") and not Path(src).exists():
        log(f"note: the run's data {src} is not here; calibrating the discriminator on generated images only")
        return None, "none"
    c = contract.image_shape[2]
    if contract.conditional:
        x, y = load_labeled(src, channels=c, limit=n, seed=opts.seed)
        check_labels(y, contract.classes, src)
    else:
        x, y = load_images(src, channels=c, limit=n, seed=opts.seed), None
    h, w = contract.image_shape[:2]
    if x.shape[1:3] != (h, w):  # pictures of another size: fitted as an image-input G's are (centre crop, resize)
        from edgegan.runtime.images import fit

        log(
            f"{src}: its pictures, {x.shape[2]}x{x.shape[1]}, fitted to the discriminator's {w}x{h} (centre crop, resize)"
        )
        x = np.stack([fit(p, h, w) for p in np.round((x + 1) * 127.5).astype(np.uint8)]).astype(np.float32) / 127.5 - 1
    if x.shape[1:] != contract.image_shape:
        raise ConfigError(f"{src}: calibration images are {x.shape[1:]}, the model takes {contract.image_shape}")
    x = rescale(x, (-1.0, 1.0), contract.d_input_range)
    return ([x] if y is None else [x, y.astype(np.int32)]), str(src)


@dataclass
class Role:
    """One network to export: its models by rewrite choice, reference data and how parity is measured."""

    name: str  # "generator" or "discriminator"
    models: dict  # Choice -> (rewritten keras.Model, names of its rewritten blocks); None -> (the model as built, [])
    io_names: tuple[str, str]  # the float input's and the output's; a label input is always LABEL_NAME
    calibration: list[np.ndarray]  # rows of the float input, then a conditional model's labels
    x_ref: list[np.ndarray]  # parity inputs, the same way
    y_ref: np.ndarray  # Keras outputs for them
    parity_kw: dict  # extra arguments of parity.figures (peak, score kind)
    size: tuple[int, int] | None = None  # an any-size G: the height and width of its fixed-shape files
    score_offset: float = 0.0  # a critic: taken off its scores in the files (metadata score_offset), added back
    floors: dict = field(default_factory=dict)  # precision class -> the original's own error F (export.floor)
    twin_runner: Callable | None = None  # D's: a twin of it (edgegan.export.floor) -> its function of x_ref
    stored: int | None = None  # D's: the first rows of x_ref that reference.npz keeps (verify replays them)
    outputs: list | None = None  # the encoder's: its mean's and variance's layers; D's features': the maps it joins
    features: tuple | None = None  # D's with --d-features: (its features model, the maps it joins)

    def run(self, engine) -> np.ndarray:
        """The engine's outputs for the parity inputs, in chunks (rows_per_call of the larger of a row's inputs and
        its output: a super-resolution model's output is 16x its input)."""
        return run_chunked(engine.run, self.x_ref, rows_per_call(_row_values(self.x_ref, self.y_ref)))

    def canonical(self, choice: Choice | None) -> Choice | None:
        """The first choice with the same model as ``choice`` (its converted files are reused), or None (plain)
        when ``choice`` rewrites nothing here: no block of its kinds, or the discriminator."""
        if choice not in self.models:
            return None
        model = self.models[choice][0]
        return next(c for c, (m, _) in self.models.items() if m is model)


@dataclass
class Job:
    """One export run: its options and contract, the staging folder its files are written to (and ``tmp``, for
    what they are made from), what it leaves out (``skip``: asked for; ``missed``: skip key -> the parity figure of a
    file that missed its bound) and where it says what it does."""

    opts: ExportOptions
    contract: Contract
    stage: Path
    tmp: Path
    skip: frozenset
    log: Callable[[str], None]
    missed: dict = field(default_factory=dict)


SKIP_FLAG = "--skip"  # skipped_reasons' value for a file the user left out


def _skip_set(opts: ExportOptions, sources: Sources, log) -> frozenset:
    if opts.skip is not None:
        return opts.skip
    try:
        m = json.loads((sources.folder / mf.MANIFEST).read_text())
        why = m.get("skipped_reasons", {})  # files that missed their bound are tried again; --skip ones are not
        skip = frozenset(k for k in m.get("skipped", []) if why.get(k, SKIP_FLAG) == SKIP_FLAG)
    except (OSError, ValueError, AttributeError, TypeError):
        return frozenset()
    if skip:
        log(
            f"leaving out {', '.join(sorted(skip))}: recorded as skipped in {sources.folder / mf.MANIFEST} (--skip none to try them)"
        )
    return skip


def _recorded_contract(opts: ExportOptions, sources: Sources, log) -> ExportOptions:
    """A bundle exported again: what its manifest records of the contract (pixel ranges, score kind, classes, the
    LiteRT files' size) stands for the flags the user left unset, as its skipped list does for --skip; a flag
    given wins. Without this a bundle whose generator ends in no squashing activation could not be re-exported
    (nor put on the web) without repeating --output-range."""
    try:
        m = json.loads((sources.folder / mf.MANIFEST).read_text())
    except (OSError, ValueError, AttributeError, TypeError):
        return opts
    if not isinstance(m, dict) or m.get("kind") != "edgegan-bundle":
        return opts
    d, label, source = m.get("discriminator") or {}, m.get("label") or {}, m.get("input") or {}
    maps = [e for e in (m.get("signature") or {}).get("generator") or [] if isinstance(e, dict) and e.get("onehot_of")]
    onehot = (label.get("source_encoding") or {}).get("onehot")
    lite = [f for f in m.get("files", []) if f.get("role") == "generator" and f.get("format") == "tflite"]
    size = lite[0]["inputs"][0]["shape"][1:3] if lite and source and None in source.get("shape", [0])[:2] else None
    recorded = {
        "output_range": (m.get("image") or {}).get("range"),
        "input_range": source.get("range"),
        "d_input_range": d.get("input_range"),
        "score": d.get("score"),
        "label_onehot": onehot,
        "classes": None if onehot else label.get("classes"),
        "input_size": size,
        "map_onehot": maps[0]["onehot_of"] if maps else None,
        "d_output": d.get("output"),
        "d_features": bool(d.get("features")),
        "d_source": d.get("source_input"),
        "map_palette": d.get("source_palette"),
        "encoder": str(sources.folder / "encoder.keras") if m.get("encoder") else None,
        "encoder_variance": (m.get("encoder") or {}).get("variance"),
        **recorded_composition(m.get("composed"), sources.folder),
    }
    fill = {
        k: tuple(v) if isinstance(v, list) else v
        for k, v in recorded.items()
        if v and (getattr(opts, k) in (None, ()) or getattr(opts, k) is False)
    }
    if fill:
        said = ", ".join(f"{k.replace('_', '-')} {v}" for k, v in fill.items())
        log(f"as recorded in {sources.folder / mf.MANIFEST}: {said}")
    return replace(opts, **fill)


def recorded_composition(composed, folder: Path) -> dict:
    """The flags that assembled a bundle's generator (edgegan.export.compose), from its manifest's "composed"."""
    if not isinstance(composed, dict):
        return {}
    fixed = composed.get("fixed") or {}
    return {
        "mapping": str(folder / "mapping.keras") if composed.get("mapping") else None,
        "fix": tuple(f"{k}={v!r}" for k, v in fixed.items()) if isinstance(fixed, dict) else None,
        "truncation": composed.get("truncation"),
    }


RUN_CHUNK = 16  # rows per Keras or engine call at export for 64x64x3 pictures: a 64x64x512 activation is 8 MB per row
RUN_VALUES = RUN_CHUNK * 64 * 64 * 3  # input values per call; larger pictures take fewer rows, down to one


def rows_per_call(values_per_row: int, most: int = RUN_CHUNK) -> int:
    """Rows per call for inputs of ``values_per_row``: RUN_VALUES of them, 1 to ``most`` rows. Memory per call
    follows the activations, and TensorFlow keeps what a call took: pix2pix's generator at 256x256 in calls of 16
    rows left the export process 1.0 GB larger (its float64 twin, edgegan.export.floor, 2.7 GB), in calls of 2 rows
    0.1 GB (0.7 GB); glibc's malloc_trim and a fixed mmap threshold gave none of it back (measured)."""
    return int(np.clip(RUN_VALUES // max(values_per_row, 1), 1, most))


def run_chunked(fn, xs: list[np.ndarray], chunk: int | None = None) -> np.ndarray:
    """fn(x[, labels]) over rows in chunks (bounded memory for large images: rows_per_call by default)."""
    chunk = chunk or rows_per_call(sum(int(np.prod(a.shape[1:])) for a in xs))
    return np.concatenate([fn(*(a[i : i + chunk] for a in xs)) for i in range(0, len(xs[0]), chunk)])


def _row_values(xs: list[np.ndarray], y: np.ndarray) -> int:
    """Values of one row: the larger of its inputs together and its output."""
    return max(sum(int(np.prod(a.shape[1:])) for a in xs), int(np.prod(y.shape[1:])))


def keras_chunk(model) -> int:
    """Rows per Keras call: RUN_CHUNK for 64x64x3 images, more for smaller ones (the same memory per call), fewer
    for larger ones. Eager calls of 16 rows took 7.7 s of a 49 s export of a 28x28 model; 250 rows cost the memory
    of 16 at 64x64x3."""
    values = max(int(np.prod([d or 1 for d in t.shape[1:]])) for t in [*model.inputs, *model.outputs])
    return rows_per_call(values, 1024)


def keras_runner(model, chunk: int | None = None, order: list | None = None):
    """Keras inference in chunks: run(x[, labels][, maps]) (a paired discriminator: run(source, image)), inputs in
    edgegan's order (inspect.ordered; ``order``: the model's float input tensors in that order), whatever order
    the model takes."""
    from edgegan.export.inspect import ordered

    chunk = chunk or keras_chunk(model)
    wanted = ordered(model, order)
    where = [next(i for i, t in enumerate(wanted) if t is m) for m in model.inputs]

    def call(*xs):
        # (N,) labels in the label input's own shape, (N,) or (N, 1)
        xs = [np.asarray(a).reshape(len(a), *t.shape[1:]) if np.ndim(a) == 1 else a for a, t in zip(xs, wanted)]
        inputs = [xs[i] for i in where]
        return model(inputs[0] if len(inputs) == 1 else inputs, training=False).numpy()

    return lambda *xs: run_chunked(call, list(xs), chunk)


def _roles(sources: Sources, variants, opts: ExportOptions, skip: frozenset, log):
    """Load the models and read their contract; build G's role, and a maker of D's role (None without a D)
    that takes a generator function: D's inputs are generated images, made by the fastest verified G."""
    G, D, maps = _load(sources, opts, skip, log)
    features = None
    if maps is not None:  # --d-features: D's score files and its features file (inspect.with_features)
        D, features = split_features(D)
    contract = read_contract(
        G,
        D,
        sources.generator,
        sources.discriminator,
        opts.output_range,
        opts.d_input_range,
        opts.score,
        opts.label_onehot or opts.classes,
        opts.input_range,
        opts.d_source,
        opts.map_onehot,
        opts.map_palette is not None,
    )
    if sources.discriminator is None:
        log("no discriminator given: exporting the generator alone")
    elif D is not None and opts.score is None and contract.score == "logit":
        log(
            "the discriminator ends in a linear output: read as a logit (real above 0); --score critic for a "
            "Wasserstein critic (WGAN, WGAN-GP), --score lsgan for a least-squares score (real 1, fake 0), "
            "--score probability for one already in [0, 1]"
        )
    inputs = generator_inputs(contract, opts, D, log)
    models = _rewritten(G, variants, opts, log, inputs.size)
    rows = 1 if opts.batch_one else None  # --batch-one: Keras one picture per call, as the files run
    g_keras = keras_runner(G, rows)
    x_ref, g_cal = inputs.reference(), inputs.calibration()
    g_ref = g_keras(*x_ref)
    shared = _batch_statistics("generator", lambda n: keras_runner(G, n), x_ref, opts.batch_one)
    if opts.batch_one:
        log(
            f"--batch-one: every file takes one picture per call, as Keras computes it alone (run 4 together, "
            f"Keras changes each by {shared:.3g}: it takes statistics over the batch)"
        )
    kw = contract.parity_kw("generator")
    g_role = Role("generator", models, (inputs.name, IMAGE_NAME), g_cal, x_ref, g_ref, kw, inputs.size)
    twin_runner = (lambda m: keras_runner(m, 1)) if opts.batch_one else keras_runner  # noqa: E731
    g_role.floors = _floors(G, twin_runner, x_ref, g_ref, {v.bound for v in variants}, log)
    info = {"generated": 0, "real": 0, "real_src": "none", "inputs": inputs, "batch_shared": shared}
    if D is None:
        return contract, g_role, None, info

    def make_d(generate) -> Role:
        d = _discriminator_role(D, generate or g_keras, inputs, x_ref, g_ref, contract, sources, opts, info, log)
        if not SCORE[contract.score].ordered:  # a critic has its own relative bounds
            d.floors = _floors(D, d.twin_runner, d.x_ref, d.y_ref, {v.bound for v in variants}, log)
        d.features = None if features is None else (features, maps)
        return d

    return contract, g_role, make_d, info


def _load(sources: Sources, opts: ExportOptions, skip: frozenset, log) -> tuple:
    """G and D (None without one, or skipped) from their .keras files (custom layers from opts.custom_objects), in
    inference mode: a graph that forces training=True on some layers is rebuilt without it, said in one line."""
    G = load_keras(sources.generator, "generator", opts.custom_objects)
    want_d = sources.discriminator is not None and "discriminator" not in skip
    D = load_keras(sources.discriminator, "discriminator", opts.custom_objects) if want_d else None
    for role, model in (("generator", G), ("discriminator", D)):
        forced = forced_training(model) if model is not None else []
        if forced:
            log(
                f"the {role} calls {', '.join(forced)} with training=True: exported in inference mode (moving "
                "statistics, no dropout), and its parity is measured against Keras in inference mode"
            )
    G, D = inference_mode(G), None if D is None else inference_mode(D)
    maps = None
    if D is not None and opts.d_features:  # D keeps two outputs, its score and its other outputs joined, until split
        D, maps = with_features(D, opts.d_output, sources.discriminator)
        log(f"the discriminator's score: its output {opts.d_output}; its other outputs ("
            f"{', '.join(m['name'] for m in maps)}) in a float32 file of their own (--d-features)")  # fmt: skip
    elif D is not None and (len(D.outputs) > 1 or opts.d_output is not None):
        D = score_output(D, opts.d_output, sources.discriminator)
        log(f"the discriminator's score: its output {opts.d_output} (its other outputs are left out of the files)")
    if opts.label_onehot:
        from edgegan.export.onehot import wrap_pair

        G, D = wrap_pair(G, D, opts.label_onehot, sources.generator, sources.discriminator)
        log(f"a one-hot label of {opts.label_onehot} classes: the files take an integer label and make it inside")
    if opts.map_onehot:
        from edgegan.export.onehot import wrap_map

        G, k = wrap_map(G, opts.map_onehot, sources.generator)
        log(f"a one-hot map of {k} classes ({opts.map_onehot}): the files take a map of class ids and make it inside")
    if opts.fix:  # each NAME=VALUE holds the input of that name in G or in D (edgegan.export.compose)
        from edgegan.export.compose import compose, parse_fix, split_fix

        d_fixed = split_fix(parse_fix(opts.fix), G, D, sources.generator)[1]
        if d_fixed:
            D = compose(D, None, d_fixed, None, sources.discriminator, "discriminator")
            log(f"the discriminator as its files run it: {', '.join(f'{k}={v:g}' for k, v in d_fixed.items())}")
    if opts.mapping or opts.fix:
        G = composed(G, opts, sources.generator, log)
    if opts.style_input:
        from edgegan.export.compose import wrap_style

        G = wrap_style(G, opts.style_input, sources.generator)
        log(f"{opts.style_input}: the style picture (the files' input style, beside the picture they translate)")
    return G, D, maps


def composed(G, opts: ExportOptions, g_path: Path, log=None):
    """G behind its mapping network, truncation and fixed inputs (edgegan.export.compose), as export and
    ``verify --against-keras`` build it."""
    from edgegan.export.compose import compose, input_names, parse_fix

    mapping = load_keras(Path(opts.mapping), "mapping network", opts.custom_objects) if opts.mapping else None
    fixed = {k: v for k, v in parse_fix(opts.fix).items() if k in input_names(G)}  # D's: split_fix in _load
    G = compose(G, mapping, fixed, opts.truncation, g_path)
    if log is not None:
        said = [f"mapping {Path(opts.mapping).name}"] * bool(mapping) + [f"{k}={v:g}" for k, v in fixed.items()]
        said += [f"truncation {opts.truncation:g}"] * (opts.truncation is not None)
        log(f"the generator as its files run it: {', '.join(said)}")
    return G


def _rewritten(G, variants, opts: ExportOptions, log, size: tuple[int, int] | None) -> dict:
    """G's models by rewrite choice: {None: G as built, Choice: (rewritten model, its rewritten blocks)}. An
    any-size G's LiteRT files (``size``: theirs) are rewritten from G rebuilt at their size (optimize.at_size)."""
    models, notes, fixed = {None: (G, [])}, set(), {}
    for c in sorted({_choice(opts, v, size) for v in variants} - {None}, key=str):
        if c.size and c.size not in fixed:
            try:
                fixed[c.size] = at_size(G, c.size) if None in tuple(G.inputs[0].shape[1:3]) else G
            except Exception as e:  # a rewrite must never break an export that the plain graph completes
                notes.add(
                    f"could not be rebuilt at {c.size[0]}x{c.size[1]} ({type(e).__name__}): LiteRT files as built"
                )
                fixed[c.size] = G
        model, rewrites, note = optimize(fixed[c.size] if c.size else G, c.form, c.kinds)
        same = [k for k in models if k and _same_graph(k, *models[k]) == _same_graph(c, model, rewrites)]
        if rewrites:  # the same rewrites and carry in the same form are the same model: keep one (one conversion)
            models[c] = models[same[0]] if same else (model, rewrites)
        notes.add(note)
    if len(models) > 1:
        done = sorted({r for _, rewrites in models.values() for r in rewrites})
        forms = "/".join(sorted({c.form for c in models if c}))
        log(
            f"optimized generator: {', '.join(done)} -> phase convolutions ({forms} form, exact)"
            + _carried_line(models, variants, opts, size)
        )
    else:
        for note in sorted(n for n in notes if n):
            log(f"generator: {note}")
    return models


def _same_graph(choice: Choice, model, rewrites: list[str]) -> tuple:
    """What makes two rewritten generators the same graph: the form, the blocks and the carried convolutions."""
    return choice.form, tuple(model.inputs[0].shape[1:]), tuple(rewrites), tuple(carry.carried(model))


def _carried_line(models: dict, variants, opts: ExportOptions, size) -> str:
    """ "; conv3 runs on the phases (onnx, ort files)": which convolutions are carried past a block, in which files."""
    where: dict[str, set] = {}
    for v in variants:
        c = _choice(opts, v, size)
        for name in carry.carried(models[c][0]) if c in models else []:
            where.setdefault(name, set()).add(v.format)
    return "".join(f"; {n} runs on the phases ({', '.join(sorted(f))} files)" for n, f in sorted(where.items()))


def _fast_generator(stage: Path):
    """G's verified fp32 ONNX file through ONNX Runtime, in chunks (None when there is none). It matches Keras
    within 1e-4 and runs transposed convolutions several times faster than Keras eager, which spent about a
    minute making the 384 images of D's data for keras.io's 64x64x3 generator."""
    path = stage / "generator.fp32.onnx"
    if not path.is_file():
        return None
    engine = make_engine(path.read_bytes(), "onnx", path.name, threads=None)
    return lambda *xs: run_chunked(engine.run, list(xs))


def _discriminator_role(D, generate, inputs, g_x, g_ref, contract, sources, opts, info, log) -> Role:
    """D's calibration (half real, half generated) and parity set (generated + real, disjoint from it). Each
    input is a list: images, then (conditional D) the labels they were generated with or labelled with; a paired
    D's is [source, image]: a source with what G made of it, or with itself (a real pair's stand-in)."""
    from edgegan.export.inspect import image_inputs

    h, w, c = contract.d_image_shape
    half = int(np.clip(D_PARITY_PIXELS // (h * w * c), 128, D_PARITY_HALF))
    to_d = lambda x: rescale(x, contract.image_range, contract.d_input_range)  # noqa: E731  G's pixels as D takes them
    coloured = _coloured_map(contract, opts, info)  # GauGAN: D's source is G's map in colour (--map-palette)
    real = _d_real(inputs, contract, sources, opts, info, opts.calibration_samples // 2 + half, coloured, log)
    n_real_all = 0 if real is None else len(real[0])
    n_par = 0 if real is None else min(half, n_real_all - min(opts.calibration_samples // 2, n_real_all // 2))
    n_real = n_real_all - n_par  # the rest calibrate

    def d_rows(x: list[np.ndarray], y: np.ndarray) -> list[np.ndarray]:
        """D's inputs for G's inputs ``x`` and what G made of them ``y``: an any-size G's larger outputs are
        centre-cropped to D's input (its source alike, by G's scale), as a GAN trained on crops feeds its D."""
        if y.shape[1:3] != (h, w):
            top, left, s = (y.shape[1] - h) // 2, (y.shape[2] - w) // 2, contract.source.scale
            y = y[:, top : top + h, left : left + w]
            x = [x[0][:, top // s : (top + h) // s, left // s : (left + w) // s], *x[1:]] if contract.paired else x
        labels = [a for a, e in zip(x, contract.signature) if e.kind == "label"]  # not G's noise maps or map
        return [x[0] if coloured is None else coloured(x), to_d(y)] if contract.paired else [to_d(y), *labels]

    def fakes(n: int, seed: int) -> list[np.ndarray]:
        x = inputs.draw(n, seed)
        rows = rows_per_call(_row_values(x, g_ref))
        return d_rows(x, run_chunked(generate, x, rows)) if n else [a[:0] for a in d_rows(g_x, g_ref)]

    def join(parts: list[list[np.ndarray]]) -> list[np.ndarray]:
        parts = [p for p in parts if len(p[0])]
        return [np.concatenate([p[k] for p in parts]) for k in range(len(parts[0]))]

    d_cal = join(([[a[:n_real] for a in real]] if n_real > 0 else []) + [fakes(opts.calibration_samples - n_real, 1)])
    order = np.random.default_rng(opts.seed).permutation(len(d_cal[0]))
    d_cal = [a[order] for a in d_cal]
    real_par = [[a[n_real_all - n_par :] for a in real]] if n_par else []
    x = join([d_rows(g_x, g_ref), fakes(max(half - len(g_ref), 0), 2)] + real_par)
    info["generated"], info["real"] = len(x[0]) - n_par, n_par
    kw = contract.parity_kw("discriminator")
    names = (SOURCE_NAME, IMAGE_NAME) if contract.paired else (IMAGE_NAME,)
    floats = image_inputs(D, sources.discriminator, opts.d_source)
    pinned = 1 if opts.batch_one else None  # --batch-one: one picture per call, as the files run
    y = _d_scores(D, floats, x, opts.batch_one, info, log)
    io = ({t.name.split(":")[0]: n for t, n in zip(floats, names)} if contract.paired else IMAGE_NAME, SCORE_NAME)
    offset = float(np.median(y)) if SCORE[contract.score].centred else 0.0
    role = Role("discriminator", {None: (_centred(D, offset), [])}, io, d_cal, x, y, kw, score_offset=offset)
    role.stored = int(np.clip(REFERENCE_VALUES // np.prod(contract.d_image_shape), 16, REFERENCE_COUNT))
    where = [next(i for i, u in enumerate(D.inputs) if u is t) for t in floats]  # a twin's inputs in that order
    role.twin_runner = lambda m: keras_runner(m, pinned, order=[m.inputs[i] for i in where])
    return role


def _d_real(inputs, contract: Contract, sources: Sources, opts: ExportOptions, info: dict, n: int, coloured, log):
    """Up to ``n`` real rows for D in its input range (``info["real_src"]`` says where from), or None: a map
    generator's D judges against coloured maps, and real pictures with their maps are not given."""
    if coloured is not None:
        info["real_src"] = "none"
        return None
    if contract.source is None:
        real, info["real_src"] = _real_images(opts, sources.record, contract, n, log)
        return real
    real, info["real_src"] = inputs.real_for_d(n, contract.d_image_shape[:2])
    if real is None:
        return None
    return [rescale(real, contract.image_range, contract.d_input_range)] * (2 if contract.paired else 1)


def _d_scores(D, floats: list, x: list[np.ndarray], batch_one: bool, info: dict, log) -> np.ndarray:
    """Keras' scores of D's parity rows ``x`` (one picture per call under --batch-one, as the files run), and
    how much running 4 together changes them (StyleGAN's minibatch standard deviation)."""
    y = keras_runner(D, 1 if batch_one else None, order=floats)(*x)
    shared = _batch_statistics("discriminator", lambda rows: keras_runner(D, rows, order=floats), x, batch_one)
    if batch_one:
        info["d_batch_shared"] = shared
        log(f"--batch-one: the discriminator's files score one picture per call (run 4 together, Keras changes "
            f"each score by {shared:.3g})")  # fmt: skip
    return y


def _coloured_map(contract: Contract, opts: ExportOptions, info: dict):
    """For a paired D of a map generator (GauGAN: it judges a picture against the segmentation picture it was made
    from): G's inputs -> that picture, each class in its --map-palette colour, in D's input range; else None."""
    if not contract.paired or contract.source is not None:
        return None
    from edgegan.runtime.images import read_palette

    at = next(i for i, e in enumerate(contract.signature) if e.kind == "map")
    palette = read_palette(opts.map_palette, contract.signature[at].classes)
    info["palette"] = np.round(palette * 255).astype(int).tolist()
    return lambda x: rescale(palette[x[at]], (0.0, 1.0), contract.d_input_range).astype(np.float32)


BATCH_PROBE = 4  # rows run together and one at a time to find statistics taken over the batch
BATCH_TOLERANCE = 1e-3  # of the output's scale: kernels chosen by batch size differ by ~1e-6; batch statistics by ~1


def _batch_statistics(name: str, runner, x: list[np.ndarray], pinned: bool = False) -> float:
    """How much a row's output changes with the other rows of its batch (statistics over the batch axis at
    inference, as keras.io's GauGAN's SPADE takes ``ops.moments`` over axes 0, 1, 2). Above BATCH_TOLERANCE the
    export stops, its files could match Keras at one batch size only, unless ``pinned`` (--batch-one: every file
    at batch 1, the references computed one row at a time). ``runner(rows)``: the function of ``x`` in calls of
    that many rows."""
    n = min(BATCH_PROBE, len(x[0]))
    if n < 2:
        return 0.0
    rows = [a[:n] for a in x]
    together, alone = runner(n)(*rows), runner(1)(*rows)
    scale = max(1.0, float(np.abs(alone).max()))
    diff = float(np.abs(np.asarray(together, np.float64) - alone).max())
    if not diff <= BATCH_TOLERANCE * scale and not pinned:
        raise ExportError(
            f"the {name}'s output for one input changes with the other inputs of its batch (by {diff:.3g} over "
            f"{n} rows): it takes statistics over the batch at inference (as GauGAN's SPADE takes ops.moments over "
            "axes 0, 1, 2), so no file can match it at every batch size; take them per sample (axes 1, 2) and save "
            "the model again, or pin every file to one picture per call with --batch-one"
        )
    return diff


def _floors(model, runner, x: list[np.ndarray], y: np.ndarray, classes: set, log) -> dict:
    """F of ``model`` per precision class (edgegan.export.floor) for its float files' bounds; one line for a class
    whose F cannot be measured (its files are held to the fixed bound alone)."""
    fl = floor.measure(model, runner, x, y, classes)
    for c, f in fl.items():
        if "not_measured" in f:
            log(f"note: {c} files are held to the fixed bound alone: {f['not_measured']}")
    return fl


def _centred(D, offset: float):
    """D, or a critic with ``offset`` (the median of its scores) taken off its output: int8 quantization ranges
    include 0, so a critic whose scores drifted to 40 with a spread of 1 kept no resolution for the spread
    (measured on tools/zoo/dcgan.py's drifted WGAN-GP critic: every pair of images scored alike). The engine adds the
    offset back from the file's metadata."""
    if not offset:
        return D
    import keras

    return keras.Model(D.inputs, keras.layers.Rescaling(1.0, offset=-offset, name="score_offset")(D.outputs[0]))


def _choice(opts: ExportOptions, v: Variant, size: tuple[int, int] | None = None) -> Choice | None:
    """How file ``v`` is rewritten; ``size``: an any-size G's fixed LiteRT size (its LiteRT files are rewritten
    at it)."""
    if opts.no_optimize:
        return None
    c = auto_form(v.format, v.precision) if opts.optimize_form == "auto" else Choice.parse(opts.optimize_form)
    return c._replace(size=tuple(size)) if size and v.format == "tflite" else c


def export_bundle(
    model: str | Path | Sources,
    out: str | Path,
    variants: list[Variant],
    opts: ExportOptions | None = None,
    log: Callable[[str], None] = lambda s: None,
) -> dict:
    """Export the generator (and the discriminator, when there is one) in every variant to ``out``;
    returns the manifest dict. ``model``: a run/bundle folder, a generator .keras file, or Sources."""
    import tensorflow as tf

    opts = opts or ExportOptions()
    if not 1 <= opts.batch <= 1024:
        raise ConfigError(f"--batch must be between 1 and 1024, got {opts.batch}")
    if opts.batch_one and opts.batch != 1:
        raise ConfigError(f"--batch-one pins every file to batch 1; drop --batch {opts.batch}")
    if opts.encoder_variance and not opts.encoder:
        raise ConfigError("--encoder-variance says what an --encoder's variance output is; there is none: drop it")
    if opts.calibration_samples < 2 * opts.batch:
        raise ConfigError(f"--calibration-samples must be at least {2 * opts.batch}")
    sources = model if isinstance(model, Sources) else find_sources(model)
    if opts.d_features and sources.discriminator is None:
        raise ConfigError("--d-features keeps a discriminator's other outputs; there is no discriminator: drop it")
    out = Path(out)
    skip = _skip_set(opts, sources, log)
    opts = _recorded_contract(opts, sources, log)
    contract, g_role, make_d, d_info = _roles(sources, variants, opts, skip, log)
    variants = _calibrated(variants, g_role, opts, log)
    e_role = encoder_role(opts, contract, g_role, log) if opts.encoder else None

    with staged(out) as stage:
        job = Job(opts, contract, stage, Path(tempfile.mkdtemp(dir=stage, prefix=".work-")), skip, log)
        entries = _export_role(job, g_role, variants)
        roles = [g_role] + ([make_d(_fast_generator(stage))] if make_d else [])
        if len(roles) > 1:
            entries += _export_role(job, roles[1], variants)
        if len(roles) > 1 and roles[1].features:  # --d-features: float32 files (inspect.with_features)
            roles.append(features_role(roles[1]))
            entries += _export_role(job, roles[-1], _float32(variants))
        if e_role is not None:  # float32 files in the formats asked for (edgegan.export.encoder)
            entries += _export_role(job, e_role, _float32(variants))
            roles.append(e_role)
        shutil.rmtree(job.tmp)
        _copy_sources(sources, stage, roles, opts)
        np.savez(stage / mf.REFERENCE, **_references(contract, roles))
        manifest = _manifest(job, roles, d_info, entries, tf)
        (stage / mf.MANIFEST).write_text(mf.dumps(manifest))
        mf.load(stage)  # what we wrote must parse
        fsync_tree(stage)
        swap_into_place(stage, out)
    return manifest


INT8 = ("int8", "int8-io")  # the precisions whose activations are calibrated


def _references(contract: Contract, roles: list[Role]) -> dict[str, np.ndarray]:
    """reference.npz: G's inputs by name and its pictures; D's stored rows (d_*); the encoder's (e_*)."""
    g_role, by_name = roles[0], {r.name: r for r in roles}
    ref = {**{e.name: x for e, x in zip(contract.signature, g_role.x_ref)}, "image": g_role.y_ref}
    if "discriminator" in by_name:
        d = by_name["discriminator"]
        d_x = [a[: d.stored] for a in d.x_ref]
        ref.update(d_input=d_x[-1 if contract.paired else 0], d_score=d.y_ref[: d.stored])
        ref.update({"d_label": d_x[1]} if contract.conditional else {})
        ref.update({"d_source": d_x[0]} if contract.paired else {})
    if "features" in by_name:  # D's stored rows in, its feature maps joined out (inspect.with_features)
        ref["f_features"] = by_name["features"].y_ref
    if "encoder" in by_name:
        e = by_name["encoder"]
        ref.update(e_style=e.x_ref[0], e_eps=e.x_ref[1], e_z=e.y_ref)
    return ref


def _float32(variants: list[Variant]) -> list[Variant]:
    """The float32 files of the formats asked for: what an encoder or D's features are exported as."""
    asked = {v.format for v in variants}
    return [v for v in VARIANTS if v.precision == "fp32" and v.format in asked]


def features_role(d: Role) -> Role:
    """D's other outputs (--d-features), joined as its features file's one output: its parity rows are the rows of
    D's that reference.npz keeps, so verify replays them from D's inputs."""
    F, maps = d.features
    x = [a[: d.stored] for a in d.x_ref]
    return Role("features", {None: (F, [])}, (d.io_names[0], FEATURES), None, x, d.twin_runner(F)(*x), {}, outputs=maps)


def encoder_role(opts: ExportOptions, contract: Contract, g_role: Role, log) -> Role:
    """The encoder's role (edgegan.export.encoder): its parity rows are G's reference pictures (pictures like those it
    encodes, in G's output range) with latents drawn from the seed."""
    from edgegan.export.encoder import EPS, OUTPUT, STYLE, load_encoder
    from edgegan.latents import latents

    path = Path(opts.encoder)
    E, outputs = load_encoder(path, contract.latent_size, contract.image_shape, opts.encoder_variance,
                              opts.custom_objects)  # fmt: skip
    lo, hi = contract.image_range
    log(
        f"the encoder {path.name}: pictures in [{lo:g}, {hi:g}] (the generator's range) -> z = {outputs[0]} + "
        f"{'exp(' + outputs[1] + ' / 2)' if opts.encoder_variance == 'log' else 'sqrt(' + outputs[1] + ')'} eps, "
        "eps drawn from the seed; float32 files"
    )
    style = g_role.y_ref.astype(np.float32)
    x = [style, latents(len(style), contract.latent_size, opts.seed + 1)]
    names = ({STYLE: STYLE, EPS: EPS}, OUTPUT)
    y = keras_runner(E, order=list(E.inputs))(*x)  # (style, eps), as the files take them
    return Role("encoder", {None: (E, [])}, names, None, x, y, {}, outputs=outputs)


def _calibrated(variants: list[Variant], g_role: Role, opts: ExportOptions, log) -> list[Variant]:
    """The variants that can be made: an image-input generator's int8 files need real pictures to calibrate on
    (--calibration-data); without them they are left out with one line, or refused when asked for by name."""
    if g_role.calibration is not None or not any(v.precision in INT8 for v in variants):
        return variants
    if opts.precision_requested:
        raise ConfigError(
            "int8 of an image-input generator needs real pictures to calibrate on: pass --calibration-data "
            "DIR|FILE.npz (about 100 pictures like the ones it will see)"
        )
    log(
        "leaving out the int8 files: an image-input generator calibrates on real pictures; pass "
        "--calibration-data DIR|FILE.npz to make them"
    )
    return [v for v in variants if v.precision not in INT8]


def _copy_sources(sources: Sources, stage: Path, roles: list[Role], opts: ExportOptions) -> None:
    shutil.copyfile(sources.generator, stage / "generator.keras")
    if opts.mapping:  # verify --against-keras composes them again (edgegan.export.compose)
        shutil.copyfile(opts.mapping, stage / "mapping.keras")
    others = {"discriminator": sources.discriminator, "encoder": opts.encoder}
    for role in roles[1:]:
        if role.name in others:  # D's features come from discriminator.keras
            shutil.copyfile(others[role.name], stage / f"{role.name}.keras")
    if sources.record:
        (stage / "training.json").write_text(json.dumps(sources.record, indent=2) + "\n")
    folder = sources.folder
    if folder is None:
        return
    for name in CARRIED:  # pictures and reports of the run travel with its bundle
        if (folder / name).is_file():
            shutil.copyfile(folder / name, stage / name)
    last_grid = sorted((folder / "samples").glob("epoch_*.png")) if (folder / "samples").is_dir() else []
    if last_grid and not (stage / "samples.png").exists():
        shutil.copyfile(last_grid[-1], stage / "samples.png")


def _export_role(job: Job, role: Role, variants) -> list[dict]:
    """Every file of ``role``. One that misses its bound aborts the export when its precision was asked for by name;
    with --precision all it is left out with one line and recorded in ``job.missed`` (the manifest's skipped)."""
    made: dict[tuple, object] = {}  # what the role's files are made from (edgegan.export.converters)
    entries = []
    for v in _ordered(variants):
        if f"{role.name}:{v.format}/{v.precision}" in job.skip or f"{v.format}/{v.precision}" in job.skip:
            continue
        t0 = time.perf_counter()
        entry, shown = _file_within_bound(job, role, v, made)
        key = f"{role.name}:{v.format}/{v.precision}"
        if entry is None and job.opts.precision_requested:
            raise ExportError(
                f"{v.filename(role.name)}: parity {shown}; the file was not written (--skip {key} leaves it out)"
            )
        if entry is None:
            job.missed[key] = f"parity {shown}"
            job.log(
                f"  leaving out {v.filename(role.name)}: parity {shown} (recorded as skipped; ask for its precision by name to fail)"
            )
            continue
        entries.append(entry)
        job.log(f"  {entry['path']:<34} {entry['bytes'] / 1e6:7.2f} MB  {time.perf_counter() - t0:6.1f} s  {shown}")
    if not entries and any(k.startswith(f"{role.name}:") for k in job.missed):
        raise ExportError(f"no file of the {role.name} met its bound: {'; '.join(job.missed.values())}")
    gpu.measure_role(gpu.Reference(role.name, role.x_ref, role.y_ref, role.parity_kw), entries, job.stage, job.log)
    return entries


def _file_within_bound(job: Job, role: Role, v: Variant, made: dict) -> tuple:
    """(entry, shown) of file ``v``: rewritten as the options say, else the plain graph when the rewrite misses
    its bound (or its converter dies), else, for int8, the fewest worst layers kept in float; (None, the last
    figure) when nothing passes."""
    choice = role.canonical(_choice(job.opts, v, role.size))
    what = "missed its bound"
    try:
        entry, shown = _export_file(job, role, v, choice, made)
    except ExportError as e:  # a rewritten graph's converter died (a crash in its child): the plain graph next
        if choice is None:
            raise
        entry, shown, what = None, str(e).split(": ", 1)[-1], "could not be made"
    if entry is None and choice is not None:  # a rewrite never costs a file the plain graph would pass
        job.log(f"  {v.filename(role.name)}: the optimized file {what} ({shown}); exporting the plain graph")
        entry, shown = _export_file(job, role, v, None, made)
    unrunnable = made.get(("unrunnable", role.name, v.format, v.precision))  # no ranking: its debugger would die
    if entry is None and (v.format, v.precision) in KEEP_FLOAT and not unrunnable:
        # the fewest layers in float that pass (not int8-io: all int8 by definition, for int8-only accelerators)
        job.log(f"  {v.filename(role.name)}: full int8 missed its bound ({shown}); keeping its worst layers in float")
        trial = lambda keep: _export_file(job, role, v, None, made, keep)  # noqa: E731
        try:
            ranked = _ranked(job, role, v, made)
        except ExportError as e:  # the debugger's child died running the full-int8 file
            return None, f"{shown}; its layers could not be ranked ({str(e).split(': ', 1)[-1]})"
        entry, shown = keepfloat.search(ranked, trial, job.log)
        if entry is not None:
            entry["speed_ms"] = keepfloat.speeds(entry, job.stage, made, role, v)
    return entry, shown


def _export_file(job: Job, role: Role, v: Variant, choice, made: dict, keep=()) -> tuple:
    """Convert one file (rewritten as ``choice`` says, or plain when None; an int8 LiteRT file with the layers of
    ``keep`` in float, edgegan.export.keepfloat) and measure its parity through the light runtime: (manifest entry,
    "figure (bound)"), or (None, "figure misses its bound ...") when it misses."""
    contract, opts = job.contract, job.opts
    meta = {
        "edgegan_version": edgegan.__version__,
        "role": role.name,
        "format": v.format,
        "precision": v.precision,
        "latent_size": contract.latent_size,
        "image_shape": list(contract.image_shape),
        **({"input": contract.source.section()} if contract.source else {}),
        "value_range": list(contract.image_range),
        "batch": opts.batch if v.format in ("tflite", "ort") else None,
        "optimized": choice is not None,
    }
    if contract.conditional and role.name != "encoder":
        meta["classes"] = contract.classes
    if role.name == "generator":
        meta["signature"] = contract.signature.section()
    if role.name == "encoder":  # edgegan.export.encoder
        from edgegan.export.encoder import signature

        meta["signature"] = signature(contract.latent_size, contract.image_shape, contract.image_range).section()
    if KINDS[role.name].judges:  # a discriminator's inputs: its own files and its features
        meta.update(contract.discriminator_section())
    if role.name == "discriminator" and role.score_offset:
        meta["score_offset"] = role.score_offset
    if role.name == "features":  # maps, not a score: how the runtime splits its one output (inspect.with_features)
        meta = {k: v for k, v in meta.items() if k not in ("score", "threshold", "score_shape")} | {
            "maps": role.outputs
        }
    if choice:
        meta["optimize_form"] = choice.form
    if v.format in ("onnx", "ort") and v.precision == "int8":
        meta["quantization"] = onnx_export.int8_scheme(opts.target, role.name)
    if keep:
        meta["float_layers"] = [layer for layer, _, _ in keep]
    elif v.format == "ort" and made.get(("float_layers", "onnx", v.precision, choice)):  # made from that ONNX file
        meta["float_layers"] = made[("float_layers", "onnx", v.precision, choice)]
    model, rewrites = role.models[choice]
    path = job.stage / v.filename(role.name)
    nodes = [n for _, _, tensors in keep for n in tensors]
    made_checks = CONVERTERS[v.format](job, Conversion(v, model, choice, path, role, meta, nodes), made)
    if made_checks.get("unrunnable"):  # LiteRT dies preparing it (tflite.runs_alone): a miss, never loaded here
        path.unlink()
        made[("unrunnable", role.name, v.format, v.precision)] = True
        return None, f"not measured: {made_checks['unrunnable']}"
    if not keep or v.format != "tflite":  # (a LiteRT int8 file with float layers is no source for int8-io)
        made[(v.format, v.precision, choice)] = path
        made[("float_layers", v.format, v.precision, choice)] = meta.get("float_layers", [])
    data = path.read_bytes()
    engine = make_engine(data, v.format, path.name, threads=None)  # the light runtime re-opens it
    y = role.run(engine)
    wrong = parity.shape_problem(role.name, role.y_ref, y)
    if wrong is not None:
        path.unlink()
        made.pop((v.format, v.precision, choice), None)
        return None, f"not measured: {wrong}"
    bound = parity.bound_for(role.name, v.bound, role.parity_kw.get("score"), BOUNDS)
    if "max_abs" in bound and v.bound in role.floors:
        bound = {**bound, "floor": role.floors[v.bound]}
    fig = parity.figures(role.name, role.y_ref, y, **role.parity_kw)
    if parity.passes(role.name, bound, fig) and role.stored and role.stored < len(y):
        # the rows verify replays (reference.npz) must pass too: a critic's pairs in order on 64 of 128 rows can
        # fall under a bound the 128 meet (measured: StyleGAN's D int8 ONNX file, 96.0% of 128, 95.0% of 64)
        first = parity.figures(role.name, role.y_ref[: role.stored], y[: role.stored], **role.parity_kw)
        fig = fig if parity.passes(role.name, bound, first) else first
    figure, limit = parity.headline(role.name, bound, fig)
    if not parity.passes(role.name, bound, fig):
        path.unlink()
        made.pop((v.format, v.precision, choice), None)
        made.pop(("float_layers", v.format, v.precision, choice), None)
        made[("missed", v.format, v.precision)] = data  # what a file kept partly in float is timed against
        return None, f"{figure} misses its bound {limit}"
    if v.format == "onnx":
        checks = onnx_export.checks(path)
    elif v.format == "tflite":
        checks = tflite_export.checks(data, v.precision)
        try:  # the signature runner and the CompiledModel API, not only the Interpreter
            checks["apis"] = api_check(data, path.name, [a[: 2 * (engine.batch or 1)] for a in role.x_ref], engine)
        except ModelFileError as e:
            raise ExportError(f"{e}; the file was not written") from e
    else:
        checks = {"ort_format": True, **made_checks.get("checks", {})}
    if made_checks.get("rewrites"):  # GroupNormalization(groups=-1) as rank-4 ops (edgegan.export.instnorm)
        checks["rank4_instance_norms"] = made_checks["rewrites"]
    entry = {
        "path": path.name,
        "role": role.name,
        "format": v.format,
        "precision": v.precision,
        "batch": engine.batch,
        "optimized": choice is not None,
        "rewrites": rewrites,
        "carried": carry.carried(model) if choice else [],
        "optimize_form": choice.form if choice else None,
        **({"quantization": meta["quantization"]} if "quantization" in meta else {}),
        **({"float_layers": meta["float_layers"]} if meta.get("float_layers") else {}),
        "inputs": [t.to_dict() for t in engine.inputs],
        "outputs": [engine.output.to_dict()],
        "sha256": mf.sha256_bytes(data),
        "bytes": len(data),
        "tolerance": bound,
        "parity": fig,
        "checks": checks,
        "metadata": meta,
    }
    return entry, f"{figure} ({limit})"


def _manifest(job: Job, roles, d_info: dict, entries, tf) -> dict:
    """The bundle's manifest; its skipped files: what --skip left out (SKIP_FLAG) and those that missed their bound."""
    contract, opts, stage = job.contract, job.opts, job.stage
    skipped = {**dict.fromkeys(job.skip, SKIP_FLAG), **job.missed}
    m = {
        "schema_version": mf.SCHEMA_VERSION,
        "kind": "edgegan-bundle",
        "edgegan_version": edgegan.__version__,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    if contract.source is None:
        m["latent"] = {
            "size": contract.latent_size,
            "distribution": "normal(0, 1)",
            "name": LATENT_NAME,
            "definition": "edgegan.latents",
        }
    else:
        m["input"] = contract.source.section()
    m.update(
        {
            "image": {
                "shape": list(contract.image_shape),
                "layout": "NHWC",
                "range": list(contract.image_range),
                "name": IMAGE_NAME,
            },
        }
    )
    if contract.conditional:
        m["label"] = {"classes": contract.classes, "name": LABEL_NAME, "dtype": "int32"}
        if opts.label_onehot:  # the sources take it one-hot at the latent's end and as D's last channels
            m["label"]["source_encoding"] = {"onehot": opts.label_onehot, "position": "last"}
    m["signature"] = {"generator": contract.signature.section()}
    if opts.batch_one:  # what --batch-one pinned, and why (_batch_statistics)
        m["batch_statistics"] = {"pinned_batch": 1, "change_when_4_run_together": d_info["batch_shared"]}
        if "d_batch_shared" in d_info:
            m["batch_statistics"]["discriminator_change_when_4_run_together"] = d_info["d_batch_shared"]
    if opts.mapping or opts.fix:  # how the files' generator was assembled (edgegan.export.compose)
        from edgegan.export.compose import parse_fix

        m["composed"] = {"mapping": "mapping.keras" if opts.mapping else None, "fixed": parse_fix(opts.fix)}
        m["composed"]["truncation"] = opts.truncation
        if opts.truncation is not None:  # w's mean, measured at export (edgegan.export.compose.w_mean)
            from edgegan.export.compose import TRUNCATION_ROWS, TRUNCATION_SEED

            m["composed"]["truncation_mean_of"] = f"{TRUNCATION_ROWS} latents, seed {TRUNCATION_SEED}"
    if contract.has_discriminator:
        m["discriminator"] = contract.discriminator_section()
        if opts.d_source is not None:  # which of D's two inputs takes the source picture (inspect.image_inputs)
            m["discriminator"]["source_input"] = opts.d_source
        if opts.d_output is not None:  # which of D's outputs the files keep (inspect.score_output)
            m["discriminator"]["output"] = opts.d_output
        f_role = next((r for r in roles if r.name == "features"), None)
        if f_role is not None:  # --d-features: its other outputs, in the order the features file joins them
            m["discriminator"]["features"] = f_role.outputs
        if "palette" in d_info:  # the colours of the segmentation picture a map generator's D judges against
            m["discriminator"]["source_palette"] = d_info["palette"]
    if any(r.name == "encoder" for r in roles):  # edgegan.export.encoder
        from edgegan.export.encoder import signature

        e_role = next(r for r in roles if r.name == "encoder")
        m["encoder"] = {
            "variance": opts.encoder_variance,
            "outputs": e_role.outputs,
            "eps": "edgegan.latents of the seed",
        }
        m["signature"]["encoder"] = signature(
            contract.latent_size, contract.image_shape, contract.image_range
        ).section()
    m["sources"] = {
        r.name: {"path": f"{r.name}.keras", "sha256": mf.sha256_file(stage / f"{r.name}.keras")}
        for r in roles
        if r.name != "features"  # made from discriminator.keras
    }
    if opts.mapping:
        m["sources"]["mapping"] = {"path": "mapping.keras", "sha256": mf.sha256_file(stage / "mapping.keras")}
    m["reference"] = {"path": mf.REFERENCE, "sha256": mf.sha256_file(stage / mf.REFERENCE), "count": REFERENCE_COUNT}
    m["calibration"] = {
        "samples": opts.calibration_samples,
        "seed": opts.seed,
        "discriminator_real_images": d_info["real_src"],
        "generator_parity_inputs": d_info["inputs"].parity_source(),
    }
    if contract.has_discriminator:
        m["discriminator_parity_images"] = {"generated": d_info["generated"], "real": d_info["real"]}
    m.update(tools=_versions(tf), skipped=sorted(skipped), skipped_reasons=dict(sorted(skipped.items())), files=entries)
    return m


def _ordered(variants: list[Variant]) -> list[Variant]:
    return sorted(variants, key=lambda v: ("onnx", "tflite", "ort").index(v.format))


KEEP_FLOAT = (("tflite", "int8"), ("onnx", "int8"))  # the files that may keep layers in float to meet their bound


def _ranked(job: Job, role: Role, v: Variant, made: dict) -> list[tuple]:
    """The plain graph's layers by their int8 loss (tflite.int8_layer_errors, on the model _convert converts; the
    same layers and calibration rows for ONNX, limited to those its int8 file quantizes)."""
    if ("ranked", role.name) not in made:
        in_name = role.io_names[0]
        names = in_name if isinstance(in_name, dict) or role.size else None
        model = rank4(role.models[None][0], made)[0]
        made[("ranked", role.name)] = tflite_export.int8_layer_errors(
            model, "int8", job.opts.batch, role.calibration, names, role.size
        )
    ranked = made[("ranked", role.name)]
    if v.format == "tflite":
        return ranked
    fp32 = made.get(("onnx", "fp32", None)) or job.tmp / f"{role.name}.fp32.plain.onnx"
    model = role.models[None][0]
    keep = set(onnx_export.quantized_layers(fp32, [layer.name for layer in leaf_layers(model)]))
    out: dict[str, tuple] = {}
    for name, err, tensors in ranked:  # a batch norm tf2onnx folded into its convolution ranks as that convolution
        layer = keepfloat.folded_into(model, name, keep)
        if layer is not None and layer not in out:
            out[layer] = (layer, err, tensors)
    return list(out.values())


def _versions(tf) -> dict:
    return {
        "tensorflow": tf.__version__,
        **mf.package_versions(("keras", "tf2onnx", "onnx", "onnxruntime", "ai-edge-litert", "numpy")),
    }
