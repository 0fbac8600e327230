"""Parity figures and bounds: how close an exported file is to its Keras original (light tier).

Generator: max/mean |diff| and PSNR with the model's own peak-to-peak (2 for [-1, 1], 1 for [0, 1]).

Discriminator: raw max/mean |diff|, and in probability space (a logit discriminator's scores go through
the logistic function first, so its decision boundary is logit 0, a probability one's 0.5):
- ``p_mean_abs``: mean |P_keras - P_file|, the score error itself (a least-squares score, unbounded: divided by the
  spread of its scores on the parity set, the 1st to 99th percentile, and by no less than 1, its targets' gap);
- ``agreement``: the share of *decisive* images (|P_keras - 0.5| >= DECISIVE_MARGIN) on which the file
  makes the same real/fake call. An undecided discriminator (a random or barely trained one scores every
  image near 0.5) flips calls on tiny errors that mean nothing; those images are left out of agreement
  and judged by the score error alone. The margin, 0.1, is 9x the shipped int8 discriminator's mean
  error (0.011): a decisive call flips only where a file errs far beyond its typical error.
"""

from __future__ import annotations

import numpy as np

from edgegan.contract import SCORE
from edgegan.roles import KINDS

DECISIVE_MARGIN = 0.1
# Roles whose output is a float vector judged by its error over its scale (ENCODER_BOUNDS): an encoder's latent,
# D's feature maps joined (edgegan.roles)
RELATIVE = tuple(name for name, kind in KINDS.items() if kind.relative)


def shape_problem(role: str, ref: np.ndarray, out: np.ndarray) -> str | None:
    """Why a file's outputs cannot be compared with Keras', or None: a generator's must have Keras' shape exactly
    (figures reshapes a discriminator's scores, (N, 1) against (N,), and would hide an extra axis of size 1:
    measured, a tf2onnx conversion that gave ESPCN's output a leading axis, (1, N, H, W, C), passed on values)."""
    if (role == "generator" or role in RELATIVE) and np.shape(out) != np.shape(ref):
        return f"output shape {np.shape(out)[1:] if np.ndim(out) else ()} is not Keras' {np.shape(ref)[1:]}"
    if np.size(out) != np.size(ref):
        return f"{np.size(out)} output values for Keras' {np.size(ref)}"
    return None


def figures(role: str, ref: np.ndarray, out: np.ndarray, peak: float = 2.0, score: str = "probability") -> dict:
    ref, out = np.asarray(ref, np.float64), np.asarray(out, np.float64).reshape(np.shape(ref))
    d = np.abs(ref - out)
    f = {
        "max_abs": float(d.max()) if d.size else 0.0,
        "mean_abs": float(d.mean()) if d.size else 0.0,
        "n": int(len(ref)),
    }
    if role in RELATIVE:  # its error over its scale (ENCODER_BOUNDS)
        f["rel_max_abs"] = f["max_abs"] / max(float(np.abs(ref).max()) if d.size else 0.0, 1e-12)
        return f
    if role == "generator":
        mse = float(np.mean((ref - out) ** 2)) if d.size else 0.0
        f["psnr_db"] = _psnr(mse, peak)
        if ref.ndim == 4 and min(ref.shape[1:3]) >= SSIM_WINDOW and len(ref):
            per_image = np.mean((ref - out) ** 2, axis=(1, 2, 3))
            f["psnr_worst_db"] = min(_psnr(float(m), peak) for m in per_image)
            f["ssim_worst"] = round(float(ssim(ref, out, peak).min()), 4)
        return f
    kind = SCORE[score]
    if kind.ordered:
        return f | critic_figures(ref, out)
    p_ref, p_out = kind.probability(ref.reshape(-1)), kind.probability(out.reshape(-1))
    decisive = np.abs(p_ref - 0.5) >= DECISIVE_MARGIN
    same = (p_ref > 0.5) == (p_out > 0.5)
    # an unbounded score (lsgan): its error relative to the spread of the scores, at least its 0-to-1 targets
    spread = (
        max(1.0, float(np.percentile(p_ref, 99) - np.percentile(p_ref, 1))) if kind.spread_scaled and d.size else 1.0
    )
    f["p_mean_abs"] = float(np.abs(p_ref - p_out).mean()) / spread if d.size else 0.0
    f["decisive"] = int(decisive.sum())
    f["agreement"] = float(same[decisive].mean()) if decisive.any() else 1.0
    f["agreement_all"] = float(same.mean()) if d.size else 1.0
    return f


# A critic's bounds, in place of BOUNDS' per precision (edgegan/export/formats.py): its scores are unbounded and
# only their differences mean anything. rel_max_abs: the largest error over the scores' scale (their largest
# magnitude: float rounding grows with it, so a critic drifted to 40 is held to the same relative precision);
# rel_mean_abs: the mean error over their spread (1st to 99th percentile: what tells images apart); rank: the
# share of image pairs whose order the file keeps. A file that negates the scores keeps no pair, one that permutes
# them about half, one that shifts each image by as much as the spread far fewer than 0.9.
CRITIC_BOUNDS = {
    "fp32": {"rel_max_abs": 1e-4, "rank": 0.999},
    "fp16": {"rel_max_abs": 1e-2, "rank": 0.99},
    "int8": {"rel_mean_abs": 0.05, "rank": 0.95},
    "gpu": {"rel_mean_abs": 0.05, "rank": 0.95},  # fp16 arithmetic on LiteRT's GPU accelerator
}


# An encoder's latent (edgegan.export.encoder) or D's feature maps (float files only): the largest error over the
# largest magnitude, as a critic's rel_max_abs, since float rounding grows with the values.
ENCODER_BOUNDS = {"fp32": {"rel_max_abs": 1e-4}, "fp16": {"rel_max_abs": 1e-2}, "gpu": {"rel_max_abs": 1e-2}}


def bound_for(role: str, precision_class: str, score: str | None, bounds: dict) -> dict:
    """The parity bound of a file: ``bounds`` (BOUNDS) for its precision class, a critic's own for a critic, an
    encoder's for an encoder and D's features."""
    if role in RELATIVE:
        return ENCODER_BOUNDS[precision_class]
    ordered = role == "discriminator" and score is not None and SCORE[score].ordered
    return CRITIC_BOUNDS[precision_class] if ordered else bounds[precision_class]


def critic_figures(ref: np.ndarray, out: np.ndarray) -> dict:
    """Relative errors and pair-order agreement of a critic's scores (one per image; a map is averaged)."""
    a, b = ref.reshape(len(ref), -1).mean(axis=1), out.reshape(len(out), -1).mean(axis=1)
    if not len(a):
        return {"rel_max_abs": 0.0, "rel_mean_abs": 0.0, "rank": 1.0}
    scale = max(float(np.abs(ref).max()), 1e-12)
    spread = max(float(np.percentile(a, 99) - np.percentile(a, 1)), 1e-12)
    d = np.abs(ref - out)
    order_a, order_b = np.sign(a[:, None] - a[None, :]), np.sign(b[:, None] - b[None, :])
    pairs = np.triu(order_a != 0, 1)
    rank = float((order_a == order_b)[pairs].mean()) if pairs.any() else 1.0
    return {"rel_max_abs": float(d.max()) / scale, "rel_mean_abs": float(d.mean()) / spread, "rank": rank}


SSIM_WINDOW = 7  # scikit-image's default: a 7x7 uniform window, K1 0.01, K2 0.03


def _psnr(mse: float, peak: float) -> float:
    return round(10 * np.log10(peak**2 / mse), 2) if mse > 0 else 200.0


def _box(x: np.ndarray, k: int) -> np.ndarray:
    """Means over every k x k window of (N, H, W, C): (N, H - k + 1, W - k + 1, C), by summed-area tables."""
    s = np.pad(np.cumsum(np.cumsum(x, 1), 2), ((0, 0), (1, 0), (1, 0), (0, 0)))
    return (s[:, k:, k:] - s[:, :-k, k:] - s[:, k:, :-k] + s[:, :-k, :-k]) / (k * k)


def ssim(a: np.ndarray, b: np.ndarray, peak: float) -> np.ndarray:
    """Structural similarity per image of (N, H, W, C) pictures with dynamic range ``peak``, as scikit-image's
    structural_similarity computes it by default (7x7 uniform window, sample covariances, the mean over the
    valid windows and the channels)."""
    a, b, k = np.asarray(a, np.float64), np.asarray(b, np.float64), SSIM_WINDOW
    c1, c2, n = (0.01 * peak) ** 2, (0.03 * peak) ** 2, k * k
    ma, mb = _box(a, k), _box(b, k)
    cov = n / (n - 1)  # sample (not population) variances, as scikit-image's use_sample_covariance
    va, vb = cov * (_box(a * a, k) - ma * ma), cov * (_box(b * b, k) - mb * mb)
    vab = cov * (_box(a * b, k) - ma * mb)
    s = ((2 * ma * mb + c1) * (2 * vab + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2))
    return s.mean(axis=(1, 2, 3))


def passes(role: str, bound: dict, fig: dict) -> bool:
    """True if ``fig`` meets ``bound`` (a BOUNDS entry) for this role."""
    if "rank" in bound or role in RELATIVE:  # a critic (errors relative, pairs in order), an encoder
        return fig.get("rank", 1.0) >= bound.get("rank", 0.0) and all(
            fig.get(k, np.inf) <= bound[k] for k in ("rel_max_abs", "rel_mean_abs") if k in bound
        )
    if "max_abs" in bound:
        return fig["max_abs"] <= bound["max_abs"] or within_floor(bound.get("floor"), fig)
    if role == "generator":
        return fig["psnr_db"] >= bound["psnr_db"]
    ok = fig["agreement"] >= bound["agreement"]
    if "p_mean_abs" in bound:  # older bundles bound agreement alone
        ok = ok and fig.get("p_mean_abs", np.inf) <= bound["p_mean_abs"]
    return ok


def within_floor(floor: dict | None, fig: dict) -> bool:
    """A float file's max and mean error both within ``floor["multiple"]`` times the original's own float error F
    (edgegan.export.floor): the criterion for files of models whose float32 Keras output is itself far from exact."""
    if not floor or "max_abs" not in floor:
        return False
    k = floor["multiple"]
    return fig["max_abs"] <= k * floor["max_abs"] and fig["mean_abs"] <= k * floor["mean_abs"]


def headline(role: str, bound: dict, fig: dict) -> tuple[str, str]:
    """(figure, bound) as short strings for tables."""
    if "rank" in bound or role in RELATIVE:
        key = "rel_max_abs" if "rel_max_abs" in bound else "rel_mean_abs"
        what = "max |err| / scale" if key == "rel_max_abs" else "mean |err| / spread"
        if "rank" not in bound:
            return f"{what} {fig.get(key, np.inf):.1e}", f"<= {bound[key]:g}"
        return f"{what} {fig.get(key, np.inf):.1e}, pairs in order {fig.get('rank', 0):.1%}", (
            f"<= {bound[key]:g}, >= {bound['rank']:.1%}"
        )
    if "max_abs" in bound:
        fl = bound.get("floor") or {}
        if "max_abs" not in fl or fig["max_abs"] <= bound["max_abs"]:
            return f"max abs {fig['max_abs']:.2e}", f"<= {bound['max_abs']:g}"
        k = fl["multiple"]
        return (
            f"max abs {fig['max_abs']:.2e} ({fig['max_abs'] / fl['max_abs']:.1f} F), mean {fig['mean_abs']:.2e} "
            f"({fig['mean_abs'] / max(fl['mean_abs'], 1e-30):.1f} F)",
            f"<= {bound['max_abs']:g}, or max and mean <= {k} F (F: Keras {fl.get('keras_dtype', 'float32')} from float64, max "
            f"{fl['max_abs']:.2e}, mean {fl['mean_abs']:.2e})",
        )
    if role == "generator":
        worst = (
            f" (worst {fig['psnr_worst_db']:.1f}), SSIM worst {fig['ssim_worst']:.3f}" if "ssim_worst" in fig else ""
        )
        return f"PSNR {fig['psnr_db']:.1f} dB{worst}", f">= {bound['psnr_db']:g} dB"
    limit = f">= {bound['agreement']:.0%}" + (f", |dP| <= {bound['p_mean_abs']:g}" if "p_mean_abs" in bound else "")
    decisive = f" of {fig['decisive']} decisive" if "decisive" in fig else ""
    return f"agree {fig['agreement']:.1%}{decisive}, |dP| {fig.get('p_mean_abs', fig['mean_abs']):.3f}", limit
