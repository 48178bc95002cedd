"""Flexible loads and user utility as cvxpy building blocks.

Units: power in kW (average over a period), energy in kWh, ``dt`` in hours, money in CNY.

* :class:`FixedLoad` — a given profile, no decision.
* :class:`ShiftableLoad` — seed 004's "translatable" load ``P_tra``: per-period bounds
  ``p_min[t] ≤ P[t] ≤ p_max[t]`` and a kept daily total ``Σ_t P[t]·dt = Z`` (seed 004, the
  ``Σ P_tra = Z_tra`` constraint; ``Z`` "is constant before and after the demand response").
* :class:`CurtailableLoad` — reducible (e.g. heat) load: ``demand = base − cut``,
  ``0 ≤ cut ≤ cut_max``, optional linear discomfort cost per kWh cut. Seed 004's heat-load
  equation lost its operator (``H_uh = H_fix ? H_tra``); its text ("H_tra is the heat power
  that can be reduced") gives the standard reduction form used here.
* :class:`QuadraticUtility` — seed 004's user satisfaction
  ``f_u = Σ_t (γ·P_t − λ/2·P_t²)·dt`` (the minus sign was lost in the text; with ``λ > 0``
  the utility is concave, so ``−f_u`` is a convex cost for a follower's objective). Table 1
  coefficients in :data:`SEED004_ELEC_UTILITY` / :data:`SEED004_HEAT_UTILITY`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cvxpy as cp
import numpy as np

from gamecore.energy._common import ArrayLike, check_horizon, check_nonnegative, check_positive, profile, where


@dataclass
class LoadModel:
    """cvxpy model of one load over ``T`` periods.

    Attributes:
        name: the load's name.
        demand: ``(T,)`` kW consumed (affine expression; a constant for a fixed load).
        variables: decision variables by name (empty for a fixed load).
        constraints: every constraint.
        cost: the load's own cost over the horizon (CNY; discomfort of curtailment), convex.
    """

    name: str
    demand: cp.Expression
    variables: dict[str, cp.Variable]
    constraints: list[cp.Constraint]
    cost: cp.Expression


@dataclass(frozen=True)
class FixedLoad:
    """An inflexible load profile ``(T,)`` kW (e.g. seed 004's ``P_fix``)."""

    profile: tuple[float, ...]
    name: str = "fixed-load"

    def __post_init__(self) -> None:
        arr = np.asarray(self.profile, dtype=float)
        if arr.ndim != 1 or arr.size == 0 or not np.all(np.isfinite(arr)):
            raise ValueError(f"{where('FixedLoad', self.name)}: profile must be a non-empty finite 1-D sequence")
        if np.any(arr < 0):
            raise ValueError(f"{where('FixedLoad', self.name)}: profile must be >= 0 kW")

    @classmethod
    def of(cls, values: ArrayLike, name: str = "fixed-load") -> FixedLoad:
        """Build from any 1-D array-like (kept as a tuple so the dataclass stays hashable)."""
        return cls(tuple(float(v) for v in np.atleast_1d(np.asarray(values, dtype=float))), name)

    @property
    def values(self) -> np.ndarray:
        """The profile as an array (kW)."""
        return np.asarray(self.profile, dtype=float)


def fixed_load_model(load: FixedLoad) -> LoadModel:
    """The fixed load as a constant demand expression (no variables, no constraints)."""
    return LoadModel(load.name, cp.Constant(load.values), {}, [], cp.Constant(0.0))


@dataclass(frozen=True)
class ShiftableLoad:
    """Shiftable load: energy ``total`` kWh over the horizon, each period within bounds.

    Attributes:
        total: energy to serve over the horizon Z (kWh), ≥ 0.
        p_max: per-period upper bound (kW), scalar or ``(T,)`` (seed 004: ≤ 30 % of the total
            load and ≤ 400 kW).
        p_min: per-period lower bound (kW), scalar or ``(T,)``, default 0.
        dt: period length (h). name: label.
    """

    total: float
    p_max: float | tuple[float, ...]
    p_min: float | tuple[float, ...] = 0.0
    dt: float = 1.0
    name: str = "shiftable-load"

    def __post_init__(self) -> None:
        check_nonnegative("ShiftableLoad", self.name, "total", self.total, "kWh")
        check_positive("ShiftableLoad", self.name, "dt", self.dt, "h")


def shiftable_numbers(load: ShiftableLoad, horizon: int) -> dict[str, Any]:
    """The numbers of :func:`shiftable_load_model`'s program, checked: ``total`` (kWh), ``p_min``,
    ``p_max`` (``(T,)`` kW). A program family takes them as structure parameters (a rolling
    horizon's energy still to serve is ``total``).

    Raises:
        ValueError: naming the load and the field, for wrong shapes, ``p_min > p_max``, or a
            total that the bounds cannot deliver (``Σ p_min·dt ≤ total ≤ Σ p_max·dt`` must hold).
    """
    check_horizon("ShiftableLoad", load.name, horizon)
    hi = profile("ShiftableLoad", load.name, "p_max", load.p_max, horizon)
    lo = profile("ShiftableLoad", load.name, "p_min", load.p_min, horizon)
    if np.any(lo < 0) or np.any(lo > hi):
        raise ValueError(f"{where('ShiftableLoad', load.name)}: need 0 <= p_min <= p_max in every period")
    if not lo.sum() * load.dt - 1e-9 <= load.total <= hi.sum() * load.dt + 1e-9:
        raise ValueError(f"{where('ShiftableLoad', load.name)}: total={load.total} kWh outside what the "
                         f"bounds allow [{lo.sum() * load.dt:.6g}, {hi.sum() * load.dt:.6g}] kWh")
    return {"total": float(load.total), "p_min": lo, "p_max": hi}


def shiftable_load_model(load: ShiftableLoad, horizon: int, name: str | None = None,
                         numbers: Mapping[str, Any] | None = None) -> LoadModel:
    """Variable ``power`` ``(T,)`` kW with ``p_min ≤ power ≤ p_max`` and ``Σ power·dt = total``.

    ``numbers``: the program's numbers (:func:`shiftable_numbers`' keys), e.g. a program
    family's structure parameters; default ``shiftable_numbers(load, horizon)`` (``load`` then
    gives only ``dt`` and the name).

    Raises:
        ValueError: as :func:`shiftable_numbers`.
    """
    v = shiftable_numbers(load, horizon) if numbers is None else numbers
    power = cp.Variable(horizon, name=f"{name or load.name}_power", nonneg=True)
    cons: list[cp.Constraint] = [power >= v["p_min"], power <= v["p_max"], cp.sum(power) * load.dt == v["total"]]
    return LoadModel(name or load.name, power, {"power": power}, cons, cp.Constant(0.0))


@dataclass(frozen=True)
class CurtailableLoad:
    """Reducible load: ``demand = base − cut`` with ``0 ≤ cut ≤ cut_max``.

    Attributes:
        base: requested demand (kW), ``(T,)`` tuple or scalar.
        cut_max: largest reduction (kW), scalar or ``(T,)``; must not exceed ``base``
            (seed 004: ≤ 30 % of the load).
        cut_cost: discomfort cost per kWh not served (CNY/kWh), ≥ 0, default 0.
        dt: period length (h). name: label.
    """

    base: float | tuple[float, ...]
    cut_max: float | tuple[float, ...]
    cut_cost: float = 0.0
    dt: float = 1.0
    name: str = "curtailable-load"

    def __post_init__(self) -> None:
        check_nonnegative("CurtailableLoad", self.name, "cut_cost", self.cut_cost, "CNY/kWh")
        check_positive("CurtailableLoad", self.name, "dt", self.dt, "h")


def curtailable_load_model(load: CurtailableLoad, horizon: int, name: str | None = None) -> LoadModel:
    """Variable ``cut`` ``(T,)`` kW; ``demand = base − cut``; cost ``cut_cost·Σ cut·dt``."""
    check_horizon("CurtailableLoad", load.name, horizon)
    base = profile("CurtailableLoad", load.name, "base", load.base, horizon)
    cmax = profile("CurtailableLoad", load.name, "cut_max", load.cut_max, horizon)
    if np.any(base < 0):
        raise ValueError(f"{where('CurtailableLoad', load.name)}: base must be >= 0 kW")
    if np.any(cmax < 0) or np.any(cmax > base + 1e-12):
        raise ValueError(f"{where('CurtailableLoad', load.name)}: cut_max must be in [0, base] in every period")
    cut = cp.Variable(horizon, name=f"{name or load.name}_cut", nonneg=True)
    cons: list[cp.Constraint] = [cut <= cmax]
    return LoadModel(name or load.name, base - cut, {"cut": cut}, cons, load.cut_cost * load.dt * cp.sum(cut))


@dataclass(frozen=True)
class QuadraticUtility:
    """Quadratic (concave) user utility ``U(x) = Σ_t (γ·x_t − λ/2·x_t²)·dt`` (seed 004).

    Attributes:
        gamma: preference coefficient γ (money per energy unit, e.g. CNY/MWh), ≥ 0.
        lam: saturation coefficient λ (money per energy unit², e.g. CNY/MWh²), ≥ 0 (concavity).
        dt: period length (h). name: label.

    The marginal utility ``γ − λ·x`` is positive up to the satiation point ``x = γ/λ``: a
    utility-maximising user facing price ``c`` consumes ``x = (γ − c)/λ`` (clipped to its bounds).
    """

    gamma: float
    lam: float
    dt: float = 1.0
    name: str = "utility"

    def __post_init__(self) -> None:
        check_nonnegative("QuadraticUtility", self.name, "gamma", self.gamma)
        check_nonnegative("QuadraticUtility", self.name, "lam", self.lam, "(concavity)")
        check_positive("QuadraticUtility", self.name, "dt", self.dt, "h")

    def expr(self, x: cp.Expression) -> cp.Expression:
        """Utility (money) of consumption ``x`` ``(T,)``: concave cvxpy expression."""
        return self.dt * (self.gamma * cp.sum(x) - 0.5 * self.lam * cp.sum_squares(x))

    def value(self, x: ArrayLike) -> float:
        """Utility (money) of consumption ``x`` (numpy)."""
        arr = np.atleast_1d(np.asarray(x, dtype=float))
        return float(self.dt * np.sum(self.gamma * arr - 0.5 * self.lam * arr ** 2))

    def marginal(self, x: ArrayLike) -> np.ndarray:
        """Marginal utility ``γ − λ·x`` (money per energy unit)."""
        return self.gamma - self.lam * np.asarray(x, dtype=float)

    def demand_at(self, price: ArrayLike, lower: ArrayLike = 0.0, upper: ArrayLike = np.inf) -> np.ndarray:
        """Utility-maximising consumption at ``price``: ``clip((γ − price)/λ, lower, upper)``."""
        p = np.asarray(price, dtype=float)
        if self.lam == 0:
            raw = np.where(p < self.gamma, np.inf, 0.0)
        else:
            raw = (self.gamma - p) / self.lam
        return np.clip(raw, lower, upper)

    def per_kw(self) -> QuadraticUtility:
        """The same utility with coefficients per MWh rescaled for consumption in kW (×1e-3, ×1e-6)."""
        return QuadraticUtility(self.gamma * 1e-3, self.lam * 1e-6, self.dt, self.name)


#: Seed 004 Table 1: electricity preference γ_e = 2100 CNY/MWh, λ_e = 0.9 CNY/MWh² (consumption in MW).
SEED004_ELEC_UTILITY = QuadraticUtility(gamma=2100.0, lam=0.9, name="seed004-electricity")
#: Seed 004 Table 1: heat preference γ_h = 1100 CNY/MWh, λ_h = 1.2 CNY/MWh² (consumption in MW).
SEED004_HEAT_UTILITY = QuadraticUtility(gamma=1100.0, lam=1.2, name="seed004-heat")
