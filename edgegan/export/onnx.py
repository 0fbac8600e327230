"""ONNX export: Keras' own exporter (tf2onnx underneath), float16 and static QDQ int8 with
ONNX Runtime's tools, ORT Mobile format, and the export-time checks.

Pitfall: ``tf2onnx.convert.from_keras`` fails on Keras 3 models (KeyError 'keras_tensor_N');
``model.export(format="onnx")`` works and is what we use.
"""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
import tempfile
import weakref
from pathlib import Path

import numpy as np

from edgegan.errors import ExportError

OPSET = 17  # stated opset: supported by ONNX Runtime >= 1.14 and onnxruntime-web
log = logging.getLogger("edgegan.export")


def input_signature(model, batch: int | None, input_name, size: tuple[int, int] | None = None) -> list:
    """tf.TensorSpecs of the model's inputs in its own order: the float input named ``input_name`` (or, for a
    model with two float inputs, each named by ``input_name[its Keras name]``), an integer label input (a
    conditional model's) named ``label`` and an integer map (N, H, W) named ``map``, with their own dtypes; as
    ``model.export`` takes them. ``size`` fixes the height and width of a picture input that takes any size
    (LiteRT files have fixed shapes)."""
    import tensorflow as tf

    from edgegan.signature import LABEL_NAME, MAP_NAME, kind_of, pictures_in

    def shape(t):
        dims = list(t.shape[1:])
        if size is not None and len(dims) == 3 and None in dims[:2]:
            dims[:2] = size
        return (batch, *dims)

    pictures = pictures_in((str(t.dtype), tuple(t.shape), t.name.split(":")[0]) for t in model.inputs)

    def name(t):  # edgegan's name of each kind of input (edgegan.signature.kind_of); the main one as told
        own = t.name.split(":")[0]
        kind = kind_of(str(t.dtype), tuple(t.shape), own, pictures)
        fixed = {"label": LABEL_NAME, "map": MAP_NAME, "noise": own, "image": own}
        if kind in fixed:
            return fixed[kind]
        return input_name if isinstance(input_name, str) else input_name[own]

    specs = [
        tf.TensorSpec(shape(t), t.dtype if "int" in str(t.dtype) else tf.float32, name=name(t)) for t in model.inputs
    ]
    return [specs] if len(specs) > 1 else specs  # several inputs: one positional argument holding a list


def calibration_feeds(inputs: list[tuple[str, str, int]], calibration) -> dict[str, np.ndarray]:
    """{input name: rows} for inputs given as (name, dtype, rank): ``calibration`` is the float input's rows, or
    [those, integer labels (N,)], or a paired discriminator's [source, image] rows; labels take the input's rank
    ((N,) or (N, 1))."""
    rows = list(calibration) if isinstance(calibration, (list, tuple)) else [calibration]
    noise = [(n, r) for n, t, r in inputs if "int" not in t and n.lower().startswith("noise")]
    floats = sorted(
        ((n, r) for n, t, r in inputs if "int" not in t and (n, r) not in noise), key=lambda f: "source" not in f[0]
    )
    labels = sorted(((n, r) for n, t, r in inputs if "int" in t), key=lambda f: f[1] == 3)  # a label, then a map
    feeds = dict(zip([n for n, _ in floats + labels + noise], rows))  # edgegan.signature's order
    for n, rank in labels:
        if feeds[n].ndim == 1:  # a label: (N,) rows in the input's rank, (N,) or (N, 1)
            feeds[n] = feeds[n].reshape(len(feeds[n]), *([1] * (rank - 1)))
    return feeds


def keras_to_onnx(model, path: Path, input_name: str, output_name: str | list[str], metadata: dict) -> None:
    """Export ``model`` (inference mode) to a single-file ONNX with stable I/O names + metadata (a conditional
    model's integer input is named ``label``)."""
    import onnx

    from edgegan.export import isolated

    signature = input_signature(model, None, input_name)
    want = [[d if isinstance(d, int) else 0 for d in t.shape[1:]] for t in model.outputs]
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "model.onnx"
        saved = saved_model(model, signature)  # tf2onnx runs from it, in a child for a large model
        child = isolated.wanted(model)
        kw = dict(saved=str(saved), out=str(raw), large=child)
        isolated.call("edgegan.export.onnx:convert_saved", path.name, child=child, **kw)
        m = onnx.load(str(raw))
    squeeze_leading_axis(m, want, path.name)
    for i, name in enumerate([output_name] if isinstance(output_name, str) else output_name):
        rename_output(m, name, i)
    modern_nearest_resize(m)
    # one name for the batch dimension of every input and output: tf2onnx names each input's its own
    # (unk__129, unk__130), and ONNX Runtime's symbolic shape inference (quant_pre_process) then fails on a
    # conditional model's z * embedding(label) ("Incomplete symbolic shape inference")
    for v in list(m.graph.input) + list(m.graph.output):
        v.type.tensor_type.shape.dim[0].dim_param = "N"
    del m.graph.value_info[:]
    # Keras' exporter declares the ai.onnx.ml domain without using it: keep only what nodes use.
    used = {n.domain for n in m.graph.node}
    keep = [o for o in m.opset_import if o.domain in ("", "ai.onnx") or o.domain in used]
    del m.opset_import[:]
    m.opset_import.extend(keep)
    set_metadata(m, metadata)
    save(m, path)


def squeeze_leading_axis(m, want: list, what: str) -> None:
    """Outputs of the model's shapes (``want``: each past the batch, 0 where any size). tf2onnx's graph can depend
    on Python's string hashing: measured on ESPCN (tools/zoo/i2i.py), some PYTHONHASHSEED values gave its output an
    extra leading axis of size 1, (1, N, H, W, 1), run after run in CI's process (upstream,
    onnx/tensorflow-onnx#1789 reports outputs that differ between runs; closed unresolved). Such an output gets a
    Squeeze of that axis (parity then measures the file like any other); any other difference is refused."""
    import onnx

    for o, w in zip(m.graph.output, want):
        dims = o.type.tensor_type.shape.dim
        if len(dims) == len(w) + 2:  # (1, N, ...): one axis more than (N, ...)
            inner = f"{o.name}_with_leading_axis"
            for node in m.graph.node:
                node.output[:] = [inner if x == o.name else x for x in node.output]
            axes = onnx.helper.make_tensor(f"{inner}_axes", onnx.TensorProto.INT64, [1], [0])
            m.graph.initializer.append(axes)
            m.graph.node.append(onnx.helper.make_node("Squeeze", [inner, axes.name], [o.name]))
            del dims[1]  # its batch stays first
        got = [d.dim_value for d in dims[1:]]
        if len(got) != len(w) or any(a and b and a != b for a, b in zip(got, w)):
            raise ExportError(f"{what}: tf2onnx gave an output of shape {got} for the model's {w} (0: any size)")


def modern_nearest_resize(m) -> None:
    """tf2onnx writes TensorFlow's nearest resize (half-pixel centres) as Resize with the coordinate mode
    ``tf_half_pixel_for_nn`` and ``nearest_mode`` floor: source = floor((x + 0.5) / scale). ONNX deprecated the mode
    in opset 13 and ONNX Runtime prints a warning for each such node on every load, past the session's log level
    (measured on GauGAN's SPADE, tools/zoo/multi.py). ``half_pixel`` with ``round_prefer_ceil`` computes the same
    index, floor((x + 0.5) / scale - 0.5 + 0.5), so the nodes are rewritten to it (parity at export checks it)."""
    import onnx

    for n in m.graph.node:
        attrs = {a.name: a for a in n.attribute}
        mode = attrs.get("coordinate_transformation_mode")
        if n.op_type != "Resize" or mode is None or mode.s != b"tf_half_pixel_for_nn":
            continue
        if attrs.get("nearest_mode") is None or attrs["nearest_mode"].s != b"floor":
            continue
        mode.s = b"half_pixel"
        attrs["nearest_mode"].CopyFrom(onnx.helper.make_attribute("nearest_mode", "round_prefer_ceil"))


_SAVED: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> {signature: TemporaryDirectory}


def saved_model(model, signature: list) -> Path:
    """``model`` as a SavedModel with one endpoint, "serve" (inference mode, ``signature``): Keras' ExportArchive,
    the form Keras' own LiteRT and ONNX exports convert from. Written once per model and signature (each
    precision of a file converts from the same one; removed with the model): tracing and writing pix2pix 256's
    218 MB of weights for each of them took time and kept memory in the export process."""
    import functools

    import keras

    key = repr(signature)
    done = _SAVED.setdefault(model, {})
    if key not in done:
        tmp = tempfile.TemporaryDirectory(prefix="edgegan-saved-")
        archive = keras.export.ExportArchive()
        archive.track(model)
        archive.add_endpoint("serve", functools.partial(model.__call__, training=False), input_signature=signature)
        with contextlib.redirect_stdout(io.StringIO()):
            archive.write_out(tmp.name, verbose=False)
        done[key] = tmp
    return Path(done[key].name)


def convert_saved(saved: str, out: str, large: bool = False) -> None:
    """In the child process (edgegan.export.isolated): tf2onnx on the SavedModel's "serve" function, as Keras'
    ONNX export calls it on the same function (with its patch for numpy 2). ``large``: tf2onnx's large-model path,
    which keeps weights out of the graph while it converts and skips grappler. Measured on pix2pix 256 (54 M
    parameters) in a child with the pure-Python protobuf (isolated._env): 2.0 GB peak RSS in 9.5 s, against 4.9 GB
    in 23 s on the default path (grappler's copies), the same 56 nodes and outputs. Small models keep the default
    path: without grappler their batch norms stay as Mul and Add nodes (measured on the MNIST DCGAN: 50 -> 55)."""
    import tensorflow as tf
    import tf2onnx
    from keras.src.export.tf2onnx_lib import patch_tf2onnx

    loaded = tf.saved_model.load(saved)  # held: its variables live as long as it does
    serve = loaded.serve
    patch_tf2onnx()
    with tempfile.TemporaryDirectory() as tmp, contextlib.redirect_stdout(io.StringIO()):
        target = str(Path(tmp, "model.zip")) if large else out
        tf2onnx.convert.from_function(serve, serve.input_signature, opset=OPSET, output_path=target, large_model=large)
        if large:  # a zip of the graph and one file per tensor: one self-contained file, as the default path writes
            import zipfile

            import onnx

            zipfile.ZipFile(target).extractall(tmp)
            onnx.save(onnx.load(str(Path(tmp, "__MODEL_PROTO.onnx"))), out)


def rename_output(m, new: str, index: int = 0) -> None:
    old = m.graph.output[index].name
    if old == new:
        return
    for node in m.graph.node:
        for i, name in enumerate(node.output):
            if name == old:
                node.output[i] = new
        for i, name in enumerate(node.input):
            if name == old:
                node.input[i] = new
    m.graph.output[index].name = new


def set_metadata(m, metadata: dict) -> None:
    del m.metadata_props[:]
    entry = m.metadata_props.add()
    entry.key, entry.value = "edgegan", json.dumps(metadata, sort_keys=True)
    m.producer_name = "edgegan"


def save(m, path: Path) -> None:
    """Save as one file (never external data) and check it with onnx.checker full_check."""
    import onnx

    onnx.save_model(m, str(path), save_as_external_data=False)
    try:
        onnx.checker.check_model(str(path), full_check=True)
    except Exception as e:
        raise ExportError(f"{path.name}: onnx.checker rejects it: {str(e)[:300]}") from e


def retag(src: Path, dst: Path, metadata: dict) -> None:
    """Copy an ONNX file with new edgegan metadata."""
    import onnx

    m = onnx.load(str(src))
    set_metadata(m, metadata)
    save(m, dst)


def to_fp16(src: Path, dst: Path, metadata: dict) -> None:
    """Float16 weights and compute with float32 I/O (ONNX Runtime's own float16 converter)."""
    import onnx
    from onnxruntime.transformers.float16 import convert_float_to_float16
    from onnxruntime.transformers.onnx_model import OnnxModel

    m = convert_float_to_float16(onnx.load(str(src)), keep_io_types=True)
    # The converter appends its input/output Casts at the end of the node list; onnx.checker
    # (full_check) then rejects the graph as not topologically sorted. Sort it.
    OnnxModel(m).topological_sort()
    set_metadata(m, metadata)
    save(m, dst)


class _Reader:
    """onnxruntime.quantization CalibrationDataReader over {input name: rows}, batch 1 rows; ``set_range`` serves
    the strided calibration (a window of rows at a time)."""

    def __init__(self, feeds: dict[str, np.ndarray]):
        self.feeds = {k: v if "int" in str(v.dtype) else v.astype(np.float32) for k, v in feeds.items()}
        self.n = len(next(iter(self.feeds.values())))
        self.i, self.end = 0, self.n

    def __len__(self) -> int:
        return self.n

    def set_range(self, start_index: int, end_index: int) -> None:
        self.i, self.end = start_index, min(end_index, self.n)

    def get_next(self):
        if self.i >= self.end:
            return None
        self.i += 1
        return {k: v[self.i - 1 : self.i] for k, v in self.feeds.items()}

    def rewind(self):
        self.i, self.end = 0, self.n


def calibration_stride(n: int, most: int = 16) -> int:
    """The largest window <= ``most`` that divides n rows (ONNX Runtime requires a divisor)."""
    return max(d for d in range(1, most + 1) if n % d == 0)


# ONNX int8 per target CPU: activation type and 7-bit weights (ONNX Runtime's quantization guide discusses the
# choice). x86: uint8 activations (U8S8) are what ONNX Runtime's x86 int8 kernels multiply natively; signed
# activations are shifted to uint8 first (measured on the seed generator here, 2 threads, batch 1: S8S8
# 1.81-2.46 ms, U8S8 1.19-1.65 ms, fp32 2.2-2.7 ms). Without VNNI those kernels multiply u8 x s8 pairs with
# vpmaddubsw, whose 16-bit pair sums saturate when weights span the full int8 range; 7-bit weights
# (reduce_range) cannot saturate, so a file gives the same integers with and without VNNI (PSNR vs fp32 here:
# 37.9 dB full range, 38.7 dB 7-bit). arm: signed activations (S8S8), ONNX Runtime's default, whose Arm
# kernels take int8 directly (not timed here: no Arm machine, and emulator timings are meaningless).
ONNX_INT8 = {
    "x86": {"activations": "uint8", "weights": "int8", "reduce_range": True},
    "arm": {"activations": "int8", "weights": "int8", "reduce_range": False},
}


def int8_scheme(target: str, role: str) -> dict:
    """How an int8 ONNX file is quantized for ``target``, as recorded in its manifest entry."""
    scheme = {"target": target, **ONNX_INT8[target], "per_channel": role != "discriminator"}
    if role == "discriminator":  # one scale per tensor, 7-bit: see to_int8
        scheme["reduce_range"] = True
    return scheme


def _any_size(m) -> bool:
    """True when an input has a named (dynamic) dimension past the batch: a picture of any size."""
    return any(d.dim_param for i in m.graph.input for d in list(i.type.tensor_type.shape.dim)[1:])


WEIGHTED = ("Conv", "ConvTranspose", "MatMul", "Gemm")  # the ops an int8 file of a normalized model quantizes


def layer_of(node: str, layers) -> str | None:
    """The Keras layer among ``layers`` that node or tensor name ``node`` belongs to: the first scope of the name
    that is a layer's ("StatefulPartitionedCall/model_1/conv2d_3_1/BiasAdd" -> "conv2d_3": TensorFlow adds "_1";
    an instance norm's rank-4 form "group_normalization_rank4_1" -> "group_normalization"), or None."""
    scopes = node.split("/")[:-1]
    for suffix in (r"_\d+", ""):  # a traced layer's scope carries TensorFlow's suffix ("conv2d_1" is conv2d's)
        for scope in scopes:
            for name in layers:
                if re.fullmatch(re.escape(name) + r"(_rank4)?" + suffix, scope):
                    return name
    return None


def node_layer(node, layers) -> str | None:
    """The Keras layer of ONNX ``node`` (layer_of its name), or for a weighted op that tf2onnx renamed when it
    folded a batch norm into it ("Conv__197"), the layer of its weights ("conv2d_1_2/convolution/merged_input").
    Measured on the SRGAN-style model (tools/zoo/i2i.py, 64 -> 256): 33 of its 43 convolutions are renamed so;
    without their weights' names no ranking could keep them in float, and with all 44 layers that kept their
    names in float the int8 file still missed its bound (23.8 dB)."""
    found = layer_of(node.name, layers)
    if found is None and node.op_type in WEIGHTED and len(node.input) > 1:
        found = layer_of(node.input[1], layers)
    return found


def quantized_layers(src: Path, layers) -> list[str]:
    """The layers among ``layers`` with a node that the int8 file of ``src`` quantizes (to_int8)."""
    import onnx

    nodes = onnx.load(str(src), load_external_data=False).graph.node
    normalized = any(n.op_type == "ReduceMean" for n in nodes)
    found = {node_layer(n, layers) for n in nodes if not normalized or n.op_type in WEIGHTED}
    return [name for name in layers if name in found]


def to_int8(src: Path, dst: Path, calibration, metadata: dict, scheme: dict, float_layers=(), layers=None) -> None:
    """Static QDQ int8 after quant_pre_process, quantized as ``scheme`` (int8_scheme) says; the nodes of the Keras
    layers ``float_layers`` stay float (ONNX Runtime's nodes_to_exclude; edgegan.export.keepfloat), each node's
    layer told among all the model's ``layers`` (TensorFlow's scope of layer conv2d is "conv2d_1": among the
    float layers alone it would read as layer conv2d_1).

    The discriminator gets one scale per tensor and 7-bit weights on every target: a decision near 0.5
    flips on the saturation error above while an image barely moves. Measured on the shipped discriminator
    (S8S8), real/fake agreement with Keras on 2,000 images (1,000 real, 1,000 generated): per-channel 92.6%
    (98.3% with ORT's graph optimizations off, i.e. without the fused int8 kernels: the file itself is
    fine), per-tensor 97.4%, per-channel reduce_range 96.7%, per-tensor reduce_range 97.9%.
    """
    import onnx
    from onnxruntime.quantization import CalibrationMethod, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    graph_inputs = onnx.load(str(src), load_external_data=False).graph.input
    types = {onnx.TensorProto.INT32: "int32", onnx.TensorProto.INT64: "int64"}
    feeds = calibration_feeds(
        [
            (i.name, types.get(i.type.tensor_type.elem_type, "float"), len(i.type.tensor_type.shape.dim))
            for i in graph_inputs
        ],
        calibration,
    )
    n_rows = len(next(iter(feeds.values())))
    with tempfile.TemporaryDirectory() as tmp:
        pre, q = Path(tmp) / "pre.onnx", Path(tmp) / "q.onnx"
        plain = Path(tmp) / "plain.onnx"
        m = onnx.load(str(src))
        floats = set(float_layers)
        # int8 DepthToSpace: see depth_to_space_as_transpose. uint8 (x86) keeps the native op, whose kernel ran
        # the keras.io shape's int8 file in 35.6 ms against 47.7 ms through the 6-D Transpose (fp32: 59.1 ms).
        onnx.save_model(depth_to_space_as_transpose(m) if scheme["activations"] == "int8" else m, str(plain))
        with _working_dir(tmp):  # on failure, ONNX Runtime's symbolic shape inference dumps
            # sym_shape_infer_temp.onnx and a uuid.data file into the working directory (found in development)
            # A picture of any size: ONNX Runtime 1.32's symbolic inference cannot prove a ConvTranspose's output
            # size on it (models/photo-sr4's bilinear base: "Incomplete symbolic shape inference", after sympy
            # warnings on the terminal); ONNX's own shape inference is enough to quantize it.
            # GauGAN's SPADE (tools/zoo/multi.py): x - mean over (N, 1, 1, C) divided by a Sqrt of the same shape
            # leaves the Div's batch dimension unproved ("Incomplete symbolic shape inference"); merging the
            # symbolic dimensions (auto_merge) proves it. Tried second, so models it is not needed for are
            # quantized as before.
            try:
                quant_pre_process(str(plain), str(pre), skip_symbolic_shape=_any_size(m))
            except Exception as e:
                if "Incomplete symbolic shape inference" not in str(e):
                    raise
                quant_pre_process(str(plain), str(pre), skip_symbolic_shape=_any_size(m), auto_merge=True)
        # Instance/group norm computed from statistics (ReduceMean, Sub, Mul, Sqrt, Reciprocal): a QDQ pair on each
        # of those ops compounds the rounding. On the CycleGAN fixture (tools/zoo/i2i.py) quantizing every op gave
        # PSNR 28.1 dB against Keras, only the weighted ops (Conv, ConvTranspose, MatMul, Gemm) 31.5 dB.
        pre_graph = onnx.load(str(pre)).graph
        normalized = any(n.op_type == "ReduceMean" for n in pre_graph.node)
        quantize_static(
            str(pre),
            str(q),
            _Reader(feeds),  # a label input stays integer: quantize_static quantizes float tensors only
            quant_format=QuantFormat.QDQ,
            per_channel=scheme["per_channel"],
            reduce_range=scheme["reduce_range"],
            activation_type=QuantType.QUInt8 if scheme["activations"] == "uint8" else QuantType.QInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            # MinMax keeps every intermediate output of every calibration row until the end: a 64x64x3
            # generator with 512-channel 64x64 activations took over 10 GB that way. Strided calibration
            # computes and merges min/max per window of rows (the same ranges, bounded memory). Not
            # CalibMaxIntermediateOutputs: in onnxruntime 1.32 it clears the buffered outputs without
            # computing their ranges ("No data is collected." when the rows divide evenly; upstream
            # microsoft/onnxruntime#18893, fix open as #32577).
            extra_options={"CalibStridedMinMax": calibration_stride(n_rows)},
            op_types_to_quantize=list(WEIGHTED) if normalized else None,
            nodes_to_exclude=[n.name for n in pre_graph.node if node_layer(n, layers or float_layers) in floats],
        )
        m = onnx.load(str(q))
    share_concat_scales(m)
    set_metadata(m, metadata)
    save(m, dst)


def to_int8_in(
    child: bool, src: Path, dst: Path, calibration, metadata: dict, scheme: dict, float_layers=(), layers=None
) -> None:
    """to_int8, in a child process when ``child`` (a large model, edgegan.export.isolated): ONNX Runtime's
    calibration and quantization of pix2pix 256's generator left the export process 1.1 GB larger (measured)."""
    from edgegan.export import isolated

    listed = isinstance(calibration, (list, tuple))
    arrays = {f"cal_{i}": np.asarray(a) for i, a in enumerate(calibration if listed else [calibration])}
    kw = dict(src=str(src), dst=str(dst), metadata=metadata, scheme=scheme, float_layers=list(float_layers))
    kw["layers"] = list(layers) if layers else None
    isolated.call("edgegan.export.onnx:int8_job", Path(dst).name, arrays, child=child, listed=listed, **kw)


def int8_job(
    src: str, dst: str, metadata: dict, scheme: dict, float_layers: list, listed: bool, layers=None, **cal
) -> None:
    """to_int8 with its calibration rows by name (cal_0, cal_1, ...), as edgegan.export.isolated passes arrays."""
    rows = [cal[f"cal_{i}"] for i in range(len(cal))]
    to_int8(Path(src), Path(dst), rows if listed else rows[0], metadata, scheme, float_layers, layers)


@contextlib.contextmanager
def _working_dir(path):
    """chdir for the length of a block (contextlib.chdir is Python >= 3.11)."""
    import os

    old = os.getcwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def share_concat_scales(m) -> int:
    """Quantize each input of a Concat with the Concat's own output scale and zero point; returns how many.

    quantize_static gives every tensor its own calibrated range, so the phase outputs of a rewritten block
    are rounded once to their own scales and again to the Concat's: keras.io's shape lost 1.1 dB of PSNR
    against the plain file (43.3 vs 44.4 dB). Rounding each phase output straight to the Concat's scale (the
    union of their ranges) rounds once: 44.4 dB, as the plain file and as one wide convolution.
    """
    producer = {o: n for n in m.graph.node for o in n.output}
    users: dict[str, list] = {}
    for n in m.graph.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    shared = 0
    for n in m.graph.node:
        after = users.get(n.output[0], []) if n.op_type == "Concat" else []
        if len(after) != 1 or after[0].op_type != "QuantizeLinear":
            continue
        scale, zero = after[0].input[1], after[0].input[2]
        for i in n.input:
            dq = producer.get(i)
            q = producer.get(dq.input[0]) if dq is not None and dq.op_type == "DequantizeLinear" else None
            if q is None or q.op_type != "QuantizeLinear" or len(users.get(q.output[0], [])) != 1:
                continue
            for node in (q, dq):
                node.input[1], node.input[2] = scale, zero
            shared += 1
    used = {i for n in m.graph.node for i in n.input}  # the phase outputs' own scales are orphans now: ONNX
    kept = [t for t in m.graph.initializer if t.name in used]  # Runtime would warn about each when loading
    del m.graph.initializer[:]
    m.graph.initializer.extend(kept)
    return shared


def depth_to_space_as_transpose(m):
    """Rewrite DepthToSpace(DCR) as Reshape -> Transpose -> Reshape (the same data movement).

    onnxruntime 1.22 (the version that runs under the Raspberry Pi emulator) fuses the Q/DQ pair
    around DepthToSpace into an int8 DepthToSpace it has no kernel for, and refuses the file
    ("Failed to find kernel for DepthToSpace(13)", found by tools/pi_check). Reshape and Transpose
    have int8 kernels in every onnxruntime release. Needs static C, H, W (the generator has them).
    """
    import onnx
    from onnx import helper, numpy_helper

    inferred = onnx.shape_inference.infer_shapes(m)
    shapes = {
        v.name: [d.dim_value for d in v.type.tensor_type.shape.dim]
        for v in list(inferred.graph.value_info) + list(inferred.graph.input) + list(inferred.graph.output)
    }
    nodes = []
    for n in m.graph.node:
        attrs = {a.name: helper.get_attribute_value(a) for a in n.attribute}
        mode = attrs.get("mode", b"DCR")
        mode = mode.decode() if isinstance(mode, bytes) else mode
        shape = shapes.get(n.input[0])
        if n.op_type != "DepthToSpace" or mode != "DCR" or not shape or len(shape) != 4 or 0 in shape[1:]:
            nodes.append(n)
            continue
        b = attrs["blocksize"]
        _, c, h, w = shape
        k = n.name or n.output[0]
        s1, s2 = f"{k}/d2s_shape1", f"{k}/d2s_shape2"
        m.graph.initializer.extend(
            [
                numpy_helper.from_array(np.array([0, b, b, c // (b * b), h, w], np.int64), s1),
                numpy_helper.from_array(np.array([0, c // (b * b), h * b, w * b], np.int64), s2),
            ]
        )
        nodes += [
            helper.make_node("Reshape", [n.input[0], s1], [f"{k}/d2s_6d"], name=f"{k}/d2s_reshape1"),
            helper.make_node(
                "Transpose", [f"{k}/d2s_6d"], [f"{k}/d2s_t"], name=f"{k}/d2s_transpose", perm=[0, 3, 4, 1, 5, 2]
            ),
            helper.make_node("Reshape", [f"{k}/d2s_t", s2], [n.output[0]], name=f"{k}/d2s_reshape2"),
        ]
    del m.graph.node[:]
    m.graph.node.extend(nodes)
    return m


def to_ort(src: Path, dst: Path) -> None:
    """ONNX Runtime Mobile (.ort) with the converter tool's fixed optimizations."""
    from onnxruntime.tools.convert_onnx_models_to_ort import OptimizationStyle, convert_onnx_models_to_ort

    with tempfile.TemporaryDirectory() as tmp:
        tsrc = Path(tmp) / "in" / src.name
        tsrc.parent.mkdir()
        tsrc.write_bytes(src.read_bytes())
        out = Path(tmp) / "out"
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            convert_onnx_models_to_ort(tsrc.parent, out, optimization_styles=[OptimizationStyle.Fixed])
        made = list(out.glob("*.ort"))
        if len(made) != 1:
            raise ExportError(f"{src.name}: the ORT converter made {len(made)} files, expected 1")
        dst.write_bytes(made[0].read_bytes())


def checks(path: Path) -> dict:
    """Export-time checks saved in the manifest: op domains and ONNX Runtime's mobile usability."""
    import onnx

    m = onnx.load(str(path))
    domains = sorted({n.domain or "ai.onnx" for n in m.graph.node})
    if any(d not in ("ai.onnx",) for d in domains):
        raise ExportError(
            f"{path.name}: uses non-standard op domains {domains}; only the standard ONNX domain is allowed"
        )
    ops = sorted({n.op_type for n in m.graph.node})
    return {"onnx_checker_full": True, "op_domains": domains, "ops": ops, "opset": OPSET, **mobile_usability(path)}


def mobile_usability(path: Path) -> dict:
    """ONNX Runtime's mobile usability checker on a file: how many nodes the NNAPI and Core ML execution providers
    could take (the checker's static figure: neither provider runs here). It reports a dynamic-shape file twice,
    as it is (0 nodes: both providers need fixed shapes) and as if its shapes were fixed; edgegan's .ort files
    have fixed shapes (fixed_shapes) for that reason."""
    try:
        from onnxruntime.tools.mobile_helpers.usability_checker import analyze_model

        buf = io.StringIO()
        logger = logging.getLogger("edgegan.usability")
        logger.propagate = False
        logger.handlers = [logging.StreamHandler(buf)]
        logger.setLevel(logging.INFO)
        with contextlib.redirect_stdout(io.StringIO()):
            ok = analyze_model(path, skip_optimize=False, logger=logger)
    except Exception as e:  # the checker is advisory: record why it could not run
        return {"mobile_usability": {"error": f"{type(e).__name__}: {str(e)[:200]}"}}
    text = buf.getvalue()
    summary = {"recommend_mobile": bool(ok), "source": "onnxruntime usability checker (static; not run here)"}
    for ep, key in (("NNAPI", "nnapi"), ("CoreML NeuralNetwork", "coreml"), ("CoreML MLProgram", "coreml_mlprogram")):
        found = re.findall(rf"(\d+) partitions with a total of (\d+)/(\d+) nodes can be handled by the {ep} EP", text)
        if found:  # as the file is, then (a dynamic-shape file) with its shapes fixed
            summary[key] = f"{found[0][1]}/{found[0][2]} nodes in {found[0][0]} partition(s)"
            if len(found) > 1:
                summary[key] += f"; with fixed input shapes {found[1][1]}/{found[1][2]} in {found[1][0]}"
        else:
            summary[key] = "no summary"
    return {"mobile_usability": summary}


def fixed_shapes(src: Path, dst: Path, batch: int, size: tuple[int, int] | None = None) -> None:
    """``src`` with every dynamic input dimension fixed: the batch, and an any-size picture's height and width
    (``size``, the LiteRT files' size). NNAPI and Core ML take no node of a model with dynamic shapes."""
    import onnx
    from onnxruntime.tools.onnx_model_utils import fix_output_shapes, make_dim_param_fixed

    m = onnx.load(str(src))
    for inp in m.graph.input:
        dims = inp.type.tensor_type.shape.dim
        values = [batch, *(size or ())]
        for d, v in zip(dims, values):
            if d.dim_param:
                make_dim_param_fixed(m.graph, d.dim_param, v)
            elif not d.HasField("dim_value"):
                d.dim_value = v
    fix_output_shapes(m)
    onnx.save(m, str(dst))
