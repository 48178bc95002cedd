"""Market strategies on hand-made games with known answers (beyond the generated cases)."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import gamecore


def _three_consumers_capacity_game() -> gamecore.Game:
    """Consumers a = 50/60/70, b = 3; supply cost 10 s + ½ s², 0 ≤ s ≤ 30.

    Unconstrained clearing: Σ (a_i − p)/3 = p − 10 → 60 − p = p − 10 → p = 35, s = 25 < 30
    (capacity slack). The capacity binds at the box midpoint p = 50 (supply wants 40), so a
    slope probe there sees slope 1 instead of the equilibrium's 2 — a step-size trap.
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
    return gamecore.Game(gamecore.Leader([gamecore.Signal("price", (1,), 0.0, 100.0)], couplings=[coupling]), followers)


@pytest.mark.parametrize("strategy", ["centralized", "subgradient", "bisection", "admm"])
def test_strategies_find_hand_computed_price(strategy: str) -> None:
    result = gamecore.solve(_three_consumers_capacity_game(), strategy, progress=False)
    assert result.status == "converged", result.message
    assert result.signals["price"][0] == pytest.approx(35.0, rel=1e-4)
    assert result.supplies["balance"][0] == pytest.approx(25.0, rel=1e-4)


def test_subgradient_lipschitz_safeguard_is_what_makes_it_converge() -> None:
    game = _three_consumers_capacity_game()
    # the probe at the midpoint sees slope 1 (capacity binds there): step 1 oscillates for ever
    fixed = gamecore.solve(game, "subgradient", step_size=1.0, max_iter=200, progress=False)
    assert fixed.status == "max_iter"
    safeguarded = gamecore.solve(game, "subgradient", progress=False)
    assert safeguarded.status == "converged"
    assert safeguarded.history[-1]["step"] < 1.0   # the probed step 1/1 was halved


def test_subgradient_with_explicit_step_keeps_it() -> None:
    result = gamecore.solve(_three_consumers_capacity_game(), "subgradient", step_size=0.25, progress=False)
    assert {h["step"] for h in result.history} == {0.25}
    assert result.status == "converged"


def test_bisection_iterations_follow_log2_of_range_over_tolerance() -> None:
    """Separable game, unreachable residual tol: ⌈log₂(range / price_tol)⌉ halvings + 1 check."""
    case = gamecore.make_case("analytic-market", agents=5, periods=6, seed=1)
    result = gamecore.solve(case, "bisection", price_tol=1e-6, tol=1e-15, progress=False)
    upper = float(case.game.layout.upper()[0])
    assert result.iterations <= int(np.ceil(np.log2(upper / 1e-6))) + 1
    assert result.status == "converged" and "price precision" in result.message
    np.testing.assert_allclose(result.signals["price"], case.reference.signals["price"], atol=2e-6)


def test_bisection_on_periods_coupled_by_storage_is_not_converged() -> None:
    """Storage couples the periods: per-period bisection cannot clear them; it must say so.

    Three storage owners (state of charge linking the periods) buy at per-period prices; the
    centralized welfare problem clears (residual 0), per-period bisection exhausts its
    sweeps with a large residual and must return ``max_iter``, not ``converged``.
    """
    from gamecore import Follower, Game, Leader, MarketCoupling, Signal

    T = 4

    def storage_owner(name: str, load: np.ndarray, cap: float) -> Follower:
        price = cp.Parameter(T, name="price")
        g, ch, soc = cp.Variable(T), cp.Variable(T), cp.Variable(T + 1)
        constraints = [g == load + ch, soc[1:] == soc[:-1] + ch, soc >= 0, soc <= cap, soc[0] == cap / 2,
                       soc[T] == cap / 2, cp.abs(ch) <= cap]
        return Follower(name, cp.Minimize(price @ g + 0.01 * cp.sum_squares(ch)), constraints, {"price": price},
                        {"demand": g})

    owners = [storage_owner(f"s{i}", np.array([3.0, 5.0, 8.0, 4.0]) * (1 + 0.1 * i), 6.0) for i in range(3)]
    coupling = MarketCoupling("balance", "price", "demand", supply_cost=lambda s: 2 * cp.sum(s) + 0.2 * cp.sum_squares(s),
                              supply_constraints=lambda s: [s >= 0, s <= 60])
    game = Game(Leader([Signal("price", (T,), 0.0, 100.0)], couplings=[coupling]), owners)
    assert gamecore.solve(game, "centralized", progress=False).status == "converged"
    result = gamecore.solve(game, "bisection", progress=False)
    assert result.status == "max_iter" and "max_sweeps" in result.message
    assert result.certificate.coupling_residual > 1e-2 and not result.certificate.certified
