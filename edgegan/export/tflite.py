"""LiteRT (TFLite) export through Keras' ``model.export(format="litert")``.

Pitfall: with a dynamic batch the generator's UpSampling2D leaves a dynamic height and the
converter falls back to a Flex op (FlexConv2D) that plain LiteRT cannot run. A fixed batch
(1 by default) converts to builtin ops only; supported_ops is restricted to builtins so a Flex
op fails here, at export, not on the device.
"""

from __future__ import annotations

import contextlib
import io
import itertools
import json
import tempfile
from pathlib import Path

import numpy as np

from edgegan.errors import ExportError
from edgegan.export import isolated

INT8_COMPUTE_EXEMPT = {"QUANTIZE", "DEQUANTIZE", "RESHAPE", "SHAPE", "PACK", "STRIDED_SLICE", "CONCATENATION"}


def keras_to_tflite(
    model,
    path: Path,
    precision: str,
    batch: int,
    calibration,
    metadata: dict,
    names=None,
    size=None,
    float_nodes=(),
    child: bool | None = None,
) -> None:
    """Convert with a fixed batch (and, for a picture input of any size, the fixed ``size``). ``calibration``: the
    float input's rows, or [those, integer labels] for a conditional model (its label input stays int32 in every
    precision, int8-io included), or [source, image] rows for a paired discriminator whose inputs ``names``
    maps from Keras' names to edgegan's. ``float_nodes``: an int8 file's tensors kept in float (int8_layer_errors).
    The conversion runs from the model written as a SavedModel, in a child process for a large model
    (edgegan.export.isolated) or when ``child`` says so."""
    saved, feeds = _saved(model, precision, batch, calibration, names, size)
    with tempfile.TemporaryDirectory() as tmp:
        raw = Path(tmp) / "model.tflite"
        kw = dict(saved=str(saved), out=str(raw), precision=precision, batch=batch)
        kw.update(child=isolated.wanted(model) if child is None else child, float_nodes=list(float_nodes))
        isolated.call("edgegan.export.tflite:convert_saved", path.name, feeds, **kw)
        data = raw.read_bytes()
    if precision == "fp16":
        data = float_gather_tables(data)
    path.write_bytes(add_metadata(data, {"edgegan": json.dumps(metadata, sort_keys=True)}))


def int8_layer_errors(model, precision: str, batch: int, calibration, names=None, size=None) -> list[tuple]:
    """The Keras layers of a full-int8 file by how much int8 loses in them, worst first: [(layer, error, its
    tensors)], error = the largest RMSE / scale of the layer's tensors, int8 against float on the calibration rows,
    as TensorFlow's QuantizationDebugger measures each op (with float inputs, so an op's own loss, not what it
    inherits). A tensor's layer is the scope of its name a Keras layer's name fits (edgegan.export.onnx.layer_of)."""
    from edgegan.export.inspect import leaf_layers

    saved, feeds = _saved(model, precision, batch, calibration, names, size)
    kw = dict(saved=str(saved), precision=precision, batch=batch, child=isolated.wanted(model))
    stats = isolated.call("edgegan.export.tflite:int8_op_errors", f"{model.name}'s int8 layer errors", feeds, **kw)
    from edgegan.export.onnx import layer_of

    # leaf layers: a nested model's scope (a wrapped generator's, edgegan.export.compose) holds every op under it
    names = [layer.name.removesuffix("_rank4") for layer in leaf_layers(model)]
    layers: dict[str, list] = {}
    for err, tensor in stats:
        layers.setdefault(layer_of(tensor, names) or tensor, []).append((err, tensor))
    out = [(name, max(e for e, _ in rows), [n for _, n in rows]) for name, rows in layers.items()]
    return sorted(out, key=lambda r: -r[1])


def _saved(model, precision: str, batch: int, calibration, names, size) -> tuple[Path, dict]:
    """(``model`` as a SavedModel, as Keras' LiteRT export writes it: a "serve" endpoint with the input signature
    fixed at ``batch`` and ``size``; the int8 calibration feeds by input name, "feed_<name>", {} for other
    precisions)."""
    from edgegan.export.onnx import calibration_feeds, input_signature, saved_model

    float_name = names or next(t.name.split(":")[0] for t in model.inputs if "int" not in str(t.dtype))
    signature = input_signature(model, batch, float_name, size)
    saved = saved_model(model, signature)
    if precision not in ("int8", "int8-io"):
        return saved, {}
    if calibration is None:
        raise ExportError("full int8 needs calibration data")
    specs = signature[0] if len(model.inputs) > 1 else signature
    feeds = calibration_feeds([(t.name, t.dtype.name, len(t.shape)) for t in specs], calibration)
    return saved, {f"feed_{k}": v for k, v in feeds.items()}


# In the child process (edgegan.export.isolated): TensorFlow's converter, from the SavedModel.


def convert_saved(saved: str, out: str, precision: str, batch: int, float_nodes: list, **feeds) -> None:
    """The LiteRT file of ``saved`` in ``precision``, written to ``out``; with ``float_nodes`` through the
    QuantizationDebugger's denylist (Keras' LiteRT export, whose options these are, takes none), from the model
    int8_op_errors calibrated on the same feeds when it is there."""
    cached = _calibrated_path(saved, precision, batch, feeds)
    if float_nodes and cached.is_file():
        data = _quantize(cached.read_bytes(), float_nodes)
    elif float_nodes:
        data = _debugger(saved, precision, batch, feeds, float_nodes).get_nondebug_quantized_model()
    else:
        data = _converter(saved, precision, batch, feeds).convert()
    Path(out).write_bytes(data)


def runs_alone(path: Path) -> str | None:
    """None when LiteRT runs the file at ``path`` once on zeros in a child process (LiteRT alone, 0.10 s measured),
    else why not, in words. An int8 file can hold a tensor that calibration saw constant (StyleGAN's minibatch
    standard deviation at batch 1: a variance of one picture, always 0): its scale is about 4e-9 and LiteRT aborts
    the process that prepares the file (SIGABRT, measured on zoo.multi.stylegan_discriminator; a LiteRT int8
    file of TensorFlow's CycleGAN generator, converted after "scale out of expressed type range", did too), so the
    export process must not be the first to load it."""
    try:
        isolated.call("edgegan.export.tflite:run_file_once", path.name, who="LiteRT, running it once,", path=str(path))
    except ExportError as e:
        return str(e).split(": ", 1)[-1]
    return None


def run_file_once(path: str) -> None:
    """One run of the LiteRT file at ``path`` on zeros (the child of runs_alone)."""
    from ai_edge_litert.interpreter import Interpreter

    it = Interpreter(model_path=path)  # not the signature runner: whether it loads is checked afterwards (api_check)
    it.allocate_tensors()
    for d in it.get_input_details():
        it.set_tensor(d["index"], np.zeros(d["shape"], d["dtype"]))
    it.invoke()


def int8_op_errors(saved: str, precision: str, batch: int, **feeds) -> list:
    """[(RMSE / scale, tensor name)] of every quantized op of the full-int8 file, on the calibration feeds."""
    import csv

    debugger = _debugger(saved, precision, batch, feeds, [])
    _calibrated_path(saved, precision, batch, feeds).write_bytes(debugger.calibrated_model)
    with tempfile.TemporaryDirectory() as tmp:  # the debugger runs the quantized model here: a file LiteRT dies on
        full = Path(tmp) / "full-int8.tflite"  # must stop this search, not the process (runs_alone)
        full.write_bytes(debugger.get_nondebug_quantized_model())
        why = runs_alone(full)
    if why is not None:
        raise ExportError(f"the full-int8 file: {why}")
    with contextlib.redirect_stdout(io.StringIO()):
        debugger.run()
    buf = io.StringIO()
    debugger.layer_statistics_dump(buf)
    rows = []
    for r in csv.DictReader(io.StringIO(buf.getvalue())):
        scale = float(r["scale"] or 0)
        rows.append((float(np.sqrt(float(r["mean_squared_error"])) / scale) if scale else 0.0, r["tensor_name"]))
    return rows


def _calibrated_path(saved: str, precision: str, batch: int, feeds: dict) -> Path:
    """Where int8_op_errors keeps the model it calibrated, beside the SavedModel (removed with it), named by what
    calibrated it. Each file that keeps layers in float quantizes this one again with its own denylist, as the
    QuantizationDebugger does, instead of calibrating anew: a calibration runs the float model over every
    calibration picture, for each trial (at 256x256 a CycleGAN run per picture), a quantization runs none."""
    import hashlib

    digest = hashlib.sha1(f"{precision} {batch}".encode())
    for name in sorted(feeds):
        digest.update(name.encode() + np.ascontiguousarray(feeds[name]).tobytes())
    return Path(saved) / f"calibrated-{digest.hexdigest()[:16]}.tflite"


def _quantize(calibrated: bytes, float_nodes: list) -> bytes:
    """The int8 file of a calibrated model with ``float_nodes`` left in float: QuantizationDebugger's
    get_nondebug_quantized_model with its default options (float input and output, per-channel weights)."""
    from tensorflow.lite.python import convert

    return convert.mlir_quantize(calibrated, disable_per_channel=False, fully_quantize=False,
                                 enable_numeric_verify=False, denylisted_nodes=list(float_nodes))  # fmt: skip


def _converter(saved: str, precision: str, batch: int, feeds: dict):
    """TFLiteConverter.from_saved_model with the options of a ``precision`` file (as Keras' LiteRT export sets
    them: resource variables on, builtin ops only)."""
    import tensorflow as tf

    conv = tf.lite.TFLiteConverter.from_saved_model(saved)
    conv.experimental_enable_resource_variables = True
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    if precision in ("fp16", "dynamic", "int8", "int8-io"):
        conv.optimizations = [tf.lite.Optimize.DEFAULT]
    if precision == "fp16":
        conv.target_spec.supported_types = [tf.float16]
    if precision in ("int8", "int8-io"):
        conv.representative_dataset = _representative(feeds, batch)
        conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    if precision == "int8-io":
        conv.inference_input_type = conv.inference_output_type = tf.int8
    return conv


def _representative(feeds: dict, batch: int):
    """Rows of the calibration feeds, ``batch`` at a time, as a dict by input name (the converter's own input order
    is not the model's)."""
    feeds = {k.removeprefix("feed_"): v for k, v in feeds.items()}
    n = len(next(iter(feeds.values())))

    def rows():
        for i in range(0, n - batch + 1, batch):
            yield {
                k: v[i : i + batch] if "int" in str(v.dtype) else v[i : i + batch].astype(np.float32)
                for k, v in feeds.items()
            }

    return rows


DEBUG_ROWS = 8  # calibration batches the debugger compares op by op (each one through a float and an int8 model)


def _debugger(saved: str, precision: str, batch: int, feeds: dict, float_nodes):
    """TensorFlow's QuantizationDebugger of the ``precision`` conversion, ``float_nodes`` left in float (float
    kernels allowed beside the int8 ones). It feeds its interpreter a list in the order of the file's input
    details, which is not the model's (a StyleGAN file lists noise_16x16 before noise_4x4): the rows are put in the
    calibrated model's order, read once it is made (the debug rows are drawn only later, by run())."""
    import tensorflow as tf

    conv = _converter(saved, precision, batch, feeds)
    conv.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8, tf.lite.OpsSet.TFLITE_BUILTINS]
    options = tf.lite.experimental.QuantizationDebugOptions(denylisted_nodes=list(float_nodes) or None)
    rep, order = conv.representative_dataset, []
    rows = lambda: ([feed[n] for n in order] for feed in itertools.islice(rep(), DEBUG_ROWS))  # noqa: E731
    debugger = tf.lite.experimental.QuantizationDebugger(converter=conv, debug_dataset=rows, debug_options=options)
    details = tf.lite.Interpreter(model_content=debugger.calibrated_model).get_input_details()
    order += [d["name"].removeprefix("serving_default_").split(":")[0] for d in details]
    return debugger


def int8_io_from_int8(src: Path, dst: Path, metadata: dict) -> bool:
    """Write the int8-I/O file from the float-I/O full-int8 one: the same calibrated graph with the Quantize
    and Dequantize at its edges removed, by LiteRT's own ``modify_model_interface``. Converting and
    calibrating a second time cost 43 s of a 4-minute export of keras.io's 64x64x3 generator; this takes
    0.1 s and gives identical outputs (measured). False when the tool is missing or refuses the file."""
    try:
        from ai_edge_litert._pywrap_modify_model_interface import modify_model_interface
    except ImportError:
        return False
    tmp = dst.with_suffix(".interface.tflite")
    int8 = 9  # tflite::TensorType_INT8
    try:
        if modify_model_interface(str(src), str(tmp), int8, int8) != 0:
            return False
        data = with_signature_of(src.read_bytes(), tmp.read_bytes())
        dst.write_bytes(add_metadata(data, {"edgegan": json.dumps(metadata, sort_keys=True)}))
    finally:
        tmp.unlink(missing_ok=True)
    return True


def with_signature_of(src: bytes, data: bytes) -> bytes:
    """``data`` (``src`` with its interface rewritten) with ``src``'s SignatureDefs and I/O tensor names.

    ``modify_model_interface`` removes the edge Quantize/Dequantize ops and their tensors, so tensor indices
    shift, but it leaves the SignatureDef as it was: its entries then name a removed tensor (or one past the
    end), and LiteRT's signature runner and CompiledModel API refuse the file ("Signature output does not
    refer to a valid tensor index"), while the Interpreter, which reads subgraph I/O, runs it. Each signature
    entry is re-pointed at the tensor that now stands at the same subgraph input or output position, and those
    tensors get their original names back (the rewrite calls them "tfl.quantize")."""
    from tensorflow.lite.tools import flatbuffer_utils

    old = flatbuffer_utils.convert_bytearray_to_object(bytearray(src))
    new = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    for sig in old.signatureDefs or []:
        was, now = old.subgraphs[sig.subgraphIndex], new.subgraphs[sig.subgraphIndex]
        for entries, before, after in ((sig.inputs, was.inputs, now.inputs), (sig.outputs, was.outputs, now.outputs)):
            for entry in entries:
                position = list(before).index(entry.tensorIndex)
                entry.tensorIndex = int(after[position])
                now.tensors[entry.tensorIndex].name = was.tensors[before[position]].name
    new.signatureDefs = old.signatureDefs
    return bytes(flatbuffer_utils.convert_object_to_bytearray(new))


def float_gather_tables(data: bytes) -> bytes:
    """``data`` with each float16 table read by GATHER stored in float32 (an fp16 file's embedding of labels).

    The fp16 converter stores every float constant as float16 behind a DEQUANTIZE. LiteRT's GPU accelerator
    folds those into the weights of convolutions, but a GATHER whose table comes from one it refuses ("GATHER:
    Input / output dtype mismatch"), and with it the DEQUANTIZE: measured on mnist-cdcgan's fp16 generator,
    19 of 42 ops fell to the CPU. float16 -> float32 is exact, so a table stored as float32 (the DEQUANTIZE's
    output tensor made the constant, the op dropped, its float16 copy emptied) gives the same numbers and the file
    stays on the GPU; it grows by the table's float16 size (mnist-cdcgan's discriminator: 10 x 4096, 80 KB)."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    codes = [max(c.builtinCode, c.deprecatedBuiltinCode) for c in model.operatorCodes]
    DEQUANTIZE, GATHER = schema.BuiltinOperator.DEQUANTIZE, schema.BuiltinOperator.GATHER
    changed = False
    for sg in model.subgraphs:
        users: dict[int, list] = {}
        for op in sg.operators:
            for pos, t in enumerate(op.inputs):
                users.setdefault(int(t), []).append((codes[op.opcodeIndex], pos))
        kept = []
        for op in sg.operators:
            src = sg.tensors[op.inputs[0]] if codes[op.opcodeIndex] == DEQUANTIZE else None
            table = model.buffers[src.buffer].data if src is not None else None
            readers = users.get(int(op.outputs[0]), []) if src is not None else []
            if (
                table is not None
                and src.type == schema.TensorType.FLOAT16
                and readers
                and all(code == GATHER and pos == 0 for code, pos in readers)
            ):
                buf = schema.BufferT()
                buf.data = np.frombuffer(bytes(table), np.float16).astype(np.float32).view(np.uint8)
                model.buffers.append(buf)
                sg.tensors[op.outputs[0]].buffer = len(model.buffers) - 1
                changed = True
                if users.get(int(op.inputs[0]), []) == [(DEQUANTIZE, 0)]:  # nothing else reads the float16 copy
                    model.buffers[src.buffer].data = None
                continue
            kept.append(op)
        sg.operators = kept
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model)) if changed else data


def add_metadata(data: bytes, entries: dict[str, str]) -> bytes:
    """Append named metadata buffers to a TFLite flatbuffer (schema Model.metadata)."""
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(data))
    model.metadata = [m for m in (model.metadata or []) if m.name.decode() not in entries] if model.metadata else []
    for name, text in entries.items():
        buf = schema.BufferT()
        buf.data = np.frombuffer(text.encode(), np.uint8)
        model.buffers.append(buf)
        md = schema.MetadataT()
        md.name, md.buffer = name, len(model.buffers) - 1
        model.metadata.append(md)
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


def checks(data: bytes, precision: str) -> dict:
    """Builtin ops only; for int8-I/O, every compute op in int8. Whether the file runs on a GPU is measured, not
    guessed (edgegan.export.gpu): TensorFlow's Analyzer(gpu_compatibility=True) passed files that LiteRT's GPU
    accelerator then ran half on the CPU."""
    from ai_edge_litert.interpreter import Interpreter, OpResolverType

    # Without default delegates: with XNNPACK applied the op list shows one DELEGATE node.
    it = Interpreter(model_content=data, experimental_op_resolver_type=OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES)
    ops = it._get_ops_details()  # readable before allocate_tensors, which a Flex op would fail
    names = sorted({o["op_name"] for o in ops})
    bad = [n for n in names if n.startswith("Flex") or n in ("CUSTOM", "DELEGATE")]
    if bad:
        raise ExportError(f"TFLite file uses non-builtin ops {bad}; it would not run on plain LiteRT")
    it.allocate_tensors()
    out: dict = {"builtin_ops_only": True, "ops": names}
    if precision == "int8-io":
        tensors = {t["index"]: t for t in it.get_tensor_details()}
        float_ops = []
        for o in ops:
            if o["op_name"] in INT8_COMPUTE_EXEMPT:
                continue
            types = {
                np.dtype(tensors[i]["dtype"]).name
                for i in list(o["inputs"]) + list(o["outputs"])
                if i >= 0 and i in tensors
            }
            types -= {"int32", "bool"}  # biases, shape operands; a label's bounds check (LESS/SELECT on int32)
            if types - {"int8"}:
                float_ops.append(f"{o['op_name']}({','.join(sorted(types))})")
        io_types = [np.dtype(d["dtype"]).name for d in it.get_input_details() + it.get_output_details()]
        io_types = [t for t in io_types if t != "int32"]  # a conditional model's label: an integer, not quantized
        if float_ops or any(t != "int8" for t in io_types):
            raise ExportError(
                f"int8-io TFLite file has float compute ops {float_ops} or I/O {io_types}; an Edge TPU compiler would reject it"
            )
        quant_ops = [o["op_name"] for o in ops if o["op_name"] in ("QUANTIZE", "DEQUANTIZE")]
        out["int8_compute_only"] = True
        out["quantize_ops"] = len(quant_ops)
    return out
