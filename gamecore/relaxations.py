"""McCormick envelopes of bilinear terms w = x·y over boxes, and the box moves of a trust region.

For x ∈ [xL, xU], y ∈ [yL, yU] the convex hull of {(x, y, x·y)} is given by four linear
inequalities (McCormick 1976), written as rows ``coef_x·x + coef_y·y + W_SIGN·w ≤ rhs``
(:func:`envelope_rows`, in this order)::

    yL·x + xL·y − w ≤ xL·yL        yU·x + xU·y − w ≤ xU·yU          (w ≥ under-estimators)
    w − yL·x − xU·y ≤ −xU·yL       w − yU·x − xL·y ≤ −xL·yU         (w ≤ over-estimators)

At any (x, y) in the box, the envelope's width (upper − lower) is at most Δx·Δy/2 and the
distance from x·y to either bound is at most Δx·Δy/4 (attained at the box centre); shrinking
the box (bound tightening) shrinks both quadratically. On a degenerate box (Δx = 0 or
Δy = 0) the envelope is exact: both bounds equal x·y.

These rows are the one McCormick implementation of gamecore: the relaxation of every
follower's strong-duality reformulation (:meth:`gamecore.bilevel.FollowerRelaxation.system`,
x a signal entry, y a product factor) builds its envelope rows with :func:`envelope_rows`;
:func:`envelope_bounds` reads the bounds on w the same rows allow at a point.
"""

from __future__ import annotations

import numpy as np

#: coefficient of the product w in each of the four envelope rows: two under-estimators
#: (−w ≤ …), then two over-estimators (w ≤ …)
W_SIGN: np.ndarray = np.array([-1.0, -1.0, 1.0, 1.0])
W_SIGN.setflags(write=False)


def envelope_rows(x_lower: np.ndarray, x_upper: np.ndarray, y_lower: np.ndarray,
                  y_upper: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The four McCormick rows of ``w ≈ x ∘ y`` (elementwise) over ``[x_lower, x_upper] × [y_lower, y_upper]``.

    Args:
        x_lower, x_upper, y_lower, y_upper: bounds of the two factors, shape (k,) each
            (finite, lower ≤ upper elementwise; not checked here — the caller owns the box).

    Returns:
        ``(coef_x, coef_y, rhs)``, each of shape (4, k): row r of product j reads
        ``coef_x[r, j]·x_j + coef_y[r, j]·y_j + W_SIGN[r]·w_j ≤ rhs[r, j]`` (module docstring).
    """
    xL, xU = np.asarray(x_lower, dtype=float), np.asarray(x_upper, dtype=float)
    yL, yU = np.asarray(y_lower, dtype=float), np.asarray(y_upper, dtype=float)
    coef_x = np.stack([yL, yU, -yL, -yU])
    coef_y = np.stack([xL, xU, -xU, -xL])
    rhs = np.stack([xL * yL, xU * yU, -xU * yL, -xL * yU])
    return coef_x, coef_y, rhs


def envelope_bounds(x: np.ndarray, y: np.ndarray, x_lower: np.ndarray, x_upper: np.ndarray,
                    y_lower: np.ndarray, y_upper: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lower and upper bounds on w that the rows of :func:`envelope_rows` allow at (x, y), shape (k,) each.

    ``lower`` is the largest under-estimator, ``upper`` the smallest over-estimator; for
    (x, y) in the box, lower ≤ x·y ≤ upper.
    """
    coef_x, coef_y, rhs = envelope_rows(x_lower, x_upper, y_lower, y_upper)
    # row r: W_SIGN[r]·w ≤ rhs[r] − coef_x[r]·x − coef_y[r]·y
    limit = W_SIGN[:, None] * (rhs - coef_x * np.asarray(x, dtype=float) - coef_y * np.asarray(y, dtype=float))
    under, over = W_SIGN < 0, W_SIGN > 0
    return limit[under].max(axis=0), limit[over].min(axis=0)


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
