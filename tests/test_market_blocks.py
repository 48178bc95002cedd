"""The market building blocks of :mod:`gamecore.market`, against hand computations and closed forms.

The linear-quadratic game: consumers i with utility ``a_i d − ½ b d²`` (a = 50/60/70, b = 3,
0 ≤ d ≤ 100) buy at price p from a supplier with cost ``10 s + ½ s²``, 0 ≤ s ≤ 30. Where
every consumer buys and the supply is interior (10 ≤ p ≤ 40):

* d_i(p) = (a_i − p)/3, φ_i(p) = −(a_i − p)²/6;  s(p) = p − 10, ψ(p) = −(p − 10)²/2;
* excess g(p) = Σ d_i − s = 70 − 2p (slope −2), cleared at p* = 35, s* = 25;
* D(p*) = P* = −2075/6 − 312.5.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore.canonical import Response
from gamecore.errors import GameError, StrategyError
from gamecore.game import SUPPLY
from gamecore.market import (MIN_MOVE, PROBE_FRACTION, Balance, best_supplies, centralized_bound, coupling_balance,
                             coupling_flows, coupling_residual, coupling_totals, dual_value, price_mask, probe_delta,
                             probe_vector, require_priced, secant_slopes, unpriced_signals)
from gamecore.pool import FollowerPool
from gamecore.strategy import SolveContext

A = (50.0, 60.0, 70.0)


def _consumer(name: str, a: float, periods: int = 1, extra: dict | None = None) -> gamecore.Follower:
    price = cp.Parameter(periods)
    d = cp.Variable(periods)
    signals = {"price": price, **(extra or {})}
    return gamecore.Follower(name, cp.Minimize(-(a * cp.sum(d) - 1.5 * cp.sum_squares(d)) + price @ d),
                             [d >= 0, d <= 100], signals, {"demand": d})


def _lq_game() -> gamecore.Game:
    coupling = gamecore.MarketCoupling("balance", "price", "demand",
                                       supply_cost=lambda s: 10 * cp.sum(s) + 0.5 * cp.sum_squares(s),
                                       supply_constraints=lambda s: [s >= 0, s <= 30])
    leader = gamecore.Leader([gamecore.Signal("price", (1,), 0.0, 100.0)], couplings=[coupling])
    return gamecore.Game(leader, [_consumer(f"c{i}", a) for i, a in enumerate(A)], name="lq")


def _response(**outputs: list[float]) -> Response:
    return Response("optimal", {k: np.asarray(v, float) for k, v in outputs.items()}, 0.0, 0.0, 0)


# ------------------------------------------------------------------ residual and balance
def test_coupling_residual_hand_computed() -> None:
    # ‖[3, −1] − [1, 0]‖∞ = 2 over max(1, ‖[5, 1]‖∞ = 5, ‖[1, 0]‖∞ = 1) = 5
    assert coupling_residual(np.array([3.0, -1.0]), np.array([5.0, 1.0]), np.array([1.0, 0.0])) == 0.4
    # the floor of one output unit: 0.5 / max(1, 0.5, 0)
    assert coupling_residual(np.array([0.5]), np.array([0.5]), np.array([0.0])) == 0.5
    # the supply sets the scale when it is the largest: |4 − 8| / 8
    assert coupling_residual(np.array([4.0]), np.array([4.0]), np.array([8.0])) == 0.5
    assert coupling_residual(np.array([np.nan]), np.array([1.0]), np.array([0.0])) == np.inf
    assert coupling_residual(np.array([1.0]), np.array([1.0]), np.array([np.inf])) == np.inf


def test_flows_totals_and_balance_of_restricted_senders() -> None:
    """Only the coupling's own followers count; buyers and sellers net in the total, not the volume."""
    d = cp.Variable(2)   # c1 does not trade on this market: it pays no price and is not a sender
    outsider = gamecore.Follower("c1", cp.Minimize(cp.sum_squares(d - 1)), [], {}, {"demand": d})
    followers = [_consumer("c0", A[0], periods=2), outsider, _consumer("c2", A[2], periods=2)]
    coupling = gamecore.MarketCoupling("balance", "price", "demand", followers=("c0", "c2"))
    game = gamecore.Game(gamecore.Leader([gamecore.Signal("price", (2,), 0.0, 100.0)], couplings=[coupling]),
                         followers, name="restricted")
    responses = [_response(demand=[2.0, -3.0]), _response(demand=[100.0, 100.0]), _response(demand=[5.0, 1.0])]
    flows = coupling_flows(game, coupling, responses)
    assert flows.shape == (2, 2)
    np.testing.assert_array_equal(flows, [[2.0, -3.0], [5.0, 1.0]])
    total, volume = coupling_totals(game, coupling, responses)
    np.testing.assert_array_equal(total, [7.0, -2.0])
    np.testing.assert_array_equal(volume, [7.0, 4.0])
    balance = coupling_balance(game, coupling, responses, np.array([6.0, 0.0]))
    assert isinstance(balance, Balance)
    np.testing.assert_array_equal(balance.excess, [1.0, -2.0])
    assert balance.residual == 2.0 / 7.0          # ‖[1, −2]‖∞ / max(1, 7, 6)
    first = coupling_balance(game, coupling, responses, np.array([6.0, 0.0]), entries=slice(0, 1))
    np.testing.assert_array_equal(first.total, [7.0])
    np.testing.assert_array_equal(first.excess, [1.0])
    assert first.residual == 1.0 / 7.0
    second = coupling_totals(game, coupling, responses, entries=slice(1, 2))
    np.testing.assert_array_equal(second[0], [-2.0])
    np.testing.assert_array_equal(second[1], [4.0])


def test_market_point_excess_and_residual_match_closed_form() -> None:
    game = _lq_game()
    with FollowerPool(game, n_jobs=1) as pool:
        ctx = SolveContext(game, pool, None, 0, False)
        point = ctx.market_point(np.array([20.0]))
    # d = (10, 40/3, 50/3), Σ = 40, s = 10: excess 30, residual 30 / max(1, 40, 10)
    assert point.excess[0] == pytest.approx(30.0, abs=1e-5)
    assert point.residual == pytest.approx(30.0 / 40.0, abs=1e-6)
    assert point.supplies["balance"].outputs[SUPPLY][0] == pytest.approx(10.0, abs=1e-5)


# ------------------------------------------------------------------ dual value and bound
@pytest.mark.parametrize("p", [20.0, 35.0])
def test_dual_value_matches_closed_form(p: float) -> None:
    game = _lq_game()
    vector = np.array([p])
    with FollowerPool(game, n_jobs=1) as pool:
        best = pool.respond(vector, keep_x=True)
    supplies = best_supplies(game, vector)
    assert set(supplies) == {"balance"}
    assert supplies["balance"].outputs[SUPPLY][0] == pytest.approx(p - 10.0, abs=1e-5)
    expected = -sum((a - p) ** 2 for a in A) / 6.0 - (p - 10.0) ** 2 / 2.0
    assert dual_value(game, best, supplies) == pytest.approx(expected, rel=1e-7)


def test_dual_value_sums_followers_then_couplings() -> None:
    game = _lq_game()
    best = [Response("optimal", {}, v, 0.0, 0) for v in (-1.0, -2.5, 4.0)]
    assert dual_value(game, best, {"balance": Response("optimal", {}, -0.25, 0.0, 0)}) == 0.25


def test_centralized_bound_is_the_dual_value_at_the_clearing_price() -> None:
    game = _lq_game()
    bound = centralized_bound(game)
    assert bound == pytest.approx(-2075.0 / 6.0 - 312.5, rel=1e-7)
    with FollowerPool(game, n_jobs=1) as pool:
        best = pool.respond(np.array([35.0]), keep_x=True)
    assert dual_value(game, best, best_supplies(game, np.array([35.0]))) == pytest.approx(bound, rel=1e-7)


# ------------------------------------------------------------------ priced signals
def _game_with_tariff() -> gamecore.Game:
    tariff = cp.Parameter(1)
    followers = [_consumer("c0", 50.0, periods=2, extra={"tariff": tariff})]
    coupling = gamecore.MarketCoupling("balance", "price", "demand")
    leader = gamecore.Leader([gamecore.Signal("tariff", (1,), 0.0, 1.0), gamecore.Signal("price", (2,), 0.0, 9.0)],
                             couplings=[coupling])
    return gamecore.Game(leader, followers, name="tariffed")


def test_price_mask_and_unpriced_signals() -> None:
    game = _game_with_tariff()
    np.testing.assert_array_equal(price_mask(game), [False, True, True])
    assert unpriced_signals(game) == ["tariff"]
    assert unpriced_signals(_lq_game()) == []
    require_priced(_lq_game(), "a test")     # every signal priced: no error


def test_require_priced_names_the_signals_and_raises_the_given_error() -> None:
    game = _game_with_tariff()
    with pytest.raises(GameError, match=r"signals \['tariff'\] price no market coupling; a test needs"):
        require_priced(game, "a test")
    with pytest.raises(StrategyError, match="tariff"):
        require_priced(game, "a test", StrategyError)
    with pytest.raises(GameError, match="the centralized welfare problem needs"):
        gamecore.solve_centralized(game)
    assert centralized_bound(game) is None


# ------------------------------------------------------------------ price probe
def test_probe_delta_is_one_percent_of_the_range_on_priced_entries() -> None:
    lower = np.array([0.0, -10.0, 5.0, 0.0])
    upper = np.array([100.0, 10.0, np.inf, 1.0])
    at = np.array([50.0, 0.0, 300.0, 0.5])
    mask = np.array([True, True, True, False])
    delta = probe_delta(lower, upper, at, mask)
    assert PROBE_FRACTION == 0.01
    np.testing.assert_allclose(delta, [1.0, 0.2, 3.0, 0.0], rtol=1e-15)   # infinite range: 1 % of |at|
    np.testing.assert_array_equal(probe_delta(np.array([-np.inf]), np.array([np.inf]), np.array([0.2]),
                                              np.array([True])), [0.01])  # ... with a floor of 1


def test_probe_vector_steps_down_and_turns_up_only_when_nothing_moves() -> None:
    lower, upper = np.zeros(2), np.full(2, 10.0)
    delta = np.array([1.0, 1.0])
    np.testing.assert_array_equal(probe_vector(np.array([5.0, 0.0]), lower, upper, delta), [4.0, 0.0])
    np.testing.assert_array_equal(probe_vector(np.array([0.0, 0.0]), lower, upper, delta), [1.0, 1.0])
    np.testing.assert_array_equal(probe_vector(np.array([0.5, 9.5]), lower, upper, delta), [0.0, 8.5])
    # an unprobed entry (delta 0) never moves and does not count as "moved"
    np.testing.assert_array_equal(probe_vector(np.array([0.0, 5.0]), lower, upper, np.array([1.0, 0.0])),
                                  [1.0, 5.0])


def test_secant_slopes_hand_computed() -> None:
    p0 = np.array([10.0, 10.0, 10.0, 10.0])
    p1 = np.array([9.0, 10.0, 10.0 - MIN_MOVE / 2, 8.0])
    g0 = np.array([4.0, 1.0, 1.0, 3.0])
    g1 = np.array([6.0, 5.0, 2.0, 1.0])
    slopes = secant_slopes(p0, g0, p1, g1, np.array([True, True, True, False]))
    np.testing.assert_array_equal(slopes, [2.0, 0.0, 0.0, 0.0])


@pytest.mark.parametrize("start,expected", [(20.0, 2.0), (50.0, 1.0)])
def test_probe_slopes_measure_the_excess_slope(start: float, expected: float) -> None:
    """Interior at p = 20: |g'| = 3·(1/3) + 1 = 2 (probe to 19). At the midpoint 50 the
    capacity binds (s = 30 at 49 and 50) and Σd goes from 10 to 11: slope 1 (probe to 49)."""
    game = _lq_game()
    with FollowerPool(game, n_jobs=1) as pool:
        ctx = SolveContext(game, pool, None, 0, False)
        slopes, delta = ctx.probe_slopes(ctx.market_point(np.array([start])))
    np.testing.assert_array_equal(delta, [1.0])
    assert slopes[0] == pytest.approx(expected, abs=1e-4)   # c0 sits at its kink d = 0 at p = 50
