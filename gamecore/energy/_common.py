"""Shared helpers of the energy components: validation, profiles, ramp limits, quadratic costs.

Not part of the public API (import the components from :mod:`gamecore.energy`), except
:class:`QuadraticCost`, which is re-exported.
"""

from __future__ import annotations

from dataclasses import dataclass

import cvxpy as cp
import numpy as np

ArrayLike = float | np.ndarray | list[float] | tuple[float, ...]


def where(kind: str, name: str) -> str:
    """Prefix of every validation message: ``"<Kind> '<name>'"``."""
    return f"{kind} '{name}'"


def check_positive(kind: str, name: str, field: str, value: float, unit: str = "") -> None:
    """Raise ``ValueError`` naming the component and the field unless ``value > 0``."""
    if not value > 0:
        raise ValueError(f"{where(kind, name)}: {field} must be > 0{(' ' + unit) if unit else ''}, got {value}")


def check_nonnegative(kind: str, name: str, field: str, value: float, unit: str = "") -> None:
    """Raise ``ValueError`` naming the component and the field unless ``value >= 0``."""
    if not value >= 0:
        raise ValueError(f"{where(kind, name)}: {field} must be >= 0{(' ' + unit) if unit else ''}, got {value}")


def check_fraction(kind: str, name: str, field: str, value: float, *, open_low: bool = True) -> None:
    """Raise ``ValueError`` unless ``value`` is in (0, 1] (or [0, 1] with ``open_low=False``)."""
    ok = (0 < value <= 1) if open_low else (0 <= value <= 1)
    if not ok:
        rng = "(0, 1]" if open_low else "[0, 1]"
        raise ValueError(f"{where(kind, name)}: {field} must be in {rng}, got {value}")


def check_optional_nonnegative(kind: str, name: str, field: str, value: float | None, unit: str = "") -> None:
    """Like :func:`check_nonnegative` but ``None`` (= no limit) is allowed."""
    if value is not None:
        check_nonnegative(kind, name, field, value, unit)


def check_operating_range(kind: str, name: str, low: float, high: float, ramp_up: float | None,
                          ramp_down: float | None, dt: float, *, low_field: str = "p_min",
                          high_field: str = "p_max") -> None:
    """Checks shared by dispatchable units: ``0 ≤ low ≤ high``, ``high > 0`` (kW), optional
    non-negative ramp limits (kW/h) and ``dt > 0`` (h); errors name ``low_field``/``high_field``."""
    check_nonnegative(kind, name, low_field, low, "kW")
    check_positive(kind, name, high_field, high, "kW")
    if low > high:
        raise ValueError(f"{where(kind, name)}: {low_field}={low} kW exceeds {high_field}={high} kW")
    check_optional_nonnegative(kind, name, "ramp_up", ramp_up, "kW/h")
    check_optional_nonnegative(kind, name, "ramp_down", ramp_down, "kW/h")
    check_positive(kind, name, "dt", dt, "h")


def check_horizon(kind: str, name: str, horizon: int) -> None:
    """Raise ``ValueError`` unless ``horizon`` is an integer ≥ 1."""
    if int(horizon) != horizon or horizon < 1:
        raise ValueError(f"{where(kind, name)}: horizon must be an integer >= 1, got {horizon}")


def profile(kind: str, name: str, field: str, value: ArrayLike, horizon: int) -> np.ndarray:
    """``value`` as a float array of shape ``(horizon,)`` (a scalar is broadcast).

    Raises:
        ValueError: naming the component and the field, for a wrong length or non-finite entries.
    """
    arr = np.asarray(value, dtype=float)
    if arr.ndim == 0:
        arr = np.full(horizon, float(arr))
    if arr.shape != (horizon,):
        raise ValueError(f"{where(kind, name)}: {field} must be a scalar or have shape ({horizon},), "
                         f"got shape {arr.shape}")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"{where(kind, name)}: {field} must be finite")
    return arr


def ramp_constraints(x: cp.Expression, ramp_up: float | None, ramp_down: float | None, dt: float,
                     initial: float | None = None) -> list[cp.Constraint]:
    """Ramp limits ``−ramp_down·dt ≤ x[t] − x[t−1] ≤ ramp_up·dt`` (rates per hour).

    ``x`` has shape ``(T,)``; with ``initial`` (the output just before the horizon) the first
    period is limited too. ``None`` means no limit in that direction.
    """
    cons: list[cp.Constraint] = []
    horizon = x.shape[0]
    pieces = []
    if horizon > 1:
        pieces.append(x[1:] - x[:-1])
    if initial is not None:
        pieces.insert(0, x[0:1] - float(initial))
    for diff in pieces:
        if ramp_up is not None:
            cons.append(diff <= ramp_up * dt)
        if ramp_down is not None:
            cons.append(diff >= -ramp_down * dt)
    return cons


@dataclass(frozen=True)
class QuadraticCost:
    """Quadratic operating-cost curve ``a·x² + b·x + c`` per hour of operation.

    ``x`` is the unit's output (kW). Units: ``a`` CNY/(kW²·h), ``b`` CNY/kWh, ``c`` CNY/h.
    ``a ≥ 0`` keeps it convex. Over a horizon the cost is ``Σ_t (a·x_t² + b·x_t + c)·dt``
    (the constant ``c`` is paid in every period: the unit is assumed committed, no
    start-up/shut-down binaries).
    """

    a: float
    b: float
    c: float = 0.0

    def __post_init__(self) -> None:
        if not self.a >= 0:
            raise ValueError(f"QuadraticCost: a must be >= 0 (convexity), got {self.a}")

    def expr(self, x: cp.Expression, dt: float = 1.0) -> cp.Expression:
        """Total cost (CNY) of the output trajectory ``x`` ``(T,)`` kW as a convex cvxpy expression."""
        horizon = x.shape[0] if x.ndim else 1
        return dt * (self.a * cp.sum_squares(x) + self.b * cp.sum(x) + self.c * horizon)

    def value(self, x: ArrayLike, dt: float = 1.0) -> float:
        """Total cost (CNY) of the output trajectory ``x`` kW (numpy)."""
        arr = np.atleast_1d(np.asarray(x, dtype=float))
        return float(dt * np.sum(self.a * arr ** 2 + self.b * arr + self.c))

    def marginal(self, x: ArrayLike) -> np.ndarray:
        """Marginal cost ``2·a·x + b`` (CNY/kWh) at output ``x`` kW."""
        return 2.0 * self.a * np.asarray(x, dtype=float) + self.b
