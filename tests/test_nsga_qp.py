"""Tests of the ``nsga-qp`` strategy (pymoo NSGA-II/III over the leader's signals, optimistic
tie-breaking, leader constraints, pattern-search polish).

References are closed forms from ``gamecore.cases.analytic_stackelberg`` and the verified
optima of the bilevel library (independent of any strategy). Case (a) runs the full 24
periods (≈ 8 s on one core).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore.cases.analytic_stackelberg import closed_form, stackelberg_data
from gamecore.errors import StrategyError
from gamecore.cases.bilevel import PROBLEMS
from gamecore.cases.bilevel.build import build_case
from gamecore.cases.bilevel.problem import BilevelProblem
from gamecore.follower import Follower
from gamecore.game import Game
from gamecore.leader import Bilinear, Leader, LeaderObjective
from gamecore.optimistic import LeaderModel, optimistic_selection, outputs_unique
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
@pytest.mark.slow
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
    # one pool call per generation plus one per polish iteration (every start's poll and search points),
    # plus the piece descent's
    assert result.extra["pool_calls"] == (result.iterations + result.extra["polish_iterations"]
                                          + result.extra.get("piece_descent_pool_calls", 0))
    assert result.extra["failed_evaluations"] == 0


@pytest.mark.slow
def test_analytic_stackelberg_100_followers_few_periods() -> None:
    case = gamecore.make_case("analytic-stackelberg", 100, 4, 1)
    result = gamecore.solve(case, "nsga-qp", seed=0, max_iter=15, pop_size=12)
    ref = case.reference.signals["price"]
    # 15 generations end by max_iter; the polish then reaches the closed form, certified
    assert result.certificate.certified, result.message
    assert result.objective == pytest.approx(case.reference.objective, rel=1e-6)
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
    assert result.iterations < 60 and "stall rule held" in result.message, result.message
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
    last = [h for h in result.history if h["phase"] == "ga"][-1]
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
    assert other.certificate.certified and other.certificate.leader_regret <= 1e-3, other.message
    assert other.objective == pytest.approx(case.reference.objective, rel=1e-6)     # the closed form
    np.testing.assert_allclose(other.signals["price"], case.reference.signals["price"], rtol=1e-5)
    ga = lambda r: np.array([h["signals"] for h in r.history if h["phase"] == "ga"])  # noqa: E731
    assert not np.array_equal(ga(first), ga(other))


# ------------------------------------------------------------------------------ (e)
@pytest.mark.parametrize("bad", [{"pop_size": 2}, {"max_iter": 0}, {"polish_step": 0.9}, {"tol": 1.5},
                                 {"stall_window": 0}, {"partitions": 0}, {"polish_starts": 0},
                                 {"polish_step_tol": 0.0}, {"polish_shrink": 1.0}, {"polish_tol": -1.0},
                                 {"polish": "yes"}, {"generations": 5}, {"crossover_prob": 2.0},
                                 {"fd_step": 1e-6}])
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
    assert result.status == "converged" and result.certificate.certified, result.message
    # picky buys nothing at the closed-form prices (d = clip(3 − p, 0, 1) = 0 for p ≥ 3) and makes
    # higher prices infeasible: the optimum is the closed form of the four consumers
    best_prices, best_profit = closed_form(data)
    np.testing.assert_allclose(result.signals["price"], best_prices, rtol=1e-5)
    assert -result.objective == pytest.approx(best_profit, rel=1e-6)
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


# ------------------------------------------------------------------------------ (g) general bilevel form
#: follower indifferent over y ∈ [0, 1]; leader min −x − y over x ∈ [0, 1]: optimistic optimum −2 at (1, 1)
#: (the toy of tests/test_stackelberg_certificate.py)
DEGENERATE = BilevelProblem(
    "toy-degenerate", "a follower indifferent over [0, 1]", 1, 1, f_star=-2.0, cx=[-1.0], cy=[-1.0], xl=0.0, xu=1.0,
    dy=[0.0], yl=0.0, yu=1.0, tags=("linear", "degenerate"))


def _coupled() -> BilevelProblem:
    """Leader min x − 2y s.t. y ≤ x/2 (coupled), x ∈ [0, 2]; follower max y s.t. y ≤ 1, x + y ≤ 3, y ≥ 0.

    y(x) = 1 on [0, 2]; without the coupled constraint the leader takes x = 0 (F = −2); with
    it only x = 2 is feasible: F* = 0 at (2, 1) (the toy of tests/test_stackelberg_certificate.py).
    """
    return BilevelProblem("toy-coupled", "test", 1, 1, f_star=0.0, cx=[1.0], cy=[-2.0], Gx=[[-0.5]], Gy=[[1.0]],
                          g=[0.0], xl=0.0, xu=2.0, dy=[-1.0], Ax=[[0.0], [1.0]], By=[[1.0], [1.0]], b=[1.0, 3.0],
                          yl=0.0, tags=("linear", "coupled"))


def _relative_error(result: gamecore.Result, f_star: float) -> float:
    return abs(result.objective - f_star) / max(1.0, abs(f_star))


def test_leader_constraint_is_honoured() -> None:
    """The coupled toy: the GA's constraint G₂ and the polish keep y ≤ x/2, so x → 2, F → 0 (not −2)."""
    result = gamecore.solve(build_case(_coupled()), "nsga-qp", seed=0, progress=False)
    assert result.status == "converged", result.message
    assert result.certificate.certified and "leader_violation" in result.certificate.required
    assert result.certificate.leader_violation <= 1e-6
    assert float(result.signals["x0"]) == pytest.approx(2.0, abs=1e-5)
    assert result.objective == pytest.approx(0.0, abs=1e-5)
    # every individual that ranks as feasible meets the constraint: the GA history never reports F < 0 − tol
    assert all(h["best_objective"] >= -1e-6 for h in result.history)


def test_degenerate_follower_is_tie_broken_optimistically() -> None:
    """Re-solving the indifferent follower gives y ≈ 0.5 (F = −1.5 at x = 1); the tie-break in the
    workers and the reported optimistic selection give y = 1: F = −2, certified."""
    case = build_case(DEGENERATE)
    result = gamecore.solve(case, "nsga-qp", seed=0, progress=False)
    assert result.status == "converged", result.message
    assert result.certificate.certified
    assert result.objective == pytest.approx(-2.0, abs=1e-4)
    assert float(result.outputs["follower"]["y0"]) == pytest.approx(1.0, abs=1e-4)
    assert result.certificate.optimistic_gap <= 1e-6
    assert result.extra["tie_broken_followers"] == ["follower"]
    assert result.extra["response_selection"].startswith("optimistic selection")
    # the GA itself ranked tie-broken responses: its best objective is already the optimistic −2
    assert result.extra["ga_objective"] == pytest.approx(-2.0, abs=1e-4)


def test_tie_break_in_the_pool_matches_the_optimistic_selection() -> None:
    """Per-follower tie-break (pool, in-process and in two loky workers) = the exact cvxpy selection,
    on degenerate library problems (LP follower with a linear leader, and a quadratic leader in y)."""
    for name in ("Bard1991Ex2", "DempeFranke2011Ex41"):
        game = build_case(PROBLEMS[name]).game
        prog = game.followers[0].program
        assert not outputs_unique(prog)
        model = LeaderModel(game)
        assert model.exact
        rng = np.random.default_rng(0)
        lo, hi = game.layout.lower(), game.layout.upper()
        X = [lo + rng.random(lo.size) * (hi - lo) for _ in range(6)]
        ties = [model.tie_breaks(x, [0]) for x in X]
        with FollowerPool(game) as pool:
            rows = pool.respond_many_tied(X, ties, raise_on_failure=False)
            plain = pool.respond_many(X, keep_x=True, raise_on_failure=False)
        with FollowerPool(game, n_jobs=2) as pool:
            parallel = pool.respond_many_tied(X, ties, raise_on_failure=False)
        for x, row, best, other in zip(X, rows, plain, parallel):
            if not best[0].ok:
                continue
            selection = optimistic_selection(game, x, best)
            assert model.value(x, row) == pytest.approx(selection.value, rel=1e-6, abs=1e-6)
            assert model.value(x, row) == pytest.approx(
                game.leader_objectives(game.layout.unpack(x), row)[0], rel=1e-9, abs=1e-9)
            np.testing.assert_array_equal(other[0].outputs["y0"], row[0].outputs["y0"])
    # a strictly convex follower needs no tie-break
    consumers = _consumers(stackelberg_data(2, 3, 0))
    assert all(outputs_unique(f.program) for f in consumers)


def test_polish_descends_where_the_ga_stops_short() -> None:
    """MuuQuy2003Ex2: the optimum lies on the leader constraint x₁ + x₂ ≤ 1, which is not
    axis-aligned; the GA stops about 3 % above it and the pattern search (with directions along
    the active constraint) walks down to it over many iterations."""
    problem = PROBLEMS["MuuQuy2003Ex2"]
    result = gamecore.solve(build_case(problem), "nsga-qp", seed=0, progress=False)
    assert result.status == "converged", result.message
    assert result.extra["polish_iterations"] > 5
    assert result.extra["ga_objective"] > problem.f_star + 1e-2
    assert result.extra["polished_objective"] < result.extra["ga_objective"] - 1e-2
    assert _relative_error(result, problem.f_star) <= 1e-4
    polish = [h["best_objective"] for h in result.history if h["phase"] == "polish"]
    assert all(b2 <= b1 for b1, b2 in zip(polish, polish[1:]))          # never worse
    assert sum(b2 < b1 for b1, b2 in zip(polish, polish[1:])) > 3      # descends more than once
    assert result.extra["pool_calls"] == (result.iterations + result.extra["polish_iterations"]
                                          + result.extra.get("piece_descent_pool_calls", 0))


@pytest.mark.parametrize("name", ["Bard1991Ex2", "b_1991_01v", "DempeFranke2011Ex41", "MershaDempe2006Ex2",
                                  "ShimizuAiyoshi1981Ex2", "TollSettingP4"])
def test_library_problems_at_default_options(name: str) -> None:
    """Degenerate LP/QP followers, a coupled constraint, signal-only constraints, equality-constrained
    followers: within 1e-3 of the verified optimum at default options, converged and certified."""
    problem = PROBLEMS[name]
    result = gamecore.solve(build_case(problem), "nsga-qp", seed=0, progress=False)
    assert _relative_error(result, problem.f_star) <= 1e-3, (result.objective, problem.f_star)
    assert result.status == "converged", result.message
    assert result.certificate.certified


def test_non_quadratic_leader_cost_falls_back_and_still_breaks_ties() -> None:
    """Leader min |x − 0.3| − y over x ∈ [0, 1] (a cost cvxpy writes in epigraph form: no explicit
    quadratic), follower indifferent over y ∈ [0, 1]: the model falls back to the game's evaluation
    and a central-difference gradient, which is exact here (linear in y): F* = −1 at (0.3, 1)."""
    x = cp.Parameter(name="x")
    y = cp.Variable(name="y")
    follower = Follower("indifferent", cp.Minimize(0 * y + 0 * x * y), [y >= 0, y <= 1], signals={"x": x},
                        outputs={"y": y})
    objective = LeaderObjective("F", cost=lambda s, agg: cp.abs(s["x"] - 0.3) - agg["y"], sense="min")
    game = Game(Leader([Signal("x", (), 0.0, 1.0)], objectives=[objective]), [follower], name="abs-leader")
    model = LeaderModel(game)
    assert not model.exact
    result = gamecore.solve(game, "nsga-qp", seed=0, progress=False,
                            reference=gamecore.Reference("stackelberg", -1.0, {}, "closed form"))
    assert result.extra["leader_model"].startswith("fallback")
    assert result.objective == pytest.approx(-1.0, abs=1e-4)
    assert float(result.signals["x"]) == pytest.approx(0.3, abs=1e-4)
    assert result.status == "converged" and result.certificate.certified, result.message


# ------------------------------------------------------------------------------ the shared driver
def test_callback_stopping_the_generations_returns_the_best_so_far_polished_and_certified() -> None:
    """A callback that stops the ``generations`` loop after 3: the GA's best individual is still
    polished and returned (status ``max_iter``, the message naming the callback), and certified
    (or honestly not): every measure of the certificate is computed."""
    case = gamecore.make_case("analytic-stackelberg", 4, 3, 0)
    seen: list[tuple[str, int]] = []

    def stop_after_three(info) -> bool:
        seen.append((info.loop, info.iteration))
        return info.loop == "generations" and info.iteration >= 3

    result = gamecore.solve(case, "nsga-qp", seed=0, progress=False, callback=stop_after_three)
    assert [loop["loop"] for loop in result.loops] == ["generations", "polish", "piece-descent"]
    assert result.loops[0]["iterations"] == 3 and result.loops[0]["status"] == "max_iter"
    assert "callback" in result.loops[0]["reason"]
    assert result.iterations == result.extra["generations"] == 3
    assert result.status == "max_iter"
    assert "callback" in result.message and "GA stopped after 3 generations" in result.message, result.message
    # the polish still ran (the callback only stopped the generations), and history = GA rows, then polish
    # rows, then the piece descent's
    polished, pieces = result.extra["polish_iterations"], result.extra["piece_descent_iterations"]
    assert polished == result.loops[1]["iterations"] >= 1 and pieces == result.loops[2]["iterations"] >= 1
    assert [h["phase"] for h in result.history] == ["ga"] * 3 + ["polish"] * polished + ["piece-descent"] * pieces
    assert [h["iteration"] for h in result.history] == list(range(1, len(result.history) + 1))
    assert [h["polish_iteration"] for h in result.history[3:3 + polished]] == list(range(1, polished + 1))
    assert ("generations", 3) in seen and ("generations", 4) not in seen and ("polish", 1) in seen
    cert = result.certificate
    assert cert is not None and cert.required and not cert.unchecked
    assert np.isfinite(result.objective) and np.all(np.isfinite(result.signals["price"]))
    assert result.extra["pool_calls"] == result.iterations + polished + result.extra["piece_descent_pool_calls"]


def test_time_limit_stops_the_generations_and_names_the_limit() -> None:
    """``time_limit`` bounds the whole solve through the driver: the 24-period case (≈ 8 s in
    full) comes back early, ``max_iter``, its message naming the time limit, with an answer."""
    case = gamecore.make_case("analytic-stackelberg", 10, 24, 0)
    limit = 0.5
    result = gamecore.solve(case, "nsga-qp", seed=0, progress=False, time_limit=limit)
    assert result.status == "max_iter", result.message
    assert "time limit" in result.message, result.message
    assert result.wall_s < 10 * limit, result.wall_s
    assert result.loops[0]["loop"] == "generations" and "time limit" in result.loops[0]["reason"]
    # the best individual so far is the answer; the polish found the deadline passed (no iteration)
    assert 1 <= result.iterations < 200 and np.all(np.isfinite(result.signals["price"]))
    assert result.extra["polish_iterations"] == result.loops[1]["iterations"]
    assert result.certificate.best_response_gap is not None


def test_progress_bars_end_at_what_ran(capsys: pytest.CaptureFixture[str]) -> None:
    """With progress on, every bar (generations, polish) ends showing k/k: the iterations that ran,
    not the max_iter / polish_max_iter budget the loop stopped short of."""
    case = gamecore.make_case("analytic-stackelberg", 4, 3, 0)
    result = gamecore.solve(case, "nsga-qp", seed=0, progress=True, max_iter=60, pop_size=16)
    err = capsys.readouterr().err
    ran = {loop["loop"]: loop["iterations"] for loop in result.loops}
    assert ran["generations"] < 60 and ran["polish"] < 300       # both stopped by their own rules
    segments = [s.strip() for s in err.replace("\r", "\n").splitlines() if s.strip()]
    for name, k in ran.items():
        mine = [s for s in segments if s.startswith(f"{name}:")]
        assert mine, (name, err)
        last = mine[-1]
        assert f"| {k}/{k} [" in last, last                        # not k/60 or k/300
