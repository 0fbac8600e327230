"""Read a Keras GAN's contract from the models themselves (export tier).

Works for any Keras 3 form: functional, Sequential (whose ``layers`` has no InputLayer) and nested
models (a Model whose layer is a Sequential or Model, as Keras-GAN's generator is). What cannot be
read is asked for with a flag, and refused without it, never assumed.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from edgegan.contract import RANGES, SCORE_KINDS, Contract
from edgegan.errors import ConfigError, ModelFileError

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


def _is_label(t) -> bool:
    return "int" in str(t.dtype)


def split_inputs(model) -> tuple:
    """(the float input, the integer label input or None), from model.inputs in any order."""
    labels = [t for t in model.inputs if _is_label(t)]
    floats = [t for t in model.inputs if not _is_label(t)]
    return (floats[0] if floats else None), (labels[0] if labels else None)


def check_io(model, path: Path, role: str) -> None:
    """One float input (plus, for a conditional model, one integer label (N,) or (N, 1)) and one output of the
    ranks edgegan knows, or a one-line refusal naming the file."""
    x, label = split_inputs(model)
    n_labels = sum(_is_label(t) for t in model.inputs)
    if len(model.outputs) != 1 or x is None or len(model.inputs) - n_labels != 1 or n_labels > 1:
        raise ModelFileError(
            f"{path}: the {role} has {len(model.inputs)} inputs ({', '.join(str(t.dtype) for t in model.inputs)}) and "
            f"{len(model.outputs)} outputs; edgegan exports models with one output and one float input, plus one "
            "integer label input for a conditional model (a one-hot float label: feed it through an Embedding of "
            "an integer label instead)"
        )
    if label is not None and tuple(label.shape[1:]) not in ((), (1,)):
        raise ModelFileError(
            f"{path}: the {role}'s label input has shape {tuple(label.shape)}; edgegan expects (N,) or (N, 1)"
        )
    i, o = tuple(x.shape), tuple(model.outputs[0].shape)
    want_in, want_out = (2, 4) if role == "generator" else (4, 2)
    if len(i) != want_in or len(o) != want_out or None in i[1:] or None in o[1:]:
        what = (
            "a latent (N, L) to an image (N, H, W, C)"
            if role == "generator"
            else "an image (N, H, W, C) to a score (N, 1)"
        )
        raise ModelFileError(f"{path}: the {role} maps {i} to {o}; edgegan expects {what}")
    if role == "discriminator" and o[1] != 1:
        raise ModelFileError(f"{path}: the discriminator outputs {o[1]} values per image; edgegan expects one score")


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
) -> Contract:
    """The contract of a G (and optional D): shapes, G's output range, D's input range and score kind, and the
    class count of a conditional pair."""
    check_io(G, g_path, "generator")
    latent, image = int(split_inputs(G)[0].shape[-1]), tuple(int(v) for v in G.outputs[0].shape[1:])
    k = classes_of(G, g_path, "generator", classes)
    act = last_activation(G)
    if output_range is None:
        if act not in RANGES:
            raise ConfigError(
                f"{g_path}: the generator's output activation is {act or 'not one edgegan can read'}, so its pixel "
                "range is unknown; pass --output-range LO,HI (e.g. --output-range 0,1)"
            )
        output_range = RANGES[act]
    if D is None:
        return Contract(latent, image, tuple(output_range), classes=k)
    check_io(D, d_path, "discriminator")
    d_k = classes_of(D, d_path, "discriminator", classes or k or None)
    if d_k != k:
        what = lambda n: f"{n} classes" if n else "no label"  # noqa: E731
        raise ConfigError(
            f"the generator {g_path} takes {what(k)} but the discriminator {d_path} takes {what(d_k)}; export a "
            "matching pair, or the generator alone (--skip discriminator)"
        )
    d_image = tuple(int(v) for v in split_inputs(D)[0].shape[1:])
    if d_image != image:
        raise ConfigError(
            f"the generator {g_path} makes images of shape {image} but the discriminator {d_path} takes {d_image}; "
            "export a matching pair, or the generator alone (--skip discriminator)"
        )
    if score is None:
        d_act = last_activation(D)
        if d_act not in SCORE_KINDS:
            raise ConfigError(
                f"{d_path}: the discriminator's last activation is {d_act or 'not one edgegan can read'}, so what its "
                "score means is unknown; pass --score probability or --score logit"
            )
        score = SCORE_KINDS[d_act]
    return Contract(latent, image, tuple(output_range), tuple(d_input_range or output_range), score, k)


def probe_inputs(model, n: int = 2, seed: int = 0) -> list[np.ndarray]:
    """Random inputs for ``model``: N(0, 1) floats, and integer labels that every Embedding of the model takes."""
    rng = np.random.default_rng(seed)
    vocab = min((layer.input_dim for layer in leaf_layers(model) if hasattr(layer, "input_dim")), default=1)
    out = []
    for t in model.inputs:
        shape = (n, *(int(d) for d in t.shape[1:]))
        out.append(
            rng.integers(0, vocab, shape).astype(np.int32)
            if _is_label(t)
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
