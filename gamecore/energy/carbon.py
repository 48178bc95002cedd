"""Carbon-trading cost models as cvxpy building blocks.

Units: CO₂ in kg, prices in CNY/kg, emission/quota intensities in kg CO₂ per kWh of output
(numerically equal to t/MWh), power in kW, ``dt`` in hours. All trading costs are for the
horizon total ``x = E − E_q`` (actual emissions minus free quota, kg): positive ``x`` buys
allowances, negative ``x`` sells them.

(a) Stepwise ("ladder") carbon trading — seed 001 (SCTM)
---------------------------------------------------------
Seed 001's equations were lost in extraction; we use the standard ladder form it cites (Wang
et al., Appl. Energy 311 (2022) 118664; Liu et al., Energies 17 (2024) 3414). Above the
quota the excess is cut into intervals of length ``d``; interval ``k = 0, 1, …, K−1`` is
priced ``λ·(1 + k·α)`` (the last interval unbounded)::

    C(x) = Σ_{j<k} λ(1 + jα)·d + λ(1 + kα)·(x − k·d)      for k·d ≤ x < (k+1)·d

Prices increase with ``k``, so ``C`` is convex piecewise linear and equals the maximum of its
affine pieces: :func:`stepped_carbon_cost` writes it exactly as an epigraph
``c ≥ slope_k·x + intercept_k`` for every k. Sell side (``x < 0``): in the standard form the
first piece extends below the quota — surplus allowances are sold at the base price ``λ``
(``sell="linear"``, exact and convex: slope ``λ ≤`` every buy slope). ``sell="none"`` gives no
revenue below the quota (``C = max(0, …)``, also convex). A ladder of *increasing rewards*
on the sell side (as in seed 004 below) would make ``C`` concave for ``x < 0``; it is not part
of seed 001's mechanism as far as the surviving text shows, so it is not offered here — use
:class:`StageFeedbackCarbon` for that.

Seed 001's parameter table (symbol names lost) lists "0.2 CNY/kg", "50%" and "l 10,000 kg"
side by side; we read them as base price λ, growth rate α and interval length l
(:data:`SEED001_CARBON`). Its quota factors appear to be 0.728 and 0.367 (kg per kWh of
electricity and heat), the same as seed 004's.

(b) Multi-agent stage-feedback carbon trading — seed 004
--------------------------------------------------------
Free quota from unit outputs (seed 004 eqs. 1–2): ``E_q = μ_e,q·(P_coal + P_buy) +
μ_h,q·(ε·P_gt + H_whb + H_gb + G_ar + G_ac)`` with ``μ_e,q = 0.728 t/MWh`` and
``μ_h,q = 0.102 t/GJ = 0.3672 t/MWh`` (:func:`quota` with :data:`SEED004_QUOTA_ELEC`,
:data:`SEED004_QUOTA_HEAT`). Actual emissions are linear in the outputs (seed 004 eqs. 3–7,
:func:`seed004_actual_emissions`). The cost (seed 004 eq. 8; the extraction lost the
operators, this is our reading, continuous at every breakpoint)::

    x ≥ s:          p(1+δa)·s + p(1+2δa)·(x − s)                       penalty stages
    0 ≤ x < s:      p(1+δa)·x
    −s ≤ x < 0:     p·x                                               reward stages (x < 0)
    −2s ≤ x < −s:   −p·s − p(1+δp)·(−x − s)
    −3s ≤ x < −2s:  −p·s·(2+δp) − p(1+2δp)·(−x − 2s)
    x < −3s:        −p·s·(3+3δp) − p(1+3δp)·(−x − 3s)

(the printed last line reads ``s(3 + δp)``; continuity at ``x = −3s`` requires ``3 + 3δp``,
which we use. The constant of the top penalty line is garbled — a fragment reads
``p·s·(1 + 2δa)``; continuity at ``x = s`` requires ``p·s·(1 + δa)``, which we use). The buy side
and the kink at 0 (slope ``p`` → ``p(1+δa)``) are convex. The
reward side is **concave**: every further kg below the quota earns more than the previous
one. :func:`stage_feedback_cost` therefore offers two modes: ``"conservative"`` — the convex
upper bound that pays the base price ``p`` for every kg below the quota (exact for
``x ≥ −s``; under-rewards deeper cuts, so a minimiser never over-reduces on its account) —
and ``"mixed-integer"`` — the exact cost with binaries enforcing the filling order of the
reward stages (and no simultaneous buy/sell), needing a bound ``big_m`` on ``|x|`` and a
mixed-integer solver (HiGHS for LP followers).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import cvxpy as cp
import numpy as np

from gamecore.energy._common import ArrayLike, check_nonnegative, check_positive, where

#: Seed 004 Table 1: free quota per kWh of electricity (0.728 t/MWh) and of heat (0.102 t/GJ).
SEED004_QUOTA_ELEC = 0.728
SEED004_QUOTA_HEAT = 0.102 * 3.6
#: Seed 004 Table 1 actual emission coefficients (kg/kWh): coal unit, gas units, P2G, PCU.
SEED004_MU_E = 0.924
SEED004_MU_G = 0.488
SEED004_MU_P2G = 0.118
SEED004_MU_PCU = 0.144


def _as_total(value: cp.Expression | ArrayLike) -> cp.Expression:
    """Horizon total (kg) of ``value`` (scalar or ``(T,)``; numbers or cvxpy expression)."""
    if isinstance(value, cp.Expression):
        return cp.sum(value) if value.ndim else value
    return cp.Constant(float(np.sum(np.asarray(value, dtype=float))))


@dataclass
class CarbonCostModel:
    """Carbon-trading cost of a horizon.

    Attributes:
        cost: trading cost (CNY; negative = revenue), a cvxpy expression — convex in the
            excess for the continuous modes.
        excess: ``E − E_q`` (kg), affine scalar expression.
        variables: auxiliary variables (epigraph variable, stage variables, binaries).
        constraints: their constraints (add them to the problem).
    """

    cost: cp.Expression
    excess: cp.Expression
    variables: dict[str, cp.Variable]
    constraints: list[cp.Constraint]


# ---------------------------------------------------------------------------------------------
# (a) seed 001 ladder
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SteppedCarbonPrice:
    """Stepwise (ladder) carbon price of seed 001.

    Attributes:
        base_price: λ, price of the first interval (CNY/kg), > 0.
        growth: α, price increase per interval (fraction), ≥ 0.
        interval: d, length of each interval (kg), > 0.
        steps: number of priced intervals K ≥ 1 (the last is unbounded); default 5.
        sell: ``"linear"`` — surplus allowances sold at λ; ``"none"`` — no revenue below the quota.
        name: label for errors.
    """

    base_price: float
    growth: float
    interval: float
    steps: int = 5
    sell: str = "linear"
    name: str = "sctm"

    def __post_init__(self) -> None:
        kind = "SteppedCarbonPrice"
        check_positive(kind, self.name, "base_price", self.base_price, "CNY/kg")
        check_nonnegative(kind, self.name, "growth", self.growth)
        check_positive(kind, self.name, "interval", self.interval, "kg")
        if int(self.steps) != self.steps or self.steps < 1:
            raise ValueError(f"{where(kind, self.name)}: steps must be an integer >= 1, got {self.steps}")
        if self.sell not in ("linear", "none"):
            raise ValueError(f"{where(kind, self.name)}: sell must be 'linear' or 'none', got {self.sell!r}")

    def prices(self) -> np.ndarray:
        """Price of each interval, ``λ(1 + kα)``, k = 0..K−1 (CNY/kg)."""
        return self.base_price * (1.0 + self.growth * np.arange(self.steps))

    def pieces(self) -> tuple[np.ndarray, np.ndarray]:
        """``(slopes, intercepts)`` of the affine pieces whose maximum is the cost (buy side)."""
        slopes = self.prices()
        d = self.interval
        k = np.arange(self.steps)
        paid_before = d * np.concatenate([[0.0], np.cumsum(slopes)[:-1]])
        intercepts = paid_before - slopes * k * d
        return slopes, intercepts

    def cost(self, excess: ArrayLike) -> np.ndarray | float:
        """Cost (CNY) of the horizon's excess ``x = E − E_q`` (kg), numpy (the max of the pieces)."""
        x = np.asarray(excess, dtype=float)
        slopes, intercepts = self.pieces()
        value = np.max(slopes[:, None] * x.reshape(1, -1) + intercepts[:, None], axis=0)
        if self.sell == "none":
            value = np.maximum(value, 0.0)
        value = value.reshape(x.shape)
        return float(value) if value.ndim == 0 else value


#: Our reading of seed 001's parameter table: λ = 0.2 CNY/kg, α = 50 %, l = 10,000 kg, 5 intervals.
SEED001_CARBON = SteppedCarbonPrice(base_price=0.2, growth=0.5, interval=10_000.0, steps=5, name="seed001-sctm")


def stepped_carbon_cost(price: SteppedCarbonPrice, emissions: cp.Expression | ArrayLike,
                        quota: cp.Expression | ArrayLike, name: str | None = None) -> CarbonCostModel:
    """Exact epigraph model of the ladder cost of ``Σ emissions − Σ quota``.

    Args:
        price: the ladder.
        emissions: actual emissions (kg), scalar or ``(T,)`` (summed), numbers or affine expression.
        quota: free quota (kg), same conventions.
        name: prefix of the epigraph variable's name.

    Returns:
        A :class:`CarbonCostModel` whose ``cost`` is an epigraph variable ``c`` with
        ``c ≥ slope_k·x + intercept_k`` for every interval (and ``c ≥ 0`` with ``sell="none"``).
        In a minimisation the variable sits on the max of the pieces, i.e. on the exact cost.
    """
    excess = _as_total(emissions) - _as_total(quota)
    c = cp.Variable(name=f"{name or price.name}_carbon_cost")
    slopes, intercepts = price.pieces()
    cons: list[cp.Constraint] = [c >= float(s) * excess + float(b) for s, b in zip(slopes, intercepts)]
    if price.sell == "none":
        cons.append(c >= 0)
    return CarbonCostModel(c, excess, {"cost": c}, cons)


def quota(terms: Sequence[tuple[float, cp.Expression | ArrayLike]], dt: float = 1.0) -> cp.Expression:
    """Free quota (kg) ``Σ_i factor_i · Σ_t output_i[t] · dt`` of unit outputs.

    Args:
        terms: ``(factor kg/kWh, output (T,) kW)`` pairs — e.g. ``[(SEED004_QUOTA_ELEC, p_coal + p_buy),
            (SEED004_QUOTA_HEAT, eps*p_gt + h_whb + h_gb + cool_ar + cool_ac)]`` for seed 004 eq. 1.
        dt: period length (h).
    """
    total: cp.Expression = cp.Constant(0.0)
    for factor, output in terms:
        if not factor >= 0:
            raise ValueError(f"quota: factors must be >= 0 kg/kWh, got {factor}")
        total = total + factor * dt * _as_total(output)
    return total


def seed004_actual_emissions(p_coal: cp.Expression | ArrayLike, gas_terms: cp.Expression | ArrayLike,
                             p_p2g: cp.Expression | ArrayLike = 0.0, eta_pcu: float = 0.0, dt: float = 1.0,
                             mu_e: float = SEED004_MU_E, mu_g: float = SEED004_MU_G,
                             mu_p2g: float = SEED004_MU_P2G, mu_pcu: float = SEED004_MU_PCU) -> cp.Expression:
    """Seed 004's actual emissions (kg over the horizon), eqs. 3–7 as they survived extraction::

        E = Σ μ_e·P_coal·dt + Σ μ_g·G·dt + Σ μ_p2g·P_p2g·dt − Σ μ_pcu·η_pcu·P_coal·dt

    with ``G = ε_g,gb·H_gb + ε_e,cchp·P_cchp + ε_g,cchp·H_cchp`` (``gas_terms``, kW, the caller
    weights its outputs). The "+" signs survived the text; only the operator before the PCU
    term was lost, read as "−" (the PCU captures CO₂ from the coal unit's flue gas at rate
    ``η_pcu``). The P2G term counts P2G's own (electricity-related) emissions as the seed does;
    the CO₂ it binds is modelled in :mod:`gamecore.energy.p2g_ccs`.
    """
    if not 0 <= eta_pcu <= 1:
        raise ValueError(f"seed004_actual_emissions: eta_pcu must be in [0, 1], got {eta_pcu}")
    coal = _as_total(p_coal)
    return dt * ((mu_e - mu_pcu * eta_pcu) * coal + mu_g * _as_total(gas_terms) + mu_p2g * _as_total(p_p2g))


# ---------------------------------------------------------------------------------------------
# (b) seed 004 stage feedback
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StageFeedbackCarbon:
    """Seed 004's multi-agent stage-feedback carbon trading (see the module docstring).

    Attributes:
        price: p, carbon price (CNY/kg), > 0.
        interval: s, length of each stage (kg), > 0.
        delta_a: positive-feedback (penalty) factor δa ≥ 0: buy stages priced p(1+δa), p(1+2δa), …
        delta_p: negative-feedback (reward) factor δp ≥ 0: sell stages priced p, p(1+δp), p(1+2δp), …
        buy_stages: number of buy stages (last unbounded), seed 004: 2.
        sell_stages: number of sell stages (last unbounded), seed 004: 4.
        name: label.
    """

    price: float
    interval: float
    delta_a: float
    delta_p: float
    buy_stages: int = 2
    sell_stages: int = 4
    name: str = "stage-feedback"

    def __post_init__(self) -> None:
        kind = "StageFeedbackCarbon"
        check_positive(kind, self.name, "price", self.price, "CNY/kg")
        check_positive(kind, self.name, "interval", self.interval, "kg")
        check_nonnegative(kind, self.name, "delta_a", self.delta_a)
        check_nonnegative(kind, self.name, "delta_p", self.delta_p)
        for field_name in ("buy_stages", "sell_stages"):
            value = getattr(self, field_name)
            if int(value) != value or value < 1:
                raise ValueError(f"{where(kind, self.name)}: {field_name} must be an integer >= 1, got {value}")

    def buy_prices(self) -> np.ndarray:
        """``p(1 + k·δa)``, k = 1..buy_stages (CNY/kg)."""
        return self.price * (1.0 + self.delta_a * np.arange(1, self.buy_stages + 1))

    def sell_prices(self) -> np.ndarray:
        """``p(1 + k·δp)``, k = 0..sell_stages−1 (CNY/kg): revenue per kg of each reward stage."""
        return self.price * (1.0 + self.delta_p * np.arange(self.sell_stages))

    def cost(self, excess: ArrayLike) -> np.ndarray | float:
        """Exact cost (CNY; negative = revenue) of ``x = E − E_q`` (kg), numpy."""
        x = np.asarray(excess, dtype=float)
        s = self.interval
        buy = np.maximum(x, 0.0)
        red = np.maximum(-x, 0.0)
        value = np.zeros_like(x)
        for k, pr in enumerate(self.buy_prices()):
            hi = np.inf if k == self.buy_stages - 1 else (k + 1) * s
            value = value + pr * np.clip(np.minimum(buy, hi) - k * s, 0.0, None)
        for k, pr in enumerate(self.sell_prices()):
            hi = np.inf if k == self.sell_stages - 1 else (k + 1) * s
            value = value - pr * np.clip(np.minimum(red, hi) - k * s, 0.0, None)
        return float(value) if value.ndim == 0 else value

    def conservative_cost(self, excess: ArrayLike) -> np.ndarray | float:
        """The convex upper bound used by ``mode="conservative"``: reward ``p`` per kg below the quota."""
        x = np.asarray(excess, dtype=float)
        value = np.where(x < 0, self.price * x, self.cost(np.maximum(x, 0.0)))
        return float(value) if value.ndim == 0 else value

    def conservative_pieces(self) -> tuple[np.ndarray, np.ndarray]:
        """``(slopes, intercepts)`` of the affine pieces whose maximum is :meth:`conservative_cost`:
        ``p·x`` and, per buy stage k = 0..buy_stages−1, ``p(1+(k+1)δa)·(x − k·s) + (paid below stage k)``.
        Exact (equal to :meth:`cost`) for ``x ≥ −s``."""
        s = self.interval
        slopes, intercepts, paid = [self.price], [0.0], 0.0
        for k, pr in enumerate(self.buy_prices()):
            slopes.append(float(pr))
            intercepts.append(paid - float(pr) * k * s)
            paid += float(pr) * s
        return np.asarray(slopes), np.asarray(intercepts)

    def conservative_expr(self, excess: cp.Expression) -> cp.Expression:
        """:meth:`conservative_cost` of an affine (or convex) scalar excess as a convex cvxpy expression
        (the maximum of :meth:`conservative_pieces`; no auxiliary variables, so it can sit inside
        an objective or a cost builder)."""
        slopes, intercepts = self.conservative_pieces()
        return cp.max(cp.hstack([float(a) * excess + float(b) for a, b in zip(slopes, intercepts)]))


def stage_feedback_cost(model: StageFeedbackCarbon, emissions: cp.Expression | ArrayLike,
                        quota_kg: cp.Expression | ArrayLike, *, mode: str = "conservative",
                        big_m: float | None = None, name: str | None = None) -> CarbonCostModel:
    """Seed 004's stage-feedback trading cost of ``Σ emissions − Σ quota_kg`` in cvxpy.

    Both modes are exact only where the cost is minimised (it enters a minimisation with a
    positive weight): the epigraph variable and the buy-stage split rely on it.

    Args:
        model: the parameters.
        emissions, quota_kg: kg, scalar or ``(T,)`` (summed); numbers or affine expressions.
        mode: ``"conservative"`` — convex epigraph of :meth:`StageFeedbackCarbon.conservative_cost`
            (exact whenever ``x ≥ −s``); ``"mixed-integer"`` — exact, with stage variables and
            ``sell_stages`` binaries (one selects buy vs sell, the others the filling order).
        big_m: bound on ``|x|`` (kg), required for ``"mixed-integer"``; the model constrains
            ``|x| ≤ big_m``, so choose it above any reachable excess.
        name: prefix of variable names.
    """
    prefix = name or model.name
    excess = _as_total(emissions) - _as_total(quota_kg)
    s = model.interval
    if mode == "conservative":
        c = cp.Variable(name=f"{prefix}_carbon_cost")
        slopes, intercepts = model.conservative_pieces()
        cons: list[cp.Constraint] = [c >= float(a) * excess + float(b) for a, b in zip(slopes, intercepts)]
        return CarbonCostModel(c, excess, {"cost": c}, cons)
    if mode != "mixed-integer":
        raise ValueError(f"{where('StageFeedbackCarbon', model.name)}: mode must be 'conservative' or "
                         f"'mixed-integer', got {mode!r}")
    if big_m is None or not big_m > 0:
        raise ValueError(f"{where('StageFeedbackCarbon', model.name)}: big_m (kg) > 0 is required for "
                         f"mode='mixed-integer', got {big_m}")
    nb, ns = model.buy_stages, model.sell_stages
    b = cp.Variable(nb, name=f"{prefix}_buy_stage", nonneg=True)
    u = cp.Variable(ns, name=f"{prefix}_sell_stage", nonneg=True)
    z_buy = cp.Variable(name=f"{prefix}_buying", boolean=True)
    cons = [excess == cp.sum(b) - cp.sum(u), cp.sum(b) <= big_m * z_buy, cp.sum(u) <= big_m * (1 - z_buy)]
    if nb > 1:
        cons.append(b[:-1] <= s)          # buy prices increase: no binaries needed for their order
    if ns > 1:
        full = cp.Variable(ns - 1, name=f"{prefix}_sell_full", boolean=True)
        cons += [u[:-1] <= s, u[:-1] >= s * full, u[-1] <= big_m * full[-1]]
        if ns > 2:                         # stage k+1 opens only once stage k is full
            cons.append(u[1:-1] <= s * full[:-1])
        variables = {"buy": b, "sell": u, "buying": z_buy, "sell_full": full}
    else:
        variables = {"buy": b, "sell": u, "buying": z_buy}
    cost = model.buy_prices() @ b - model.sell_prices() @ u
    return CarbonCostModel(cost, excess, variables, cons)
