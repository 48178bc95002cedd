"""Two-stage day-ahead / real-time workflow on the ``ieh`` case (seed 003):
:func:`gamecore.rolling.solve_rolling` with ``day-ahead`` + real-time ``bisection``.

Two days serve every test: 10 hubs with the defaults (accelerated day-ahead; its gradient
variant run separately on the same day-ahead game for comparison) and 15 hubs with the
gradient day-ahead and a finer real-time price tolerance, each with its centralized rolling
reference (``solve_rolling(case, None, "centralized")``). Checks that do not trust the
workflow: the centralized rolling reference is recomputed by :func:`centralized_rolling`
(the direct form), the transformer limit is read from the scenario, the real-time iteration
bound is computed from the option, the day-ahead forecast is compared with the duals of the
day-ahead welfare problem, and the costs satisfy the market's accounting identity.

The days take well over 5 s each (10 hubs ≈ 40 s with its reference, 15 hubs ≈ 60 s, the
perfect-forecast day ≈ 20 s on a shared 2-core machine): every test that uses them is
marked ``slow``.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import gamecore
from gamecore.driver import Driver
from gamecore.errors import StrategyError
from gamecore.options import format_vector
from gamecore.pool import FollowerPool
from gamecore.rolling import REAL_TIME_DEFAULTS, RollingResult, centralized_rolling, solve_rolling
from strategies.day_ahead import day_ahead_prices

PAPER_GAP = 5e-4          # 0.05 % (the bound; the paper reports 0.005 %)
PRICE_RANGE = 1.5         # yuan/kWh, the case's local price bounds [0, 1.5]
FINE_PRICE_TOL = 1e-3     # the 15-hub run's real-time price tolerance

Day = tuple[gamecore.Case, RollingResult, RollingResult]


@pytest.fixture(scope="module")
def day10() -> Day:
    case = gamecore.make_case("ieh", agents=10)
    return case, solve_rolling(case), solve_rolling(case, None, "centralized", hindsight=False)


@pytest.fixture(scope="module")
def day15() -> Day:
    case = gamecore.make_case("ieh", agents=15)
    result = solve_rolling(case, day_ahead_options={"method": "gradient"},
                           real_time_options={"price_tol": FINE_PRICE_TOL})
    return case, result, solve_rolling(case, None, "centralized", hindsight=False)


def _gap(day: Day) -> float:
    _, result, reference = day
    return (result.cost - reference.cost) / abs(reference.cost)


# --------------------------------------------------------------------- the reference
@pytest.mark.slow
def test_gap_is_the_rolling_gap(day10: Day) -> None:
    case, result, reference = day10
    assert result.status == "converged", result.message
    assert reference.status == "converged", reference.message
    direct = centralized_rolling(case.rolling)          # recomputed independently
    assert reference.cost == pytest.approx(direct.total_cost, rel=1e-6)
    # the reference is the rolling one, not the day-ahead welfare optimum
    day_ahead = gamecore.solve_centralized(case.rolling.day_ahead_game()).objective
    assert abs(reference.cost - day_ahead) > 1.0


@pytest.mark.parametrize("which", ["day10", "day15"])
@pytest.mark.slow
def test_total_cost_gap_within_paper_bound(which: str, request: pytest.FixtureRequest) -> None:
    day = request.getfixturevalue(which)
    assert abs(_gap(day)) <= PAPER_GAP
    _, result, reference = day
    assert len(result.run.agent_totals) == len(reference.run.agent_totals) == day[0].game.n_followers
    assert np.all(result.run.agent_totals > 0)


@pytest.mark.slow
def test_costs_satisfy_market_identity(day15: Day) -> None:
    """Σ hub costs − system cost = Σ_t (λ_t − π_t)·flow_t·dt (the IEH agent's margin), per method."""
    case, result, reference = day15
    sc = case.params["scenario"]
    for run in (result.run, reference.run):
        hubs = float(np.sum(run.agent_totals))
        margin = float(np.sum((run.prices["price"] - sc.utility_price) * run.flows["transformer"] * sc.dt))
        assert hubs - run.total_cost == pytest.approx(margin, rel=1e-6, abs=1e-3)
    assert result.cost == pytest.approx(float(np.sum([s.cost.system for s in result.stages])), rel=1e-12)
    # nothing shed and every end-of-day target met on this scenario: penalties are solver noise
    assert len(result.penalties) == sc.periods
    assert result.penalty == pytest.approx(float(np.sum(result.penalties)))
    assert result.penalty < 1e-6 * result.cost
    assert reference.penalty < 1e-6 * reference.cost


# ------------------------------------------------------------------- the transformer
@pytest.mark.parametrize("which", ["day10", "day15"])
@pytest.mark.slow
def test_transformer_within_limit_both_methods(which: str, request: pytest.FixtureRequest) -> None:
    case, result, reference = request.getfixturevalue(which)
    cap = gamecore.cases.ieh.make_ieh_scenario(case.game.n_followers).transformer_cap   # from the scenario itself
    for run in (result.run, reference.run):
        assert run.limits["transformer"] == pytest.approx((-cap, cap))
        flow = run.flows["transformer"]
        assert flow.shape == (24,)
        assert np.all(np.abs(flow) <= cap * (1 + 1e-6)), (flow.max(), cap)
        assert np.sum(np.abs(flow) >= cap * (1 - 1e-6)) >= 3, "the night congestion must bind the limit"
    assert result.flow_ratio is not None and result.flow_ratio <= 1 + 1e-6


# ------------------------------------------------------------------------- real time
@pytest.mark.parametrize("which,price_tol", [("day10", REAL_TIME_DEFAULTS["bisection"]["price_tol"]),
                                             ("day15", FINE_PRICE_TOL)])
@pytest.mark.slow
def test_real_time_iterations_bounded(which: str, price_tol: float, request: pytest.FixtureRequest) -> None:
    _, result, _ = request.getfixturevalue(which)
    bound = math.ceil(math.log2(PRICE_RANGE / price_tol))
    iterations = np.asarray(result.real_time_iterations)
    assert iterations.shape == (24,)
    assert np.all(iterations >= 1) and np.all(iterations <= bound), (iterations, bound)
    assert all(s.bound == bound for s in result.stages)


@pytest.mark.parametrize("which", ["day10", "day15"])
@pytest.mark.slow
def test_real_time_clears_and_reports_mismatch(which: str, request: pytest.FixtureRequest) -> None:
    _, result, _ = request.getfixturevalue(which)
    realised = np.array([s.residual for s in result.stages])
    unmixed = np.array([s.residual_unmixed for s in result.stages])
    assert np.all(realised <= 1e-6)
    assert np.all(unmixed >= realised - 1e-12)   # a single price of the final bracket does not clear
    assert all(s.theta is not None and 0 <= s.theta <= 1 for s in result.stages)
    for s in result.stages:      # each stage's certificate: the driver's, of the current-period game
        assert s.certified and s.certificate["coupling_residual"] == pytest.approx(s.residual, abs=1e-15)
        assert 0 <= s.certificate["best_response_gap"] <= 1e-5
        # bounded by the clearing welfare; slightly negative only by the realised residual's value
        # and solver tolerance (measured down to −3.2e-8)
        assert -1e-6 <= s.certificate["duality_gap"] <= 1e-4
    prices = result.run.prices["price"]
    assert np.all((prices >= 0) & (prices <= PRICE_RANGE))


# ------------------------------------------------------------------------- day ahead
@pytest.mark.slow
def test_day_ahead_converges_to_the_welfare_duals(day10: Day) -> None:
    case, result, _ = day10
    da = result.day_ahead
    assert da is not None and da.status == "converged" and da.extra["residual"] <= da.extra["tol"]
    assert abs(da.certificate.duality_gap) <= 1e-6
    duals = gamecore.solve_centralized(case.rolling.day_ahead_game()).signal_vector
    assert result.forecast is not None
    assert np.max(np.abs(result.forecast["price"] - duals)) <= 1e-3
    # the paper's gradient step on the same day-ahead game, from the same start: more iterations
    game = case.rolling.day_ahead_game()
    start = format_vector(game.layout.pack(case.rolling.initial_prices()))
    gradient = gamecore.solve(game, "day-ahead", method="gradient", start=start)
    assert gradient.status == "converged"
    assert da.iterations < gradient.iterations
    residuals = [h["residual"] for h in gradient.history]
    assert residuals[-1] <= gradient.extra["tol"] < residuals[0]


@pytest.mark.slow
def test_day_ahead_gradient_variant(day15: Day) -> None:
    _, result, _ = day15
    da = result.day_ahead
    assert da is not None and da.extra["method"] == "gradient" and da.status == "converged"
    assert result.iterations == da.iterations + sum(result.real_time_iterations)
    assert [(loop["loop"], loop["iterations"], loop["status"]) for loop in da.loops] == [
        ("day-ahead", da.iterations, "converged")]


# ------------------------------------------------------------------ bisection, one algorithm
def test_bisection_has_no_two_stage_mode() -> None:
    for option in ({"mode": "two-stage"}, {"day_ahead": "newton"}, {"rt_price_tol": 1e-3}, {"da_compare": True}):
        with pytest.raises(StrategyError, match="unknown option"):
            gamecore.get_strategy("bisection", **option)


def test_bisection_on_ieh_solves_the_day_ahead_game() -> None:
    case = gamecore.make_case("ieh", agents=2, periods=24)
    result = gamecore.solve(case, "bisection", max_iter=3)
    assert {h.get("stage") for h in result.history} == {None}          # no day-ahead / real-time stages
    # the single-stage run of the day-ahead game, stopped by max_iter (bisection needs hundreds)
    assert result.status == "max_iter" and result.iterations == 3
    assert result.game == case.game.name


@pytest.mark.slow
def test_perfect_forecasts_isolate_the_algorithmic_error() -> None:
    """With every forecast exact, the centralized rolling cost is the hindsight optimum (one
    welfare problem over the day on the actual data) and the two-stage gap is algorithmic only."""
    case = gamecore.make_case("ieh", agents=6)
    sc = case.params["scenario"]
    rolling = gamecore.cases.ieh.IEHRolling(sc, level="actual", day_ahead_level="actual")
    result = solve_rolling(rolling)
    reference = solve_rolling(rolling, None, "centralized", hindsight=False)
    assert result.hindsight_cost is not None
    assert reference.cost == pytest.approx(result.hindsight_cost, rel=1e-7)
    gap = (result.cost - reference.cost) / abs(reference.cost)
    assert abs(gap) <= 5e-5   # (the hindsight optimum minimises cost + w·ΣP², so ± )


# ------------------------------------------------------------- day ahead through the driver
@pytest.mark.parametrize(("method", "iterations", "residual"),
                         [("accelerated", 10, 7.54342e-05), ("gradient", 11, 5.40272e-05)])
def test_day_ahead_iteration_unchanged_on_the_closed_form_market(method: str, iterations: int,
                                                                 residual: float) -> None:
    """``day_ahead_prices`` runs through the driver (loop ``"day-ahead"``); on the closed-form
    market of tests/test_closed_form.py (10 consumers, 24 periods, seed 3) its history is the
    one of the former ``for`` loop: 10 (accelerated) / 11 (gradient) iterations, final residual
    7.54e-5 / 5.40e-5, measured before and after the change (histories bit-identical)."""
    case = gamecore.make_case("analytic-market", agents=10, periods=24, seed=3)
    driver = Driver()
    pool = FollowerPool(case.game)
    try:
        da = day_ahead_prices(case.game, pool, method, driver=driver)
    finally:
        pool.close()
    assert da.converged and da.iterations == iterations and da.pool_calls == iterations + 1
    assert da.residual == pytest.approx(residual, rel=1e-3)
    assert [h["iteration"] for h in da.history] == list(range(1, iterations + 1))
    assert all(list(h) == ["iteration", "residual", "step", "restart", "dual", "signals"] for h in da.history)
    assert da.history[-1]["residual"] == da.residual <= 1e-4 < min(h["residual"] for h in da.history[:-1])
    np.testing.assert_allclose(case.game.layout.unpack(da.prices)["price"], case.reference.signals["price"],
                               rtol=1e-3)
    assert [(run.loop, run.iterations, run.status) for run in driver.runs] == [("day-ahead", iterations, "converged")]


def test_day_ahead_stops_on_the_drivers_callback_like_max_iter() -> None:
    case = gamecore.make_case("analytic-market", agents=10, periods=24, seed=3)
    pool = FollowerPool(case.game)
    try:
        stopped = day_ahead_prices(case.game, pool, driver=Driver(callback=lambda info: info.iteration == 3))
        capped = day_ahead_prices(case.game, pool, max_iter=3)
    finally:
        pool.close()
    for da in (stopped, capped):
        assert not da.converged and da.iterations == 3 and da.pool_calls == 4
        assert da.residual == pytest.approx(0.348887, rel=1e-3)     # measured before the driver (max_iter=3)
    np.testing.assert_array_equal(stopped.prices, capped.prices)
    for a, b in zip(stopped.history, capped.history, strict=True):
        assert a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
