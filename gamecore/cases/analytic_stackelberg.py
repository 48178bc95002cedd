"""``analytic-stackelberg``: a monopoly leader pricing quadratic-utility consumers.

    follower i:  minimize −(a_it d_it − ½ b_i d_it²) + p_t d_it   s.t. 0 ≤ d_it ≤ dmax_i
    leader:      maximize Σ_t (p_t − c_t) · Σ_i d_it(p)          s.t. c_t ≤ p_t ≤ pmax

Closed form (independent of every strategy): aggregate demand D_t(p) is piecewise linear
with kinks at a_it and a_it − b_i dmax_i; on each linear piece D = α − βp the profit
(p − c)(α − βp) is concave with maximiser (α/β + c)/2, clipped to the piece; the best
piece wins. The data keep every response interior at the optimum, where
p*_t = (A_t/B + c_t)/2 with A_t = Σ a_it/b_i and B = Σ 1/b_i.

Cost: ``O(N log N)`` per period (each piece's α and β from sorted cumulative sums). Memory:
the consumers are :mod:`gamecore.cases.analytic_market`'s, so are its per-consumer figures
(``BYTES_PER_AGENT``, ``BYTES_PER_AGENT_PERIOD``); larger sizes are refused up front.
"""

from __future__ import annotations

from typing import Literal

import numpy as np

from gamecore.cases.analytic_market import (
    BYTES_PER_AGENT,
    BYTES_PER_AGENT_PERIOD,
    DATA_BYTES_PER_AGENT,
    DATA_BYTES_PER_AGENT_PERIOD,
    load_profile,
    quadratic_consumer,
)
from gamecore.cases.base import Case, CaseSpec, Reference, case_arguments
from gamecore.game import Game
from gamecore.leader import Bilinear, Leader, LeaderObjective
from gamecore.signals import Signal


def stackelberg_data(agents: int, periods: int, seed: int, max_memory_gb: float | None = None) -> dict[str, np.ndarray]:
    """Draw consumer and leader-cost parameters (see module docstring).

    Raises:
        ValueError: bad ``agents`` / ``periods`` / ``seed``, or (``ResourceLimitError``) data too
            large for the memory limit (:func:`gamecore.cases.base.case_arguments`).
    """
    agents, periods, seed = case_arguments("analytic-stackelberg", agents, periods, seed,
                                           bytes_per_agent=DATA_BYTES_PER_AGENT,
                                           bytes_per_agent_period=DATA_BYTES_PER_AGENT_PERIOD,
                                           max_memory_gb=max_memory_gb)
    rng = np.random.default_rng(seed)
    profile = load_profile(periods)
    a = rng.uniform(8.0, 12.0, agents)[:, None] * profile[None, :]     # $/kWh willingness
    b = rng.uniform(0.5, 1.5, agents)                                  # $/kWh²
    dmax = a.max(axis=1) / b * 1.1                                     # never binding at p >= 0
    c = rng.uniform(1.0, 3.0, periods)                                 # leader's marginal cost
    return {"a": a, "b": b, "dmax": dmax, "c": c, "pmax": np.array(float(a.max()))}


def _sums_below(keys: np.ndarray, weights: np.ndarray, at: np.ndarray, side: Literal["left", "right"]) -> np.ndarray:
    """``Σ_i weights_i`` over ``keys_i < at`` (``side="left"``) or ``keys_i <= at`` (``"right"``),
    for every entry of ``at``: ``O((N + M) log N)`` by sorting and cumulative sums."""
    order = np.argsort(keys, kind="stable")
    cum = np.concatenate([[0.0], np.cumsum(weights[order])])
    return cum[np.searchsorted(keys[order], at, side=side)]


def closed_form(data: dict[str, np.ndarray]) -> tuple[np.ndarray, float]:
    """Optimal prices (T,) and the leader's optimal profit.

    Per period, on each piece between consecutive kinks, consumer i is interior where
    ``a_i − b_i dmax_i < p < a_i`` and saturated (``d = dmax_i``) where ``p < a_i − b_i dmax_i``;
    the piece's aggregate demand is ``α − βp`` with ``α = Σ_interior a_i/b_i + Σ_saturated dmax_i``
    and ``β = Σ_interior 1/b_i``. The pieces' sums come from sorted cumulative sums, so the
    period costs ``O(N log N)`` rather than ``O(N²)``; the winning piece's profit is then
    evaluated exactly from every consumer's response.
    """
    a, b, dmax, c = data["a"], data["b"], data["dmax"], data["c"]
    pmax = float(data["pmax"])
    prices = np.empty(a.shape[1])
    profit = 0.0
    for t in range(a.shape[1]):
        at, ct = a[:, t], float(c[t])
        sat = at - b * dmax                                            # below this price: d = dmax
        kinks = np.unique(np.clip(np.concatenate([[ct, pmax], at, sat]), ct, pmax))
        if kinks.size < 2:                                             # c = pmax: one admissible price
            prices[t] = ct
            continue
        lo, hi = kinks[:-1], kinks[1:]
        mid = 0.5 * (lo + hi)
        # interior = {sat < mid} minus {a <= mid} (sat < a as b·dmax > 0); saturated = {sat > mid}
        alpha = (_sums_below(sat, at / b, mid, "left") - _sums_below(at, at / b, mid, "right")
                 + dmax.sum() - _sums_below(sat, dmax, mid, "right"))
        beta = _sums_below(sat, 1.0 / b, mid, "left") - _sums_below(at, 1.0 / b, mid, "right")
        with np.errstate(divide="ignore", invalid="ignore"):
            p = np.clip(np.where(beta > 0, (alpha / np.where(beta > 0, beta, 1.0) + ct) / 2.0, hi), lo, hi)
        values = (p - ct) * (alpha - beta * p)
        best_p = float(p[int(np.argmax(values))])
        prices[t] = best_p
        profit += (best_p - ct) * float(np.clip((at - best_p) / b, 0.0, dmax).sum())
    return prices, float(profit)


def build(agents: int = 10, periods: int = 24, seed: int = 0, max_memory_gb: float | None = None) -> Case:
    """The case with ``agents`` consumers over ``periods`` periods, data from ``seed``.

    Raises:
        ValueError: bad ``agents`` / ``periods`` / ``seed``, or (``ResourceLimitError``) an
            estimated memory ``agents × (BYTES_PER_AGENT + BYTES_PER_AGENT_PERIOD × periods)``
            above the limit (``max_memory_gb`` GB, see :mod:`gamecore.limits`); checked first.
    """
    agents, periods, seed = case_arguments("analytic-stackelberg", agents, periods, seed,
                                           bytes_per_agent=BYTES_PER_AGENT,
                                           bytes_per_agent_period=BYTES_PER_AGENT_PERIOD,
                                           max_memory_gb=max_memory_gb)
    data = stackelberg_data(agents, periods, seed, max_memory_gb)
    followers = [quadratic_consumer(f"consumer{i}", data["a"][i], data["b"][i], data["dmax"][i])
                 for i in range(agents)]
    c = data["c"]
    profit = LeaderObjective("profit", bilinear=(Bilinear("price", "demand", 1.0),),
                             cost=lambda sig, agg: -(c @ agg["demand"]), sense="max")
    leader = Leader([Signal("price", (periods,), c, float(data["pmax"]), unit="$/kWh")], objectives=[profit],
                    name="monopolist")
    game = Game(leader, followers, name="analytic-stackelberg")
    prices, best = closed_form(data)
    return Case("analytic-stackelberg", game, Reference("stackelberg", -best, {"price": prices}, "closed form"),
                description=__doc__.split("\n")[0], params={"data": data})


#: this case's registration (entry point ``analytic-stackelberg`` of the group ``gamecore.cases``)
SPEC = CaseSpec("analytic-stackelberg", build,
                "monopoly pricing of quadratic-utility consumers; optimal prices in closed form",
                "stackelberg", 10, 24)
