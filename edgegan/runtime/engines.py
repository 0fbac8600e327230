"""Engines of the light runtime: ONNX Runtime and LiteRT, behind one small interface.

An engine takes bytes that were already read and checked (never a path: a second read could
differ from the first, and LiteRT verifies a flatbuffer only when given ``model_content``),
runs float32 batches of any size in chunks, and quantizes/dequantizes int8 I/O with the
file's own scale and zero point (docs/reliability.md item 10).
"""

from __future__ import annotations

import functools
import json
import struct
import threading
from dataclasses import dataclass

import numpy as np

from edgegan.errors import BackendError, InputError, MissingDependency, ModelFileError
from edgegan.quiet import native_writes_hidden

DEFAULT_CHUNK = 256  # rows per engine call for dynamic-batch files: bounds memory


@dataclass(frozen=True)
class TensorInfo:
    name: str
    shape: tuple  # None for a dynamic dimension
    dtype: str
    scale: float | None = None  # int8 I/O only: real = scale * (q - zero_point)
    zero_point: int | None = None

    def to_dict(self) -> dict:
        d = {"name": self.name, "shape": list(self.shape), "dtype": self.dtype}
        if self.scale is not None:
            d["quantization"] = {"scale": self.scale, "zero_point": self.zero_point}
        return d


class Engine:
    """Base: ``run(x)`` maps float32 (N, ...) to float32 (N, ...); a conditional model's ``run(x, label)`` also
    takes integer labels (N,), a paired discriminator's ``run(source, image)`` two pictures."""

    kind = ""
    # the float input (z or image; a paired discriminator's source, then its image) first, then the integer label
    # of a conditional model
    inputs: list[TensorInfo]
    output: TensorInfo
    metadata: dict

    @property
    def input(self) -> TensorInfo:
        return self.inputs[0]

    @property
    def label(self) -> TensorInfo | None:
        """The integer input of one class per row, (N,) or (N, 1); None for a model without one."""
        return next((t for t in self.inputs if _is_int(t) and len(t.shape) <= 2), None)

    @property
    def floats(self) -> int:
        """How many float inputs the model takes (2 for a paired discriminator)."""
        return sum(not _is_int(t) for t in self.inputs)

    @property
    def batch(self) -> int | None:
        b = self.input.shape[0]
        return b if isinstance(b, int) and b > 0 else None

    def _run_chunk(self, xs: list[np.ndarray]) -> np.ndarray:
        raise NotImplementedError

    def run(self, x: np.ndarray, *rest: np.ndarray | None) -> np.ndarray:
        """Outputs for the inputs in the order of ``inputs`` (float inputs, then a label, then a map); a None stands
        for an input the model does not take."""
        xs = [x, *(a for a in rest if a is not None)]
        if len(xs) != len(self.inputs):
            short = self.label is not None and len(xs) == len(self.inputs) - 1
            raise InputError(
                "the model is conditional: pass labels"
                if short
                else f"the model takes {len(self.inputs)} inputs, got {len(xs)}"
            )
        # integer inputs in the file's own shape: (N,) labels for an (N, 1) input
        xs = [np.asarray(a).reshape(len(x), *t.shape[1:]) if _is_int(t) else a for a, t in zip(xs, self.inputs)]
        step = self.batch or DEFAULT_CHUNK
        outs = []
        for i in range(0, len(x), step):
            chunk = [a[i : i + step] for a in xs]
            n = len(chunk[0])
            if self.batch and n < self.batch:  # fixed-batch file: pad the tail
                chunk = [np.concatenate([a, np.zeros((self.batch - n, *a.shape[1:]), a.dtype)]) for a in chunk]
            outs.append(self._run_chunk(chunk)[:n])
        if outs:
            return np.concatenate(outs) + self.score_offset
        return np.zeros((0, *(d or 0 for d in self.output.shape[1:])), np.float32)

    @functools.cached_property
    def score_offset(self) -> float:
        """What export took off a critic's scores so that int8 can resolve them (edgegan.export.bundle: a
        critic drifted to 40 with a spread of 1 has no int8 step left for the spread); added back here."""
        import json

        try:
            return float(json.loads((self.metadata or {}).get("edgegan") or "{}").get("score_offset", 0.0))
        except (ValueError, TypeError, AttributeError):
            return 0.0


def _quantize(x: np.ndarray, t: TensorInfo) -> np.ndarray:
    info = np.iinfo(t.dtype)
    q = np.rint(x / t.scale) + t.zero_point
    return np.clip(q, info.min, info.max).astype(t.dtype)


def _dequantize(q: np.ndarray, t: TensorInfo) -> np.ndarray:
    return (t.scale * (q.astype(np.float32) - t.zero_point)).astype(np.float32)


# ---------------------------------------------------------------- ONNX Runtime
# Where an ONNX model can hold tensors, by protobuf field number (onnx/onnx.proto3): message kind -> {field: kind}
ONNX_FIELDS = {
    "model": {7: "graph", 25: "function"},  # ModelProto.graph, .functions
    "function": {7: "node"},  # FunctionProto.node
    "graph": {1: "node", 5: "tensor", 15: "sparse"},  # GraphProto.node, .initializer, .sparse_initializer
    "node": {5: "attribute"},  # NodeProto.attribute
    "attribute": {5: "tensor", 6: "graph", 10: "tensor", 11: "graph", 22: "sparse", 23: "sparse"},  # t g tensors graphs
    "sparse": {1: "tensor", 2: "tensor"},  # SparseTensorProto.values, .indices
}
TENSOR_EXTERNAL_DATA, TENSOR_DATA_LOCATION, EXTERNAL = 13, 14, 1  # TensorProto.external_data, .data_location


def has_external_data(data: bytes) -> bool:
    """True if an ONNX model keeps any tensor outside the file (TensorProto.data_location EXTERNAL, or
    external_data entries): initializers, sparse initializers, tensor attributes, subgraphs and functions.

    A tensor stored in a file outside the model is how the external-data path traversal CVEs reach the file
    system (docs/reliability.md item 4). Read from protobuf's wire format with the standard library: the
    onnx package's parser cost the ONNX path 1.06 s of cold start (its import, nearly all of it ml_dtypes;
    onnxruntime's own import takes 0.11 s), several seconds on a Raspberry Pi; this walks only the fields
    above and jumps over every tensor's data. A file that does not parse is left to ONNX Runtime, which refuses
    it with its own message."""
    try:
        return _external(memoryview(data), 0, len(data), "model", 0)
    except (IndexError, ValueError):
        return False


def _external(buf: memoryview, start: int, end: int, kind: str, depth: int) -> bool:
    if depth > 64:  # subgraphs nested deeper than any real model: malformed
        raise ValueError("nesting")
    inner = ONNX_FIELDS.get(kind, {})
    for field, wire, value in _wire_fields(buf, start, end):
        if kind == "tensor":
            if (field == TENSOR_EXTERNAL_DATA and wire == 2) or (
                field == TENSOR_DATA_LOCATION and wire == 0 and value == EXTERNAL
            ):
                return True
        elif field in inner and wire == 2 and _external(buf, *value, inner[field], depth + 1):
            return True
    return False


def _wire_fields(buf: memoryview, i: int, end: int):
    """(field number, wire type, value) of each field of one protobuf message in buf[i:end]; a length-delimited
    field's value is its (start, end), skipped over, not read."""
    while i < end:
        tag, i = _varint(buf, i)
        field, wire = tag >> 3, tag & 7
        if wire == 0:
            value, i = _varint(buf, i)
        elif wire == 2:
            n, i = _varint(buf, i)
            value, i = (i, i + n), i + n
        elif wire in (1, 5):
            value, i = None, i + (8 if wire == 1 else 4)
        else:  # groups (3, 4) are not in ONNX's schema
            raise ValueError(f"wire type {wire}")
        if i > end:
            raise ValueError("truncated")
        yield field, wire, value


def _varint(buf: memoryview, i: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        b = buf[i]
        value |= (b & 0x7F) << shift
        i += 1
        if b < 0x80:
            return value, i
        shift += 7
        if shift > 63:
            raise ValueError("varint")


class OnnxEngine(Engine):
    kind = "onnx"

    def __init__(
        self,
        data: bytes,
        name: str,
        threads: int | None = None,
        providers: list[str] | None = None,
        ort_format: bool = False,
        spin: bool = True,
    ):
        try:
            import onnxruntime as ort
        except ImportError as e:
            raise MissingDependency("onnxruntime is not installed; install it with: pip install 'edgegan[onnx]'") from e
        if not ort_format and has_external_data(data):
            raise ModelFileError(f"{name}: uses ONNX external data; edgegan loads single-file ONNX only (re-export it)")
        available = ort.get_available_providers()
        providers = providers or ["CPUExecutionProvider"]
        missing = [p for p in providers if p not in available]
        if missing:
            raise BackendError(
                f"execution provider {', '.join(missing)} is not in this onnxruntime build (it has: {', '.join(available)})"
            )
        so = ort.SessionOptions()
        so.log_severity_level = 3
        if threads:
            so.intra_op_num_threads = threads
            so.inter_op_num_threads = 1
        if not spin:
            so.add_session_config_entry("session.intra_op.allow_spinning", "0")
        if ort_format:
            so.add_session_config_entry("session.load_model_format", "ORT")
        try:
            self.session = ort.InferenceSession(data, sess_options=so, providers=providers)
        except Exception as e:  # onnxruntime raises its own Fail/InvalidGraph/... types
            raise ModelFileError(
                f"{name}: ONNX Runtime cannot load it ({type(e).__name__}: {str(e).splitlines()[0][:200]})"
            ) from e
        i, o = self.session.get_inputs(), self.session.get_outputs()
        infos = [
            TensorInfo(t.name, tuple(d if isinstance(d, int) else None for d in t.shape), _ort_dtype(t.type)) for t in i
        ]
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        self.inputs = ordered_inputs(infos, len(o), name, self.metadata)
        self.output = TensorInfo(
            o[0].name, tuple(d if isinstance(d, int) else None for d in o[0].shape), _ort_dtype(o[0].type)
        )
        self.threads = threads

    def _run_chunk(self, xs: list[np.ndarray]) -> np.ndarray:
        feed = {t.name: x.astype(t.dtype) for t, x in zip(self.inputs, xs)}
        return self.session.run([self.output.name], feed)[0].astype(np.float32)


def _is_int(t: TensorInfo) -> bool:
    return t.dtype in ("int32", "int64")


def ordered_inputs(infos: list[TensorInfo], outputs: int, name: str, metadata: dict | None = None) -> list[TensorInfo]:
    """The inputs as engines keep them: the float inputs (the one named source first, as a paired discriminator's
    is, then a latent (N, L), then the others, a StyleGAN's noise maps, by name), then an integer label (N,) or
    (N, 1) if there is one, then integer maps (N, H, W). Callers feed them by name (edgegan.signature); one output
    and at most one label, or it is not an edgegan model. A file whose edgegan metadata records its signature
    (edgegan.signature) keeps that order instead: callers pass its inputs in it, whatever order the file lists
    them in."""
    labels = [t for t in infos if _is_int(t) and len(t.shape) <= 2]
    maps = [t for t in infos if _is_int(t) and len(t.shape) == 3]
    floats = sorted((t for t in infos if not _is_int(t)), key=lambda t: ("source" not in t.name, len(t.shape) != 2))
    if outputs != 1 or not floats or len(labels) > 1 or len(labels + maps + floats) != len(infos):
        raise ModelFileError(
            f"{name}: expected one output and one input (or an input and an integer label or map), found "
            f"{len(infos)} inputs ({', '.join(t.dtype for t in infos)}) and {outputs} outputs"
        )
    order = floats + labels + maps
    names = [e.get("name") for e in _edgegan(metadata).get("signature") or [] if isinstance(e, dict)]
    mine = {input_name(t.name): t for t in order}
    return [mine[n] for n in names] if names and sorted(names) == sorted(mine) else order


def _edgegan(metadata: dict | None) -> dict:
    """The edgegan metadata a file carries ({} when none or unreadable)."""
    raw = (metadata or {}).get("edgegan") or (metadata or {}).get("edgegan.json")
    try:
        meta = json.loads(raw) if raw else {}
    except (TypeError, ValueError):
        return {}
    return meta if isinstance(meta, dict) else {}


def input_name(tensor: str) -> str:
    """A file's input name as edgegan gave it: LiteRT's signature prefix and the ":0" suffix taken off."""
    return tensor.removeprefix("serving_default_").split(":")[0]


def _ort_dtype(t: str) -> str:
    return {
        "tensor(float)": "float32",
        "tensor(float16)": "float16",
        "tensor(int8)": "int8",
        "tensor(uint8)": "uint8",
        "tensor(int32)": "int32",
        "tensor(int64)": "int64",
    }.get(t, t)


# ---------------------------------------------------------------- LiteRT
def _interpreter_class():
    try:
        from ai_edge_litert.interpreter import Interpreter, load_delegate
    except ImportError:
        try:  # the older standalone package, accepted as a fallback engine
            from tflite_runtime.interpreter import Interpreter, load_delegate
        except ImportError as e:
            raise MissingDependency(
                "ai-edge-litert is not installed; install it with: pip install 'edgegan[tflite]'"
            ) from e
    return Interpreter, load_delegate


class LiteRTEngine(Engine):
    kind = "tflite"

    def __init__(self, data: bytes, name: str, threads: int | None = None, delegate: str | None = None):
        Interpreter, load_delegate = _interpreter_class()
        if len(data) < 8 or data[4:8] != b"TFL3":
            raise ModelFileError(f"{name}: not a TFLite flatbuffer (no TFL3 identifier)")
        delegates = []
        if delegate:
            try:
                delegates.append(load_delegate(delegate))
            except (ValueError, OSError, RuntimeError) as e:
                raise BackendError(
                    f"LiteRT delegate {delegate!r} cannot be loaded ({str(e).splitlines()[0][:160]}); is its library installed?"
                ) from e
        try:
            with native_writes_hidden():  # "INFO: Created TensorFlow Lite XNNPACK delegate for CPU." (edgegan.quiet)
                self.interp = Interpreter(
                    model_content=data, num_threads=threads, experimental_delegates=delegates or None
                )
                self.interp.allocate_tensors()
        except (ValueError, RuntimeError) as e:
            raise ModelFileError(f"{name}: LiteRT cannot load it ({str(e).splitlines()[0][:200]})") from e
        i, o = self.interp.get_input_details(), self.interp.get_output_details()
        index = {d["name"]: d["index"] for d in i}
        self.metadata = read_tflite_metadata(data)
        self.inputs = ordered_inputs([_tfl_info(d) for d in i], len(o), name, self.metadata)
        self.output = _tfl_info(o[0])
        self._in_index, self._out_index = [index[t.name] for t in self.inputs], o[0]["index"]
        self.threads = threads
        self._lock = threading.Lock()  # a LiteRT Interpreter is not thread-safe (docs/design.md, "Toolchain notes")

    def _run_chunk(self, xs: list[np.ndarray]) -> np.ndarray:
        xs = [_quantize(x, t) if t.scale is not None else x.astype(t.dtype) for t, x in zip(self.inputs, xs)]
        with self._lock:
            for index, x in zip(self._in_index, xs):
                self.interp.set_tensor(index, x)
            self.interp.invoke()
            y = self.interp.get_tensor(self._out_index)
        return _dequantize(y, self.output) if self.output.scale is not None else y.astype(np.float32)


def _tfl_info(d: dict) -> TensorInfo:
    dtype = np.dtype(d["dtype"]).name
    scale, zp = d.get("quantization", (0.0, 0))
    quantized = dtype in ("int8", "uint8", "int16") and scale
    return TensorInfo(
        d["name"],
        tuple(int(v) for v in d["shape"]),
        dtype,
        float(scale) if quantized else None,
        int(zp) if quantized else None,
    )


def read_tflite_metadata(data: bytes) -> dict:
    """The ``edgegan*`` entries of a TFLite file's Model.metadata, as {name: text}.

    Read with the flatbuffers schema that ai-edge-litert ships (``schema_py_generated``); the older
    tflite_runtime package has none, and then a bare file is described by its I/O shapes alone.
    Malformed offsets give {}: LiteRT's own verifier judges the file when the interpreter loads it."""
    try:
        from ai_edge_litert.schema_py_generated import Model
    except ImportError:
        return {}
    try:
        model = Model.GetRootAs(data, 0)
        out = {}
        for i in range(min(model.MetadataLength(), 64)):
            entry = model.Metadata(i)
            name = (entry.Name() or b"").decode("utf-8", "replace")
            if not name.startswith("edgegan") or entry.Buffer() >= model.BuffersLength():
                continue
            buf = model.Buffers(entry.Buffer())
            if buf.Offset() > 1:  # stored after the flatbuffer (files over 2 GB)
                raw = data[buf.Offset() : buf.Offset() + buf.Size()]
            else:
                raw = buf.DataAsNumpy().tobytes() if buf.DataLength() else b""
            out[name] = raw.decode("utf-8", "replace")
        return out
    except (struct.error, IndexError, ValueError, TypeError, AttributeError):
        return {}
