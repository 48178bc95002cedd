"""McCormick envelopes of bilinear terms w = x·y over boxes.

For x ∈ [xL, xU], y ∈ [yL, yU] the convex hull of {(x, y, x·y)} is given by four linear
inequalities (McCormick 1976)::

    w ≥ xL·y + x·yL − xL·yL        w ≥ xU·y + x·yU − xU·yU
    w ≤ xU·y + x·yL − xU·yL        w ≤ xL·y + x·yU − xL·yU

At any (x, y) in the box, the envelope's width (upper − lower) is at most
Δx·Δy/2 and the distance from x·y to either bound is at most Δx·Δy/4 (attained at the
box centre); shrinking the box (bound tightening) shrinks both quadratically.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np


@dataclass(frozen=True)
class Box:
    """Bounds of the two factors, arrays of equal shape (elementwise products)."""

    x_lower: np.ndarray
    x_upper: np.ndarray
    y_lower: np.ndarray
    y_upper: np.ndarray

    def __post_init__(self) -> None:
        for name in ("x_lower", "x_upper", "y_lower", "y_upper"):
            arr = np.asarray(getattr(self, name), dtype=float)
            if not np.isfinite(arr).all():
                raise ValueError(f"McCormick box: {name} must be finite")
            object.__setattr__(self, name, arr)
        if np.any(self.x_lower > self.x_upper) or np.any(self.y_lower > self.y_upper):
            raise ValueError("McCormick box: a lower bound lies above its upper bound")

    @property
    def gap_bound(self) -> np.ndarray:
        """Max distance between x·y and the envelope over the box: Δx·Δy/4 per term."""
        return (self.x_upper - self.x_lower) * (self.y_upper - self.y_lower) / 4.0


def envelope_bounds(x: np.ndarray, y: np.ndarray, box: Box) -> tuple[np.ndarray, np.ndarray]:
    """Numeric lower and upper McCormick bounds on x·y at the given points (elementwise)."""
    lower = np.maximum(box.x_lower * y + x * box.y_lower - box.x_lower * box.y_lower,
                       box.x_upper * y + x * box.y_upper - box.x_upper * box.y_upper)
    upper = np.minimum(box.x_upper * y + x * box.y_lower - box.x_upper * box.y_lower,
                       box.x_lower * y + x * box.y_upper - box.x_lower * box.y_upper)
    return lower, upper


def envelope_constraints(w: cp.Expression, x: cp.Expression, y: cp.Expression, box: Box) -> list[cp.Constraint]:
    """The four McCormick inequalities for ``w ≈ x ∘ y`` (elementwise), as cvxpy constraints."""
    xL, xU, yL, yU = box.x_lower, box.x_upper, box.y_lower, box.y_upper
    return [
        w >= cp.multiply(xL, y) + cp.multiply(yL, x) - xL * yL,
        w >= cp.multiply(xU, y) + cp.multiply(yU, x) - xU * yU,
        w <= cp.multiply(xU, y) + cp.multiply(yL, x) - xU * yL,
        w <= cp.multiply(xL, y) + cp.multiply(yU, x) - xL * yU,
    ]


def relaxation_gap(w: np.ndarray, x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """|w − x·y| elementwise: how far a relaxed solution is from the bilinear term."""
    return np.abs(np.asarray(w) - np.asarray(x) * np.asarray(y))


def tighten(box: Box, x_center: np.ndarray, y_center: np.ndarray, factor: float,
            x_limits: tuple[np.ndarray, np.ndarray], y_limits: tuple[np.ndarray, np.ndarray]) -> Box:
    """Shrink the box by ``factor`` (0 < factor < 1) around a point, inside the declared limits."""
    def shrink(lo: np.ndarray, hi: np.ndarray, c: np.ndarray, lim: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        half = 0.5 * factor * (hi - lo)
        new_lo = np.maximum(lim[0], c - half)
        new_hi = np.minimum(lim[1], c + half)
        return new_lo, np.maximum(new_hi, new_lo)
    xl, xu = shrink(box.x_lower, box.x_upper, np.asarray(x_center, float), x_limits)
    yl, yu = shrink(box.y_lower, box.y_upper, np.asarray(y_center, float), y_limits)
    return Box(xl, xu, yl, yu)


def on_open_face(lower: np.ndarray, upper: np.ndarray, point: np.ndarray,
                 limits: tuple[np.ndarray, np.ndarray], edge_tol: float = 1e-6) -> np.ndarray:
    """Entries where ``point`` lies on a face of ``[lower, upper]`` that is not a declared limit.

    "On a face" means within ``edge_tol`` times the box width of it. Boolean array.
    """
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    point = np.clip(np.asarray(point, float), lower, upper)
    lim_lo, lim_hi = (np.asarray(v, float) for v in limits)
    slack = edge_tol * np.maximum(upper - lower, 1e-300)
    return ((point <= lower + slack) & (lower > lim_lo + slack)) | \
           ((point >= upper - slack) & (upper < lim_hi - slack))


def resize_box(lower: np.ndarray, upper: np.ndarray, center: np.ndarray, scale: np.ndarray | float,
               limits: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """A box of ``scale`` times the width of ``[lower, upper]`` centred at ``center``, clipped to ``limits``.

    ``scale`` is per entry (or a scalar): < 1 shrinks, 1 moves, > 1 expands. Returns
    ``(new_lower, new_upper)``.
    """
    lower, upper = np.asarray(lower, float), np.asarray(upper, float)
    lim_lo, lim_hi = (np.asarray(v, float) for v in limits)
    center = np.clip(np.asarray(center, float), lim_lo, lim_hi)
    half = 0.5 * (upper - lower) * np.asarray(scale, float)
    new_lo = np.maximum(lim_lo, center - half)
    new_hi = np.minimum(lim_hi, center + half)
    return new_lo, np.maximum(new_hi, new_lo)
