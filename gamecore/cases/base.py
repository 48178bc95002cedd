"""Helpers of case generators: the one check of their arguments, exact closed-form roots.

:class:`Case`, :class:`Reference` and :class:`CaseSpec` are defined in the engine
(:mod:`gamecore.case`) and re-exported here for compatibility.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from gamecore.case import Case, CaseParam, CaseSpec, Reference
from gamecore.limits import check_memory

__all__ = ["Case", "CaseParam", "CaseSpec", "Reference", "case_arguments", "check_count", "check_seed",
           "piecewise_linear_root"]


def piecewise_linear_root(func: Callable[[float], float], breakpoints: np.ndarray, lo: float, hi: float) -> float:
    """Root of a non-increasing piecewise-linear ``func`` on ``[lo, hi]`` with the given kinks.

    Exact (up to rounding): brackets the sign change between two consecutive kinks by
    bisection over the sorted kinks (``O(log K)`` evaluations of ``func`` for ``K`` kinks, so
    ``O(N log N)`` for an ``O(N)`` function with ``O(N)`` kinks, instead of evaluating it at
    every kink) and interpolates linearly on the bracketing segment. Returns ``lo`` / ``hi``
    when there is no sign change.
    """
    points = np.unique(np.clip(np.concatenate([[lo, hi], breakpoints]), lo, hi))
    v_lo = func(points[0])
    if v_lo <= 0:
        return float(lo)
    v_hi = func(points[-1])
    if v_hi >= 0:
        return float(hi)
    i, k = 0, points.size - 1          # invariant: func(points[i]) > 0 >= func(points[k])
    while k - i > 1:
        mid = (i + k) // 2
        v = func(points[mid])
        if v <= 0:
            k, v_hi = mid, v
        else:
            i, v_lo = mid, v
    p0, p1 = points[i], points[k]
    return float(p0 + (p1 - p0) * v_lo / (v_lo - v_hi))


# ----------------------------------------------------------------------- argument checks
def check_count(case: str, label: str, value: object) -> int:
    """``value`` as a size (an integer >= 1, not a bool), or ``ValueError`` naming ``case`` and ``label``.

    ``label`` is the argument's name as the caller wrote it (``"agents"``, ``"periods"``,
    ``"hubs"``...); the message reads "case 'ieh': agents must be an integer >= 1, got 2.5".
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"case '{case}': {label} must be an integer >= 1, got {value!r}")
    return int(value)


def check_seed(case: str, value: object, label: str = "seed") -> int:
    """``value`` as a seed (a non-negative integer, not a bool), or ``ValueError`` naming ``case`` and ``label``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
        raise ValueError(f"case '{case}': {label} must be a non-negative integer, got {value!r}")
    return int(value)


def case_arguments(case: str, agents: object, periods: object, seed: object, *,
                   bytes_per_agent: float = 0.0, bytes_per_agent_period: float = 0.0,
                   max_memory_gb: float | None = None, agents_label: str = "agents") -> tuple[int, int, int]:
    """The one check of a case generator's ``(agents, periods, seed)``, before any data is drawn.

    Validates the types and ranges (:func:`check_count`, :func:`check_seed`) and refuses, with
    :class:`~gamecore.errors.ResourceLimitError`, sizes whose estimated memory
    ``agents × (bytes_per_agent + bytes_per_agent_period × periods)`` (bytes; each case module
    documents its measured figures) exceeds the limit of :func:`gamecore.limits.check_memory`
    (``max_memory_gb``, else ``GAMECORE_MAX_MEMORY_GB``, else half the machine's memory).

    Returns:
        ``(agents, periods, seed)`` as Python ints.
    """
    n = check_count(case, agents_label, agents)
    t = check_count(case, "periods", periods)
    s = check_seed(case, seed)
    estimate = n * (bytes_per_agent + bytes_per_agent_period * t)
    check_memory(estimate, f"case '{case}' with {agents_label}={n}, periods={t}", max_memory_gb=max_memory_gb,
                 remedy=f"lower {agents_label} or periods")
    return n, t, s
