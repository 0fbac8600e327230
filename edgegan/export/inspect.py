"""Read a Keras GAN's contract from the models themselves (export tier).

Works for any Keras 3 form: functional, Sequential (whose ``layers`` has no InputLayer) and nested
models (a Model whose layer is a Sequential or Model, as Keras-GAN's generator is). What cannot be
read is asked for with a flag, and refused without it, never assumed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgegan.contract import RANGES, SCORE_KINDS, SCORES, Contract, ImageInput
from edgegan.errors import ConfigError, ModelFileError
from edgegan.export.reach import receptive_field
from edgegan.signature import STYLE_NAME, Image, Label, Noise, kind_of, pictures_in

# Layers that move or copy values without changing them: the activation before them is the output's.
_PASS_THROUGH = ("Reshape", "Flatten", "Permute", "Cropping1D", "Cropping2D", "Identity", "Dropout", "Activation")


def leaf_layers(model) -> list:
    """The model's layers in order with nested models expanded and InputLayers left out."""
    out = []
    for layer in model.layers:
        if hasattr(layer, "layers") and hasattr(layer, "inputs"):  # a nested Sequential or Model
            out += leaf_layers(layer)
        elif layer.__class__.__name__ != "InputLayer":
            out.append(layer)
    return out


def score_output(D, which: str | None, path: Path):
    """D with only the output ``which`` names (an index, or the layer that makes it: --d-output), for a D of
    several outputs whose others are training aids (GauGAN's feature maps)."""
    import keras

    return keras.Model(D.inputs, D.outputs[_score_index(D, which, path)], name=D.name)


def _score_index(D, which: str | None, path: Path) -> int:
    """Which of D's outputs ``which`` names. Which one is the score cannot be read from the model: without the
    flag, refused in one line listing them."""
    names = [t._keras_history.operation.name for t in D.outputs]
    listed = "; ".join(f"{i}: {n} {tuple(t.shape)}" for i, (n, t) in enumerate(zip(names, D.outputs)))
    if which is None:
        raise ModelFileError(
            f"{path}: the discriminator has {len(names)} outputs ({listed}); pass --d-output INDEX or LAYER naming "
            "its score (the others, such as feature maps for a feature-matching loss, are left out of the files; "
            "--d-features keeps them)"
        )
    i = names.index(which) if which in names else int(which) if which.lstrip("-").isdigit() else len(names)
    if not -len(names) <= i < len(names):
        raise ConfigError(f"--d-output {which}: the discriminator's outputs are {listed}")
    return i % len(names)


FEATURES = "features"  # the features file's one output: D's other outputs flattened and concatenated


def with_features(D, which: str | None, path: Path):
    """(D with two outputs, its score (--d-output) then its other outputs flattened and concatenated; each of those
    as {"name": the layer making it, "shape": [...]}): --d-features keeps GauGAN's feature maps in a file of their
    own, one output as every edgegan file has (the runtime splits it again)."""
    import keras

    if len(D.outputs) < 2:
        raise ConfigError(f"--d-features keeps a discriminator's outputs besides its score; {path} has one output")
    i = _score_index(D, which, path)
    score, others = D.outputs[i], [t for k, t in enumerate(D.outputs) if k != i]
    maps = [{"name": t._keras_history.operation.name, "shape": [int(d) for d in t.shape[1:]]} for t in others]
    flat = [keras.layers.Flatten()(t) for t in others]
    one = len(flat) == 1  # Concatenate takes two or more
    joined = keras.layers.Identity(name=FEATURES)(flat[0]) if one else keras.layers.Concatenate(name=FEATURES)(flat)
    return keras.Model(D.inputs, [score, joined], name=D.name), maps


def split_features(D):
    """(D's score model, its features model) from ``with_features``'s two-output D, after any wrapping."""
    import keras

    score, features = D.outputs
    return keras.Model(D.inputs, score, name=D.name), keras.Model(D.inputs, features, name=FEATURES)


def has_user_layers(model) -> bool:
    """Whether ``model`` holds a layer of a class from neither Keras nor edgegan (a user's own)."""
    return any(type(layer).__module__.split(".")[0] not in ("keras", "edgegan") for layer in model._flatten_layers())


def last_activation(model) -> str | None:
    """Name of the activation that produces the model's output (None when it cannot be told)."""
    for layer in reversed(leaf_layers(model)):
        name = layer.__class__.__name__
        if name == "Activation" or hasattr(layer, "activation"):
            act = layer.get_config().get("activation")
            return act if isinstance(act, str) else None
        if name not in _PASS_THROUGH:
            return None
    return None


def _is_int(t) -> bool:
    return "int" in str(t.dtype)


def _kind(t, model) -> str:
    """What input ``t`` of ``model`` is (edgegan.signature.kind_of: "main", "label", "map", "noise" or "image")."""
    return kind_of(str(t.dtype), tuple(t.shape), _name(t), _pictures(model))


def _pictures(model) -> int:
    return pictures_in((str(t.dtype), tuple(t.shape), _name(t)) for t in model.inputs)


def _is_label(t) -> bool:
    """An integer input of one class per row, (N,) or (N, 1); an integer (N, H, W) input is a map."""
    return Label.claims(str(t.dtype), tuple(t.shape), _name(t), 0)


def _of_kind(model, kind: str) -> list:
    return [t for t in model.inputs if _kind(t, model) == kind]


def _styles(model) -> list:
    """The second picture of a model of two (AdaIN's style picture), named style by the model or by
    --style-input (edgegan.signature.Image); [] for any other model."""
    return _of_kind(model, "image")


def split_inputs(model) -> tuple:
    """(the float input, the integer label input or None), from model.inputs in any order. A paired
    discriminator's float input is its candidate image (see image_inputs)."""
    labels, floats = _of_kind(model, "label"), [t for t in _of_kind(model, "main") if not _is_int(t)]
    return (floats[-1] if floats else None), (labels[0] if labels else None)


def ordered(model, order: list | None = None) -> list:
    """The model's input tensors in edgegan's order (edgegan.signature): the float input (``order``: a paired
    discriminator's two, in that order), then a label, then maps, then noise maps."""
    x, label = split_inputs(model)
    rest = _of_kind(model, "image") + _of_kind(model, "map") + _of_kind(model, "noise")
    return [*(order or [x]), *([label] if label is not None else []), *rest]


def noise_entries(model) -> tuple:
    """The generator's noise inputs as signature entries (edgegan.signature.Noise), in the model's order."""
    return tuple(Noise(tuple(int(v) for v in t.shape[1:]), _name(t)) for t in _of_kind(model, "noise"))


def map_entry(model, path: Path, onehot_of: str | None = None):
    """The generator's map input as a signature entry (edgegan.signature.Map), or None: an integer (N, H, W) input
    whose classes are the rows of the identity Embedding ``--map-onehot`` puts on it."""
    from edgegan.signature import Map

    maps = _of_kind(model, "map")
    if not maps:
        return None
    onehot = [layer for layer in leaf_layers(model) if layer.name == "map_onehot"]
    if len(maps) > 1 or not onehot:
        raise ModelFileError(
            f"{path}: the generator takes an integer map {tuple(maps[0].shape)}; edgegan exports maps it makes "
            "one-hot itself: give the model its one-hot map input and pass --map-onehot NAME"
        )
    return Map(int(onehot[0].input_dim), tuple(int(v) for v in maps[0].shape[1:]), onehot_of=onehot_of)


_SOURCE_WORDS = ("source", "src", "input", "inp", "cond", "real_a", "photo")
_CANDIDATE_WORDS = ("target", "tar", "candidate", "gen", "fake", "output", "image")


def _name(t) -> str:
    return t.name.split(":")[0].lower()


def image_inputs(model, path: Path, source: str | None = None) -> list:
    """The float inputs of a discriminator in edgegan's order: [image] or, for a paired D (pix2pix), [source,
    image]. Which of two is the source is read from the names the model gives them (pix2pix's input_image and
    target_image), or from --d-source NAME; never assumed from the order."""
    floats = [t for t in model.inputs if not _is_int(t)]
    if len(floats) != 2:
        return floats
    names = [_name(t) for t in floats]
    if source is not None:
        if source.lower() not in names:
            raise ConfigError(f"{path}: --d-source {source}: the discriminator's inputs are {', '.join(names)}")
        i = names.index(source.lower())
    else:
        says = [any(w in n for w in _SOURCE_WORDS) and not any(w in n for w in _CANDIDATE_WORDS[:5]) for n in names]
        if says.count(True) != 1:
            raise ConfigError(
                f"{path}: the discriminator takes two images ({', '.join(names)}) and edgegan cannot tell from their "
                "names which is the source picture and which the image it judges; pass --d-source NAME"
            )
        i = says.index(True)
    return [floats[i], floats[1 - i]]


def forced_training(model) -> list[str]:
    """Names of the layers the model's graph calls with training=True (Dropout or BatchNormalization kept in
    training mode, as some pix2pix code does): their output depends on the batch and on chance. Exported files
    run in inference mode; export says so."""
    out = []
    for op in getattr(model, "operations", None) or model.layers:  # a Sequential has layers only
        if hasattr(op, "layers") and hasattr(op, "inputs"):  # a nested Sequential or Model
            out += forced_training(op)
        elif any(
            getattr(n, "arguments", None) and n.arguments.kwargs.get("training") is True for n in op._inbound_nodes
        ):
            out.append(f"{op.__class__.__name__} {op.name}")
    return out


def inference_mode(model):
    """The model rebuilt (weights shared) without the training=True its graph passes to some layers, so that a call
    with training=False runs every layer in inference mode; the model itself when nothing forces training."""
    if not forced_training(model):
        return model
    import keras

    def call(layer, *args, **kwargs):
        kwargs.pop("training", None)
        return layer(*args, **kwargs)

    return keras.models.clone_model(model, clone_function=lambda layer: layer, call_function=call)


def check_io(model, path: Path, role: str) -> None:
    """One output and the inputs edgegan knows, or a one-line refusal naming the file. A generator: one float
    input, a latent (N, L) or a picture (N, H, W, C) (H, W may be None), plus an integer label for a conditional
    model; one image output. A discriminator: one picture, or two (a source and a candidate, pix2pix), plus an
    optional label; one score per image (N, 1) or a patch map (N, h, w, 1)."""
    g = role == "generator"
    noises = [t for t in _of_kind(model, "noise") if None not in t.shape[1:]] + _styles(model) if g else []
    floats = [t for t in model.inputs if not _is_int(t) and not any(t is n for n in noises)]
    labels = [t for t in model.inputs if _is_label(t)]
    maps = _of_kind(model, "map") if g else []
    most = 1 if role == "generator" else 2
    known = len(floats) + len(labels) + len(maps) + len(noises) == len(model.inputs)
    if len(model.outputs) != 1 or not 1 <= len(floats) <= most or len(labels) > 1 or not known:
        what = "one float input" if role == "generator" else "one or two image inputs"
        ranks = sorted(len(t.shape) for t in floats)
        hint = "; a latent and a one-hot map (GauGAN): pass --map-onehot NAME" if ranks == [2, 4] else ""
        hint = hint or ("; two pictures (AdaIN): pass --style-input NAME" * (ranks == [4, 4]))
        hint = hint or ("; inputs fixed at export (StyleGAN's constant, alpha): --fix NAME=VALUE" * (len(ranks) > 1))
        raise ModelFileError(
            f"{path}: the {role} has {len(model.inputs)} inputs ({', '.join(str(t.dtype) for t in model.inputs)}) and "
            f"{len(model.outputs)} outputs; edgegan exports models with one output and {what}, plus one integer "
            f"label input for a conditional model{hint}"
        )
    label = labels[0] if labels else None
    if label is not None and tuple(label.shape[1:]) not in ((), (1,)):
        raise ModelFileError(
            f"{path}: the {role}'s label input has shape {tuple(label.shape)}; edgegan expects (N,) or (N, 1)"
        )
    o = tuple(model.outputs[0].shape)
    shapes = [tuple(t.shape) for t in floats]
    if role == "generator":
        i = shapes[0]
        ok = len(o) == 4 and (len(i) == 2 and None not in i[1:] and None not in o[1:] or len(i) == 4 and i[3] and o[3])
        if not ok:
            raise ModelFileError(
                f"{path}: the generator maps {i} to {o}; edgegan expects a latent (N, L) or a picture (N, H, W, C) "
                "to an image (N, H, W, C)"
            )
        if len(i) == 4 and label is not None:
            raise ModelFileError(f"{path}: an image-input generator with a label input is not supported")
        return
    if any(len(s) != 4 or None in s[1:] for s in shapes) or len(set(shapes)) != 1:
        raise ModelFileError(
            f"{path}: the discriminator takes {', '.join(map(str, shapes))}; edgegan expects "
            "one or two fixed-size pictures (N, H, W, C) of the same shape"
        )
    if not (len(o) == 2 and o[1] == 1 or len(o) == 4 and o[3] == 1 and None not in o[1:]):
        raise ModelFileError(
            f"{path}: the discriminator outputs {o}; edgegan expects one score per image (N, 1) or a map of patch "
            "scores (N, h, w, 1)"
        )


def _strides(model) -> int:
    """The size multiple a fully convolutional model needs: the product of its downsampling strides."""
    m = 1
    for layer in leaf_layers(model):
        c = layer.get_config()
        s = c.get("strides") if layer.__class__.__name__ in ("Conv2D", "DepthwiseConv2D", "SeparableConv2D") else None
        if "Pooling2D" in layer.__class__.__name__ and "Global" not in layer.__class__.__name__:
            s = c.get("strides") or c.get("pool_size")
        if s:
            m *= int(s[0] if isinstance(s, (list, tuple)) else s)
    return m


def image_source(G, path: Path, input_range: tuple[float, float] | None, output_range) -> ImageInput | None:
    """The input kind of an image-input generator (None for a latent one): shape, range, scale, size multiple."""
    x = split_inputs(G)[0]
    if len(x.shape) != 4:
        return None
    shape, out = tuple(x.shape[1:]), tuple(G.outputs[0].shape[1:])
    multiple = _strides(G)
    if None in shape[:2]:  # any size: the scale from a probe at a size the model takes
        side = max(multiple, 8) * (2 if multiple < 16 else 1)
        probe = np.zeros((1, side, side, int(shape[2])), np.float32)
        try:
            y = G(probe, training=False)
        except Exception as e:
            raise ModelFileError(f"{path}: the generator takes any picture size but refuses {side}x{side} ({e})") from e
        ratio = y.shape[1] / side
        shape = (None, None, int(shape[2]))
    else:
        ratio = out[0] / shape[0]
        if out[1] / shape[1] != ratio:
            raise ModelFileError(f"{path}: the generator maps {shape} to {out}: the two sides scale differently")
    if ratio < 1 or ratio != int(ratio):
        raise ModelFileError(
            f"{path}: the generator maps {shape} to {out}; edgegan expects the output to be the "
            "input's size times a whole number"
        )
    return ImageInput(shape, tuple(input_range or output_range), int(ratio), multiple, receptive_field(G))


def classes_of(model, path: Path, role: str, classes: int | None) -> int:
    """The class count of a conditional model: ``classes`` when given, else the input size of its label
    Embedding; 0 for a model without a label input."""
    if split_inputs(model)[1] is None:
        return 0
    dims = {int(layer.input_dim) for layer in leaf_layers(model) if layer.__class__.__name__ == "Embedding"}
    if classes is not None:
        if dims and max(dims) < classes:
            raise ConfigError(f"{path}: --classes {classes} but the {role}'s label embedding has {max(dims)} rows")
        return classes
    if len(dims) != 1:
        raise ConfigError(
            f"{path}: the {role} takes a label but edgegan cannot read how many classes "
            f"({'no Embedding' if not dims else 'Embeddings of sizes ' + str(sorted(dims))}); pass --classes N"
        )
    return dims.pop()


def read_contract(
    G,
    D,
    g_path: Path,
    d_path: Path | None,
    output_range: tuple[float, float] | None = None,
    d_input_range: tuple[float, float] | None = None,
    score: str | None = None,
    classes: int | None = None,
    input_range: tuple[float, float] | None = None,
    d_source: str | None = None,
    map_onehot: str | None = None,
    palette: bool = False,
) -> Contract:
    """The contract of a G (and optional D): G's input kind and output range, D's inputs, input range and score
    kind, and the class count of a conditional pair."""
    check_io(G, g_path, "generator")
    image = tuple(None if v is None else int(v) for v in G.outputs[0].shape[1:])
    k = classes_of(G, g_path, "generator", classes)
    act = last_activation(G)
    if output_range is None:
        if act not in RANGES:
            raise ConfigError(
                f"{g_path}: the generator's output activation is {act or 'not one edgegan can read'}, so its pixel "
                "range is unknown; pass --output-range LO,HI (e.g. --output-range 0,1)"
            )
        output_range = RANGES[act]
    source = image_source(G, g_path, input_range, output_range)
    latent = 0 if source else int(split_inputs(G)[0].shape[-1])
    if source is None and input_range is not None:
        raise ConfigError(f"{g_path}: --input-range is for image-input generators; this one takes a latent")
    seg = map_entry(G, g_path, map_onehot)
    extra = ((seg,) if seg is not None else ()) + noise_entries(G)
    if extra and (source is not None or len(image) != 3 or None in image):
        raise ModelFileError(f"{g_path}: map and noise inputs go with a latent generator of a fixed image size")
    styles = _styles(G)
    if styles and (source is None or source.dynamic or tuple(styles[0].shape[1:]) != tuple(source.shape)):
        raise ModelFileError(f"{g_path}: a style picture goes with a fixed-size picture of the same shape")
    extra = tuple(Image.of(source, STYLE_NAME) for _ in styles) + extra
    unused_palette = ConfigError(
        "--map-palette colours the segmentation pictures that a map generator's paired discriminator (GauGAN's) "
        "judges against; this export has none: drop the flag"
    )
    if D is None:
        if palette:
            raise unused_palette
        return Contract(latent, image, tuple(output_range), classes=k, source=source, extra=extra)
    check_io(D, d_path, "discriminator")
    d_k = classes_of(D, d_path, "discriminator", classes or k or None)
    if d_k != k:
        what = lambda n: f"{n} classes" if n else "no label"  # noqa: E731
        raise ConfigError(
            f"the generator {g_path} takes {what(k)} but the discriminator {d_path} takes {what(d_k)}; export a "
            "matching pair, or the generator alone (--skip discriminator)"
        )
    d_floats = image_inputs(D, d_path, d_source)
    d_image = tuple(int(v) for v in d_floats[-1].shape[1:])
    # an any-size generator: its output at D's size must be D's input
    image_at = (d_image[0], d_image[1], image[2]) if None in image else image
    if d_image != image_at:
        from edgegan.export.onehot import suggestion

        raise ConfigError(
            f"the generator {g_path} makes images of shape {image} but the discriminator {d_path} takes {d_image}; "
            f"export a matching pair, or the generator alone (--skip discriminator){suggestion(G, D)}"
        )
    judges_map = seg is not None and palette  # GauGAN: D's source is the map as a colour picture (--map-palette)
    if len(d_floats) == 2 and not judges_map and (source is None or source.scale != 1):
        raise ConfigError(
            f"{d_path}: the discriminator takes a source and a candidate picture, but the generator {g_path} "
            f"takes {Contract(latent, image, source=source).input.describe()}; a paired discriminator goes with an "
            "image-input generator of scale 1 (pix2pix), or with a map generator given --map-palette FILE.json (GauGAN)"
        )
    if palette and not (judges_map and len(d_floats) == 2):
        raise unused_palette
    if score is None:
        d_act = last_activation(D)
        if d_act not in SCORE_KINDS:
            raise ConfigError(
                f"{d_path}: the discriminator's last activation is {d_act or 'not one edgegan can read'}, so what its "
                "score means is unknown; pass --score " + ", ".join(SCORES)
            )
        score = SCORE_KINDS[d_act]
    out = tuple(int(v) for v in D.outputs[0].shape[1:])
    return Contract(
        latent,
        image,
        tuple(output_range),
        tuple(d_input_range or output_range),
        score,
        k,
        source,
        ("source", "image") if len(d_floats) == 2 else ("image",),
        out,
        d_image if None in image else None,
        extra,
    )


def probe_inputs(model, n: int = 2, seed: int = 0) -> list[np.ndarray]:
    """Random inputs for ``model``: N(0, 1) floats, and integer labels that every Embedding of the model takes."""
    rng = np.random.default_rng(seed)
    vocab = min((layer.input_dim for layer in leaf_layers(model) if hasattr(layer, "input_dim")), default=1)
    out = []
    for t in model.inputs:
        shape = (n, *(int(d) if d is not None else 32 for d in t.shape[1:]))  # any size: probed at 32
        out.append(
            rng.integers(0, vocab, shape).astype(np.int32)
            if _is_int(t)
            else rng.standard_normal(shape).astype(np.float32)
        )
    return out


def _inputs_like(model) -> list:
    import keras

    return [keras.Input(t.shape[1:], dtype=t.dtype, name=t.name.split(":")[0]) for t in model.inputs]


class Chain:
    """A model as ``head`` + a chain of leaf layers: y = layers[-1](...layers[0](head(inputs))).

    ``head`` is None for a one-input model that is a chain from its input (Sequential and nested models expanded).
    A model with several inputs (a conditional generator: z and a label) is a chain from its last merge on: ``head``
    is then the original model up to that merge (a keras.Model over its inputs, called as it is)."""

    def __init__(self, model, head, layers: list):
        self.model, self.head, self.layers = model, head, layers

    @classmethod
    def of(cls, model) -> Chain | None:
        if len(model.inputs) == 1:
            return cls(model, None, leaf_layers(model))
        try:  # walk back from the output while each layer has one input, made by the layer before it (node 0 is
            # the call that built the model; rebuilds add nodes, and flat_chain's probe proves what this finds)
            layers, op = [], model.outputs[0]._keras_history.operation
            while len(op._inbound_nodes[0].parent_nodes) == 1:
                if op.__class__.__name__ == "InputLayer":
                    return None
                nested = hasattr(op, "layers") and hasattr(op, "inputs")  # a Sequential or Model inside
                if nested and len(op.inputs) != 1:
                    return None
                layers += leaf_layers(op)[::-1] if nested else [op]
                op = op._inbound_nodes[0].parent_nodes[0].operation
            if not layers or op.__class__.__name__ == "InputLayer":
                return None
            import keras

            return cls(model, keras.Model(model.inputs, op.output, name=f"{model.name}_head"), layers[::-1])
        except (AttributeError, IndexError, ValueError):
            return None

    def start(self):
        """(new Input tensors like the model's, the tensor that feeds layers[0])."""
        inputs = _inputs_like(self.model)
        return inputs, (self.head(inputs) if self.head is not None else inputs[0])


def model_inputs(inputs: list):
    """What keras.Model takes as inputs: the tensor alone for one input (the Keras form of one-input models)."""
    return inputs[0] if len(inputs) == 1 else inputs


def flat_chain(model, probe: list[np.ndarray] | np.ndarray | None = None):
    """The model as one flat functional chain of its leaf layers (after its head, see Chain), or None when it is
    not a chain.

    A chain is proven, not assumed: the flat model must give the original's outputs on a random probe
    (any branch, skip or merge inside breaks that, or the rebuild itself)."""
    import keras
    from keras import layers as L

    chain = Chain.of(model)
    if chain is None:
        return None
    try:
        inputs, x = chain.start()
        for layer in chain.layers:
            x = layer(x, training=False) if isinstance(layer, (L.BatchNormalization, L.Dropout)) else layer(x)
        flat = keras.Model(model_inputs(inputs), x, name=f"{model.name}_flat")
    except Exception:  # a layer that does not take the previous one's output: not a chain
        return None
    probe = probe_inputs(model) if probe is None else probe
    probe = model_inputs(probe if isinstance(probe, list) else [probe])
    try:
        same = np.allclose(flat(probe, training=False), model(probe, training=False), atol=1e-6, rtol=1e-5)
    except Exception:
        return None
    return flat if same else None
