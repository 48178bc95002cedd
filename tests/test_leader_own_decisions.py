"""The leader's own decisions (signals no follower sees) and priced outputs with a constant part.

Each test states the closed form it checks against (derived in its docstring).
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore import Bilinear, Follower, Game, Leader, LeaderObjective, Signal
from gamecore.bilevel import leader_bilinear_costs
from gamecore.cases.analytic_market import quadratic_consumer
from gamecore.optimistic import leader_recourse, optimistic_selection

A, B, C = 10.0, 1.0, 0.5          # consumer willingness a, slope b; producer cost ½·c·g²
P_STAR = A * (B + C) / (2 * B + C)
D_STAR = (A - P_STAR) / B
PROFIT_STAR = P_STAR * D_STAR - 0.5 * C * D_STAR ** 2


def producer_game(periods: int = 2) -> Game:
    """A producer pricing one consumer and generating what it buys (its own decision ``gen``).

    Consumer: ``max a·d − ½·b·d² − p·d`` → ``d(p) = (a − p)/b`` (interior on the box). Producer:
    ``max p·d − ½·c·g²`` s.t. ``g = d``, so ``max (a − p)·p/b − ½·c·((a − p)/b)²`` →
    ``p* = a(b + c)/(2b + c)`` per period (= 7.5 for a = 10, b = 1, c = 0.5), ``g* = d(p*) = 2.5``.
    """
    consumer = quadratic_consumer("consumer", np.full(periods, A), B, 20.0)
    profit = LeaderObjective("profit", bilinear=(Bilinear("price", "demand"),),
                             cost=lambda sig, agg: -0.5 * C * cp.sum_squares(sig["gen"]), sense="max")
    leader = Leader([Signal("price", (periods,), 0.0, A), Signal("gen", (periods,), 0.0, 20.0)], objectives=[profit],
                    constraints=lambda sig, agg: [sig["gen"] == agg["demand"]], name="producer")
    return Game(leader, [consumer], name="producer")


def test_leader_only_mask_marks_the_signals_no_follower_sees() -> None:
    game = producer_game(3)
    np.testing.assert_array_equal(game.leader_only, [False] * 3 + [True] * 3)
    assert game.has_leader_only


def test_recourse_sets_the_own_decisions_for_fixed_responses() -> None:
    """At price 6 the consumer buys 4; the only feasible generation is 4 (profit 6·4 − ½·0.5·16 = 20 per period)."""
    game = producer_game(2)
    sigma = np.array([6.0, 6.0, 0.0, 0.0])       # generation left at 0: infeasible for the leader
    responses = [game.followers[0].program.solve(sigma[:2])]
    out = leader_recourse(game, sigma, responses)
    assert out.status == "optimal" and out.signals is not None
    np.testing.assert_allclose(out.signals, [6.0, 6.0, 4.0, 4.0], atol=1e-6)
    assert out.value == pytest.approx(-40.0, rel=1e-6)
    # the optimistic selection chooses them too (the consumer's response is unique)
    best = responses
    selection = optimistic_selection(game, sigma, best)
    assert selection.signals is not None
    np.testing.assert_allclose(selection.signals[2:], [4.0, 4.0], atol=1e-5)


def test_recourse_reports_infeasible_own_decisions() -> None:
    """A consumer buying more than the generation box allows leaves the leader no feasible dispatch."""
    game = producer_game(1)
    narrow = Leader([Signal("price", (1,), 0.0, A), Signal("gen", (1,), 0.0, 1.0)], objectives=game.leader.objectives,
                    constraints=game.leader.constraints, name="producer")
    game = Game(narrow, game.followers, name="narrow")
    sigma = np.array([5.0, 0.5])                  # d(5) = 5 > 1
    out = leader_recourse(game, sigma, [game.followers[0].program.solve(sigma[:1])])
    assert out.value is None and out.signals is None


@pytest.mark.parametrize("strategy", ["kkt", "admm", "nsga-qp"])
def test_strategies_reach_the_closed_form_with_own_decisions(strategy: str) -> None:
    """kkt, admm and nsga-qp find p* = 7.5, g* = 2.5 (profit 15.625 per period) and are certified."""
    game = producer_game(2)
    result = gamecore.solve(game, strategy, progress=False, seed=1)
    assert result.status == "converged", result.message
    np.testing.assert_allclose(result.signals["price"], P_STAR, rtol=2e-3)
    np.testing.assert_allclose(result.signals["gen"], D_STAR, rtol=5e-3)
    assert -result.objective == pytest.approx(2 * PROFIT_STAR, rel=1e-4)
    assert result.certificate.within(), result.certificate.failures()


# ------------------------------------------------------------- outputs with a constant part
BASE, K = 6.0, 2.0


def curtailing_consumer(periods: int) -> Follower:
    """``min p·(base − c) + ½·k·c²`` over ``0 ≤ c ≤ base``: cuts ``c = p/k``, buys ``base − p/k``.

    The output ``demand = base − c`` has a constant part: cvxpy moves ``p·base`` into the
    objective's signal-only term, so the leader's revenue ``p·demand`` is ``p·(−c) + p·base``.
    """
    price = cp.Parameter(periods, name="price")
    cut = cp.Variable(periods, name="cut")
    demand = BASE - cut
    return Follower("curtailer", cp.Minimize(price @ demand + 0.5 * K * cp.sum_squares(cut)), [cut >= 0, cut <= BASE],
                    signals={"price": price}, outputs={"demand": demand})


def test_priced_output_with_a_constant_part_keeps_it() -> None:
    """Revenue ``p·(base − p/k)`` is maximal at ``p* = k·base/2 = 6`` (revenue 18 per period).

    Before the constant part was carried (``BilinearCosts.sigma``), ``kkt`` optimised the
    revenue without ``p·base`` and its "optimal" objective disagreed with the evaluated one.
    """
    periods = 2
    revenue = LeaderObjective("revenue", bilinear=(Bilinear("price", "demand"),), sense="max")
    game = Game(Leader([Signal("price", (periods,), 0.0, 10.0)], objectives=[revenue]), [curtailing_consumer(periods)])
    costs = leader_bilinear_costs(game, revenue)
    assert costs.sigma[0] == {0: pytest.approx(-BASE), 1: pytest.approx(-BASE)} and costs.u == [[]]
    for strategy in ("kkt", "admm"):
        result = gamecore.solve(game, strategy, progress=False)
        assert result.status == "converged", (strategy, result.message)
        np.testing.assert_allclose(result.signals["price"], K * BASE / 2, rtol=1e-4)
        assert -result.objective == pytest.approx(periods * K * BASE ** 2 / 4, rel=1e-6)
        assert result.certificate.within(), (strategy, result.certificate.failures())
    kkt = gamecore.solve(game, "kkt", progress=False)
    assert kkt.extra["kkt_objective"] == pytest.approx(kkt.objective, rel=1e-7)


def test_recourse_with_a_bilinear_term_on_an_own_signal() -> None:
    """An own signal ``bonus ∈ [0, 2]`` that prices the consumer's demand (revenue ``bonus·d``) is linear
    once the responses are fixed: the recourse sets it to 2 when the consumer buys (d(6) = 4 → 8 more)."""
    consumer = quadratic_consumer("consumer", np.full(1, A), B, 20.0)
    revenue = LeaderObjective("revenue", bilinear=(Bilinear("price", "demand"), Bilinear("bonus", "demand")),
                              sense="max")
    game = Game(Leader([Signal("price", (1,), 0.0, A), Signal("bonus", (1,), 0.0, 2.0)], objectives=[revenue]),
                [consumer], name="bonus")
    sigma = np.array([6.0, 0.0])
    out = leader_recourse(game, sigma, [game.followers[0].program.solve(sigma[:1])])
    assert out.signals is not None
    np.testing.assert_allclose(out.signals, [6.0, 2.0], atol=1e-6)
    assert out.value == pytest.approx(-(6.0 + 2.0) * 4.0, rel=1e-6)
    # jointly with the followers' tie-breaking it is bilinear: the selection says it cannot
    assert optimistic_selection(game, sigma, [game.followers[0].program.solve(sigma[:1])]).status.startswith(
        "unsupported")
