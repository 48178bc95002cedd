"""Games with two couplings (electricity and heat, each with its own supply) and a leader with
objectives and couplings together.

The reference is the hand-derived closed form of tests/_two_carrier.py (a 2×2 linear system
per period, independent of every strategy); its interiority is checked before it is used.
Units: prices in $/MWh, quantities in MWh.
"""

from __future__ import annotations

import numpy as np
import pytest

import gamecore
from gamecore import Bilinear, Game, Leader, LeaderObjective
from gamecore.errors import StrategyError

from _two_carrier import CARRIERS, build_game, couplings, hubs, random_data, signals

MARKET = ("centralized", "bisection", "subgradient", "admm")
#: price accuracy of the iterative strategies at their default tolerances, $/MWh (prices ≈ 40)
PRICE_ATOL = 1e-3


@pytest.fixture(scope="module")
def data():
    data = random_data(n=3, periods=2, seed=0)
    assert data.interior()                    # the closed form is the equilibrium
    return data


@pytest.fixture(scope="module")
def results(data) -> dict[str, gamecore.Result]:
    game = build_game(data)
    return {name: gamecore.solve(game, name, progress=False) for name in MARKET}


@pytest.mark.parametrize("strategy", MARKET)
def test_two_couplings_clear_at_the_closed_form(strategy: str, data, results) -> None:
    result = results[strategy]
    prices, demands, supplies = data.closed_form()
    assert result.status == "converged" and result.certificate.certified, result.message
    assert result.equilibrium == "market"
    assert result.certificate.coupling_residual <= 1e-4 and result.certificate.duality_gap <= 1e-4
    for k, carrier in enumerate(CARRIERS):
        np.testing.assert_allclose(result.signals[f"{carrier}_price"], prices[k], rtol=0, atol=PRICE_ATOL)
        # each carrier's own supply answers its own price: s_k = (p_k − c_k)/m_k
        np.testing.assert_allclose(result.supplies[f"{carrier}_balance"], supplies[k], rtol=0, atol=5e-3)
        for i in range(data.n):
            np.testing.assert_allclose(result.outputs[f"hub{i}"][carrier], demands[i, k], rtol=0, atol=5e-3)
    # the cross terms matter: with r = 0 the prices would be different
    uncoupled = type(data)(data.a, data.b, 0.0 * data.r, data.c, data.m).closed_form()[0]
    assert np.abs(uncoupled - prices).max() > 0.1


def test_two_coupling_strategies_agree_with_each_other(results) -> None:
    base = results["centralized"]
    for name, result in results.items():
        for carrier in CARRIERS:
            np.testing.assert_allclose(result.signals[f"{carrier}_price"], base.signals[f"{carrier}_price"],
                                       rtol=0, atol=PRICE_ATOL, err_msg=name)
        assert result.objective == pytest.approx(base.objective, rel=1e-5), name


# ------------------------------------------------------------------ objectives and couplings
def _revenue_leader_game(data) -> Game:
    """The two-carrier market whose operator also declares an objective (electricity revenue)."""
    revenue = LeaderObjective("revenue", bilinear=(Bilinear("elec_price", "elec"),), sense="max")
    leader = Leader(signals(data), objectives=[revenue], couplings=couplings(data), name="operator")
    return Game(leader, hubs(data), name="objective-and-couplings")


@pytest.mark.parametrize("strategy", MARKET)
def test_market_strategies_clear_the_couplings_of_a_leader_with_objectives(strategy: str, data) -> None:
    """A game that is both market and Stackelberg: the market strategies (and ``admm``, which
    picks its exchange mode on a game with couplings) compute the market equilibrium: the
    prices clear both balances, certified; the leader's objective does not move them."""
    game = _revenue_leader_game(data)
    assert game.is_market and game.is_stackelberg
    result = gamecore.solve(game, strategy, progress=False)
    assert result.equilibrium == "market"
    assert result.status == "converged" and result.certificate.certified, result.message
    assert "coupling_residual" in result.certificate.required
    prices, _, _ = data.closed_form()
    for k, carrier in enumerate(CARRIERS):
        np.testing.assert_allclose(result.signals[f"{carrier}_price"], prices[k], rtol=0, atol=PRICE_ATOL)
    # the objective is evaluated at the answer (revenue = Σ p_elec · Σ_i elec_i, minimisation form), and said to be
    revenue = float(np.sum(result.signals["elec_price"] * sum(out["elec"] for out in result.outputs.values())))
    assert result.objectives == pytest.approx([-revenue], rel=1e-9)
    assert "objectives ['revenue'] are evaluated at the market equilibrium" in result.message


def test_kkt_refuses_a_leader_with_couplings(data) -> None:
    with pytest.raises(StrategyError, match="kkt.*market couplings"):
        gamecore.solve(_revenue_leader_game(data), "kkt", progress=False)


def test_nsga_qp_refuses_a_leader_with_couplings(data) -> None:
    with pytest.raises(StrategyError, match="coupling"):
        gamecore.get_strategy("nsga-qp").check(_revenue_leader_game(data))
