"""Thermal comfort: building thermal inertia (RC model) and the PMV index.

Units: temperatures in °C, heat in kW, thermal resistance R in °C/kW, capacitance C in
kWh/°C, ``dt`` in hours, air speed in m/s, relative humidity in %, metabolic rate in met
(1 met = 58.15 W/m²), clothing in clo (1 clo = 0.155 m²K/W).

Building thermal inertia (seed 001's "thermal inertia" equations were lost; standard
first-order RC form used in the IES literature, e.g. Lu et al., IEEE TSG 14 (2023) 2734)::

    C·dT_in/dt = (T_out − T_in)/R + H          H: net heat supplied (kW)

discretised exactly for inputs constant over a period::

    T_in[t+1] = a·T_in[t] + (1 − a)·(T_out[t] + R·H[t]),     a = exp(−dt/(R·C)).

PMV:

* :func:`pmv_iso7730` — the full ISO 7730:2005 / ASHRAE 55 Fanger PMV (iterative
  clothing-surface temperature), numpy, vectorised; :func:`ppd` the predicted percentage dissatisfied.
* :func:`pmv_simplified` — the simplified linear index ``2.43 − 3.76·(T_s − T_in)/(M·(I_cl + 0.1))``
  used by IES dispatch papers; seed 001's parameter table lists ``33.5 °C``, ``M = 80`` and
  ``0.11`` which match its ``T_s`` (skin temperature), ``M`` (W/m²) and ``I_cl`` (m²K/W).
  Seed 001's own PMV equation was lost in extraction.
* :func:`linearize_pmv` — an affine approximation ``PMV ≈ α + β·T_in`` of the reference
  formula (air and mean radiant temperature both equal to ``T_in`` + an optional offset),
  by tangent at an operating point or by a least-squares fit over a band, for linear comfort
  constraints ``|PMV| ≤ limit`` (:func:`pmv_constraints`) or an L1 penalty (:func:`pmv_penalty`).
  :meth:`PMVLinearization.max_error` measures the approximation error against the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import overload

import cvxpy as cp
import numpy as np

from gamecore.energy._common import ArrayLike, check_horizon, check_positive, profile, where

# ---------------------------------------------------------------------------------------------
# PMV (ISO 7730:2005, Annex D code; ASHRAE 55-2020 Appendix B)
# ---------------------------------------------------------------------------------------------


def pmv_iso7730(ta: ArrayLike, tr: ArrayLike, vr: ArrayLike, rh: ArrayLike, met: ArrayLike,
                clo: ArrayLike, wme: ArrayLike = 0.0, *, max_iter: int = 150) -> np.ndarray | float:
    """Fanger's Predicted Mean Vote, ISO 7730:2005 reference algorithm (vectorised).

    Args:
        ta: air temperature (°C). tr: mean radiant temperature (°C).
        vr: relative air speed (m/s). rh: relative humidity (%).
        met: metabolic rate (met). clo: clothing insulation (clo).
        wme: external work (met), normally 0.
        max_iter: iteration cap of the clothing-surface-temperature fixed point.

    Returns:
        PMV (dimensionless; a float for scalar inputs, else an array of the broadcast shape).
        The standard validates it for −2 ≤ PMV ≤ 2 and 10–30 °C.

    Raises:
        RuntimeError: if the clothing-temperature iteration does not converge.
    """
    ta_a, tr_a, vr_a, rh_a, met_a, clo_a, wme_a = np.broadcast_arrays(
        *(np.asarray(v, dtype=float) for v in (ta, tr, vr, rh, met, clo, wme)))
    scalar = ta_a.ndim == 0
    pa = rh_a * 10.0 * np.exp(16.6536 - 4030.183 / (ta_a + 235.0))     # water-vapour pressure, Pa
    icl = 0.155 * clo_a                                                # m²K/W
    m = met_a * 58.15                                                  # W/m²
    w = wme_a * 58.15
    mw = m - w
    fcl = np.where(icl <= 0.078, 1.0 + 1.29 * icl, 1.05 + 0.645 * icl)  # clothing area factor
    hcf = 12.1 * np.sqrt(vr_a)                                         # forced convection
    taa = ta_a + 273.0
    tra = tr_a + 273.0
    tcla = taa + (35.5 - ta_a) / (3.5 * icl + 0.1)                     # first guess of t_cl (K)
    p1 = icl * fcl
    p2 = p1 * 3.96
    p3 = p1 * 100.0
    p4 = p1 * taa
    p5 = 308.7 - 0.028 * mw + p2 * (tra / 100.0) ** 4
    xn = tcla / 100.0
    xf = tcla / 50.0
    hc = np.array(hcf, dtype=float, copy=True)
    xn = np.array(xn, dtype=float, copy=True)
    xf = np.array(xf, dtype=float, copy=True)
    for _ in range(max_iter):
        active = np.abs(xn - xf) > 0.00015      # iterate each point exactly as the scalar code does
        if not np.any(active):
            break
        xf = np.where(active, (xf + xn) / 2.0, xf)
        hcn = 2.38 * np.abs(100.0 * xf - taa) ** 0.25                  # natural convection
        hc = np.where(active, np.maximum(hcf, hcn), hc)
        xn = np.where(active, (p5 + p4 * hc - p2 * xf ** 4) / (100.0 + p3 * hc), xn)
    else:
        if np.any(np.abs(xn - xf) > 0.00015):
            raise RuntimeError("pmv_iso7730: clothing surface temperature iteration did not converge")
    tcl = 100.0 * xn - 273.0
    hl1 = 3.05e-3 * (5733.0 - 6.99 * mw - pa)                          # skin diffusion
    hl2 = np.where(mw > 58.15, 0.42 * (mw - 58.15), 0.0)               # sweating
    hl3 = 1.7e-5 * m * (5867.0 - pa)                                   # latent respiration
    hl4 = 0.0014 * m * (34.0 - ta_a)                                   # dry respiration
    hl5 = 3.96 * fcl * (xn ** 4 - (tra / 100.0) ** 4)                  # radiation
    hl6 = fcl * hc * (tcl - ta_a)                                      # convection
    ts = 0.303 * np.exp(-0.036 * m) + 0.028
    value = ts * (mw - hl1 - hl2 - hl3 - hl4 - hl5 - hl6)
    return float(value) if scalar else value


def ppd(pmv: ArrayLike) -> np.ndarray | float:
    """Predicted percentage dissatisfied (%), ``100 − 95·exp(−0.03353·PMV⁴ − 0.2179·PMV²)``."""
    p = np.asarray(pmv, dtype=float)
    value = 100.0 - 95.0 * np.exp(-0.03353 * p ** 4 - 0.2179 * p ** 2)
    return float(value) if value.ndim == 0 else value


def pmv_simplified(t_in: ArrayLike | cp.Expression, t_skin: float = 33.5, metabolic: float = 80.0,
                   i_cl: float = 0.11) -> np.ndarray | float | cp.Expression:
    """Simplified PMV of IES dispatch papers: ``2.43 − 3.76·(T_s − T_in)/(M·(I_cl + 0.1))``.

    Args:
        t_in: indoor temperature (°C). t_skin: mean skin temperature T_s (°C), default 33.5.
        metabolic: metabolic rate M (W/m²), default 80. i_cl: clothing resistance (m²K/W), default 0.11.

    Affine in ``t_in``: numbers give numbers, an affine cvxpy expression gives an affine
    expression. Defaults are our reading of seed 001's table. Note it is not a linearisation
    of the ISO formula: at 20 °C it gives −0.59 where :func:`pmv_iso7730` gives −0.45 for the
    same person (80 W/m² = 1.38 met, 0.11 m²K/W = 0.71 clo, 0.1 m/s, 50 % RH).
    """
    t = np.asarray(t_in, dtype=float) if not isinstance(t_in, cp.Expression) else t_in
    value = 2.43 - 3.76 * (t_skin - t) / (metabolic * (i_cl + 0.1))
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return float(value)
    return value


@dataclass(frozen=True)
class ComfortConditions:
    """Everything the PMV depends on except the indoor temperature.

    Attributes:
        vr: relative air speed (m/s). rh: relative humidity (%). met: metabolic rate (met).
        clo: clothing insulation (clo). wme: external work (met).
        tr_offset: mean radiant temperature minus air temperature (°C), default 0 (``tr = ta``).
    """

    vr: float = 0.1
    rh: float = 50.0
    met: float = 1.2
    clo: float = 1.0
    wme: float = 0.0
    tr_offset: float = 0.0

    def pmv(self, t_in: ArrayLike) -> np.ndarray | float:
        """Reference PMV at indoor (air) temperature ``t_in`` (°C)."""
        t = np.asarray(t_in, dtype=float)
        return pmv_iso7730(t, t + self.tr_offset, self.vr, self.rh, self.met, self.clo, self.wme)


@dataclass(frozen=True)
class PMVLinearization:
    """Affine PMV model ``PMV ≈ intercept + slope·T_in`` (slope in 1/°C).

    Attributes:
        intercept, slope: the coefficients. band: ``(t_low, t_high)`` °C over which it was built
            or is meant to be used. conditions: the other PMV inputs.
    """

    intercept: float
    slope: float
    band: tuple[float, float]
    conditions: ComfortConditions

    @overload
    def __call__(self, t_in: cp.Expression) -> cp.Expression: ...
    @overload
    def __call__(self, t_in: ArrayLike) -> np.ndarray: ...
    def __call__(self, t_in: cp.Expression | ArrayLike) -> cp.Expression | np.ndarray:
        """PMV approximation at ``t_in`` (numpy array or affine cvxpy expression)."""
        if isinstance(t_in, cp.Expression):
            return self.intercept + self.slope * t_in
        return self.intercept + self.slope * np.asarray(t_in, dtype=float)

    def errors(self, t_in: ArrayLike) -> np.ndarray:
        """``PMV_lin − PMV_ref`` at the given temperatures."""
        t = np.asarray(t_in, dtype=float)
        return self(t) - np.asarray(self.conditions.pmv(t))

    def max_error(self, points: int = 161) -> float:
        """Largest ``|PMV_lin − PMV_ref|`` over ``points`` evenly spaced temperatures of the band."""
        return float(np.max(np.abs(self.errors(np.linspace(*self.band, points)))))

    def temperature_for(self, pmv_value: float) -> float:
        """Indoor temperature (°C) at which the linear model equals ``pmv_value``."""
        return (pmv_value - self.intercept) / self.slope


def linearize_pmv(conditions: ComfortConditions, band: tuple[float, float], *, method: str = "fit",
                  t0: float | None = None, points: int = 161) -> PMVLinearization:
    """Affine approximation of the ISO 7730 PMV in the indoor temperature.

    Args:
        conditions: the other PMV inputs (air speed, humidity, met, clo, radiant offset).
        band: ``(t_low, t_high)`` °C, the indoor-temperature range where the model is used.
        method: ``"tangent"`` — first-order Taylor expansion at ``t0`` (default the band's
            middle; derivative by central differences of the reference formula, step 1e-3 °C);
            ``"fit"`` — least-squares line through ``points`` reference values over the band
            (smaller worst-case error over the band than the tangent).
        t0: operating point (°C) for ``"tangent"``.
        points: number of sample temperatures for ``"fit"``.

    Raises:
        ValueError: for an empty band or an unknown method.
    """
    lo, hi = float(band[0]), float(band[1])
    if not hi > lo:
        raise ValueError(f"linearize_pmv: band must have t_low < t_high, got {band}")
    if method == "tangent":
        t0 = 0.5 * (lo + hi) if t0 is None else float(t0)
        h = 1e-3
        slope = (conditions.pmv(t0 + h) - conditions.pmv(t0 - h)) / (2 * h)
        intercept = conditions.pmv(t0) - slope * t0
    elif method == "fit":
        t = np.linspace(lo, hi, points)
        slope, intercept = np.polyfit(t, np.asarray(conditions.pmv(t)), 1)
    else:
        raise ValueError(f"linearize_pmv: method must be 'tangent' or 'fit', got {method!r}")
    return PMVLinearization(float(intercept), float(slope), (lo, hi), conditions)


def pmv_constraints(t_in: cp.Expression, model: PMVLinearization, limit: float = 0.5) -> list[cp.Constraint]:
    """Linear comfort constraints ``−limit ≤ PMV_lin(T_in) ≤ limit`` (ISO 7730 class B: 0.5)."""
    if not limit > 0:
        raise ValueError(f"pmv_constraints: limit must be > 0, got {limit}")
    pmv = model(t_in)
    return [pmv <= limit, pmv >= -limit]


def pmv_penalty(t_in: cp.Expression, model: PMVLinearization, weight: float,
                deadband: float = 0.0) -> cp.Expression:
    """Convex discomfort cost ``weight·Σ_t max(|PMV_lin(T_in[t])| − deadband, 0)`` (money).

    ``weight`` is money per PMV unit per period, ≥ 0.
    """
    if not weight >= 0 or not deadband >= 0:
        raise ValueError(f"pmv_penalty: weight and deadband must be >= 0, got {weight}, {deadband}")
    return weight * cp.sum(cp.pos(cp.abs(model(t_in)) - deadband))


# ---------------------------------------------------------------------------------------------
# Building thermal inertia (first-order RC)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Building:
    """First-order RC thermal model of a building (or of an aggregated group of buildings).

    Attributes:
        resistance: thermal resistance R between indoor air and outdoors (°C/kW), > 0.
        capacitance: thermal capacitance C of the indoor air and structure (kWh/°C), > 0.
        t_init: indoor temperature at the start of the horizon (°C).
        t_min, t_max: indoor temperature bounds (°C).
        heat_max: largest heat supply (kW), > 0; heat is ≥ 0 (heating only).
        dt: period length (h). name: label.
    """

    resistance: float
    capacitance: float
    t_init: float = 20.0
    t_min: float = 18.0
    t_max: float = 26.0
    heat_max: float = 1e6
    dt: float = 1.0
    name: str = "building"

    def __post_init__(self) -> None:
        kind = "Building"
        check_positive(kind, self.name, "resistance", self.resistance, "degC/kW")
        check_positive(kind, self.name, "capacitance", self.capacitance, "kWh/degC")
        check_positive(kind, self.name, "heat_max", self.heat_max, "kW")
        check_positive(kind, self.name, "dt", self.dt, "h")
        if not self.t_min <= self.t_max:
            raise ValueError(f"{where(kind, self.name)}: t_min={self.t_min} exceeds t_max={self.t_max}")

    @property
    def time_constant(self) -> float:
        """τ = R·C (h)."""
        return self.resistance * self.capacitance

    @property
    def decay(self) -> float:
        """Per-period decay factor ``a = exp(−dt/τ)``."""
        return float(np.exp(-self.dt / self.time_constant))

    def steady_heat(self, t_in: float, t_out: float) -> float:
        """Heat (kW) that holds ``t_in`` constant against ``t_out``: ``(t_in − t_out)/R``."""
        return (t_in - t_out) / self.resistance


@dataclass
class BuildingModel:
    """cvxpy model of a building over ``T`` periods.

    Attributes:
        temperature: ``(T+1,)`` °C indoor temperature, ``temperature[0]`` fixed to ``t_init``;
            ``temperature[t+1]`` is the temperature at the end of period t.
        heat: ``(T,)`` kW heat supplied (variable).
        constraints: dynamics, bounds on ``temperature[1:]`` and heat.
        building: the parameters.
    """

    temperature: cp.Variable
    heat: cp.Variable
    constraints: list[cp.Constraint]
    building: Building


def building_model(building: Building, outdoor: ArrayLike, horizon: int, *, bounds: bool = True,
                   name: str | None = None) -> BuildingModel:
    """Variables and constraints of the RC building model.

    Args:
        building: the parameters.
        outdoor: outdoor temperature per period (°C), scalar or ``(T,)``.
        horizon: number of periods T ≥ 1.
        bounds: impose ``t_min ≤ T_in ≤ t_max`` at the end of every period (turn off when the
            comfort is handled by PMV constraints/penalty instead).
        name: prefix of variable names.
    """
    check_horizon("Building", building.name, horizon)
    t_out = profile("Building", building.name, "outdoor", outdoor, horizon)
    prefix = name or building.name
    temp = cp.Variable(horizon + 1, name=f"{prefix}_temperature")
    heat = cp.Variable(horizon, name=f"{prefix}_heat", nonneg=True)
    a = building.decay
    cons: list[cp.Constraint] = [
        temp[0] == building.t_init,
        temp[1:] == a * temp[:-1] + (1 - a) * (t_out + building.resistance * heat),
        heat <= building.heat_max,
    ]
    if bounds:
        cons += [temp[1:] >= building.t_min, temp[1:] <= building.t_max]
    return BuildingModel(temp, heat, cons, building)


def simulate_building(building: Building, heat: ArrayLike, outdoor: ArrayLike) -> np.ndarray:
    """Indoor temperature trajectory ``(T+1,)`` °C for given heat ``(T,)`` kW and outdoor ``(T,)`` °C."""
    h = np.atleast_1d(np.asarray(heat, dtype=float))
    t_out = profile("Building", building.name, "outdoor", outdoor, h.size)
    a = building.decay
    temps = np.empty(h.size + 1)
    temps[0] = building.t_init
    for t in range(h.size):
        temps[t + 1] = a * temps[t] + (1 - a) * (t_out[t] + building.resistance * h[t])
    return temps
