"""Every option of the export, declared once: ``FLAGS`` builds the CLI's ``edgegan export`` flags (``--name-with-
dashes``), the keywords ``edgegan.export`` takes (``name_with_underscores``) and ``ExportOptions``, the record the
export stage reads. A value comes as the command line spells it (a string) or as Python gives it (a tuple, a list,
a bool); ``parse`` turns either into the option's value or a one-line UsageError (exit 2). Numpy only: the CLI
parses before TensorFlow loads."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, make_dataclass
from pathlib import Path

from edgegan.contract import SCORES
from edgegan.errors import UsageError
from edgegan.export.encoder import VARIANCES


def _same(value, flag: str):
    return value


def _int(value, flag: str) -> int:
    try:
        out = int(value)
    except (TypeError, ValueError):
        raise UsageError(f"--{flag}: expected an integer, got {value!r}") from None
    if isinstance(value, float) and value != out:
        raise UsageError(f"--{flag}: expected an integer, got {value!r}")
    return out


def _range(value, flag: str) -> tuple[float, float]:
    from edgegan.contract import parse_range

    if isinstance(value, (tuple, list)):
        return float(value[0]), float(value[1])
    try:
        return parse_range(value)
    except ValueError as e:
        raise UsageError(f"--{flag}: {e}") from None


def _size(value, flag: str) -> tuple[int, int]:
    try:
        h, w = (int(v) for v in (value.replace("x", ",").split(",") if isinstance(value, str) else value))
    except (ValueError, TypeError):
        raise UsageError(f"--{flag}: expected H,W like 64,64, got {value!r}") from None
    if not (0 < h <= 16384 and 0 < w <= 16384):
        raise UsageError(f"--{flag}: expected sides from 1 to 16384, got {value!r}")
    return h, w


def _skip(value, flag: str) -> frozenset:
    """'none' is the empty set; a comma list or an iterable of [role:]format/precision or 'discriminator'."""
    from edgegan.export.formats import VARIANTS

    items = value.split(",") if isinstance(value, str) else list(value)
    skip = frozenset(s.strip() for s in items if s.strip() and s.strip() != "none")
    known = {f"{v.format}/{v.precision}" for v in VARIANTS}
    bad = {
        s
        for s in skip
        if s != "discriminator"
        and (s.split(":")[-1] not in known or (":" in s and s.split(":")[0] not in ("generator", "discriminator")))
    }
    if bad:
        raise UsageError(
            f"--{flag} {', '.join(sorted(bad))}: expected [role:]format/precision, e.g. discriminator:tflite/int8, "
            "or discriminator"
        )
    return skip


def _form(value, flag: str) -> str:
    """auto, a form (pads, split, fused), or a form with the kinds of block it rewrites: pads-upsample-transposed."""
    if value == "auto":
        return value
    from edgegan.export.optimize import Choice  # numpy only

    try:
        return Choice.parse(str(value)).tag
    except ValueError as e:
        raise UsageError(f"--{flag}: {e}") from None


def _paths(value, flag: str) -> tuple[str, ...]:
    return (str(value),) if isinstance(value, (str, Path)) else tuple(str(v) for v in value)


def _float(value, flag: str) -> float:
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise UsageError(f"--{flag}: expected a number, got {value!r}") from None
    if not 0.0 <= out <= 1.0:
        raise UsageError(f"--{flag}: expected a number from 0 to 1, got {value!r}")
    return out


def _fixes(value, flag: str) -> tuple[str, ...]:
    from edgegan.export.compose import parse_fix

    items = (str(value),) if isinstance(value, str) else tuple(str(v) for v in value)
    try:
        parse_fix(items)
    except ValueError as e:
        raise UsageError(f"--{flag}: {e}") from None
    return items


def _bool(value, flag: str) -> bool:
    if not isinstance(value, bool):
        raise UsageError(f"--{flag}: expected True or False, got {value!r}")
    return value


@dataclass(frozen=True)
class Flag:
    name: str  # edgegan.export's keyword and ExportOptions' field; the CLI's flag is --name-with-dashes
    default: object  # ExportOptions' value when the flag is not given
    help: str
    metavar: str | None = None
    parse: Callable[[object, str], object] = _same  # (value, flag name) -> the option's value
    choices: tuple[str, ...] | None = None
    kind: str = "value"  # "value"; "switch": takes no value (True when given); "list": repeatable

    @property
    def cli(self) -> str:
        return "--" + self.name.replace("_", "-")


FLAGS = (
    Flag("output_range", None, "the generator's pixel range; needed only when its last activation is not tanh "
         "([-1, 1]) or sigmoid ([0, 1])", "LO,HI", _range),
    Flag("d_input_range", None, "the range of the discriminator's input images (default: the generator's)", "LO,HI",
         _range),
    Flag("input_range", None, "an image-input generator's input pixel range (default: its output range)", "LO,HI",
         _range),
    Flag("input_size", None, "a generator that takes any picture size: the size of its fixed-shape (LiteRT) files "
         "and references", "H,W", _size),
    Flag("score", None, "what the discriminator outputs (default: read from its last activation: sigmoid -> "
         "probability, none -> logit); lsgan: a least-squares score, real 1 and fake 0; hinge: a hinge-loss score "
         "(GauGAN), real above 0; critic: a Wasserstein critic (WGAN, WGAN-GP): unbounded, higher is more real, no "
         "threshold", choices=SCORES),
    Flag("label_onehot", None, "a pair conditioned by a one-hot label (keras.io's conditional GAN): G's latent ends "
         "with K one-hot values, D takes K more image channels; the files then take an integer label", "K", _int),
    Flag("map_onehot", None, "a generator that takes a one-hot segmentation map (GauGAN's mask, (H, W, K) floats): "
         "the name of that input; the files then take a map of class ids (H, W) and make the one-hot inside", "NAME"),
    Flag("mapping", None, "a mapping network (StyleGAN's z -> w) put in front of the generator: the files take its "
         "latent", "MAPPING.keras", lambda v, f: str(v)),
    Flag("fix", (), "hold a generator input at a value in the files (StyleGAN's constant block, its fade-in alpha), "
         "e.g. g_alpha=1 (repeatable)", "NAME=VALUE", _fixes, kind="list"),
    Flag("truncation", None, "with --mapping: w pulled towards its mean, w_mean + PSI (w - w_mean), the mean measured "
         "at export over 4096 latents", "PSI", _float),
    Flag("style_input", None, "a generator of two pictures (AdaIN style transfer): the name of its style picture's "
         "input; the other is the picture it translates", "NAME"),
    Flag("d_source", None, "a discriminator of two pictures (pix2pix): the name of its input that takes the source "
         "picture (default: read from the input names)", "NAME"),
    Flag("map_palette", None, "with --map-onehot and a paired discriminator (GauGAN's): a JSON list of one "
         "[r, g, b] (0..255) per class, the colours of the segmentation picture that discriminator judges against",
         "FILE.json"),
    Flag("d_output", None, "a discriminator of several outputs (GauGAN's: feature maps for its feature-matching "
         "loss, then the score): which is the score, by index (-1: the last) or by the name of the layer that makes "
         "it; the others are training aids, left out of the files", "INDEX|LAYER"),
    Flag("d_features", False, "with --d-output: keep the discriminator's other outputs (GauGAN's feature maps) in "
         "a float32 file of their own beside its score files: edgegan.load(..., role='discriminator').features(...)",
         parse=_bool, kind="switch"),
    Flag("encoder", None, "a style encoder (GauGAN's: a picture like the generator's -> the mean and variance of "
         "its latent), exported beside it in float32: generate --style PICTURE then runs it", "ENCODER.keras",
         lambda v, f: str(v)),
    Flag("encoder_variance", None, "with --encoder: what its variance output is, log (a log-variance, keras.io's "
         "GauGAN: z = mean + exp(v / 2) eps) or linear (z = mean + sqrt(v) eps)", choices=VARIANCES),
    Flag("custom_objects", (), "a .py file or module that defines the models' custom layers and functions, imported "
         "before loading (repeatable)", "FILE.py", _paths, kind="list"),
    Flag("classes", None, "a conditional model's class count; needed only when its label does not feed one "
         "Embedding", parse=_int),
    Flag("batch", 1, "fixed batch of the TFLite files (default 1)", parse=_int),
    Flag("batch_one", False, "models that take statistics over their batch at inference (keras.io's GauGAN "
         "generator, StyleGAN's discriminator): every file pinned to one picture per call, its references computed "
         "one picture at a time", parse=_bool,
         kind="switch"),
    Flag("calibration_data", None, "real pictures for int8 calibration and parity: of D (default: the run's "
         "training data), and of an image-input G (needed for its int8 files); fitted to the model's input by centre "
         "crop and resize", "DIR|FILE.npz", lambda v, f: str(v)),
    Flag("calibration_samples", 256, "rows that calibrate int8: latents for G, half real and half generated images "
         "for D (default: 256)", parse=_int),
    Flag("seed", 0, "seed of the reference latents (edgegan.latents) and calibration (default: 0)", parse=_int),
    Flag("skip", None, "[role:]format/precision to leave out, e.g. onnx/fp16,discriminator:tflite/int8, or "
         "'discriminator' for the whole network; default: what the source bundle's manifest lists as skipped; 'none' "
         "for nothing", parse=_skip),
    Flag("no_optimize", False, "export the generator as built (no exact rewrite of its upsample+conv and "
         "Conv2DTranspose blocks)", parse=_bool, kind="switch"),
    Flag("optimize_form", "auto", "upsampling blocks (upsample+conv, Conv2DTranspose) as phase convolutions, each "
         "with its own asymmetric padding (pads), as VALID convolutions over one Pad (split) or as one wider "
         "convolution plus depth_to_space (fused); -KINDS limits what is rewritten: upsample, transposed, carry (the "
         "convolution after a block run on its phases; carry5: kernels of 5 or more), e.g. pads-upsample-transposed "
         "for no carry; auto: the fastest measured per file (pads; LiteRT carries kernels of 5 or more; ONNX/ORT int8 "
         "keep upsample+conv blocks as built)", "FORM[-KINDS]", _form),
    Flag("target", "x86", "CPU the ONNX/ORT int8 files are quantized for: x86 (uint8 activations, 7-bit weights: "
         "ONNX Runtime's fast x86 kernels, same results with and without VNNI) or arm (int8 activations); LiteRT "
         "files do not change (default: x86)", choices=("x86", "arm")),
)  # fmt: skip
BY_NAME = {f.name: f for f in FLAGS}

ExportOptions = make_dataclass(
    "ExportOptions",
    [(f.name, object, field(default=f.default)) for f in FLAGS]
    + [("precision_requested", bool, field(default=False))],  # precisions asked for by name: a miss is an error
)
ExportOptions.__module__ = __name__
ExportOptions.__doc__ = "The export's options (FLAGS), and whether its precisions were asked for by name."


def add_to(parser) -> None:
    """Each flag on an argparse parser (every default None: ``options`` fills in FLAGS' own)."""
    for f in FLAGS:
        if f.kind == "switch":
            parser.add_argument(f.cli, action="store_true", default=None, help=f.help)
        elif f.kind == "list":
            parser.add_argument(f.cli, action="append", metavar=f.metavar, help=f.help)
        else:
            parser.add_argument(f.cli, metavar=f.metavar, choices=f.choices, help=f.help)


def options(given: dict, precision_requested: bool = False):
    """ExportOptions from flag names and values (as the command line spells them, or as Python gives them; None:
    not given), each value parsed, or a one-line UsageError for a name that is no flag or a value that is wrong."""
    unknown = sorted(set(given) - set(BY_NAME))
    if unknown:
        raise UsageError(f"unknown export option {', '.join(unknown)}; the options are {', '.join(BY_NAME)}")
    kw = {}
    for name, value in given.items():
        f = BY_NAME[name]
        if value is None:
            continue
        if f.choices and value not in f.choices:
            raise UsageError(f"{f.cli}: expected one of {', '.join(f.choices)}, got {value!r}")
        kw[name] = f.parse(value, f.cli[2:])
    return ExportOptions(**kw, precision_requested=precision_requested)
