"""The ``edgegan`` command line. Each handler parses, calls one library function, prints.

Exit codes: 0 ok, 1 error (one line; traceback only with --debug), 2 usage, 3 verification failed.
Handlers import their tier lazily, so ``edgegan generate`` never loads TensorFlow.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from edgegan import __version__
from edgegan.errors import ConfigError, EdgeGanError

OUTPUT_DIR = Path("edgegan-out")  # default home of written pictures (README "Run"); -o / --out choose another
DEFAULT_MODEL_HELP = "default: the shipped reference model, models/mnist-dcgan"
MAX_OUTPUT_PIXELS = 256_000_000  # translate refuses a bigger output (a x4 of a 12 MP photo is 192 M pixels, 576 MB)
DEFAULT_TILE = 256  # = edgegan.runtime.tiles.DEFAULT_TILE (not imported here: the CLI starts without numpy)
ACCELERATORS = ("cpu", "gpu", "gpu,cpu")  # = edgegan.runtime.compiled.ACCELERATORS (not imported, as above)


def _model(value: str | None) -> str:
    """--model as given, or the shipped reference bundle (found from the package, not the working directory)."""
    from edgegan.bundled import default_bundle

    return value if value is not None else str(default_bundle())


def _image_size(text: str) -> tuple[int, int]:
    try:
        h, _, w = text.lower().partition("x")
        return int(h), int(w or h)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected HxW like 28x28, got {text!r}") from None


# ---------------------------------------------------------------- train
def _add_train(sub) -> None:
    p = sub.add_parser("train", help="train the article's DCGAN (train tier)")
    p.add_argument(
        "--data", default="mnist", help="mnist, fashion_mnist, or a path: IDX file/folder, .npz, image folder"
    )
    p.add_argument("--epochs", type=int, default=30)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=2e-4, help="Adam learning rate (default: the article's 2e-4)")
    p.add_argument("--beta-1", type=float, default=0.5, help="Adam beta_1 (default: the article's 0.5)")
    p.add_argument("--adam-epsilon", type=float, default=1e-7, help="Adam epsilon (default: Keras' 1e-7)")
    p.add_argument("--out", default="runs/dcgan", help="run folder (checkpoints, samples, logs, .keras files)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last good checkpoint")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--limit", type=int, help="use only N images")
    p.add_argument("--steps-per-epoch", type=int, help="cap the steps of each epoch")
    p.add_argument("--checkpoint-every", type=int, default=0, help="also checkpoint every N steps")
    p.add_argument(
        "--ema",
        type=float,
        default=0.999,
        help="decay of the moving average of G's weights that the run samples from and saves (0: the raw G)",
    )
    p.add_argument(
        "--conditional",
        action="store_true",
        help="train a class-conditional DCGAN on (image, label) pairs: labels from an IDX label file beside the "
        "images, y_train/y in a .npz, or one sub-folder per class",
    )
    p.add_argument("--classes", type=int, default=0, help="number of classes (default: read from the labels)")
    p.add_argument(
        "--d-conditioning",
        choices=("projection", "channel"),
        default="projection",
        help="how the discriminator takes the label: projection (default; measured in docs/design.md) or channel",
    )
    p.add_argument(
        "--strategy",
        choices=("auto", "one", "mirrored", "multiworker"),
        default="auto",
        help="tf.distribute strategy: one device, mirrored over local GPUs (or --devices logical CPUs), "
        "multiworker from TF_CONFIG; auto: mirrored with 2+ GPUs, else one (default)",
    )
    p.add_argument(
        "--devices",
        type=int,
        default=0,
        help="mirrored: use N GPUs, or split the CPU into N logical devices when there is no GPU",
    )
    p.add_argument("--mixed-precision", action="store_true", help="mixed_float16 (GPUs only)")
    p.add_argument("--jit", action="store_true", help="XLA-compile the train step (jit_compile=True)")
    p.add_argument(
        "--d-dropout", type=float, default=0.25, help="the discriminator's dropout rate (the article's 0.25)"
    )
    p.add_argument("--latent-dim", type=int, default=100)
    p.add_argument("--image-size", type=_image_size, default=(28, 28), help="HxW, divisible by 4")
    p.add_argument("--channels", type=int, default=1)
    p.add_argument(
        "--output-activation",
        choices=("tanh", "relu"),
        default="tanh",
        help="tanh (default, matches data in [-1, 1]) or the article's literal relu",
    )
    p.set_defaults(func=_cmd_train)


def _cmd_train(a) -> int:
    from edgegan.models import ModelSpec
    from edgegan.train import TrainConfig, train

    if a.classes and not a.conditional:
        raise ConfigError("--classes needs --conditional (it sets the class count of a conditional model)")
    spec = ModelSpec(
        a.latent_dim,
        a.image_size[0],
        a.image_size[1],
        a.channels,
        a.output_activation,
        a.classes,
        a.d_conditioning,
        a.d_dropout,
    )
    for name in ("epochs", "batch_size"):
        if getattr(a, name) < 1:
            raise ConfigError(f"--{name.replace('_', '-')} must be at least 1, got {getattr(a, name)}")
    cfg = TrainConfig(
        data=a.data,
        out=a.out,
        epochs=a.epochs,
        batch_size=a.batch_size,
        lr=a.lr,
        beta_1=a.beta_1,
        adam_epsilon=a.adam_epsilon,
        seed=a.seed,
        limit=a.limit,
        steps_per_epoch=a.steps_per_epoch,
        checkpoint_every=a.checkpoint_every,
        ema=a.ema,
        conditional=a.conditional,
        strategy=a.strategy,
        devices=a.devices,
        mixed_precision=a.mixed_precision,
        jit=a.jit,
        spec=spec,
    )
    bar = _Progress()
    record = train(cfg, resume=a.resume, on_step=bar.step, on_epoch=bar.epoch, say=lambda s: print(s, file=sys.stderr))
    if record:  # the chief's (a worker that is not the chief writes nothing)
        print(f"trained {record['epochs_done']} epochs ({record['steps']} steps) -> {a.out}")
    return 0


class _Progress:
    """A one-line progress bar per epoch on stderr: step, d_loss, g_loss, D accuracy."""

    def step(self, k: int, total: int, m: dict) -> None:
        if k % 10 and k != total:
            return
        n = int(30 * k / total)
        sys.stderr.write(
            f"\repoch {m['epoch']} [{'=' * n}{'.' * (30 - n)}] {k}/{total} "
            f"d_loss {m['d_loss']:.4f} g_loss {m['g_loss']:.4f} D acc {m['d_acc']:.3f}"
        )
        sys.stderr.flush()

    def epoch(self, r) -> None:
        sys.stderr.write(
            f"\repoch {r.epoch} done: step {r.step} d_loss {r.d_loss:.4f} g_loss {r.g_loss:.4f} "
            f"D acc {r.d_acc:.3f} ({r.seconds:.1f}s)\n"
        )


# ---------------------------------------------------------------- export
def _add_export(sub) -> None:
    from edgegan.export import flags
    from edgegan.export.formats import FORMATS, PRECISIONS

    p = sub.add_parser("export", help="convert G and D to ONNX / LiteRT / ORT files in a verified bundle (export tier)")
    p.add_argument(
        "--model",
        help="run or bundle folder with generator.keras [and discriminator.keras], or a generator .keras file "
        f"({DEFAULT_MODEL_HELP})",
    )
    p.add_argument("--generator", metavar="G.keras", help="the generator's .keras file (instead of --model)")
    p.add_argument("--discriminator", metavar="D.keras", help="the discriminator's .keras file (optional)")
    flags.add_to(p)
    p.add_argument(
        "--format",
        default="all",
        help=f"{'|'.join(FORMATS)}|all, or a comma list; web: a static web page (default: all)",
    )
    p.add_argument("--precision", default="all", help=f"{'|'.join(PRECISIONS)}|all, or a comma list (default: all)")
    p.add_argument("--out", help="bundle folder to write (default: exports/NAME; replaced atomically)")
    p.set_defaults(func=_cmd_export)


def _cmd_export(a) -> int:
    from edgegan.export.api import export
    from edgegan.export.flags import FLAGS

    if a.generator is not None and a.model is not None:
        raise ConfigError("give --model or --generator/--discriminator, not both")
    if a.discriminator is not None and a.generator is None:
        raise ConfigError("--discriminator needs --generator G.keras (or put both in a folder for --model)")
    options = {f.name: getattr(a, f.name) for f in FLAGS}
    export(a.generator or _model(a.model), a.discriminator, a.out, a.format, a.precision, **options)
    return 0


# ---------------------------------------------------------------- generate
def _add_generate(sub) -> None:
    p = sub.add_parser("generate", help="make digits with the light runtime (no TensorFlow)")
    p.add_argument("--model", help=f"bundle folder or a .onnx/.ort/.tflite file ({DEFAULT_MODEL_HELP})")
    p.add_argument("-n", type=int, help="number of images (default: 64; with --label all: per class, default 10)")
    p.add_argument("--seed", type=int, default=0, help="latent seed, the same images everywhere (default: 0)")
    p.add_argument(
        "--label",
        help="conditional models: the class to draw (e.g. 7), or 'all' for a grid with one row per class",
    )
    p.add_argument(
        "--map",
        metavar="SEG.png",
        help="models with a segmentation map (GauGAN): a PNG of class ids (grayscale or palette) or an .npy, "
        "one map for every image",
    )
    p.add_argument(
        "--style",
        metavar="PICTURE",
        help="a bundle exported with a style encoder (GauGAN's): a picture whose style the images take (its latent, "
        "drawn around with --seed); fitted to the model's size",
    )
    p.add_argument(
        "-o",
        "--output",
        default=str(OUTPUT_DIR / "samples.png"),
        help=f"PNG grid to write (default: {OUTPUT_DIR}/samples.png)",
    )
    p.add_argument("--each", metavar="DIR", help="also write one PNG per image into DIR")
    p.add_argument("--npy", metavar="FILE", help="also write the uint8 images as a .npy array")
    p.add_argument(
        "--interpolate", type=int, metavar="STEPS", help="walk from one latent to another in STEPS frames (grid + GIF)"
    )
    p.add_argument("--backend", choices=("onnx", "ort", "tflite"))
    p.add_argument("--precision", help="fp32|fp16|dynamic|int8|int8-io, or fastest: timed on this device, cached")
    p.add_argument("--threads", type=int)
    p.add_argument("--provider", action="append", help="ONNX Runtime execution provider (repeatable)")
    p.add_argument("--delegate", help="LiteRT external delegate library, e.g. libedgetpu.so.1")
    p.add_argument(
        "--accelerator",
        choices=ACCELERATORS,
        help="run the LiteRT file on LiteRT's GPU accelerator (gpu: every op, else an error; gpu,cpu: ops the GPU "
        "cannot take fall back to the CPU, named) or its CompiledModel CPU path",
    )
    p.set_defaults(func=_cmd_generate)


def _cmd_generate(a) -> int:
    import numpy as np

    import edgegan
    from edgegan.errors import InputError
    from edgegan.runtime.images import atomic_write, each_paths, replaced_note

    every = a.label == "all"
    a.n = a.n if a.n is not None else (10 if every else 64)
    if a.n < 1:
        raise InputError(f"-n must be at least 1, got {a.n}")
    g = edgegan.load(
        _model(a.model),
        backend=a.backend,
        precision=a.precision,
        threads=a.threads,
        providers=a.provider,
        delegate=a.delegate,
        accelerator=a.accelerator,
    )
    _placement_said(g)
    if g.source is not None:
        raise InputError(f"{g.info.path} takes pictures, not latents; use edgegan translate --model {a.model} IN.png")
    label = _label(a.label, g)
    extra = _extra_inputs(a, g)
    style = _encoded_style(a, g)
    cols = None
    if a.interpolate:
        if every:
            raise InputError("--interpolate walks within one class: pass --label N, not all")
        z = g.latents(2, a.seed) if style is None else g.encoder.encode(style, 2, a.seed)
        images = g.interpolate(z[0], z[1], a.interpolate, label, **extra)
        gif = Path(a.output).with_suffix(".gif")
        replaced = replaced_note(gif)
        g.save_gif(list(images), gif)
        print(f"wrote {gif}{replaced}")
    elif every:  # row c: class c, the same n latents in every row
        z = g.latents(a.n, a.seed) if style is None else g.encoder.encode(style, a.n, a.seed)
        labels = np.repeat(np.arange(g.classes), a.n)
        each = {k: np.broadcast_to(v, (len(labels), *v.shape)) for k, v in extra.items()}
        images, cols = g.to_uint8(g.generate(np.tile(z, (g.classes, 1)), labels, **each)), a.n
    else:
        images = g.sample(a.n, a.seed, label=label, style=style, **extra)
    replaced = replaced_note(a.output)
    g.save_grid(images, a.output, cols)
    if a.each:
        old = sum(p.exists() for p in each_paths(len(images), a.each))
        g.save_each(images, a.each)
        print(f"wrote {len(images)} PNGs to {a.each}" + (f" ({old} replaced earlier files)" if old else ""))
    if a.npy:
        npy_replaced = replaced_note(a.npy)
        atomic_write(a.npy, lambda tmp: np.save(tmp, images, allow_pickle=False))
        print(f"wrote {a.npy}{npy_replaced}")
    print(f"wrote {a.output}{replaced}: {len(images)} images from {g.info.path} ({g.info.format}/{g.info.precision})")
    return 0


def _encoded_style(a, g):
    """--style for a bundle with a style encoder (edgegan.export.encoder): the picture as uint8 at the model's size,
    or None without the flag."""
    from edgegan.errors import InputError
    from edgegan.runtime.images import fit, read_picture

    if a.style is None:
        return None
    if g.encoder is None:
        raise InputError(f"{g.info.path} has no style encoder (export it with --encoder to add one); drop --style")
    h, w, c = g.encoder.info.image_shape
    notes: list[str] = []
    x = read_picture(a.style, c, notes)
    if x.shape[:2] != (h, w):
        notes.append(f"{a.style} fitted to the encoder's {w}x{h} (centre crop, resize)")
    for note in notes:
        print(f"note: {note}")
    return fit(x, h, w)


def _placement_said(model) -> None:
    """With --accelerator gpu,cpu: one line naming the ops that fell back to the CPU; with --precision fastest:
    which file was picked and by how much."""
    where = getattr(model.engine, "placement", None)
    if where is not None and not where.fully_accelerated:
        print(f"note: {where.line()}")
    if getattr(model, "choice", None) is not None:
        print(f"note: {model.choice.line()}")


def _extra_inputs(a, g) -> dict:
    """The inputs of the newer kinds the model takes (edgegan.signature), from their flags: --map."""
    from edgegan.errors import InputError
    from edgegan.runtime.images import read_map

    kinds = {e.kind: e for e in g.info.extra}
    if a.map is not None and "map" not in kinds:
        raise InputError(f"{g.info.path} takes no segmentation map; drop --map")
    if "map" not in kinds:
        return {}
    entry = kinds["map"]
    if a.map is None:
        raise InputError(
            f"{g.info.path} draws from a segmentation map: pass --map SEG.png (class ids 0 to {entry.classes - 1})"
        )
    notes: list[str] = []
    seg = read_map(a.map, entry.shape, notes)
    for note in notes:
        print(f"note: {note}")
    entry.check(seg[None], 1)  # a class the model does not have: one line naming it
    return {entry.name: seg}


def _label(text: str | None, g) -> int | None:
    """--label as the model needs it: None for an unconditional model, a class for a conditional one."""
    from edgegan.errors import InputError

    if text is None:
        if g.classes:
            raise InputError(f"{g.info.path} is conditional: pass --label N (0 to {g.classes - 1}) or --label all")
        return None
    if not g.classes:
        raise InputError(f"{g.info.path} takes no label (it is not a conditional model); drop --label")
    if text == "all":
        return None
    if not text.lstrip("-").isdigit():
        raise InputError(f"--label takes a class number (0 to {g.classes - 1}) or all, got {text!r}")
    g.check_labels(int(text), 1)  # out of range: the runtime's one-line error
    return int(text)


# ---------------------------------------------------------------- verify
def _add_verify(sub) -> None:
    p = sub.add_parser(
        "verify", help="check every file of a bundle against its manifest and Keras references (exit 3 on failure)"
    )
    p.add_argument("bundle", nargs="?", help=DEFAULT_MODEL_HELP)
    p.add_argument(
        "--against-keras",
        action="store_true",
        help="recompute the references from the .keras files first (export tier)",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--threads", type=int)
    p.add_argument(
        "--accelerator",
        choices=ACCELERATORS,
        help="check the LiteRT files on LiteRT's GPU accelerator against the GPU bounds (the other files are left out)",
    )
    p.add_argument(
        "--custom-objects",
        action="append",
        default=[],
        metavar="FILE.py",
        help="with --against-keras: the file or module that defines the models' custom layers (repeatable)",
    )
    p.set_defaults(func=_cmd_verify)


def _cmd_verify(a) -> int:
    import json

    from edgegan.errors import VerificationFailed
    from edgegan.verify import as_json, format_table, verify

    a.bundle = _model(a.bundle)
    rows, summary = verify(a.bundle, a.against_keras, a.threads, tuple(a.custom_objects), a.accelerator)
    print(json.dumps(as_json(rows, summary), indent=2) if a.json else format_table(rows))
    if summary["failed"]:
        raise VerificationFailed(
            f"{summary['failed']} of {len(rows)} files failed verification: "
            + ", ".join(r.file for r in rows if not r.ok)
        )
    if not a.json:
        print(f"all {len(rows)} files of {a.bundle} passed")
    return 0


# ---------------------------------------------------------------- translate
def _add_translate(sub) -> None:
    p = sub.add_parser("translate", help="run an image-input generator on pictures (light runtime, no TensorFlow)")
    p.add_argument("inputs", nargs="+", metavar="IN.png", help="picture files (PNG, JPEG, ...)")
    p.add_argument(
        "--model", help="an image-input bundle folder or a .onnx/.ort/.tflite file (default: the shipped x4 photo "
        "super-resolution model, models/photo-sr4)"
    )  # fmt: skip
    p.add_argument("-o", "--out", default="edgegan-out", help="folder for one PNG per input (default: edgegan-out)")
    p.add_argument("--backend", choices=("onnx", "ort", "tflite"))
    p.add_argument("--precision")
    p.add_argument("--threads", type=int)
    p.add_argument(
        "--accelerator",
        choices=ACCELERATORS,
        help="run the LiteRT file on LiteRT's GPU accelerator (gpu: every op, else an error; gpu,cpu: ops the GPU "
        "cannot take fall back to the CPU, named) or its CompiledModel CPU path",
    )
    p.add_argument(
        "--tile",
        type=int,
        help=f"tile side in input pixels for a file that takes any size "
        f"(default {DEFAULT_TILE}; 0: the whole picture at once); a fixed-size file tiles at its size",
    )
    p.add_argument(
        "--tile-pad",
        type=int,
        help="overlap each side of a tile, in input pixels (default: the "
        "model's receptive field, so tiles join exactly)",
    )
    p.add_argument("--pre-pad", type=int, default=0, help="reflect-pad the picture by this many pixels first")
    p.add_argument(
        "--blend",
        action="store_true",
        help="fade tiles into each other instead of cutting at the "
        "middle of each overlap (never exact; measured worse for U-Nets too: docs/results.md)",
    )
    p.add_argument(
        "--style",
        metavar="STYLE.png",
        help="a model of two pictures (AdaIN): the style picture; both are fitted to the model's size",
    )
    p.add_argument(
        "--max-pixels",
        type=float,
        default=MAX_OUTPUT_PIXELS,
        help=f"refuse a picture whose output has more pixels (default {MAX_OUTPUT_PIXELS:,.0f})",
    )
    p.set_defaults(func=_cmd_translate)


def _cmd_translate(a) -> int:
    from edgegan.bundled import default_sr_bundle
    from edgegan.errors import InputError
    from edgegan.runtime import load
    from edgegan.runtime.images import picture_size, read_picture, save_png_streamed

    model = a.model or str(default_sr_bundle())
    g = load(
        model, role="generator", backend=a.backend, precision=a.precision, threads=a.threads, accelerator=a.accelerator
    )
    _placement_said(g)
    if g.source is None:
        raise InputError(f"{model}: takes latents, not pictures; use edgegan generate")
    outs = [Path(a.out) / f"{Path(f).stem}.png" for f in a.inputs]
    if len(set(outs)) != len(outs):
        raise InputError("two inputs have the same name; each writes OUT/NAME.png, so rename one")
    for f in a.inputs:  # sizes from the headers: a picture too large is refused before any decoding
        w, h = picture_size(f)
        if (w * g.source.scale) * (h * g.source.scale) > a.max_pixels:
            raise InputError(
                f"{f}: {w}x{h} x{g.source.scale} makes {w * h * g.source.scale**2:,} output pixels, over "
                f"--max-pixels {a.max_pixels:,.0f}; downscale it or raise --max-pixels"
            )
    notes: list[str] = []
    pictures = [read_picture(f, g.source.channels, notes) for f in a.inputs]  # every input read before any output
    style = _style_picture(a, g, notes)
    if style is not None:
        pictures = [_fitted(x, g, notes) for x in pictures]
    for note in notes:
        print(f"note: {note}")
    if style is not None:  # no tiles: the style's statistics are the whole picture's
        for path, x in zip(outs, pictures):
            y = g.translate(x, style=style)
            save_png_streamed(y, path)
            print(f"wrote {path} ({y.shape[1]}x{y.shape[0]}, in the style of {a.style})")
        return 0
    for path, x in zip(outs, pictures):
        how = dict(tile=a.tile, tile_pad=a.tile_pad, pre_pad=a.pre_pad, blend=a.blend)
        plan = g.tiling(*x.shape[:2], **how)
        y = g.translate(x, **how)
        save_png_streamed(y, path)
        said = "" if plan is None or plan.tile == x.shape[:2] else f", {_tiles_said(plan, g.exact_joins(plan))}"
        print(f"wrote {path} ({y.shape[1]}x{y.shape[0]}{said})")
    return 0


def _style_picture(a, g, notes: list):
    """--style as the model needs it: None for a model of one picture, the fitted style picture for AdaIN."""
    from edgegan.errors import InputError
    from edgegan.runtime.images import read_picture

    styles = [e for e in g.info.extra if e.kind == "image"]
    if a.style is not None and not styles:
        raise InputError(f"{g.info.path} takes one picture; drop --style")
    if styles and a.style is None:
        raise InputError(f"{g.info.path} takes a style picture beside each picture: pass --style STYLE.png")
    return None if a.style is None else _fitted(read_picture(a.style, styles[0].channels, notes), g, notes)


def _fitted(x, g, notes: list):
    """A picture centre-cropped and resized to the model's fixed size (said once in ``notes``)."""
    from edgegan.runtime.images import fit

    h, w = g.source.shape[:2]
    note = f"pictures fitted to the model's {w}x{h} (centre crop, resize)"
    if x.shape[:2] != (h, w) and note not in notes:
        notes.append(note)
    return fit(x, h, w)


def _tiles_said(plan, exact: bool) -> str:
    join = "exact joins" if exact else "joins inside the receptive field: seams may show; raise --tile-pad"
    return f"tiles of {plan.tile[1]}x{plan.tile[0]}, {plan.pad} px overlap{', blended' if plan.blend else ''}, {join}"


# ---------------------------------------------------------------- bench
def _add_bench(sub) -> None:
    p = sub.add_parser("bench", help="latency, throughput, cold start, memory and size of each file (and Keras)")
    p.add_argument("bundle", nargs="*", help=f"one or more bundles, benched in one run ({DEFAULT_MODEL_HELP})")
    p.add_argument(
        "--batch",
        default="1,32",
        help="batch-1 latency is always measured; the largest value here sets the throughput batch",
    )
    p.add_argument("--runs", type=int, default=200, help="timed batch-1 runs per file")
    p.add_argument("--threads", type=int)
    p.add_argument("--no-keras", action="store_true", help="skip the Keras original")
    p.add_argument("--no-cold", action="store_true", help="skip cold-start/memory subprocesses")
    p.add_argument("--role", choices=("generator", "discriminator"))
    p.add_argument(
        "--accelerator",
        choices=ACCELERATORS,
        help="time the LiteRT files on LiteRT's GPU accelerator (a software GPU's times are not a phone's)",
    )
    p.add_argument("--backend", choices=("onnx", "ort", "tflite"), help="with --precision fastest: among its files")
    p.add_argument(
        "--precision", choices=("fastest",), help="fastest: pick each role's fastest file here, print the table"
    )
    p.add_argument("--json", metavar="FILE", help="write the figures as JSON")
    p.add_argument("--chart", metavar="PNG", help="write a latency/size chart")
    p.set_defaults(func=_cmd_bench)


def _cmd_bench(a) -> int:
    from edgegan.bench import bench, chart, format_table, write_json

    try:
        batch = max(int(b) for b in a.batch.split(","))
    except ValueError:
        raise ConfigError(f"--batch expects integers like 1,32, got {a.batch!r}") from None
    rows, info = [], {}
    for i, bundle in enumerate(a.bundle or [_model(None)]):
        if a.precision == "fastest":
            _fastest_said(bundle, a)
        r, info = bench(
            bundle,
            batch=batch,
            runs=a.runs,
            threads=a.threads,
            keras=not a.no_keras and i == 0,
            cold=not a.no_cold,
            only=(lambda e: e.role == a.role) if a.role else None,
            progress=lambda s: print(s, file=sys.stderr),
            accelerator=a.accelerator,
        )
        rows += r
    m = info["machine"]
    print(
        f"{m['cpu']}, {m['cores']} cores, Python {m['python']}; {a.runs} batch-1 runs after warm-up, throughput at batch {batch}"
    )
    print(format_table(rows))
    if a.accelerator and info.get("device"):
        soft = "software" in info["device"].lower() or "swiftshader" in info["device"].lower()
        print(
            f"@{a.accelerator}: LiteRT's GPU accelerator on {info['device']}"
            + ("; a software device: its times are not a phone's GPU's" if soft else "")
        )
    if a.json:
        write_json(a.json, rows, info)
    if a.chart:
        chart(a.chart, rows)
    return 0


def _fastest_said(bundle: str, a) -> None:
    """--precision fastest: each role's pick and the times it was picked from (measured, or from the cache)."""
    import edgegan
    from edgegan import manifest as mf

    m = mf.load(bundle)
    for role in [a.role] if a.role else [r for r in mf.ROLES if m.find(r)]:
        kw = dict(role=role, backend=a.backend, threads=a.threads, accelerator=a.accelerator)
        model = edgegan.load(bundle, precision="fastest", **kw)
        print(f"{bundle} {role} ({model.info.format}): {model.choice.line()}")


# ---------------------------------------------------------------- demo
def _add_demo(sub) -> None:
    p = sub.add_parser("demo", help="export, verify, generate and bench the shipped reference model")
    p.add_argument("--model", help=f"run or bundle folder with .keras files ({DEFAULT_MODEL_HELP})")
    p.add_argument("--out", help="bundle folder to export to (default: a temporary folder)")
    p.add_argument(
        "-o",
        "--output",
        default=str(OUTPUT_DIR / "demo"),
        help=f"folder for the sample grids, one per engine (default: {OUTPUT_DIR}/demo)",
    )
    p.set_defaults(func=_cmd_demo)


def _cmd_demo(a) -> int:
    from edgegan.demo import run_demo

    return run_demo(_model(a.model), a.out, a.output, log=print)


# ---------------------------------------------------------------- evaluate
def _add_evaluate(sub) -> None:
    p = sub.add_parser(
        "evaluate", help="sample quality: Frechet distance, confident share, digit coverage (light tier)"
    )
    p.add_argument("model", nargs="?", help=f"bundle folder or generator file ({DEFAULT_MODEL_HELP})")
    p.add_argument("-n", type=int, default=2000)
    p.add_argument("--real", help="real images to compare with (default: the model's training data, when present)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--backend", choices=("onnx", "ort", "tflite"))
    p.add_argument("--precision")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=_cmd_evaluate)


def _cmd_evaluate(a) -> int:
    import json

    from edgegan.evaluate import as_dict, evaluate, report

    e = evaluate(_model(a.model), n=a.n, real=a.real, seed=a.seed, backend=a.backend, precision=a.precision)
    print(json.dumps(as_dict(e), indent=2) if a.json else report(e))
    return 0


# ---------------------------------------------------------------- main
def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="edgegan",
        description="Take the seed article's DCGAN from Keras to a device: train, export, generate, verify, bench.",
    )
    p.add_argument("--version", action="version", version=f"edgegan {__version__}")
    p.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for add in _SUBCOMMANDS:
        add(sub)
    return p


_SUBCOMMANDS = [
    _add_train,
    _add_export,
    _add_generate,
    _add_translate,
    _add_verify,
    _add_bench,
    _add_demo,
    _add_evaluate,
]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = _StderrHandler()
    handler.setFormatter(logging.Formatter("edgegan: %(levelname)s: %(message)s"))
    logging.basicConfig(level=logging.DEBUG if args.debug else logging.WARNING, handlers=[handler])
    if not args.command:
        parser.print_help()
        return 2
    if args.debug:
        os.environ["EDGEGAN_DEBUG"] = "1"  # the runtime's own quiet spots (edgegan.quiet) show their lines too
        return _run(args)
    from edgegan.quiet import hide_library_warnings, native_stderr_silenced

    hide_library_warnings()  # --debug shows them
    with native_stderr_silenced():  # TensorFlow's and LiteRT's native log lines; --debug shows them
        return _run(args)


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is at the time of the record (quiet.py swaps it)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, value) -> None:
        pass


def _run(args) -> int:
    try:
        return args.func(args)
    except EdgeGanError as e:
        if args.debug:
            raise
        print(f"edgegan: error: {e}", file=sys.stderr)
        return e.exit_code
    except KeyboardInterrupt:
        print("edgegan: interrupted", file=sys.stderr)
        return 130
    except Exception as e:
        if args.debug:
            raise
        msg = str(e).strip().splitlines()[0] if str(e).strip() else ""
        print(f"edgegan: error: {type(e).__name__}: {msg} (rerun with --debug for the traceback)", file=sys.stderr)
        return 1
