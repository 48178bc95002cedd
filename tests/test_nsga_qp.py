"""Tests of the ``nsga-qp`` strategy (pymoo NSGA-II/III over the leader's signals + FD polish).

References are closed forms from ``gamecore.cases.analytic_stackelberg`` (independent of any
strategy). Case (a) runs the full 24 periods (≈ 11 s on one core).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore.cases.analytic_stackelberg import closed_form, stackelberg_data
from gamecore.errors import StrategyError
from gamecore.follower import Follower
from gamecore.game import Game
from gamecore.leader import Bilinear, Leader, LeaderObjective
from gamecore.pool import FollowerPool
from gamecore.signals import Signal
from strategies.nsga_qp import NSGAQP


def _consumers(data: dict[str, np.ndarray]) -> list[Follower]:
    """The quadratic-utility consumers of analytic-stackelberg (demand d_i(p) = clip((a_i − p)/b_i))."""
    periods = data["a"].shape[1]
    out = []
    for i in range(data["a"].shape[0]):
        price = cp.Parameter(periods, name="price")
        d = cp.Variable(periods, name="d")
        utility = data["a"][i] @ d - 0.5 * data["b"][i] * cp.sum_squares(d)
        out.append(Follower(f"consumer{i}", cp.Minimize(-utility + price @ d), [d >= 0, d <= data["dmax"][i]],
                            signals={"price": price}, outputs={"demand": d}))
    return out


def _profit(c: np.ndarray) -> LeaderObjective:
    return LeaderObjective("profit", bilinear=(Bilinear("price", "demand", 1.0),),
                           cost=lambda sig, agg: -(c @ agg["demand"]), sense="max")


def _interior_demand(data: dict[str, np.ndarray], prices: np.ndarray) -> np.ndarray:
    """Aggregate demand Σ_i (a_it − p_t)/b_i (every consumer interior), shape (T,)."""
    return ((data["a"] - prices[None, :]) / data["b"][:, None]).sum(axis=0)


# ------------------------------------------------------------------------------ (a), (b)
def test_analytic_stackelberg_10_followers_24_periods_matches_closed_form() -> None:
    case = gamecore.make_case("analytic-stackelberg", 10, 24, 0)
    result = gamecore.solve(case, "nsga-qp", seed=0)
    ref = case.reference.signals["price"]
    assert result.status == "converged", result.message
    assert result.certificate.leader_regret <= 1e-3
    assert np.max(np.abs(result.signals["price"] - ref) / ref) <= 0.02
    # the polish is what makes it precise: the GA's own best is worse than the final answer
    assert result.extra["polished_objective"] <= result.extra["ga_objective"]
    assert result.objective == pytest.approx(case.reference.objective, rel=1e-3)
    ga_rows = [h for h in result.history if h["phase"] == "ga"]
    polish_rows = [h for h in result.history if h["phase"] == "polish"]
    assert len(ga_rows) == result.iterations == result.extra["generations"]
    assert len(polish_rows) == result.extra["polish_iterations"] >= 1
    assert [h["iteration"] for h in ga_rows] == list(range(1, result.iterations + 1))
    best = [h["best_objective"] for h in ga_rows]
    assert all(b2 <= b1 + 1e-9 for b1, b2 in zip(best, best[1:]))   # elitist: never worse
    assert all(h["signals"].shape == (24,) and h["front_size"] >= 1 and h["diversity"] >= 0 for h in ga_rows)
    # one pool call per generation plus two per polish iteration (gradient batch, line-search batch)
    assert result.extra["pool_calls"] == result.iterations + 2 * result.extra["polish_iterations"]
    assert result.extra["failed_evaluations"] == 0


def test_analytic_stackelberg_100_followers_few_periods() -> None:
    case = gamecore.make_case("analytic-stackelberg", 100, 4, 1)
    result = gamecore.solve(case, "nsga-qp", seed=0, max_iter=15, pop_size=12)
    ref = case.reference.signals["price"]
    assert result.status in ("converged", "max_iter")
    assert result.certificate.leader_regret <= 1e-3
    assert np.max(np.abs(result.signals["price"] - ref) / ref) <= 0.02
    assert result.extra["evaluations"] <= 12 * 15
    assert result.certificate.best_response_gap <= 1e-6


def test_polish_off_is_still_a_reasonable_ga_answer() -> None:
    case = gamecore.make_case("analytic-stackelberg", 5, 3, 2)
    result = gamecore.solve(case, "nsga-qp", seed=1, polish=False, max_iter=40)
    assert result.extra["polish_iterations"] == 0
    assert not any(h["phase"] == "polish" for h in result.history)
    assert 0 <= result.certificate.leader_regret <= 0.05


# ------------------------------------------------------------------------------ (c)
def _two_objective_game(periods: int = 3, agents: int = 4) -> tuple[Game, dict[str, np.ndarray], np.ndarray]:
    data = stackelberg_data(agents, periods, 3)
    p_star, _ = closed_form(data)
    p_target = 0.5 * (data["c"] + p_star)          # a price the second objective prefers
    target = _interior_demand(data, p_target)
    deviation = LeaderObjective("deviation", cost=lambda sig, agg: cp.sum_squares(agg["demand"] - target), sense="min")
    leader = Leader([Signal("price", (periods,), data["c"], float(data["pmax"]))],
                    objectives=[_profit(data["c"]), deviation])
    return Game(leader, _consumers(data), name="two-objective"), data, p_target


def test_two_objective_leader_returns_a_pareto_set_and_a_point_on_it() -> None:
    game, data, p_target = _two_objective_game()
    result = NSGAQP(max_iter=60, partitions=12).solve(game, seed=0)   # stalls after ~40 generations
    assert result.status in ("converged", "max_iter")
    assert result.extra["algorithm"] == "NSGA-III" and result.extra["reference_directions"] == 13
    pareto = result.extra["pareto"]
    assert len(pareto) > 1
    F = np.array([p["objectives"] for p in pareto])
    for i in range(len(F)):                           # non-dominated
        dominated = np.all(F <= F[i] + 1e-12, axis=1) & np.any(F < F[i] - 1e-12, axis=1)
        assert not dominated.any()
    # the objectives listed are the leader objectives at the followers' best responses
    with FollowerPool(game) as pool:
        for p in pareto[:: max(1, len(pareto) // 4)]:
            x = np.array(p["signals"])
            values = game.leader_objectives(game.layout.unpack(x), pool.respond(x))
            assert values == pytest.approx(p["objectives"], rel=1e-7, abs=1e-9)
    # the chosen point is a member of the front
    k = result.extra["chosen_index"]
    assert np.allclose(result.signals["price"], pareto[k]["signals"])
    assert result.objectives == pytest.approx(pareto[k]["objectives"], rel=1e-7, abs=1e-9)
    # the front spans the two single-objective optima (closed forms)
    p_star, best_profit = closed_form(data)
    assert -F[:, 0].min() >= best_profit * (1 - 0.01)
    dev_at_pstar = float(np.sum((_interior_demand(data, p_star) - _interior_demand(data, p_target)) ** 2))
    assert F[:, 1].min() <= 0.05 * dev_at_pstar     # the GA alone (no polish for several objectives)
    # history rows carry both objectives and the front size
    last = result.history[-1]
    assert np.shape(last["best_objective"]) == (2,) and last["front_size"] >= 1


# ------------------------------------------------------------------------------ (d)
def test_same_seed_same_result_different_seed_runs() -> None:
    case = gamecore.make_case("analytic-stackelberg", 4, 3, 0)
    opts = {"max_iter": 12, "pop_size": 16}
    first = gamecore.solve(case, "nsga-qp", seed=7, **opts)
    again = gamecore.solve(case, "nsga-qp", seed=7, **opts)
    other = gamecore.solve(case, "nsga-qp", seed=8, **opts)
    assert np.array_equal(first.signals["price"], again.signals["price"])
    assert first.iterations == again.iterations and first.extra == again.extra
    for h1, h2 in zip(first.history, again.history):
        assert np.array_equal(h1["signals"], h2["signals"]) and h1["best_objective"] == h2["best_objective"]
    assert other.status in ("converged", "max_iter")
    assert other.certificate.leader_regret <= 1e-3
    ga = lambda r: np.array([h["signals"] for h in r.history if h["phase"] == "ga"])  # noqa: E731
    assert not np.array_equal(ga(first), ga(other))


# ------------------------------------------------------------------------------ (e)
@pytest.mark.parametrize("bad", [{"pop_size": 2}, {"max_iter": 0}, {"fd_step": 0.5}, {"tol": 1.5},
                                 {"stall_window": 0}, {"partitions": 0}, {"line_search_trials": 0},
                                 {"polish": "yes"}, {"generations": 5}, {"crossover_prob": 2.0}])
def test_bad_options_raise_strategy_error(bad: dict) -> None:
    with pytest.raises(StrategyError):
        NSGAQP(**bad)


def test_population_below_reference_directions_is_rejected() -> None:
    game, _, _ = _two_objective_game()
    with pytest.raises(StrategyError, match="reference directions"):
        NSGAQP(pop_size=8, partitions=12).solve(game)


def test_unbounded_signal_is_rejected_naming_it() -> None:
    data = stackelberg_data(2, 2, 0)
    leader = Leader([Signal("price", (2,), data["c"], np.inf)], objectives=[_profit(data["c"])])
    game = Game(leader, _consumers(data), name="unbounded")
    with pytest.raises(StrategyError, match="price"):
        gamecore.solve(game, "nsga-qp")


def test_market_only_game_is_rejected() -> None:
    case = gamecore.make_case("analytic-market", 3, 2, 0)
    with pytest.raises(StrategyError, match="Stackelberg"):
        gamecore.solve(case, "nsga-qp")


# ------------------------------------------------------------------------------ (f)
def _picky(periods: int, shift: float) -> Follower:
    """Feasible iff every price ≤ shift + 1 (needs d ≥ price − shift and d ≤ 1)."""
    price = cp.Parameter(periods, name="price")
    d = cp.Variable(periods, name="d")
    return Follower("picky", cp.Minimize(0.5 * cp.sum_squares(d) - 3 * cp.sum(d) + price @ d),
                    [d >= 0, d <= 1, d >= price - shift], signals={"price": price}, outputs={"demand": d})


def test_follower_infeasible_for_some_prices_is_counted_not_a_crash() -> None:
    periods = 3
    data = stackelberg_data(4, periods, 0)
    p_star, _ = closed_form(data)
    shift = float(p_star.max()) + 1.0               # the closed-form prices stay feasible
    leader = Leader([Signal("price", (periods,), data["c"], float(data["pmax"]))], objectives=[_profit(data["c"])])
    game = Game(leader, _consumers(data) + [_picky(periods, shift)], name="picky")
    result = NSGAQP(max_iter=25, pop_size=16).solve(game, seed=0)
    assert result.status in ("converged", "max_iter"), result.message
    assert result.extra["failed_evaluations"] > 0
    assert set(result.extra["failures_by_follower"]) == {"picky"}
    assert result.extra["failed_solves"] == result.extra["failures_by_follower"]["picky"]
    assert np.all(result.signals["price"] <= shift + 1 + 1e-9)
    assert result.certificate.best_response_gap <= 1e-6


def test_follower_infeasible_everywhere_fails_cleanly() -> None:
    periods = 2
    data = stackelberg_data(2, periods, 0)
    leader = Leader([Signal("price", (periods,), data["c"], float(data["pmax"]))], objectives=[_profit(data["c"])])
    game = Game(leader, _consumers(data) + [_picky(periods, -100.0)], name="hopeless")
    result = NSGAQP(max_iter=2, pop_size=8).solve(game, seed=0)
    assert result.status == "failed"
    assert "picky" in result.message
    assert result.extra["failed_evaluations"] == result.extra["evaluations"] > 0
