"""Stackelberg games: leader constraints, the exact ``kkt`` strategy, and a certificate that can fail.

Each test states the closed form it checks against (derived in its docstring).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore import Bilinear, Follower, Game, GameDefinitionError, Leader, LeaderObjective, Signal
from gamecore.cases.bilevel.build import build_case
from gamecore.cases.bilevel.problem import BilevelProblem
from gamecore.certificate import Certificate, required_measures
from gamecore.optimistic import optimistic_selection


# ------------------------------------------------------------------------- fixtures
DEGENERATE = BilevelProblem(
    "toy-degenerate", "a follower indifferent over [0, 1]", 1, 1, f_star=-2.0, cx=[-1.0], cy=[-1.0], xl=0.0, xu=1.0,
    dy=[0.0], yl=0.0, yu=1.0, tags=("linear", "degenerate"))


# ------------------------------------------------------------------ certificate
def test_certificate_without_measures_is_never_within() -> None:
    """A failed result's certificate (every measure None) is not certified; unchecked lists them."""
    game = gamecore.make_case("analytic-stackelberg", agents=2, periods=1).game
    cert = Certificate(required=required_measures(game, "stackelberg"))
    assert not cert.within() and not cert.certified
    assert cert.unchecked == ["best_response_gap", "follower_infeasibility", "optimistic_gap", "leader_regret"]
    assert not Certificate().within()   # nothing required: nothing certified


def test_nan_measure_fails() -> None:
    cert = Certificate(required=["best_response_gap"], best_response_gap=float("nan"))
    assert not cert.within() and "best_response_gap is nan" in cert.failures()[0]


def test_failed_strategy_result_is_not_certified() -> None:
    """kkt on a bilevel-infeasible problem: status failed, certificate unchecked everywhere.

    Follower max y s.t. y ≤ 1 + x, y ∈ [0, 3]: y(x) = 1 + x on x ∈ [0, 2]; the leader's
    constraint y ≤ x then never holds.
    """
    infeasible = BilevelProblem("toy-infeasible", "test", 1, 1, f_star=0.0, cx=[1.0], cy=[-2.0], Gx=[[-1.0]],
                                Gy=[[1.0]], g=[0.0], xl=0.0, xu=2.0, dy=[-1.0], Ax=[[-1.0]], By=[[1.0]], b=[1.0],
                                yl=0.0, yu=3.0)
    result = gamecore.solve(build_case(infeasible), "kkt", progress=False)
    assert result.status == "failed" and "infeasible" in result.message
    assert not result.certificate.within() and "leader_regret" in result.certificate.unchecked


def test_degenerate_follower_optimistic_gap_catches_an_interior_response() -> None:
    """Follower indifferent over y ∈ [0, 1]; leader min −x − y over x ∈ [0, 1]: optimistic optimum −2.

    Re-solving the follower gives an interior point of its optimal face (y ≈ 0.5), so a
    strategy that reports re-solved responses gets F ≈ −1.5: the optimistic gap and the
    regret against kkt's proven bound both flag it, and it is not ``converged``.
    """
    case = build_case(DEGENERATE)
    exact = gamecore.solve(case, "kkt", progress=False)
    assert exact.status == "converged" and exact.certificate.certified
    assert exact.objective == pytest.approx(-2.0, abs=1e-7)
    assert exact.outputs["follower"]["y0"] == pytest.approx(1.0, abs=1e-7)
    game = case.game
    x = np.array([1.0])
    best = [game.followers[0].respond({"x0": x})]
    selection = optimistic_selection(game, x, best)
    assert selection.value == pytest.approx(-2.0, abs=1e-6)
    ga = gamecore.solve(case, "nsga-qp", progress=False)
    if ga.objective > -2.0 + 1e-4:   # not tie-broken optimistically: must not be certified
        assert ga.status != "converged" and not ga.certificate.certified
        assert ga.certificate.optimistic_gap > 1e-4 or ga.certificate.leader_regret > 1e-3


def test_regret_below_a_bound_fails() -> None:
    """A reference above the true optimum (wrong bound) gives a clearly negative regret: not certified."""
    case = build_case(DEGENERATE)
    wrong = gamecore.Reference("stackelberg", -1.5, {}, "wrong on purpose")
    result = gamecore.solve(case.game, "kkt", reference=wrong, progress=False)
    assert result.certificate.leader_regret == pytest.approx(-0.5 / 1.5, rel=1e-6)
    assert result.status == "max_iter" and "below a valid bound" in result.message


# -------------------------------------------------------------- leader constraints
def coupled_problem() -> BilevelProblem:
    """Leader min x − 2y s.t. y ≤ x/2 (coupled), x ∈ [0, 2]; follower max y s.t. y ≤ 1, x + y ≤ 3, y ≥ 0.

    The follower answers y(x) = min(1, 3 − x) = 1 on [0, 2]. Without the coupled constraint
    the leader takes x = 0 (F = −2); with y ≤ x/2 only x = 2 is feasible: F* = 0 at (2, 1).
    """
    return BilevelProblem("toy-coupled", "test", 1, 1, f_star=0.0, cx=[1.0], cy=[-2.0], Gx=[[-0.5]], Gy=[[1.0]],
                          g=[0.0], xl=0.0, xu=2.0, dy=[-1.0], Ax=[[0.0], [1.0]], By=[[1.0], [1.0]], b=[1.0, 3.0],
                          yl=0.0, tags=("linear", "coupled"))


def test_kkt_honours_a_coupled_leader_constraint() -> None:
    result = gamecore.solve(build_case(coupled_problem()), "kkt", progress=False)
    assert result.status == "converged", result.message
    assert result.signals["x0"] == pytest.approx(2.0, abs=1e-6)
    assert result.objective == pytest.approx(0.0, abs=1e-6)
    assert result.certificate.leader_violation <= 1e-6
    assert "leader_violation" in result.certificate.required


def test_leader_violation_is_measured_at_a_violating_point() -> None:
    game = build_case(coupled_problem()).game
    x = np.array([0.0])                       # follower answers y = 1 > x/2 = 0
    best = [game.followers[0].respond({"x0": x})]
    assert game.leader_violation(x, best) == pytest.approx(1.0, abs=1e-7)


def test_leader_constraints_checked_at_construction() -> None:
    game = gamecore.make_case("analytic-stackelberg", agents=2, periods=2).game
    signal = Signal("price", (2,), 0.0, 50.0)
    obj = game.leader.objectives[0]
    with pytest.raises(GameDefinitionError, match=r"constraints\[0\].*not convex"):
        Game(Leader([signal], [obj], constraints=lambda s, agg: [cp.square(agg["demand"][0]) >= 1.0]),
             game.followers)
    with pytest.raises(GameDefinitionError, match="unknown name 'load'"):
        Game(Leader([signal], [obj], constraints=lambda s, agg: [agg["load"] <= 1.0]), game.followers)
    with pytest.raises(GameDefinitionError, match="must be a callable"):
        Leader([signal], [obj], constraints=[1])


def test_market_strategies_refuse_leader_constraints(make_consumer) -> None:
    """Leader constraints belong to a Stackelberg leader: a market strategy would ignore them."""
    from gamecore import MarketCoupling

    coupling = MarketCoupling("balance", "price", "demand", supply_cost=lambda s: 10 * cp.sum(s),
                              supply_constraints=lambda s: [s >= 0, s <= 30])
    leader = Leader([Signal("price", (1,), 0.0, 100.0)], couplings=[coupling],
                    constraints=lambda s, agg: [agg["demand"] <= 5.0])
    game = Game(leader, [make_consumer("a"), make_consumer("b")])
    for name in ("centralized", "bisection", "subgradient", "admm"):
        with pytest.raises(gamecore.StrategyError, match="leader constraints"):
            gamecore.solve(game, name, progress=False)


# -------------------------------------------------------------------------- kkt
def test_kkt_matches_the_closed_form_of_analytic_stackelberg() -> None:
    case = gamecore.make_case("analytic-stackelberg", agents=3, periods=2, seed=1)
    result = gamecore.solve(case, "kkt", progress=False)
    assert result.status == "converged" and result.certificate.certified
    assert abs(result.gap_to_reference) <= 1e-6
    # the profit is flat at the optimum: a 1e-9 objective gap allows ~1e-4 in the prices
    np.testing.assert_allclose(result.signals["price"], case.reference.signals["price"], atol=1e-3)


def test_kkt_monopoly_with_only_nonnegative_demand(make_monopoly) -> None:
    """Consumers with only ``d ≥ 0``: p* = (Σ a_i/b_i + c Σ 1/b_i) / (2 Σ 1/b_i) when all buy.

    a = (10, 12, 9), b = (1, 2, 0.5), c = 2: Σ a/b = 10 + 6 + 18 = 34, Σ 1/b = 1 + 0.5 + 2 = 3.5,
    p* = (34 + 7) / 7 = 5.857142…; every a_i > p*, so all buy; profit = (p − c)(34 − 3.5 p*).
    """
    a, b, c = np.array([10.0, 12.0, 9.0]), np.array([1.0, 2.0, 0.5]), 2.0
    p_star = (np.sum(a / b) + c * np.sum(1 / b)) / (2 * np.sum(1 / b))
    profit = (p_star - c) * np.sum((a - p_star) / b)
    result = gamecore.solve(make_monopoly(a, b, c, 20.0), "kkt", progress=False)
    assert result.status == "converged", result.message
    assert float(result.signals["price"]) == pytest.approx(p_star, abs=1e-3)   # flat optimum, see above
    assert -result.objective == pytest.approx(profit, rel=1e-6)


def test_kkt_bilinear_leader_term_solved_globally() -> None:
    """F = −x·y (a product the follower does not pay), follower min y s.t. y ≥ 1 − x, y ≥ x − 1, y ≥ 0.

    y(x) = |x − 1| on x ∈ [0, 3]; F(x) = −x|x − 1|: on [1, 3] −x² + x, minimal at x = 3: F = −6.
    On [0, 1] F = −x(1 − x) ≥ −1/4. Global optimum −6 at x = 3, y = 2 (a local one near x = 1/2).
    """
    problem = BilevelProblem("toy-bilinear", "test", 1, 1, f_star=-6.0, Hxy=[[-1.0]], xl=0.0, xu=3.0, dy=[1.0],
                             Ax=[[-1.0], [1.0]], By=[[-1.0], [-1.0]], b=[-1.0, 1.0], yl=0.0)
    result = gamecore.solve(build_case(problem), "kkt", time_limit=60.0, progress=False)
    assert result.status == "converged", result.message
    assert result.objective == pytest.approx(-6.0, abs=1e-6)
    assert result.signals["x0"] == pytest.approx(3.0, abs=1e-6)


def test_signal_as_constraint_coefficient_is_refused_naming_the_constraint() -> None:
    """Signals may enter a follower's constraints as right-hand sides only."""
    x, y = cp.Parameter(name="x"), cp.Variable(name="y")
    with pytest.raises(GameDefinitionError, match=r"f: constraints\[1\]: a signal multiplies a variable"):
        Follower("f", cp.Minimize(y), [y >= 0, x * y <= 3], {"x": x}, {"y": y})
    rhs = Follower("g", cp.Minimize(-y), [y >= 0, y <= 3 - 2 * x], {"x": x}, {"y": y})
    assert rhs.program.Bs.nnz == 1


@pytest.mark.parametrize("strategy", ["kkt", "admm", "nsga-qp"])
def test_every_stackelberg_strategy_on_the_nonnegative_demand_monopoly(make_monopoly, strategy: str) -> None:
    """Same closed form as above (p* = 41/7): every Stackelberg strategy within 1e-4 of the profit, none refused."""
    a, b, c = np.array([10.0, 12.0, 9.0]), np.array([1.0, 2.0, 0.5]), 2.0
    p_star = (np.sum(a / b) + c * np.sum(1 / b)) / (2 * np.sum(1 / b))
    profit = (p_star - c) * np.sum((a - p_star) / b)
    result = gamecore.solve(make_monopoly(a, b, c, 20.0), strategy, progress=False)
    assert result.status == "converged", result.message
    assert -result.objective == pytest.approx(profit, rel=1e-4)


def test_mccormick_bound_is_valid_and_used_when_kkt_does_not_apply() -> None:
    """The first-round McCormick relaxation bounds the leader's optimum from below.

    On analytic-stackelberg (closed form) it lies below the optimum. With second-order-cone
    followers (``‖d‖ ≤ 8``: kkt does not apply) the certificate falls back to it: the regret
    is computed (not unchecked) and, the bound being weak, the answer is honestly not certified.
    """
    from gamecore.bounds import mccormick_bound

    case = gamecore.make_case("analytic-stackelberg", agents=3, periods=2, seed=1)
    bound = mccormick_bound(case.game)
    assert bound is not None and bound.value <= case.reference.objective
    followers = []
    for i, (a, b) in enumerate([(10.0, 1.0), (12.0, 2.0)]):
        price, d = cp.Parameter(2, name="price"), cp.Variable(2)
        followers.append(Follower(f"c{i}", cp.Minimize(-(a * cp.sum(d) - 0.5 * b * cp.sum_squares(d)) + price @ d),
                                  [d >= 0, cp.norm(d) <= 8], {"price": price}, {"demand": d}))
    profit = LeaderObjective("profit", bilinear=(Bilinear("price", "demand"),),
                             cost=lambda s, agg: -2 * cp.sum(agg["demand"]), sense="max")
    game = Game(Leader([Signal("price", (2,), 2.0, 15.0)], objectives=[profit]), followers)
    result = gamecore.solve(game, "nsga-qp", progress=False)
    cert = result.certificate
    assert cert.bound_source.startswith("McCormick") and cert.leader_bound <= result.objective
    assert cert.leader_regret is not None and "leader_regret" not in cert.unchecked


def test_bound_options_choose_where_the_certificate_looks() -> None:
    """Without a reference: kkt by default; McCormick when kkt is switched off; unchecked with neither."""
    game = build_case(coupled_problem()).game
    default = gamecore.solve(game, "kkt", progress=False)
    assert default.certificate.bound_source.startswith("kkt")
    relaxed = gamecore.solve(game, "nsga-qp", progress=False, bound=gamecore.BoundOptions(kkt_max_pairs=0))
    assert relaxed.certificate.bound_source.startswith("McCormick")
    assert relaxed.certificate.leader_bound <= 1e-6          # below the optimum F* = 0
    none = gamecore.solve(game, "nsga-qp", progress=False,
                          bound=gamecore.BoundOptions(kkt_max_pairs=0, mccormick=False))
    assert "leader_regret" in none.certificate.unchecked and none.status != "converged"


def test_scip_models_avoid_metis_in_ipopt() -> None:
    """Every kkt SCIP model points Ipopt (its NLP heuristics) at an options file selecting MUMPS's AMD
    ordering: with METIS the process aborted inside SCIP (ries, 10 LAs x 24 periods); the file goes
    with the model."""
    import gc
    import os

    from pyscipopt import Model

    from gamecore.kkt import IPOPT_OPTIONS, _avoid_metis

    model = Model()
    _avoid_metis(model)
    path = model.getParam("nlpi/ipopt/optfile")
    with open(path) as f:
        assert f.read() == IPOPT_OPTIONS == "mumps_pivot_order 0\n"
    del model
    gc.collect()
    assert not os.path.exists(path)
