"""``admm`` (Stackelberg mode) on the general bilevel form, against closed forms.

* signals in the followers' constraints (``Bs != 0``): library problems with ``Ax != 0``
  and a capped consumer;
* bounds on the product factors derived from the data (conic bounds, then SOS1 MIPs over
  the KKT set with minimum-norm duals): consumers with ``d ≥ 0`` only, duals of a follower
  whose feasible set shrinks to a point at the end of the signal box;
* leader constraints in the leader block (coupled, on the aggregate of every follower);
* a factor without any finite bound is refused, naming it.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore import Bilinear, Follower, Game, Leader, LeaderObjective, Signal
from gamecore.bilevel import FollowerRelaxation, complete_bounds, leader_bilinear_costs
from gamecore.cases.bilevel import PROBLEMS
from gamecore.cases.bilevel.build import build_case
from gamecore.cases.bilevel.problem import BilevelProblem
from gamecore.kkt import AffineExpression, KKTModel

A_UTIL, B_UTIL, COST = np.array([10.0, 12.0, 9.0]), np.array([1.0, 2.0, 0.5]), 2.0


def relaxation_of(game: Game, i: int = 0) -> FollowerRelaxation:
    f = game.followers[i]
    costs = leader_bilinear_costs(game, game.leader.objectives[0])
    w_costs, u_terms = costs.w, costs.u
    return FollowerRelaxation(f.name, f.program, game.signal_index[i], w_costs[i], u_terms[i],
                              signal_box=(game.layout.lower(), game.layout.upper()))


# ------------------------------------------------------------------ bounds from the data
def test_demand_bounded_by_optimality_not_by_constraints(make_monopoly) -> None:
    """d ≥ 0 only: the conic bound on d is infinite; over the KKT set d ≤ (a − c)/b (price ≥ c)."""
    game = make_monopoly(A_UTIL, B_UTIL, COST, 20.0)
    rel = relaxation_of(game, 1)
    assert rel.open_factors() == [0] and rel.lp_bounds[0][0] == pytest.approx(0.0, abs=1e-7)
    complete_bounds(game, [None, rel, None])                # relaxations in follower order
    lo, hi = rel.bounds0
    assert lo[0] == pytest.approx(0.0, abs=1e-6)
    assert hi[0] == pytest.approx((A_UTIL[1] - COST) / B_UTIL[1], rel=1e-6)


def test_dual_bounds_with_a_degenerate_follower() -> None:
    """ClarkWesterberg1988: follower min y s.t. y ≤ 2x, 5y ≤ 108 − 2x, 3y ≥ 2x + 4, x ∈ [1, 19].

    At x = 1 and x = 19 its feasible set is one point (two rows active, LICQ fails): the
    duals there form a ray, so r = Bsᵀz (Bs = (2, −2, −2)) is unbounded over all duals. Its
    minimum-norm dual is z = (0, 0, 1/3) for every x (only 3y ≥ 2x + 4 binds), r = −2/3.
    """
    game = build_case(PROBLEMS["ClarkWesterberg1988"]).game
    prog = game.followers[0].program
    r_dir = np.asarray(prog.Bs.toarray()).ravel()
    (bound,) = KKTModel(game).expression_bounds([AffineExpression(0, z=r_dir)], followers=[0])
    assert bound.lower == pytest.approx(-2 / 3, rel=1e-6) and bound.upper == pytest.approx(-2 / 3, rel=1e-6)
    rel = relaxation_of(game)
    assert rel.open_factors() == [0]
    complete_bounds(game, [rel])
    np.testing.assert_allclose(np.concatenate(rel.bounds0), [-2 / 3, -2 / 3], rtol=1e-6)


# ------------------------------------------------------------- signals in constraints
@pytest.mark.parametrize("name", ["Bard1984a", "ClarkWesterberg1988"])
def test_rhs_signal_library_problem_solved(name: str) -> None:
    case = build_case(PROBLEMS[name])
    assert np.any(PROBLEMS[name].Ax)                        # the leader moves the follower's constraints
    result = gamecore.solve(case, "admm", progress=False)
    assert result.status == "converged", result.message
    assert result.certificate.certified
    assert abs(result.gap_to_reference) <= 1e-6
    np.testing.assert_allclose(result.signals["x0"], case.reference.signals["x0"], atol=1e-5)


def test_capped_consumer_closed_form(capped_consumer: tuple[Game, gamecore.Reference]) -> None:
    """Consumer ``min ‖d‖² − 10Σd + p·d`` s.t. ``0 ≤ d ≤ p`` (the price caps its own demand).

    d(p) = min(p, (10 − p)/2): revenue p² on p ≤ 10/3, p(10 − p)/2 above, increasing on
    [0, 5]: p* = 5 per period, revenue 12.5 each, 25 in total.
    """
    game, reference = capped_consumer
    result = gamecore.solve(game, "admm", reference=reference, progress=False)
    assert result.status == "converged", result.message
    assert result.certificate.certified
    assert abs(result.gap_to_reference) <= 1e-6
    np.testing.assert_allclose(result.signals["price"], 5.0, atol=1e-3)


# ------------------------------------------------------------------- monopoly d ≥ 0
def test_monopoly_with_only_nonnegative_demand(make_monopoly) -> None:
    """p* = (Σ a_i/b_i + c Σ 1/b_i) / (2 Σ 1/b_i) = (34 + 7)/7 (every a_i > p*, all buy)."""
    p_star = (np.sum(A_UTIL / B_UTIL) + COST * np.sum(1 / B_UTIL)) / (2 * np.sum(1 / B_UTIL))
    profit = (p_star - COST) * np.sum((A_UTIL - p_star) / B_UTIL)
    reference = gamecore.Reference("stackelberg", -profit, {"price": np.array(p_star)}, "closed form")
    result = gamecore.solve(make_monopoly(A_UTIL, B_UTIL, COST, 20.0), "admm", reference=reference, progress=False)
    assert result.status == "converged", result.message
    assert result.certificate.certified
    assert abs(-result.objective - profit) / profit <= 1e-4
    # the relaxation's optimum leans towards the box centre; the parabola step through the
    # face probes removes that bias on a smooth objective (it was 1.5e-3 off before)
    assert float(result.signals["price"]) == pytest.approx(p_star, abs=1e-5)


# -------------------------------------------------------------------- leader constraints
def test_coupled_leader_constraint_honoured() -> None:
    """Leader min x − 2y s.t. y ≤ x/2, x ∈ [0, 2]; follower max y s.t. y ≤ 1, x + y ≤ 3, y ≥ 0.

    y(x) = 1 on [0, 2], so only x = 2 meets y ≤ x/2: F* = 0 at (2, 1) (without the
    constraint the leader would take x = 0, F = −2).
    """
    problem = BilevelProblem("toy-coupled", "test", 1, 1, f_star=0.0, cx=[1.0], cy=[-2.0], Gx=[[-0.5]], Gy=[[1.0]],
                             g=[0.0], xl=0.0, xu=2.0, dy=[-1.0], Ax=[[0.0], [1.0]], By=[[1.0], [1.0]], b=[1.0, 3.0],
                             yl=0.0, tags=("linear", "coupled"))
    result = gamecore.solve(build_case(problem), "admm", progress=False)
    assert result.status == "converged", result.message
    assert result.signals["x0"] == pytest.approx(2.0, abs=1e-6)
    assert result.objective == pytest.approx(0.0, abs=1e-6)
    assert result.certificate.leader_violation <= 1e-6 and result.certificate.certified


def test_capacity_constraint_on_the_aggregate_of_every_follower(make_monopoly) -> None:
    """The monopoly with Σ_i d_i ≤ 10: unconstrained demand at p* is 13.5 > 10, so the cap
    binds: Σ (a_i − p)/b_i = 10 ⇒ p = (34 − 10)/3.5, profit (p − c)·10."""
    cap = 10.0
    p_cap = (np.sum(A_UTIL / B_UTIL) - cap) / np.sum(1 / B_UTIL)
    reference = gamecore.Reference("stackelberg", -(p_cap - COST) * cap, {"price": np.array(p_cap)}, "closed form")
    result = gamecore.solve(make_monopoly(A_UTIL, B_UTIL, COST, 20.0, cap), "admm", reference=reference, progress=False)
    assert result.status == "converged", result.message
    assert result.certificate.leader_violation <= 1e-5 and result.certificate.certified
    assert sum(float(out["demand"]) for out in result.outputs.values()) <= cap * (1 + 1e-6)
    assert result.certificate.leader_regret <= 1e-3


# ------------------------------------------------------------------------- refusal
def test_truly_unbounded_factor_refused_naming_it() -> None:
    """Follower min p·y over y ≥ 0 with p ∈ [0, 1]: at p = 0 every y ≥ 0 is optimal, so the
    priced quantity y has no bound over the bilevel-feasible set."""
    price = cp.Parameter(name="price")
    y = cp.Variable(name="y")
    follower = Follower("indifferent", cp.Minimize(price * y), [y >= 0], {"price": price}, {"q": y})
    objective = LeaderObjective("revenue", bilinear=(Bilinear("price", "q"),), sense="max")
    game = Game(Leader([Signal("price", (), 0.0, 1.0)], objectives=[objective]), [follower])
    for name in ("admm", "admm-mccormick"):      # the alias runs admm-mccormick, which names itself
        with pytest.raises(gamecore.StrategyError, match=r"strategy 'admm-mccormick': .*indifferent.*quantity priced by "
                                                         r"signal 'price'.*unbounded over the bilevel-feasible set; "
                                                         r"McCormick envelopes need finite bounds"):
            gamecore.solve(game, name, progress=False)


def test_capped_consumer_same_answer_under_the_specific_name(capped_consumer: tuple[Game, gamecore.Reference]) -> None:
    """``admm-mccormick`` directly: the closed form of :func:`test_capped_consumer_closed_form`,
    bit-identical to the alias ``admm``."""
    game, reference = capped_consumer
    plain = gamecore.solve(game, "admm-mccormick", reference=reference, progress=False)
    alias = gamecore.solve(game, "admm", reference=reference, progress=False)
    assert plain.status == "converged" and plain.certificate.certified, plain.message
    assert abs(plain.gap_to_reference) <= 1e-6
    assert plain.extra["algorithm"] == alias.extra["algorithm"] == "admm-mccormick"
    assert np.array_equal(plain.signals["price"], alias.signals["price"]) and plain.objective == alias.objective
