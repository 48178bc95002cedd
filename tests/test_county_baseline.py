"""The subgradient baseline of issue 11: Polyak's step, the step-size sweep, the rolling baseline
and the ``baseline`` object of ``gamecore rolling county --json``.

The first Polyak step is checked against a hand computation on a three-consumer game (the same
game as tests/test_market_strategies.py); prices against the closed form of
``analytic-market``.
"""

from __future__ import annotations

import json

import cvxpy as cp
import numpy as np
import pytest
from typer.testing import CliRunner

import gamecore
from gamecore import cli
from gamecore.baseline import SweepRow, best_subgradient, pick_winner, rolling_baseline, step_grid
from gamecore.cli.rolling import wants_baseline
from gamecore.errors import StrategyError
from gamecore.rolling import solve_rolling


def _three_consumers() -> gamecore.Game:
    """Consumers a = 50/60/70, utility a·d − 1.5 d²; supply cost 10 s + ½ s², 0 ≤ s ≤ 30; p ∈ [0, 100].

    Equilibrium p* = 35 (d = 5, 25/3, 35/3; s = 25), welfare P* = −1220.833 + 562.5 = −658.333.
    At the start p0 = 50: d = (0, 10/3, 20/3), Σd = 10; supply wants 40, capped at 30; g0 = −20;
    D(p0) = Σ −(a − p0)²/6 + (10·30 + 450 − 50·30) = −83.333 − 750 = −833.333.
    Polyak's first step: (P* − D(p0)) / g0² = 175 / 400 = 0.4375 → p1 = 50 − 0.4375·20 = 41.25.
    """
    followers = []
    for i, a in enumerate((50.0, 60.0, 70.0)):
        price = cp.Parameter(1)
        d = cp.Variable(1)
        followers.append(gamecore.Follower(f"c{i}", cp.Minimize(-(a * d - 1.5 * cp.sum_squares(d)) + price @ d),
                                           [d >= 0, d <= 100], {"price": price}, {"demand": d}))
    coupling = gamecore.MarketCoupling("balance", "price", "demand",
                                       supply_cost=lambda s: 10 * cp.sum(s) + 0.5 * cp.sum_squares(s),
                                       supply_constraints=lambda s: [s >= 0, s <= 30])
    return gamecore.Game(gamecore.Leader([gamecore.Signal("price", (1,), 0.0, 100.0)], couplings=[coupling]),
                         followers)


# --------------------------------------------------------------------------- polyak
def test_polyak_first_step_matches_hand_computation_and_converges() -> None:
    game = _three_consumers()
    optimum = -1220.0 - 5.0 / 6.0 + 562.5
    assert gamecore.solve(game, "centralized", progress=False).objective == pytest.approx(optimum, rel=1e-6)
    result = gamecore.solve(game, "subgradient", step_rule="polyak", optimum=optimum, progress=False)
    assert result.history[0]["step"] == pytest.approx(0.4375, rel=1e-5)
    assert result.history[0]["signals"][0] == pytest.approx(41.25, rel=1e-5)
    assert result.status == "converged", result.message
    assert result.signals["price"][0] == pytest.approx(35.0, rel=1e-4)
    assert result.supplies["balance"][0] == pytest.approx(25.0, rel=1e-4)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_polyak_on_analytic_market_converges_like_the_tuned_constant_step(seed: int) -> None:
    case = gamecore.make_case("analytic-market", seed=seed)
    optimum = gamecore.solve(case.game, "centralized", progress=False).objective
    assert optimum == pytest.approx(case.reference.objective, rel=1e-8)      # D* = P*, same sign
    polyak = gamecore.solve(case.game, "subgradient", step_rule="polyak", optimum=optimum, progress=False)
    auto = gamecore.solve(case.game, "subgradient", progress=False)      # 1/L̂ probed, safeguarded
    assert polyak.status == auto.status == "converged"
    # measured: 19 vs 15 / 20 / 23 iterations; "comparable" = within 1.5x of the probed 1/L step
    assert polyak.iterations <= 1.5 * auto.iterations
    np.testing.assert_allclose(polyak.signals["price"], case.reference.signals["price"], rtol=1e-4)
    # Polyak's steps are positive and adaptive (not one constant)
    steps = {h["step"] for h in polyak.history}
    assert len(steps) > 3 and min(steps) > 0


def test_start_option_sets_the_first_prices() -> None:
    """From p0 = 45: d = (5, 15, 25)/3, Σd = 15; supply wants 35, capped at 30; g0 = −15;
    D(p0) = −875/6 + (300 + 450 − 1350) = −745.833; Polyak's step (P* − D(p0))/g0² = 87.5/225 = 7/18
    → p1 = 45 − 15·7/18 = 39.1667."""
    game = _three_consumers()
    optimum = -1220.0 - 5.0 / 6.0 + 562.5
    result = gamecore.solve(game, "subgradient", step_rule="polyak", optimum=optimum, start="45", progress=False)
    assert result.history[0]["step"] == pytest.approx(7 / 18, rel=1e-5)
    assert result.history[0]["signals"][0] == pytest.approx(45 - 15 * 7 / 18, rel=1e-5)
    assert result.status == "converged" and result.signals["price"][0] == pytest.approx(35.0, rel=1e-4)
    with pytest.raises(StrategyError, match="option start has 2 values, the game has 1"):
        gamecore.solve(game, "subgradient", start="45,41", progress=False)


def test_polyak_without_optimum_is_refused_naming_the_option() -> None:
    game = _three_consumers()
    with pytest.raises(StrategyError, match="option optimum is required with step_rule='polyak'"):
        gamecore.solve(game, "subgradient", step_rule="polyak", progress=False)
    with pytest.raises(StrategyError, match="option optimum must be a finite number"):
        gamecore.solve(game, "subgradient", step_rule="polyak", optimum=float("inf"), progress=False)


def test_polyak_with_an_underestimated_optimum_does_not_reach_the_equilibrium() -> None:
    """The optimum matters: D* 100 below P* makes every step too short (gap ≤ 0 → no step)."""
    game = _three_consumers()
    wrong = gamecore.solve(game, "subgradient", step_rule="polyak", optimum=-1000.0, max_iter=50, progress=False)
    assert wrong.status == "max_iter"
    assert wrong.signals["price"][0] == pytest.approx(50.0)   # D(p0) = −833 > −1000: never moves


# ---------------------------------------------------------------------------- sweep
def test_step_grid_spans_two_decades() -> None:
    grid = step_grid(2e-6)
    assert grid.size == 7
    assert grid[0] == pytest.approx(2e-7) and grid[3] == pytest.approx(2e-6) and grid[-1] == pytest.approx(2e-5)
    assert np.allclose(np.diff(np.log10(grid)), 1 / 3)
    with pytest.raises(ValueError, match="scale"):
        step_grid(0.0)


def test_pick_winner_fewest_iterations_then_wall() -> None:
    rows = [SweepRow("constant", 1.0, "converged", 30, 0, 2.0, 1e-5),
            SweepRow("constant", 2.0, "converged", 20, 0, 3.0, 1e-5),
            SweepRow("diminishing", 2.0, "converged", 20, 0, 1.0, 1e-5),
            SweepRow("constant", 4.0, "stalled", 5, 0, 0.1, 1.0)]
    assert pick_winner(rows) is rows[2]
    assert pick_winner(rows[3:]) is None


def test_sweep_picks_a_converged_winner_on_a_small_market() -> None:
    case = gamecore.make_case("analytic-market", agents=5, periods=4, seed=1)
    sweep = best_subgradient(case.game, 1e-5, max_iter=300)
    assert sweep.optimum == pytest.approx(case.reference.objective, rel=1e-8)
    assert [r.rule for r in sweep.rows] == ["polyak"] + ["constant"] * 7 + ["diminishing"] * 4
    constants = [r.step for r in sweep.rows if r.rule == "constant"]
    assert max(constants) / min(constants) == pytest.approx(100.0)
    assert sweep.scale_source == "polyak-last-step" and min(constants) < sweep.scale < max(constants)
    winner = sweep.winner
    assert winner is not None and winner.converged
    assert winner.iterations == min(r.iterations for r in sweep.rows if r.converged)
    # the largest constant step (10x the scale) is above the stability limit here: it does not converge
    assert sweep.rows[7].status != "converged"
    # the winner's options reproduce its run
    again = gamecore.solve(case.game, "subgradient", progress=False, **winner.options)
    assert again.status == "converged" and again.iterations == winner.iterations
    np.testing.assert_allclose(again.signals["price"], case.reference.signals["price"], rtol=1e-3)
    table = sweep.to_rows()
    assert sum(r["winner"] for r in table) == 1
    assert set(table[0]) == {"rule", "step", "status", "iterations", "messages", "wall_s", "residual", "winner"}


def test_prune_keeps_a_converged_constant_or_diminishing_row() -> None:
    """Pruning counts against the best constant/diminishing run, never Polyak's alone (the
    real-time stages need one of those when Polyak wins)."""
    case = gamecore.make_case("analytic-market", agents=5, periods=4, seed=1)
    full = best_subgradient(case.game, 1e-5, max_iter=300)
    pruned = best_subgradient(case.game, 1e-5, max_iter=300, prune=True)
    best = full.best(("constant", "diminishing"))
    assert best is not None
    kept = pruned.best(("constant", "diminishing"))
    assert kept is not None and kept.iterations == best.iterations and kept.step == best.step
    for row in pruned.rows:
        assert row.status in ("converged", "beaten", "stalled", "max_iter")
        if row.status == "beaten":
            assert row.iterations > best.iterations
    assert pruned.winner is not None and pruned.winner.iterations == full.winner.iterations


# ----------------------------------------------------------------- rolling baseline
def test_baseline_default_only_for_cases_that_ask() -> None:
    class Built:
        def __init__(self, params: dict) -> None:
            self.params = params

    assert wants_baseline(gamecore.make_case("county", periods=6), None)      # county asks (params["baseline"])
    assert not wants_baseline(gamecore.make_case("analytic-market", agents=2, periods=2), None)
    assert wants_baseline(Built({"baseline": True}), None)
    assert not wants_baseline(Built({"baseline": True}), False)
    assert wants_baseline(Built({}), True)


@pytest.mark.slow
def test_rolling_baseline_short_county_day() -> None:
    """County, 3 IES, 6 periods: subgradient in both stages, against the centralized rolling day."""
    case = gamecore.make_case("county", agents=3, periods=6, seed=0)
    base = rolling_baseline(case)
    ref = solve_rolling(case, None, "centralized", progress=False, hindsight=False)
    assert base.result is not None and base.result.status == "converged", base.note
    summary = base.summary(ref.cost)
    assert summary["iterations"] == base.result.day_ahead_iterations + sum(base.result.real_time_iterations)
    assert abs(summary["gap"]) < 1e-4
    # the balances clear to a relative residual 1e-4: the flow may pass the limit by that much, not more
    assert summary["transformer_max_ratio"] <= 1.0 + 1e-4 and summary["transformer_within_limit"]
    assert summary["rule"] == base.sweep.winner.rule
    if summary["rule"] == "polyak":      # real time cannot use Polyak: best constant/diminishing row
        assert summary["real_time_rule"] in ("constant", "diminishing")
        assert base.real_time_options["step_size"] == pytest.approx(summary["real_time_step"])
        assert "optimum" not in base.real_time_options


@pytest.mark.slow
def test_cli_rolling_county_json_has_the_baseline() -> None:
    result = CliRunner().invoke(cli.app, ["rolling", "county", "--json", "--quiet"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.output)
    base = payload["baseline"]
    for key in ("iterations", "messages", "wall_s", "cost"):
        assert isinstance(base[key], (int, float)) and base[key] > 0, key
    assert base["strategy"] == "subgradient" and base["status"] == "converged"
    assert base["rule"] in ("constant", "diminishing", "polyak")
    # both methods reach the centralized rolling cost; the baseline needs many more bid rounds
    assert abs(base["gap"]) < 1e-4 and abs(payload["gap"]) < 1e-4
    assert base["gap"] == pytest.approx((base["cost"] - payload["reference_cost"]) / payload["reference_cost"])
    # (measured at 3 IES: 692 vs 276 iterations, 4302 vs 1662 messages)
    assert base["iterations"] > payload["iterations"]
    assert base["messages"] > payload["messages"]
    assert base["transformer_max_ratio"] <= 1.0 + 1e-4 and base["transformer_within_limit"]
    assert base["renewable_accommodation"] == pytest.approx(payload["renewable_accommodation"], abs=0.01)
    rows = base["sweep"]
    assert len(rows) == 12 and sum(r["winner"] for r in rows) == 1
    winner = next(r for r in rows if r["winner"])
    assert winner["status"] == "converged" and winner["rule"] == base["rule"]
    assert winner["iterations"] == min(r["iterations"] for r in rows if r["status"] == "converged")
    # the existing fields are still there
    for key in ("case", "agents", "status", "cost", "reference_cost", "gap", "hindsight_cost",
                "day_ahead_iterations", "real_time_iterations_max", "transformer_max_ratio", "compile_s",
                "solver_s", "wall_s", "messages", "renewable_accommodation"):
        assert key in payload, key


def test_cli_no_baseline_keeps_the_field_null() -> None:
    result = CliRunner().invoke(cli.app, ["rolling", "county", "--periods", "6", "--no-baseline", "--json",
                                          "--quiet", "--no-reference"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["baseline"] is None
