"""Hostile inputs (issue 9): each case failed silently or with an unhelpful error before.

Covered so far: NaN answers (item 1, also in test_stackelberg_certificate.py), a two-sided
duality gap and the reported point's feasibility (item 2, partly), several leader
objectives in admm (item 4), solve's documented failure mode (item 7), bad seeds, sizes
and signal boxes (item 13).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore import Bilinear, GameDefinitionError, Leader, LeaderObjective, Signal


def test_admm_refuses_several_leader_objectives(stackelberg_case: gamecore.Case) -> None:
    """Item 4: admm optimised only the first of two objectives, silently."""
    game = stackelberg_case.game
    profit = game.leader.objectives[0]
    volume = LeaderObjective("volume", cost=lambda s, agg: -cp.sum(agg["demand"]), sense="min")
    two = gamecore.Game(Leader(game.leader.signals, [profit, volume]), game.followers)
    with pytest.raises(gamecore.StrategyError, match="2 objectives"):
        gamecore.solve(two, "admm", progress=False)


def test_unsolvable_follower_ends_the_solve_failed_naming_it(make_consumer) -> None:
    """Item 7: solve() returns status failed with the follower named (Follower.respond raises)."""
    price = cp.Parameter(1, name="price")
    d = cp.Variable(1)
    broken = gamecore.Follower("broken", cp.Minimize(price @ d), [d >= 5, d <= 1 + 0 * price[0]],
                               {"price": price}, {"demand": d})
    profit = LeaderObjective("profit", bilinear=(Bilinear("price", "demand"),), sense="max")
    game = gamecore.Game(Leader([Signal("price", (1,), 0.0, 10.0)], [profit]), [make_consumer("ok"), broken])
    with pytest.raises(gamecore.FollowerSolveError, match="broken"):
        broken.respond({"price": np.array([1.0])})
    result = gamecore.solve(game, "nsga-qp", progress=False)
    assert result.status == "failed" and "broken" in result.message, result.message
    assert not result.certificate.certified
    with pytest.raises(gamecore.StrategyError, match="broken"):   # admm's bounds need a feasible follower
        gamecore.solve(game, "admm", progress=False)


@pytest.mark.parametrize("seed", [-1, "abc", 2.5, True])
def test_bad_seed_is_a_usage_error_naming_seed(market_case: gamecore.Case, seed: object) -> None:
    with pytest.raises(gamecore.StrategyError, match="seed"):
        gamecore.solve(market_case, "centralized", seed=seed, progress=False)


@pytest.mark.parametrize("kwargs,word", [({"agents": 2.5}, "agents"), ({"periods": 0}, "periods"),
                                         ({"seed": None}, "seed"), ({"seed": -1}, "seed")])
def test_bad_case_sizes_and_seeds_name_the_argument(kwargs: dict, word: str) -> None:
    with pytest.raises(ValueError, match=f"{word} must be"):
        gamecore.make_case("analytic-market", **kwargs)


@pytest.mark.parametrize("lower,upper,shape,field", [(np.inf, np.inf, (2,), "lower"), (-np.inf, -np.inf, (2,), "upper"),
                                                     (0.0, 1.0, (0,), "shape")])
def test_signals_that_no_value_satisfies_are_refused(lower: float, upper: float, shape: tuple, field: str) -> None:
    with pytest.raises(GameDefinitionError, match=rf"signals\['p'\]\.{field}"):
        Signal("p", shape, lower, upper)
