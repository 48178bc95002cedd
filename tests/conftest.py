"""Shared test configuration: hypothesis profiles and small game fixtures.

Hypothesis profiles (select with the environment variable ``HYPOTHESIS_PROFILE``):

* ``ci`` (default): deterministic (``derandomize=True``, no example database), few
  examples so that ``tests/test_properties.py`` runs in well under 90 s on 2 cores, no
  per-example deadline (follower compilation and strategy runs take tens of ms).
* ``dev``: random seeds and more examples, for hunting counter-examples by hand::

      HYPOTHESIS_PROFILE=dev /work/venv/bin/pytest tests/test_properties.py
"""

from __future__ import annotations

import os
from typing import Callable, Iterator

import cvxpy as cp
import numpy as np
import pytest
from hypothesis import HealthCheck, settings

import gamecore
import gamecore.registry
from gamecore import Bilinear, Follower, Game, Leader, LeaderObjective, MarketCoupling, Signal

settings.register_profile(
    "ci",
    derandomize=True,
    database=None,
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.register_profile(
    "dev",
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    print_blob=True,
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# ---------------------------------------------------------------------------- cases
@pytest.fixture(scope="session")
def market_case() -> gamecore.Case:
    """analytic-market with 4 consumers and 3 periods (closed-form reference attached)."""
    return gamecore.make_case("analytic-market", agents=4, periods=3, seed=1)


@pytest.fixture(scope="session")
def stackelberg_case() -> gamecore.Case:
    """analytic-stackelberg with 3 consumers and 2 periods (closed-form reference attached)."""
    return gamecore.make_case("analytic-stackelberg", agents=3, periods=2, seed=1)


# ------------------------------------------------------------------------- builders
ConsumerFactory = Callable[..., Follower]


@pytest.fixture(scope="session")
def make_consumer() -> ConsumerFactory:
    """Factory: a quadratic-utility consumer ``min −(a·d − ½b‖d‖²) + p·d, lo ≤ d ≤ hi``.

    ``make_consumer(name, a, b, lo, hi, periods)``; ``a``, ``lo``, ``hi`` scalars or ``(T,)``
    arrays ($/MWh, MWh), ``b`` a scalar ($/MWh²). Signal ``"price"``, output ``"demand"``.
    """

    def build(name: str, a: float | np.ndarray = 50.0, b: float = 1.0, lo: float | np.ndarray = 0.0,
              hi: float | np.ndarray = 10.0, periods: int = 1) -> Follower:
        price = cp.Parameter(periods, name="price")
        d = cp.Variable(periods, name=f"{name}_d")
        a_vec = np.broadcast_to(np.asarray(a, dtype=float), (periods,))
        objective = cp.Minimize(-(a_vec @ d - 0.5 * b * cp.sum_squares(d)) + price @ d)
        return Follower(name, objective, [d >= lo, d <= hi], {"price": price}, {"demand": d})

    return build


@pytest.fixture(scope="session")
def make_producer() -> ConsumerFactory:
    """Factory: a producer ``min c1·g + ½c2‖g‖² − p·g, 0 ≤ g ≤ gmax``, output ``demand = −g``."""

    def build(name: str, c1: float | np.ndarray = 10.0, c2: float = 1.0, gmax: float | np.ndarray = 30.0,
              periods: int = 1) -> Follower:
        price = cp.Parameter(periods, name="price")
        g = cp.Variable(periods, name=f"{name}_g")
        c1_vec = np.broadcast_to(np.asarray(c1, dtype=float), (periods,))
        objective = cp.Minimize(c1_vec @ g + 0.5 * c2 * cp.sum_squares(g) - price @ g)
        return Follower(name, objective, [g >= 0, g <= gmax], {"price": price}, {"demand": -g})

    return build


@pytest.fixture(scope="session")
def make_exchange_game() -> Callable[..., Game]:
    """Factory: a pure-exchange market game (no leader supply) with prices in [lower, upper]."""

    def build(followers: list[Follower], periods: int = 1, lower: float = -200.0, upper: float = 200.0,
              name: str = "exchange") -> Game:
        leader = Leader([Signal("price", (periods,), lower, upper)],
                        couplings=[MarketCoupling("balance", "price", "demand")], name="market")
        return Game(leader, followers, name=name)

    return build


MonopolyFactory = Callable[..., Game]


@pytest.fixture(scope="session")
def make_monopoly() -> MonopolyFactory:
    """Factory: monopoly pricing of consumers whose only constraint is ``d ≥ 0``.

    ``make_monopoly(a, b, c, pmax, cap=None)``: consumer i maximises ``a_i d − ½ b_i d² − p d``
    over ``d ≥ 0``; the leader maximises ``(p − c) Σ_i d_i`` over ``p ∈ [c, pmax]`` (scalar
    signal ``price``, output ``demand``), with ``Σ_i d_i ≤ cap`` as a leader constraint when
    ``cap`` is given. Demand is bounded only implicitly (by the price box and the concave
    utility). Closed form when all buy: p* = (Σ a_i/b_i + c Σ 1/b_i) / (2 Σ 1/b_i).
    """

    def build(a: np.ndarray, b: np.ndarray, c: float, pmax: float, cap: float | None = None) -> Game:
        followers = []
        for i, (ai, bi) in enumerate(zip(a, b)):
            price = cp.Parameter(name="price")
            d = cp.Variable(name="d")
            followers.append(Follower(f"consumer{i}", cp.Minimize(-(ai * d - 0.5 * bi * cp.square(d)) + price * d),
                                      [d >= 0], {"price": price}, {"demand": d}))
        profit = LeaderObjective("profit", bilinear=(Bilinear("price", "demand"),),
                                 cost=lambda s, agg: -c * agg["demand"], sense="max")
        constraints = None if cap is None else (lambda s, agg: [agg["demand"] <= cap])
        return Game(Leader([Signal("price", (), c, pmax)], objectives=[profit], constraints=constraints), followers,
                    name="monopoly")

    return build


@pytest.fixture(scope="session")
def capped_consumer() -> tuple[Game, gamecore.Reference]:
    """A revenue-maximising leader and one consumer ``min ‖d‖² − 10Σd + p·d`` s.t. ``0 ≤ d ≤ p``
    (the price caps its own demand: a signal in a follower constraint), prices in [0, 5]², with
    its closed-form reference p* = 5 per period, revenue 25 (tests/test_admm_general.py derives it)."""
    price = cp.Parameter(2, name="price")
    d = cp.Variable(2)
    follower = Follower("capped", cp.Minimize(cp.sum_squares(d) - 10 * cp.sum(d) + price @ d), [d >= 0, d <= price],
                        {"price": price}, {"demand": d})
    objective = LeaderObjective("revenue", bilinear=(Bilinear("price", "demand"),), sense="max")
    game = Game(Leader([Signal("price", (2,), 0.0, 5.0)], objectives=[objective]), [follower])
    reference = gamecore.Reference("stackelberg", -25.0, {"price": np.array([5.0, 5.0])}, "closed form")
    return game, reference


# ------------------------------------------------------------------------- plug-ins
@pytest.fixture
def fresh_plugin_warnings() -> Iterator[None]:
    """Each test sees every plug-in warning afresh (they are issued once per process); used by
    the registry test modules through ``pytestmark = pytest.mark.usefixtures(...)``."""
    gamecore.registry.clear_plugin_warnings()
    yield
    gamecore.registry.clear_plugin_warnings()
