"""``analytic-market``: quadratic-utility consumers, one capacity-limited supplier.

Followers (consumers) i = 1..N, periods t = 1..T, quantities in MWh, prices in $/MWh:

    follower i:  minimize  −(a_it d_it − ½ b_i d_it²) + p_t d_it   s.t. 0 ≤ d_it ≤ dmax_i
    leader supply (linear marginal cost c1 + c2 s, capacity cap_t):
                 C(s) = Σ_t c1 s_t + ½ c2 s_t²,   0 ≤ s_t ≤ cap_t
    coupling:    Σ_i d_it = s_t   (price p_t is its multiplier)

Closed form (computed here independently of every strategy): per period the excess
demand E(p) = Σ_i clip((a_it − p)/b_i, 0, dmax_i) − clip((p − c1)/c2, 0, cap_t) is
non-increasing and piecewise linear in p; its root is found exactly from its kinks.
Capacities are drawn so that it binds in the peak periods (price above the supplier's
marginal cost, supply = cap) and is slack elsewhere (price = marginal cost).

Cost: drawing the data and the closed form take ``O(N log N)`` per period (the root is
bracketed by bisection over the kinks). Memory: see :data:`BYTES_PER_AGENT` and
:data:`BYTES_PER_AGENT_PERIOD`; larger sizes are refused up front (:mod:`gamecore.limits`).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np

from gamecore.cases.base import Case, CaseSpec, Reference, case_arguments, piecewise_linear_root
from gamecore.follower import Follower
from gamecore.game import Game
from gamecore.leader import Leader, MarketCoupling
from gamecore.signals import Signal

#: memory of a built case (bytes) per consumer and per consumer × period: its compiled
#: follower program, cvxpy objects and data (peak RSS of ``build`` measured at 100–400
#: consumers × 4–400 periods: ≈ 9 kB + 230 B per period per consumer; rounded up)
BYTES_PER_AGENT = 12_000
BYTES_PER_AGENT_PERIOD = 300
#: memory of :func:`market_data` alone (bytes): a handful of ``(N, T)`` float arrays and
#: temporaries, and ``(N,)`` ones
DATA_BYTES_PER_AGENT = 200
DATA_BYTES_PER_AGENT_PERIOD = 64


def load_profile(periods: int) -> np.ndarray:
    """A daily-shaped multiplier (night trough, evening peak), shape ``(periods,)``."""
    hours = (np.arange(periods) + 0.5) * 24.0 / periods
    return 1.0 + 0.25 * np.sin(2 * np.pi * (hours - 9.0) / 24.0) + 0.15 * np.exp(-((hours - 19.0) ** 2) / 6.0)


def quadratic_consumer(name: str, a: np.ndarray, b: float, dmax: float) -> Follower:
    """Consumer maximising ``a·d − ½ b ‖d‖² − price·d`` over ``0 ≤ d ≤ dmax`` (shape of ``a``).

    Signal ``price``; output ``demand`` = d. Its best response is ``clip((a − p)/b, 0, dmax)``.
    """
    periods = np.size(a)
    price = cp.Parameter(periods, name="price")
    d = cp.Variable(periods, name="d")
    utility = np.ravel(a) @ d - 0.5 * b * cp.sum_squares(d)
    return Follower(name, cp.Minimize(-utility + price @ d), [d >= 0, d <= dmax],
                    signals={"price": price}, outputs={"demand": d})


def market_data(agents: int, periods: int, seed: int, max_memory_gb: float | None = None) -> dict[str, np.ndarray]:
    """Draw consumer and supplier parameters (see module docstring).

    Raises:
        ValueError: bad ``agents`` / ``periods`` / ``seed``, or (``ResourceLimitError``) data too
            large for the memory limit (:func:`gamecore.cases.base.case_arguments`).
    """
    agents, periods, seed = case_arguments("analytic-market", agents, periods, seed,
                                           bytes_per_agent=DATA_BYTES_PER_AGENT,
                                           bytes_per_agent_period=DATA_BYTES_PER_AGENT_PERIOD,
                                           max_memory_gb=max_memory_gb)
    rng = np.random.default_rng(seed)
    profile = load_profile(periods)
    a = rng.uniform(40.0, 60.0, agents)[:, None] * profile[None, :]        # $/MWh
    b = rng.uniform(2.0, 6.0, agents)                                        # $/MWh²
    dmax = (a.max(axis=1) / b) * rng.uniform(0.8, 1.2, agents)               # MWh
    c1, c2 = 10.0, 40.0 / agents                                             # $/MWh, $/MWh² (scaled with N)
    slack_supply = np.array([_clear(a[:, t], b, dmax, c1, c2, np.inf)[1] for t in range(periods)])
    cap = np.full(periods, float(np.quantile(slack_supply, 0.5)))            # binds in the upper half
    return {"a": a, "b": b, "dmax": dmax, "c1": np.array(c1), "c2": np.array(c2), "cap": cap,
            "pmax": np.array(float(a.max()) * 1.2)}


def _clear(a: np.ndarray, b: np.ndarray, dmax: np.ndarray, c1: float, c2: float, cap: float) -> tuple[float, float]:
    """Exact clearing price and supply of one period."""
    def excess(p: float) -> float:
        demand = np.clip((a - p) / b, 0.0, dmax).sum()
        supply = float(np.clip((p - c1) / c2, 0.0, cap))
        return float(demand - supply)
    kinks = np.concatenate([a, a - b * dmax, [c1], [c1 + c2 * cap] if np.isfinite(cap) else []])
    hi = float(max(a.max(), c1 + c2 * (cap if np.isfinite(cap) else 0.0))) + 1.0
    price = piecewise_linear_root(excess, kinks, 0.0, hi)
    return price, float(np.clip((price - c1) / c2, 0.0, cap))


def closed_form(data: dict[str, np.ndarray]) -> tuple[np.ndarray, float, np.ndarray]:
    """Clearing prices (T,), minimal welfare cost, and binding flags (T,)."""
    a, b, dmax, c1, c2, cap = (data[k] for k in ("a", "b", "dmax", "c1", "c2", "cap"))
    prices = np.empty(a.shape[1])
    cost = 0.0
    binding = np.zeros(a.shape[1], dtype=bool)
    for t in range(a.shape[1]):
        p, s = _clear(a[:, t], b, dmax, float(c1), float(c2), float(cap[t]))
        d = np.clip((a[:, t] - p) / b, 0.0, dmax)
        prices[t] = p
        cost += float(-(a[:, t] * d - 0.5 * b * d**2).sum() + c1 * s + 0.5 * c2 * s**2)
        binding[t] = s >= cap[t] - 1e-9
    return prices, cost, binding


def build(agents: int = 10, periods: int = 24, seed: int = 0, max_memory_gb: float | None = None) -> Case:
    """The case with ``agents`` consumers over ``periods`` periods, data from ``seed``.

    Raises:
        ValueError: bad ``agents`` / ``periods`` / ``seed``, or (``ResourceLimitError``) an
            estimated memory ``agents × (BYTES_PER_AGENT + BYTES_PER_AGENT_PERIOD × periods)``
            above the limit (``max_memory_gb`` GB, see :mod:`gamecore.limits`); checked first.
    """
    agents, periods, seed = case_arguments("analytic-market", agents, periods, seed,
                                           bytes_per_agent=BYTES_PER_AGENT,
                                           bytes_per_agent_period=BYTES_PER_AGENT_PERIOD,
                                           max_memory_gb=max_memory_gb)
    data = market_data(agents, periods, seed, max_memory_gb)
    followers = [quadratic_consumer(f"consumer{i}", data["a"][i], data["b"][i], data["dmax"][i])
                 for i in range(agents)]
    c1, c2, cap = float(data["c1"]), float(data["c2"]), data["cap"]
    coupling = MarketCoupling(
        "balance", signal="price", output="demand",
        supply_cost=lambda s: c1 * cp.sum(s) + 0.5 * c2 * cp.sum_squares(s),
        supply_constraints=lambda s: [s >= 0, s <= cap])
    leader = Leader([Signal("price", (periods,), 0.0, float(data["pmax"]), unit="$/MWh")], couplings=[coupling],
                    name="market")
    game = Game(leader, followers, name="analytic-market")
    prices, cost, binding = closed_form(data)
    return Case("analytic-market", game, Reference("market", cost, {"price": prices}, "closed form"),
                description=__doc__.split("\n")[0], params={"data": data, "binding": binding})


#: this case's registration (entry point ``analytic-market`` of the group ``gamecore.cases``)
SPEC = CaseSpec("analytic-market", build,
                "quadratic-utility consumers + capacity-limited supplier; clearing prices in closed form",
                "market", 10, 24)
