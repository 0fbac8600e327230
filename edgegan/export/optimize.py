"""Export-time rewrites: upsampling convolutions -> ordinary convolutions on the low-resolution input.

Exact, not approximations. Two patterns are one idea: a layer that makes an output s times larger than
its input (s = 2; s = 1 for a stride-1 transposed convolution) is s x s *phase* correlations on the input,
one per output phase (row % s, column % s), each with the kernel taps that land on that phase, their
outputs interleaved by depth_to_space(s). Along one axis, output row o = s*q + a reads input rows
q + m for a few offsets m, and tap d of the original kernel lands on offset m(a, d):

- nearest UpSampling2D(2) + Conv2D(k, same): the convolution reads upsampled rows o + d - pb
  (pb = (k - 1) // 2), which are input rows floor((o + d - pb) / 2), so m = floor((a + d - pb) / 2);
  taps on the same input row are summed (k = 3: 2 rows per phase, 4 instead of 9 multiply-adds per pixel);
- Conv2DTranspose(k, stride s): tap d of input row i reaches output row s*i + d - p (p its leading pad), so
  m = (a + p - d) / s where that is an integer; each tap lands on exactly one phase (the textbook identity:
  stride 1 is a convolution with the kernel flipped and in/out channels swapped). Keras stores the kernel
  as (kh, kw, out, in); 'same' pads p = max(0, (H - 1) * s + k - L) // 2 (L the output length), 'valid' 0.

Zero padding of the input stands for the rows outside it, so borders match. BatchNorm (inference
statistics) folds into the phase kernels and bias, and a following relu is fused.

The patterns are found structurally (UpSampling2D(2, nearest) -> Conv2D(stride 1, same, no dilation), or
Conv2DTranspose(stride 1 or 2, same or valid, output_padding or not, no dilation), each [-> BatchNormalization]
[-> Activation relu/linear]) in a linear chain of layers, not by names, in any Keras form (functional,
Sequential, nested), or, in a functional graph with branches (U-Net skips, residual Adds), each upsampling
convolution where it stands (_rewrite_graph); other layers are left unchanged, and a rewritten model must match
the original on random inputs before it is used.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import NamedTuple

import numpy as np

PHASES = ((0, 0), (0, 1), (1, 0), (1, 1))  # output phases (row, column), the order depth_to_space interleaves
FORMS = ("split", "fused", "pads")
# upsample+conv blocks, Conv2DTranspose blocks, and the layers after them run on the phases (edgegan.export.carry):
# "carry" any convolution, "carry5" only one with a kernel of 5 or more (see carry_kernel)
KINDS = ("upsample", "transposed", "carry")
CARRY_KERNELS = {"carry": 1, "carry5": 5}


def carry_kernel(kinds: tuple[str, ...]) -> int | None:
    """The least kernel of a convolution carried past the interleave under ``kinds``, None for no carry.

    On phases a k x k convolution reads a window of w x w shifts of all four phases (w = 1 for k 1, 3 for k 3 and
    5, 5 for k 7 and 9), w^2 * 4 / k^2 times its multiply-adds: 4x for k 1 and 3, 1.44x for k 5. Measured with
    tools/bench_own_gan.py --choices (docs/bench_own_gan_choices.json, batch 1, 2 threads, Intel Xeon with
    AVX-512 VNNI): LiteRT gains from k 5 (keras.io's 512 -> 3 channels: 29.5 -> 23.2 ms fp32, 3.44 -> 2.54 ms
    int8) and not from k 3 (the seed's 64 -> 1: 0.609 -> 0.622 ms fp32, 0.150 -> 0.164 ms int8; Keras-GAN's
    64 -> 3: 0.857 -> 0.842 ms fp32, 0.212 -> 0.222 ms int8); ONNX Runtime gains from both, its interleave
    being the cost (seed fp32 0.961 -> 0.859 ms, Keras-GAN 1.221 -> 1.115 ms, keras.io 27.0 -> 19.7 ms)."""
    return min((CARRY_KERNELS[k] for k in kinds if k in CARRY_KERNELS), default=None)


class Choice(NamedTuple):
    """How one exported file is rewritten: the form, and which kinds of block (the others stay as built)."""

    form: str
    kinds: tuple[str, ...] = KINDS
    # an any-size generator's LiteRT files: rewritten at their fixed (height, width) (at_size); None: as it takes
    size: tuple[int, int] | None = None

    @property
    def tag(self) -> str:
        return self.form if self.kinds == KINDS else f"{self.form}-{'-'.join(self.kinds)}"

    @staticmethod
    def parse(tag: str) -> Choice:
        """The choice a ``tag`` names: "pads" (every kind), "pads-upsample-transposed" (no carry), ..."""
        form, *kinds = tag.split("-")
        known = (*KINDS, "carry5")
        if form not in FORMS or not set(kinds) <= set(known):
            raise ValueError(
                f"not a rewrite choice: {tag!r} (a form, {', '.join(FORMS)}, then -kinds of {', '.join(known)}; "
                "e.g. pads-upsample-transposed)"
            )
        return Choice(form, tuple(k for k in known if k in kinds) if kinds else KINDS)


@dataclass(frozen=True)
class Axis:
    """One spatial axis of an upsampling layer as ``stride`` phase correlations on its input.

    Phase a (output rows s*q + a, q = 0 .. groups - 1) reads input rows q + offsets[a] + j, j < n_a, with
    taps[a] (n_a, k): which kernel taps are summed into its row j. ``length`` is the layer's output length;
    ``shift`` c starts the output grid c rows early (output rows s*g - c + e for sub-position e), which
    lets all phases share one window (the "fused" form); the extra rows are cropped."""

    stride: int
    size: int  # input length
    length: int  # output length
    offsets: tuple[int, ...]
    taps: tuple[np.ndarray, ...]
    shift: int = 0

    @staticmethod
    def build(s: int, k: int, size: int, length: int, m_of) -> Axis:
        offsets, taps = [], []
        for a in range(s):
            rows = {d: m_of(a, d) for d in range(k)}
            rows = {d: m for d, m in rows.items() if m is not None}
            lo, hi = min(rows.values()), max(rows.values())
            t = np.zeros((hi - lo + 1, k), np.float32)
            for d, m in rows.items():
                t[m - lo, d] = 1.0
            offsets.append(lo)
            taps.append(t)
        return Axis(s, size, length, tuple(offsets), tuple(taps))

    @property
    def groups(self) -> int:
        return -(-(self.length + self.shift) // self.stride)

    def sub(self, e: int) -> tuple[int, np.ndarray]:
        """Sub-position e of the (shifted) output grid: (first input row it reads relative to g, its taps)."""
        a = (e - self.shift) % self.stride
        return (e - self.shift) // self.stride + self.offsets[a], self.taps[a]

    def pads(self, e: int) -> tuple[int, int]:
        """Zero padding (before, after) of the input for sub-position e's correlation: may be negative (crop)."""
        off, t = self.sub(e)
        return -off, (self.groups - 1) + off + len(t) - 1 - (self.size - 1)

    def window(self) -> tuple[int, int]:
        """(first offset, width) of the one window that covers every sub-position's rows."""
        spans = [(off, off + len(t)) for off, t in map(self.sub, range(self.stride))]
        lo = min(a for a, _ in spans)
        return lo, max(b for _, b in spans) - lo

    def fused(self) -> Axis:
        """The same axis with the shift whose shared window is narrowest (k = 4, s = 2: 2 rows, not 3)."""
        return min((replace(self, shift=c) for c in range(self.stride)), key=lambda a: a.window()[1])


def upsample_axis(k: int, size: int) -> Axis:
    """Nearest 2x upsampling then a stride-1 'same' convolution with k taps, along one axis."""
    pb = (k - 1) // 2
    return Axis.build(2, k, size, 2 * size, lambda a, d: (a + d - pb) // 2)


def transposed_axis(k: int, s: int, size: int, padding: str, output_padding: int | None) -> Axis:
    """A transposed convolution with k taps and stride s along one axis (Keras' output length and TF's pad)."""
    if output_padding is None:
        length = size * s + max(k - s, 0) if padding == "valid" else size * s
    else:
        length = (size - 1) * s + k - 2 * (k // 2 if padding == "same" else 0) + output_padding
    p = max(0, (size - 1) * s + k - length) // 2 if padding == "same" else 0
    return Axis.build(s, k, size, length, lambda a, d: (a + p - d) // s if (a + p - d) % s == 0 else None)


@dataclass
class Plan:
    """One rewritten block: its axes, kernel (kh, kw, Cin, Cout) and bias after BatchNorm folding."""

    rows: Axis
    cols: Axis
    kernel: np.ndarray
    bias: np.ndarray
    relu: bool

    def phase_kernels(self) -> list[np.ndarray]:
        """One (n_row, n_col, Cin, Cout) kernel per sub-position, in depth_to_space order."""
        return [
            np.einsum("md,ne,decf->mncf", self.rows.sub(er)[1], self.cols.sub(ec)[1], self.kernel)
            for er in range(self.rows.stride)
            for ec in range(self.cols.stride)
        ]

    def wide_kernel(self) -> np.ndarray:
        """The fused form's one kernel: every sub-position's kernel placed in the shared window, stacked."""
        (r0, rn), (c0, cn) = self.rows.window(), self.cols.window()
        out = []
        for i, kp in enumerate(self.phase_kernels()):
            er, ec = divmod(i, self.cols.stride)
            w = np.zeros((rn, cn, *kp.shape[2:]), kp.dtype)
            ro, co = self.rows.sub(er)[0] - r0, self.cols.sub(ec)[0] - c0
            w[ro : ro + kp.shape[0], co : co + kp.shape[1]] = kp
            out.append(w)
        return np.concatenate(out, axis=-1)


def fold_batchnorm(w: np.ndarray, b: np.ndarray, bn) -> tuple[np.ndarray, np.ndarray]:
    gamma, beta, mean, var = (v.numpy() if hasattr(v, "numpy") else np.asarray(v) for v in _bn_params(bn))
    s = gamma / np.sqrt(var + bn.epsilon)
    return w * s, (b - mean) * s + beta


def _bn_params(bn):
    n = bn.moving_mean.shape[0]
    gamma = bn.gamma if bn.scale else np.ones(n, np.float32)
    beta = bn.beta if bn.center else np.zeros(n, np.float32)
    return gamma, beta, bn.moving_mean, bn.moving_variance


def _phase_layer_class():
    import keras
    import tensorflow as tf

    def conv(x, k, pr, pc):
        """VALID-equivalent convolution of x with k under padding (before, after) per axis; negative = crop."""
        if min(*pr, *pc) >= 0:
            return tf.nn.conv2d(x, k, 1, [[0, 0], list(pr), list(pc), [0, 0]])
        x = x[:, max(0, -pr[0]) : x.shape[1] - max(0, -pr[1]), max(0, -pc[0]) : x.shape[2] - max(0, -pc[1]), :]
        return tf.nn.conv2d(x, k, 1, [[0, 0], [max(0, v) for v in pr], [max(0, v) for v in pc], [0, 0]])

    class PhaseConv2D(keras.layers.Layer):
        """An upsampling convolution block as phase convolutions + depth_to_space (see the module docstring)."""

        def __init__(self, plan: Plan, form: str = "split", interleave: bool = True, **kw):
            super().__init__(**kw)
            self.interleave = interleave  # False: return the phase tensor (B, H, W, 4 Cout) (edgegan.export.carry)
            if form == "fused":
                plan = Plan(plan.rows.fused(), plan.cols.fused(), plan.kernel, plan.bias, plan.relu)
            self.plan, self.form = plan, form
            kernels = [plan.wide_kernel()] if form == "fused" else plan.phase_kernels()
            # Layer weights (not tf.constant captures: the ONNX exporter turns captures into graph inputs).
            self.kernels = [self._constant(k, f"kernel_{i}") for i, k in enumerate(kernels)]
            self.bias = self._constant(plan.bias, "bias")

        def _constant(self, value: np.ndarray, name: str):
            v = self.add_weight(shape=value.shape, initializer="zeros", trainable=False, name=name)
            v.assign(value.astype(np.float32))
            return v

        def _act(self, y, bias):
            y = tf.nn.bias_add(y, bias)
            return tf.nn.relu(y) if self.plan.relu else y  # conv + bias + relu: fused by the converters

        def call(self, x):  # x: (B, H, W, Cin) -> (B, Lr, Lc, Cout)
            rows, cols, s = self.plan.rows, self.plan.cols, self.plan.rows.stride
            subs = [(er, ec) for er in range(s) for ec in range(s)]
            if self.form == "fused":  # one convolution with s*s*Cout filters over the shared window
                (r0, rn), (c0, cn) = rows.window(), cols.window()
                pr, pc = (-r0, rows.groups - 1 + r0 + rn - rows.size), (-c0, cols.groups - 1 + c0 + cn - cols.size)
                y = self._act(conv(x, self.kernels[0], pr, pc), tf.tile(self.bias, [s * s]))
            elif self.form == "pads":  # each phase convolution with its own asymmetric zero padding
                outs = [
                    self._act(conv(x, k, rows.pads(er), cols.pads(ec)), self.bias)
                    for k, (er, ec) in zip(self.kernels, subs)
                ]
                y = tf.concat(outs, axis=-1) if s > 1 else outs[0]
            else:  # "split": one Pad, then a crop and a VALID convolution per phase
                y = self._split(x, subs)
            if not self.interleave:
                return y
            y = tf.nn.depth_to_space(y, s) if s > 1 else y
            (cr, lr), (cc, lc) = (rows.shift, rows.length), (cols.shift, cols.length)
            if (cr, cc, lr, lc) != (0, 0, y.shape[1], y.shape[2]):
                y = y[:, cr : cr + lr, cc : cc + lc, :]
            return y

        def _split(self, x, subs):
            rows, cols = self.plan.rows, self.plan.cols
            pr = [rows.pads(e) for e in range(rows.stride)]
            pc = [cols.pads(e) for e in range(cols.stride)]
            top, bottom = max(0, *(p[0] for p in pr)), max(0, *(p[1] for p in pr))
            left, right = max(0, *(p[0] for p in pc)), max(0, *(p[1] for p in pc))
            xp = tf.pad(x, [[0, 0], [top, bottom], [left, right], [0, 0]])
            outs = []
            for k, (er, ec) in zip(self.kernels, subs):
                r, c = top - pr[er][0], left - pc[ec][0]
                crop = xp[:, r : r + rows.groups + k.shape[0] - 1, c : c + cols.groups + k.shape[1] - 1, :]
                outs.append(self._act(tf.nn.conv2d(crop, k, 1, "VALID"), self.bias))
            return tf.concat(outs, axis=-1) if len(outs) > 1 else outs[0]

    return PhaseConv2D


def at_size(model, size: tuple[int, int]):
    """An any-size model rebuilt to take (N, height, width, C) pictures, sharing nothing but the weights' values
    (keras.models.clone_model with a fixed Input): its phase convolutions can then be planned, and LiteRT's
    files, which have a fixed size anyway, lose the rank-5 repeat that Keras' UpSampling2D exports as (RESHAPE
    and TILE through a 5-D tensor), which LiteRT's GPU accelerator refuses ("Tensor dimensions must be less than
    5": 14 of 26 ops of photo-sr4's generator fell to the CPU). Calling the model on a fixed Input instead nests
    it as one layer, which the rewrite cannot see into when the graph has branches."""
    import keras

    fixed = keras.models.clone_model(model, input_tensors=keras.Input((*size, model.inputs[0].shape[-1])))
    fixed.set_weights(model.get_weights())
    return fixed


def optimize(model, form: str = "split", kinds: tuple[str, ...] = KINDS):
    """Return (model', rewrites, note): the rewritten inference model, or the same model with rewrites == []
    and a one-line note saying why (not a chain, no pattern, or the rewrite missed its exactness proof).

    Any Keras form works: the model is first rebuilt as one flat chain of its leaf layers (Sequential and
    nested models expanded; edgegan.export.inspect.flat_chain proves the rebuild gives the same outputs).
    form "split": one Pad, then per phase a crop and a VALID convolution;
    form "pads": the same phase convolutions, each with its own asymmetric zero padding instead of one Pad
    and crops (ONNX Conv carries the pads: no Pad/Slice nodes; TFLite adds a Pad per conv where needed);
    form "fused": one convolution with s*s times the filters over the window all phases share (shifted to
    be narrowest), then depth_to_space and a crop (fewer, larger kernels; more arithmetic where the
    phases' windows differ). ``kinds`` says which blocks to rewrite ("upsample", "transposed") and, in graphs,
    whether the layers after them run on the phases ("carry", edgegan.export.carry)."""
    from edgegan.export.inspect import Chain, flat_chain, model_inputs, probe_inputs

    if any(None in tuple(t.shape[1:]) for t in model.inputs):
        return model, [], "takes any picture size (phase convolutions are planned for one size): exported as built"
    probe = probe_inputs(model, 4)
    chain = flat_chain(model, probe) is not None
    try:  # a chain folds BatchNorm into its blocks; a graph with branches keeps it
        rewritten, rewrites = _rewrite(Chain.of(model), form, kinds) if chain else _rewrite_graph(model, form, kinds)
    except Exception as e:  # a rewrite must never break an export that the plain graph completes
        return model, [], f"the rewrite failed ({type(e).__name__}: {str(e)[:120]}): exported as built"
    if not rewrites:
        names = {"upsample": "upsample+conv", "transposed": "Conv2DTranspose"}
        what = " or ".join(names[k] for k in kinds if k in names)
        return model, [], f"no upsampling convolutions ({what}): exported as built"
    probe = model_inputs(probe)
    want, got = model(probe, training=False).numpy(), rewritten(probe, training=False).numpy()
    err, tol = float(np.abs(want - got).max()), 1e-4 * max(1.0, float(np.abs(want).max()))
    if not err <= tol:
        return model, [], f"the rewritten graph differs from the model by {err:.2e} (> {tol:.0e}): exported as built"
    return rewritten, rewrites, ""


def _rewrite(parts, form: str, kinds: tuple[str, ...] = KINDS):
    """The rewrite on a model's chain (edgegan.export.inspect.Chain): (model', names of the rewritten blocks; the
    convolutions carried past them are named by edgegan.export.carry.carried).

    With a carry kind in ``kinds`` (carry_kernel), a 2x block followed by a run of layers that run on phase
    tensors (ReLU, BatchNorm, ... and stride-1 'same' Conv2Ds: edgegan.export.carry) keeps its phases up to the
    run's last Conv2D and interleaves after it: keras.io's last Conv2D (512 -> 3, k5) reads the 32x32 phase
    tensor and only its 3-channel result is interleaved. A run without a Conv2D is left as it was."""
    import keras
    from keras import layers as L

    from edgegan.export import carry
    from edgegan.export.inspect import model_inputs

    Phase, Interleave = _phase_layer_class(), carry.interleave_layer_class()
    chain, least = parts.layers, carry_kernel(kinds)
    inputs, x = parts.start()
    rewrites, i = [], 0
    while i < len(chain):
        found = _block(chain, i, x.shape, kinds)
        if found is None:
            layer = chain[i]
            x = layer(x, training=False) if isinstance(layer, (L.BatchNormalization, L.Dropout)) else layer(x)
            i += 1
            continue
        plan, act, j = found
        name = "+".join(chain[t].name for t in range(i, j))
        block = Phase(plan, form, name=f"phase_{chain[j - 1].name}")
        end = _carried_run(chain, j, block.plan, act, least) if least else j
        block.interleave = end == j
        x = block(x)
        if act not in ("linear", "relu"):  # e.g. tanh inside the conv: elementwise, the same on the phases
            x = L.Activation(act)(x)
        if end > j:
            p = carry.Phased(plan.kernel.shape[-1], plan.kernel.shape[-1])
            for layer in chain[j:end]:
                x, p = carry.on_phases(layer, x, p)
            x = Interleave(p.c, p.cp)(x)
        rewrites.append(name)
        i = end
    return keras.Model(model_inputs(inputs), x, name=f"{parts.model.name}_optimized"), rewrites


def _carried_run(chain, j: int, plan: Plan, act: str, min_kernel: int) -> int:
    """The index after the last Conv2D of the run of layers from chain[j] that can run on the phase tensor of
    ``plan``'s block (edgegan.export.carry.carries with ``min_kernel``), or ``j`` when the run holds no Conv2D or
    the block cannot keep its phases (a crop after the interleave, an activation that is not elementwise)."""
    from keras import layers as L

    from edgegan.export import carry

    if not _whole(plan) or act not in ("linear", "relu", "tanh", "sigmoid"):
        return j
    end, t = j, j
    while t < len(chain) and carry.carries(chain[t], min_kernel):
        t += 1
        end = t if type(chain[t - 1]) is L.Conv2D else end
    return end


def _block(chain, i: int, shape, kinds: tuple[str, ...]):
    """The rewritable block starting at chain[i]: (Plan, the conv's activation, index after the block) or None."""
    from keras import layers as L

    if "upsample" in kinds and i + 1 < len(chain) and _upsample_conv(chain[i], chain[i + 1]):
        conv, j, upsampled = chain[i + 1], i + 2, True
    elif "transposed" in kinds and _transposed(chain[i]):
        conv, j, upsampled = chain[i], i + 1, False
    else:
        return None
    plan, act = _plan(conv, shape, upsampled)
    kernel, b = plan.kernel, plan.bias
    bn = j < len(chain) and isinstance(chain[j], L.BatchNormalization) and chain[j].axis in (-1, 3, [3], [-1])
    if act == "linear" and bn:
        kernel, b = fold_batchnorm(kernel, b, chain[j])
        j += 1
    relu = act == "relu"
    then = chain[j].get_config().get("activation") if j < len(chain) and isinstance(chain[j], L.Activation) else None
    if act == "linear" and then in ("relu", "linear"):  # after a sigmoid (say) a relu must stay after it
        relu, j = then == "relu", j + 1
    return Plan(plan.rows, plan.cols, kernel, b, relu), act, j


def _plan(conv, shape, upsampled: bool) -> tuple[Plan, str]:
    """The phase plan of one upsampling convolution whose input (before the upsampling) has ``shape``, and the
    convolution's activation: nearest UpSampling2D(2) + ``conv`` when ``upsampled``, else Conv2DTranspose ``conv``."""
    h, w = shape[1:3]
    kh, kw = conv.kernel_size
    if upsampled:
        rows, cols, kernel = upsample_axis(kh, h), upsample_axis(kw, w), conv.kernel.numpy()
    else:
        s, op = conv.strides[0], conv.output_padding or (None, None)
        rows = transposed_axis(kh, s, h, conv.padding, op[0])
        cols = transposed_axis(kw, s, w, conv.padding, op[1])
        kernel = conv.kernel.numpy().transpose(0, 1, 3, 2)  # Keras' (kh, kw, out, in) -> (kh, kw, in, out)
    b = conv.bias.numpy() if conv.use_bias else np.zeros(conv.filters, np.float32)
    act = conv.get_config()["activation"]
    return Plan(rows, cols, kernel, b, act == "relu"), act


def _rewrite_graph(model, form: str, kinds: tuple[str, ...] = KINDS):
    """The rewrite on a functional graph with branches (U-Net skips, residual Adds): (model', rewritten blocks).

    The model is rebuilt with its own layers (weights shared) by keras.models.clone_model, calling each layer
    through ``call``: a nearest UpSampling2D(2) still computes its output, but a Conv2D that reads it runs as
    phase convolutions on the UpSampling2D's input instead (an upsampled tensor that nothing else reads is then
    not in the rebuilt graph at all); a Conv2DTranspose runs as phase convolutions. BatchNorm after a block stays
    a layer of its own here (the chain rewrite folds it)."""
    import keras
    from keras import layers as L

    from edgegan.export import carry
    from edgegan.export.inspect import model_inputs

    Phase, Interleave = _phase_layer_class(), carry.interleave_layer_class()
    upsampled: dict[int, tuple] = {}  # id(upsampled tensor) -> (the UpSampling2D, its input)
    phased: dict[int, carry.Phased] = {}  # id(phase tensor) -> its layout (not interleaved yet)
    flat_of: dict[int, object] = {}  # id(phase tensor) -> the same tensor interleaved (made once)
    rewrites: list[str] = []
    least = carry_kernel(kinds)

    def flat(x):
        if id(x) not in phased:
            return x
        if id(x) not in flat_of:
            p = phased[id(x)]
            flat_of[id(x)] = Interleave(p.c, p.cp)(x)
        return flat_of[id(x)]

    def call(layer, *args, **kwargs):
        x = args[0] if args else None
        if least and len(args) == 1 and id(x) in phased and carry.carries(layer, least):
            y, p = carry.on_phases(layer, x, phased[id(x)])
            phased[id(y)] = p
            return y
        args, kwargs = keras.tree.map_structure(flat, args), keras.tree.map_structure(flat, kwargs)
        x = args[0] if args else None
        if "upsample" in kinds and isinstance(layer, L.UpSampling2D):
            y = layer(*args, **kwargs)
            upsampled[id(y)] = (layer, x)
            return y
        if "upsample" in kinds and type(layer) is L.Conv2D and id(x) in upsampled:
            up, low = upsampled[id(x)]
            if _upsample_conv(up, layer):
                return _phase(layer, low, True, f"{up.name}+{layer.name}")
        if "transposed" in kinds and _transposed(layer) and x is not None and None not in tuple(x.shape[1:3]):
            return _phase(layer, x, False, layer.name)
        return layer(*args, **kwargs)

    def _phase(conv, x, up: bool, name: str):
        plan, act = _plan(conv, x.shape, up)
        rewrites.append(name)
        layer = Phase(plan, form, name=f"phase_{conv.name}")
        keep = least is not None and _whole(layer.plan) and act in ("linear", "relu", "tanh", "sigmoid")
        layer.interleave = not keep
        y = layer(x)
        y = L.Activation(act)(y) if act not in ("linear", "relu") else y  # elementwise: the same on phases
        if keep:
            phased[id(y)] = carry.Phased(conv.filters, conv.filters)
        return y

    rebuilt = keras.models.clone_model(model, clone_function=lambda layer: layer, call_function=call)
    outputs = [flat(o) for o in rebuilt.outputs]
    outputs = outputs[0] if len(outputs) == 1 else outputs
    return keras.Model(model_inputs(rebuilt.inputs), outputs, name=f"{model.name}_optimized"), rewrites


def _whole(plan: Plan) -> bool:
    """A 2x block whose interleaved output needs no crop: its phase tensor is the whole output."""
    r, c = plan.rows, plan.cols
    return (
        r.stride == c.stride == 2 and r.shift == c.shift == 0 and r.length == 2 * r.groups and c.length == 2 * c.groups
    )


def _upsample_conv(up, conv) -> bool:
    from keras import layers as L

    if not isinstance(up, L.UpSampling2D) or type(conv) is not L.Conv2D:
        return False
    uc, cc = up.get_config(), conv.get_config()
    return (
        tuple(uc["size"]) == (2, 2)
        and uc.get("interpolation", "nearest") == "nearest"
        and uc.get("data_format") in (None, "channels_last")
        and cc.get("data_format") in (None, "channels_last")
        and tuple(cc["strides"]) == (1, 1)
        and cc["padding"] == "same"
        and tuple(cc["dilation_rate"]) == (1, 1)
        and cc.get("groups", 1) == 1
    )


def _transposed(conv) -> bool:
    from keras import layers as L

    if not isinstance(conv, L.Conv2DTranspose):
        return False
    c = conv.get_config()
    s = tuple(c["strides"])
    return (
        s in ((1, 1), (2, 2))
        and min(c["kernel_size"]) >= s[0]  # every phase gets a tap
        and c.get("data_format") in (None, "channels_last")
        and tuple(c["dilation_rate"]) == (1, 1)
        and c["padding"] in ("same", "valid")
    )


def training_forward(model):
    """A differentiable forward pass of ``model`` that runs its upsample+conv blocks as phase convolutions.

    Same weights, same math (fp32 rounding apart), for training: the phase kernels are computed from
    the kernel variable inside the graph (one matmul per phase), so gradients reach the original kernel and the
    trained model stays the plain Keras one. BatchNormalization and every other layer are called as they
    are (batch statistics in training mode). Conv2DTranspose blocks train as built (their rewrite is used at
    export only). Returns ``fn(x, training) -> y``, or None when the model is not a chain holding the
    pattern. Measured here (batch 32, forward + backward of G): 251 ms plain vs 175 ms
    (tools/bench_train.py).
    """
    import tensorflow as tf

    from edgegan.export.inspect import Chain, flat_chain

    if flat_chain(model) is None:
        return None
    parts = Chain.of(model)
    chain = parts.layers
    plan, i = [], 0
    while i < len(chain):
        if i + 1 < len(chain) and _upsample_conv(chain[i], chain[i + 1]):
            plan.append(("phase", chain[i + 1]))
            i += 2
        else:
            plan.append(("layer", chain[i]))
            i += 1
    if not any(kind == "phase" for kind, _ in plan):
        return None

    def phase(x, conv):
        kh, kw = conv.kernel_size
        rows, cols = upsample_axis(kh, x.shape[1]), upsample_axis(kw, x.shape[2])
        k = tf.reshape(conv.kernel, (kh * kw, -1))  # (taps, Cin*Cout)
        outs = []
        for er, ec in PHASES:
            r, c = rows.taps[er], cols.taps[ec]
            # this phase's kernel, sum_de r[m,d] c[n,e] kernel[d,e] as one matmul with the constant kron(r, c):
            # tf.einsum of the same sum took 28 ms of a 280 ms step (tools/profile_train_step.py)
            kp = tf.matmul(np.kron(r, c).astype(np.float32), k)
            kp = tf.cast(tf.reshape(kp, (r.shape[0], c.shape[0], *conv.kernel.shape[2:])), x.dtype)
            pad = [[0, 0], list(rows.pads(er)), list(cols.pads(ec)), [0, 0]]
            outs.append(tf.nn.conv2d(x, kp, 1, pad))
        y = tf.nn.depth_to_space(tf.concat(outs, axis=-1), 2)
        return conv.activation(tf.nn.bias_add(y, tf.cast(conv.bias, y.dtype)) if conv.use_bias else y)

    def forward(x, training: bool):
        x = parts.head(x, training=training) if parts.head is not None else x
        for kind, layer in plan:
            x = phase(x, layer) if kind == "phase" else layer(x, training=training)
        return x

    return forward
