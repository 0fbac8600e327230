"""Parity figures and bounds: how close an exported file is to its Keras original (light tier)."""

from __future__ import annotations

import numpy as np


def figures(role: str, ref: np.ndarray, out: np.ndarray) -> dict:
    """Generator: max/mean |diff| and PSNR (dB, peak-to-peak 2 for [-1, 1]).
    Discriminator: max/mean |diff| of probabilities and real/fake decision agreement."""
    ref, out = np.asarray(ref, np.float64), np.asarray(out, np.float64).reshape(ref.shape)
    d = np.abs(ref - out)
    f = {
        "max_abs": float(d.max()) if d.size else 0.0,
        "mean_abs": float(d.mean()) if d.size else 0.0,
        "n": int(len(ref)),
    }
    if role == "generator":
        mse = float(np.mean((ref - out) ** 2)) if d.size else 0.0
        f["psnr_db"] = round(10 * np.log10(4.0 / mse), 2) if mse > 0 else 200.0
    else:
        f["agreement"] = float(np.mean((ref.reshape(-1) > 0.5) == (out.reshape(-1) > 0.5))) if d.size else 1.0
    return f


def passes(role: str, bound: dict, fig: dict) -> bool:
    """True if ``fig`` meets ``bound`` (a BOUNDS entry) for this role."""
    if "max_abs" in bound:
        return fig["max_abs"] <= bound["max_abs"]
    if role == "generator":
        return fig["psnr_db"] >= bound["psnr_db"]
    return fig["agreement"] >= bound["agreement"]


def headline(role: str, bound: dict, fig: dict) -> tuple[str, str]:
    """(figure, bound) as short strings for tables."""
    if "max_abs" in bound:
        return f"max abs {fig['max_abs']:.2e}", f"<= {bound['max_abs']:g}"
    if role == "generator":
        return f"PSNR {fig['psnr_db']:.1f} dB", f">= {bound['psnr_db']:g} dB"
    return f"agree {fig['agreement']:.1%} (mean abs {fig['mean_abs']:.3f})", f">= {bound['agreement']:.0%}"
