"""The clearing bound on a market's duality gap (``duality="clearing"``) and bisection's primal
recovery at a kink.

``D(p) ≤ P* ≤ W``: the bound is never below the exact gap, it certifies an equilibrium and it
fails on a wrong answer exactly like the exact gap. Bisection on a one-price market whose bids
jump clears it exactly by mixing its bracket's ends, and the driver certifies the mix.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore import Follower, Game, Leader, MarketCoupling, Signal
from gamecore.market import clearing_welfare


@pytest.fixture(scope="module")
def market() -> gamecore.Case:
    return gamecore.make_case("analytic-market", agents=6, periods=4, seed=3)


def test_clearing_bound_certifies_an_equilibrium_and_is_never_below_the_exact_gap(market: gamecore.Case) -> None:
    exact = gamecore.solve(market, "bisection", progress=False)
    bounded = gamecore.solve(market, "bisection", progress=False, duality="clearing")
    assert exact.status == bounded.status == "converged"
    cert = bounded.certificate
    assert cert.centralized_bound is None and cert.clearing_welfare is not None
    assert cert.duality_gap is not None and abs(cert.duality_gap) <= 1e-4
    # P* <= W up to the answer's imbalance: bisection stops at a residual of 6.4e-6 here, whose value
    # at the prices, <p, s - sum y>, enters W (relative 2.5e-7 below P*: within the two-sided tolerance)
    assert exact.certificate.centralized_bound is not None
    imbalance = cert.coupling_residual
    assert cert.clearing_welfare >= exact.certificate.centralized_bound - imbalance * abs(cert.clearing_welfare)
    assert cert.duality_gap >= exact.certificate.duality_gap - imbalance


def test_clearing_bound_fails_on_a_wrong_answer(market: gamecore.Case) -> None:
    early = gamecore.solve(market, "subgradient", max_iter=2, progress=False, duality="clearing")
    assert early.status != "converged"
    # far from clearing, W is no upper bound (the imbalance enters it) and the two-sided measure fails
    assert early.certificate.duality_gap is not None and abs(early.certificate.duality_gap) > 1e-4
    assert {"duality_gap", "coupling_residual"} <= {f.split()[0] for f in early.certificate.failures()}


def test_clearing_welfare_at_the_centralized_optimum_is_the_optimum(market: gamecore.Case) -> None:
    sol = gamecore.solve_centralized(market.game)
    W = clearing_welfare(market.game, sol.signal_vector, sol.responses)
    assert W is not None and W == pytest.approx(sol.objective, rel=1e-6)


def step_market() -> Game:
    """One period, two LP buyers (value 5 and 3 per unit, up to 10 units each) and a supply of at
    most 15 units at cost 1: at p = 3.3 the excess jumps from +5 to −5, so no single price clears;
    the equilibrium has buyer b (indifferent at 3.3) take 5 units (3.3: not a dyadic point of the box)."""
    followers = []
    for name, value in (("a", 5.0), ("b", 3.3)):
        price = cp.Parameter(1, name="price")
        x = cp.Variable(1)
        followers.append(Follower(name, cp.Minimize(price @ x - value * cp.sum(x)), [x >= 0, x <= 10],
                                  signals={"price": price}, outputs={"buy": x}))
    coupling = MarketCoupling("energy", "price", "buy", supply_cost=lambda s: cp.sum(s),
                              supply_constraints=lambda s: [s >= 0, s <= 15])
    return Game(Leader([Signal("price", (1,), 0.0, 8.0)], couplings=[coupling]), followers, name="step")


def test_bisection_clears_a_kink_by_mixing_its_bracket_ends() -> None:
    res = gamecore.solve(step_market(), "bisection", price_tol=1e-6, progress=False)
    assert res.status == "converged", res.message
    assert res.signals["price"][0] == pytest.approx(3.3, abs=1e-6)
    assert res.extra["residual_unmixed"] >= 0.1               # one price leaves up to 5 of 20 units unbalanced
    assert res.certificate.coupling_residual <= 1e-9          # the mix clears
    assert 0.0 < res.extra["theta"] < 1.0
    assert res.outputs["b"]["buy"][0] == pytest.approx(5.0, abs=1e-5)
    assert res.outputs["a"]["buy"][0] == pytest.approx(10.0, abs=1e-5)
    assert res.certificate.certified
    # the mix is an equilibrium: the exact duality gap of the centralized welfare problem holds too
    assert abs(res.certificate.duality_gap) <= 1e-6
    np.testing.assert_allclose(res.supplies["energy"], [15.0], atol=1e-5)
