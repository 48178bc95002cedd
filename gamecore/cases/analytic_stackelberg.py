"""``analytic-stackelberg``: a monopoly leader pricing quadratic-utility consumers.

    follower i:  minimize −(a_it d_it − ½ b_i d_it²) + p_t d_it   s.t. 0 ≤ d_it ≤ dmax_i
    leader:      maximize Σ_t (p_t − c_t) · Σ_i d_it(p)          s.t. c_t ≤ p_t ≤ pmax

Closed form (independent of every strategy): aggregate demand D_t(p) is piecewise linear
with kinks at a_it and a_it − b_i dmax_i; on each linear piece D = α − βp the profit
(p − c)(α − βp) is concave with maximiser (α/β + c)/2, clipped to the piece; the best
piece wins. The data keep every response interior at the optimum, where
p*_t = (A_t/B + c_t)/2 with A_t = Σ a_it/b_i and B = Σ 1/b_i.
"""

from __future__ import annotations

import numpy as np

from gamecore.cases.analytic_market import load_profile, quadratic_consumer
from gamecore.cases.base import Case, Reference
from gamecore.game import Game
from gamecore.leader import Bilinear, Leader, LeaderObjective
from gamecore.signals import Signal


def stackelberg_data(agents: int, periods: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    profile = load_profile(periods)
    a = rng.uniform(8.0, 12.0, agents)[:, None] * profile[None, :]     # $/kWh willingness
    b = rng.uniform(0.5, 1.5, agents)                                  # $/kWh²
    dmax = a.max(axis=1) / b * 1.1                                     # never binding at p >= 0
    c = rng.uniform(1.0, 3.0, periods)                                 # leader's marginal cost
    return {"a": a, "b": b, "dmax": dmax, "c": c, "pmax": np.array(float(a.max()))}


def closed_form(data: dict[str, np.ndarray]) -> tuple[np.ndarray, float]:
    """Optimal prices (T,) and the leader's optimal profit."""
    a, b, dmax, c = data["a"], data["b"], data["dmax"], data["c"]
    pmax = float(data["pmax"])
    prices = np.empty(a.shape[1])
    profit = 0.0
    for t in range(a.shape[1]):
        kinks = np.unique(np.clip(np.concatenate([[c[t], pmax], a[:, t], a[:, t] - b * dmax]), c[t], pmax))
        best_p, best_v = c[t], -np.inf
        for lo, hi in zip(kinks[:-1], kinks[1:]):
            mid = 0.5 * (lo + hi)
            interior = ((a[:, t] - mid) / b > 0) & ((a[:, t] - mid) / b < dmax)
            alpha = np.where(interior, a[:, t] / b, 0.0).sum() + np.where((a[:, t] - mid) / b >= dmax, dmax, 0.0).sum()
            beta = np.where(interior, 1.0 / b, 0.0).sum()
            p = np.clip((alpha / beta + c[t]) / 2.0 if beta > 0 else hi, lo, hi)
            v = (p - c[t]) * np.clip((a[:, t] - p) / b, 0.0, dmax).sum()
            if v > best_v:
                best_p, best_v = p, v
        prices[t] = best_p
        profit += best_v
    return prices, float(profit)


def build(agents: int = 10, periods: int = 24, seed: int = 0) -> Case:
    data = stackelberg_data(agents, periods, seed)
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
