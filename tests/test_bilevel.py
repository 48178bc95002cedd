"""Unit tests of :mod:`gamecore.bilevel` on small followers, against closed forms.

Followers (signal ``price`` p, output y):

* ``consumer`` (QP): ``min −(a·d − ½b‖d‖²) + p·d, 0 ≤ d ≤ hi``; best response
  d* = clip((a − p)/b, 0, hi).
* ``producer`` (LP): ``min (c − p)·g, 0 ≤ g ≤ gmax``; g* = gmax where p > c, else 0.
* ``disc`` (SOCP): ``min ½‖e‖² − k·e + p·e, ‖e‖₂ ≤ r, e ≥ 0`` (second-order cone rows).

Each follower's signal index is the identity (program position j = game index j).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

from gamecore.bilevel import FollowerRelaxation, leader_bilinear_costs, primal_dual
from gamecore.follower import Follower
from gamecore.game import Game
from gamecore.leader import Bilinear, Leader, LeaderObjective
from gamecore.relaxations import envelope_bounds
from gamecore.signals import Signal

T = 3
A_UTIL = np.array([10.0, 8.0, 12.0])
B_UTIL = 1.5
HI = 6.0
C_COST = np.array([3.0, 5.0, 4.0])
GMAX = 7.0
K_DISC = np.array([9.0, 7.0, 8.0])
R_DISC = 6.0


def consumer(weight: float = 1.0, name: str = "consumer") -> Follower:
    """The consumer paying ``weight`` times the price."""
    p, d = cp.Parameter(T, name="price"), cp.Variable(T)
    obj = cp.Minimize(-(A_UTIL @ d - 0.5 * B_UTIL * cp.sum_squares(d)) + weight * (p @ d))
    return Follower(name, obj, [d >= 0, d <= HI], {"price": p}, {"demand": d})


def producer() -> Follower:
    p, g = cp.Parameter(T, name="price"), cp.Variable(T)
    return Follower("producer", cp.Minimize((C_COST - p) @ g), [g >= 0, g <= GMAX], {"price": p}, {"demand": -g})


def disc() -> Follower:
    p, e = cp.Parameter(T, name="price"), cp.Variable(T)
    return Follower("disc", cp.Minimize(0.5 * cp.sum_squares(e) - K_DISC @ e + p @ e),
                    [cp.norm(e, 2) <= R_DISC, e >= 0], {"price": p}, {"demand": e})


FOLLOWERS = {"consumer": consumer, "producer": producer, "disc": disc}
SIGMAS = [np.array([2.0, 4.0, 9.0]), np.array([6.0, 1.0, 3.5]), np.array([0.5, 7.5, 5.0])]


def relaxation(f: Follower, u_output: bool = False) -> FollowerRelaxation:
    """The follower's relaxation; with ``u_output`` one u-product per demand entry (leader weight 1)."""
    cols, _ = f.program.outputs["demand"]
    u_terms = [(t, int(cols[t]), 1.0) for t in range(T)] if u_output else []
    return FollowerRelaxation(f.name, f.program, np.arange(f.program.k), {}, u_terms)


def feasible(f: Follower, x: np.ndarray, tol: float = 1e-7) -> bool:
    """x satisfies the follower's zero and nonnegative cone rows (b0 − Ax)."""
    slack, d = f.program.b0 - f.program.A @ x, f.program.dims
    return bool(np.all(np.abs(slack[: d.zero]) <= tol) and np.all(slack[d.zero:d.zero + d.nonneg] >= -tol))


def demand(f: Follower, x: np.ndarray) -> np.ndarray:
    return f.program.outputs_of(x)["demand"]


def closed_form(name: str, sigma: np.ndarray) -> np.ndarray:
    """The follower's best-response output at prices ``sigma`` (independent of any solver)."""
    if name == "consumer":
        return np.clip((A_UTIL - sigma) / B_UTIL, 0.0, HI)
    if name == "producer":
        return -np.where(sigma > C_COST, GMAX, 0.0)
    e = np.maximum(K_DISC - sigma, 0.0)              # projection of k − p on {e ≥ 0, ‖e‖ ≤ r}
    return e * min(1.0, R_DISC / max(np.linalg.norm(e), 1e-300))


# ------------------------------------------------------------------------ (a) exact rows
@pytest.mark.parametrize("name", sorted(FOLLOWERS))
@pytest.mark.parametrize("k", range(len(SIGMAS)))
def test_best_response_satisfies_every_exact_row(name: str, k: int) -> None:
    f = FOLLOWERS[name]()
    sigma = SIGMAS[k]
    x, z = primal_dual(f.program, sigma)
    # interior-point accuracy in x is ~√(gap tolerance) at the SOC follower's degenerate optimum
    np.testing.assert_allclose(demand(f, x), closed_form(name, sigma), atol=1e-4 if name == "disc" else 1e-6)
    rel = relaxation(f, u_output=True)
    xi = rel.point(x, z, sigma)
    viol = rel.violations(xi)
    assert set(viol) == {"stationarity", "primal", "dual", "strong_duality"}
    assert max(viol.values()) <= 1e-6, viol
    # primal minus dual value: 0 at the optimum (scale: the objective's magnitude)
    scale = max(1.0, abs(f.program.objective_at(x, sigma)))
    assert abs(rel.duality_slack(xi)) <= 1e-6 * scale
    # ... and the strong-duality row is tight there: 1e-3 more on Σ w (a worse dual value) violates it
    bumped = xi.copy()
    bumped[rel.iw] += 1e-3
    assert rel.violations(bumped)["strong_duality"] > 1e-5
    # the products at the point are exact
    relaxed, exact = rel.products(xi, sigma)
    np.testing.assert_allclose(relaxed, exact, atol=1e-12)


# ------------------------------------------------------------------- (b) not a best response
def test_lp_feasible_point_violates_strong_duality_by_its_suboptimality() -> None:
    f = producer()
    sigma = SIGMAS[0]                                # p > c in periods 2 only: g* = (0, 0, gmax)
    x_star, z_star = primal_dual(f.program, sigma)
    rel = relaxation(f)
    cols, _ = f.program.outputs["demand"]
    g = np.array([GMAX, 0.0, GMAX])                  # feasible, produces at a loss in period 0
    x = x_star.copy()
    x[cols] = -g
    # the producer's own variable g: the column(s) other than the output ones carry g
    others = np.setdiff1d(np.arange(f.program.n), cols)
    x[others] = g
    assert feasible(f, x)
    xi = rel.point(x, z_star, sigma)
    viol = rel.violations(xi)
    # P = 0: stationarity does not involve x, so only strong duality can fail
    assert max(viol["stationarity"], viol["primal"], viol["dual"]) <= 1e-6, viol
    loss = float((C_COST - sigma) @ g - (C_COST - sigma) @ np.where(sigma > C_COST, GMAX, 0.0))
    assert loss == pytest.approx((C_COST[0] - sigma[0]) * GMAX)
    assert rel.duality_slack(xi) == pytest.approx(loss, abs=1e-6)
    assert viol["strong_duality"] >= loss - 1e-6


def test_qp_feasible_point_violates_strong_duality_for_every_completing_dual() -> None:
    """x feasible, not a best response: the smallest strong-duality slack over all z that
    satisfy stationarity and dual feasibility is the closed form Σ g⁺(hi − d) + g⁻d > 0
    (g = a − p − b d), and at least the suboptimality f(x) − f(x*)."""
    f = consumer()
    prog = f.program
    sigma = SIGMAS[0]
    d_star = closed_form("consumer", sigma)
    d = np.clip(d_star + np.array([1.0, -0.8, 0.5]), 0.5, HI - 0.5)     # interior, off the best response
    x_star, _ = primal_dual(prog, sigma)
    cols, _ = prog.outputs["demand"]
    x = np.zeros(prog.n)
    for col_set in (cols, np.setdiff1d(np.arange(prog.n), cols)):
        x[col_set] = d                                                  # d and its output copy
    assert feasible(f, x)
    # min over z of the slack, subject to the other rows (cvxpy on the raw canonical data)
    P_sym = (prog.P + prog.P.T).toarray() - np.diag(prog.P.diagonal())
    z = cp.Variable(prog.A.shape[0])
    cons = [P_sym @ x + prog.q(sigma) + prog.A.T @ z == 0, z[prog.dims.zero:] >= 0]
    problem = cp.Problem(cp.Minimize(prog.b0 @ z), cons)
    problem.solve(solver=cp.CLARABEL)
    assert problem.status == "optimal"
    rel = relaxation(f)
    xi = rel.point(x, np.asarray(z.value), sigma)
    viol = rel.violations(xi)
    assert max(viol["stationarity"], viol["primal"], viol["dual"]) <= 1e-6, viol
    g = A_UTIL - sigma - B_UTIL * d
    expected = float(np.sum(np.maximum(g, 0) * (HI - d) + np.maximum(-g, 0) * d))
    assert rel.duality_slack(xi) == pytest.approx(expected, rel=1e-6)
    subopt = prog.objective_at(x, sigma) - prog.objective_at(x_star, sigma)
    assert subopt > 0.1
    assert rel.duality_slack(xi) >= subopt - 1e-6
    assert viol["strong_duality"] > 0.1


# -------------------------------------------------------------------- (c) McCormick rows
@pytest.mark.parametrize("name", sorted(FOLLOWERS))
def test_mccormick_rows_contain_exact_products_at_the_best_response(name: str) -> None:
    f = FOLLOWERS[name]()
    sigma = SIGMAS[1]
    x, z = primal_dual(f.program, sigma)
    rel = relaxation(f, u_output=True)
    xi = rel.point(x, z, sigma)
    lo, hi = sigma - 0.75, sigma + 1.25
    assert rel.violations(xi, lo, hi)["mccormick"] <= 1e-9
    # after OBBT on that box the factor bounds still contain the best response's factors
    rel.tighten_bounds(lo, hi)
    assert rel.violations(xi, lo, hi)["mccormick"] <= 1e-6
    v = rel.factors(x)
    assert np.all(rel.box_v[0] <= v + 1e-6) and np.all(v <= rel.box_v[1] + 1e-6)
    # a box that excludes σ does not contain the point: the rows can fail
    assert rel.violations(xi, sigma + 1.0, sigma + 2.0)["mccormick"] > 0.5


def test_relaxed_w_differs_from_product_inside_the_envelope() -> None:
    """w off σ∘v but inside the envelope passes the McCormick rows; outside it fails."""
    f = consumer()
    sigma = SIGMAS[0]
    x, z = primal_dual(f.program, sigma)
    rel = relaxation(f)
    lo, hi = sigma - 1.0, sigma + 1.0
    xi = rel.point(x, z, sigma)
    v = rel.factors(x)
    vlo, vhi = rel.box_v
    upper = np.minimum(hi * v + sigma * vlo - hi * vlo, lo * v + sigma * vhi - lo * vhi)   # McCormick over-estimators
    np.testing.assert_allclose(envelope_bounds(sigma, v, lo, hi, vlo, vhi)[1], upper, rtol=1e-12, atol=1e-12)
    xi[rel.iw: rel.iw + rel.nJ] = upper
    assert rel.violations(xi, lo, hi)["mccormick"] <= 1e-9
    xi[rel.iw: rel.iw + rel.nJ] = upper + 0.1
    assert rel.violations(xi, lo, hi)["mccormick"] == pytest.approx(0.1, abs=1e-9)


# ------------------------------------------------------------------------ (d) LP bounds
@pytest.mark.parametrize("name", sorted(FOLLOWERS))
def test_lp_bounds_contain_factors_of_random_feasible_points(name: str) -> None:
    f = FOLLOWERS[name]()
    rel = relaxation(f, u_output=True)
    lo, hi = rel.lp_bounds
    rng = np.random.default_rng(7)
    points = [primal_dual(f.program, rng.uniform(-5, 15, T))[0] for _ in range(12)]
    points += [w @ np.array(points) for w in rng.dirichlet(np.ones(len(points)), 30)]   # convex combinations
    for x in points:
        assert feasible(f, x, 1e-6)
        v = rel.factors(x)
        assert np.all(lo - 1e-7 <= v) and np.all(v <= hi + 1e-7)
    # closed forms: v = price coefficient · quantity, y = demand
    expected = {"consumer": (np.zeros(T), np.full(T, HI)), "producer": (np.full(T, -GMAX), np.zeros(T)),
                "disc": (np.zeros(T), np.full(T, R_DISC))}[name]
    np.testing.assert_allclose(lo, np.concatenate([expected[0]] * 2), atol=1e-6)
    np.testing.assert_allclose(hi, np.concatenate([expected[1]] * 2), atol=1e-6)


# ---------------------------------------------------------------- leader term mapping
def test_leader_terms_reuse_w_only_when_priced_quantity_is_the_output() -> None:
    leader = Leader([Signal("price", (T,), 0.0, 10.0)],
                    objectives=[LeaderObjective("revenue", bilinear=(Bilinear("price", "demand", 2.0),), sense="max")])
    game = Game(leader, [consumer(1.0, "c0"), consumer(1.1, "c1")], "reuse")
    costs = leader_bilinear_costs(game, leader.objectives[0])
    w_costs, u_terms = costs.w, costs.u
    assert costs.sigma == [{}, {}]
    assert w_costs[0] == {j: -2.0 for j in range(T)} and u_terms[0] == []
    cols, _ = game.followers[1].program.outputs["demand"]
    assert w_costs[1] == {} and u_terms[1] == [(t, int(cols[t]), -2.0) for t in range(T)]
    rel = FollowerRelaxation("c1", game.followers[1].program, game.signal_index[1], w_costs[1], u_terms[1])
    assert rel.nU == T and rel.cost[rel.iu: rel.iu + T].tolist() == [-2.0] * T
