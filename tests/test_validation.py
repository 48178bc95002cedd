"""Ill-defined games fail early and clearly; failures at solve time name the follower.

Every construction error is a :class:`GameDefinitionError` whose ``agent`` and ``field``
point at the culprit. Solve-time failures surface as :class:`FollowerSolveError` (direct
``respond``) or as a ``"failed"`` result whose message names the follower.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

import gamecore
from gamecore import (Follower, FollowerSolveError, Game, GameDefinitionError, Leader, MarketCoupling, Signal,
                      StrategyError)

T = 3


def consumer(name: str = "alice", periods: int = T, *, a: float = 50.0, objective=None, constraints=None,
             outputs=None, price: cp.Parameter | None = None) -> Follower:
    """A consumer ``min −(a·Σd − ½‖d‖²) + price·d, 0 ≤ d ≤ 10`` with optional replacements."""
    price = price if price is not None else cp.Parameter(periods, name="price")
    d = cp.Variable(periods, name="d")
    obj = objective(price, d) if objective is not None else cp.Minimize(-(a * cp.sum(d) - 0.5 * cp.sum_squares(d))
                                                                         + price @ d)
    cons = constraints(price, d) if constraints is not None else [d >= 0, d <= 10]
    outs = outputs(d) if outputs is not None else {"demand": d}
    return Follower(name, obj, cons, {"price": price}, outs)


def market_leader(periods: int = T, output: str = "demand", lower: float = 0.0, upper: float = 100.0,
                  supply: bool = True) -> Leader:
    coupling = MarketCoupling("balance", "price", output,
                              supply_cost=(lambda s: 10 * cp.sum(s) + cp.sum_squares(s)) if supply else None,
                              supply_constraints=(lambda s: [s >= 0, s <= 40]) if supply else None)
    return Leader([Signal("price", (periods,), lower, upper)], couplings=[coupling], name="market")


def raises_definition_error(agent: str, field: str, *words: str):
    """Context manager: a GameDefinitionError naming ``agent`` and ``field`` (and ``words``)."""
    return _Expect(agent, field, words)


class _Expect:
    def __init__(self, agent: str, field: str, words: tuple[str, ...]) -> None:
        self.agent, self.field, self.words = agent, field, words
        self._ctx = pytest.raises(GameDefinitionError)

    def __enter__(self):
        self.info = self._ctx.__enter__()
        return self.info

    def __exit__(self, *exc):
        suppressed = self._ctx.__exit__(*exc)
        err = self.info.value
        assert err.agent == self.agent, str(err)
        assert err.field == self.field, str(err)
        message = str(err)
        assert self.agent in message and self.field in message
        for word in self.words:
            assert word.lower() in message.lower(), message
        return suppressed


# =====================================================================================
# Construction errors
# =====================================================================================
def test_valid_game_builds() -> None:
    game = Game(market_leader(), [consumer("alice"), consumer("bob", a=40.0)])
    assert game.is_market and game.n_followers == 2 and game.layout.size == T


def test_signal_shape_mismatch_names_follower_and_signal() -> None:
    with raises_definition_error("alice", "signals['price']", "(2,)", "(3,)"):
        Game(market_leader(periods=3), [consumer("alice", periods=2)])


def test_unknown_signal_names_follower() -> None:
    tariff = cp.Parameter(T, name="tariff")
    d = cp.Variable(T)
    follower = Follower("carol", cp.Minimize(cp.sum_squares(d) + tariff @ d), [d >= 0], {"tariff": tariff},
                        {"demand": d})
    with raises_definition_error("carol", "signals['tariff']", "no such signal"):
        Game(Leader([Signal("price", (T,), 0.0, 1.0)]), [follower])


def test_nan_in_follower_data() -> None:
    with raises_definition_error("alice", "data", "nan"):
        consumer(constraints=lambda p, d: [d >= 0, d <= np.array([10.0, np.nan, 10.0])])


def test_inf_in_follower_data() -> None:
    with raises_definition_error("alice", "data", "inf"):
        consumer(objective=lambda p, d: cp.Minimize(cp.sum_squares(d) + np.array([1.0, np.inf, 1.0]) @ d + p @ d))


def test_nan_in_frozen_parameter() -> None:
    weights = cp.Parameter(T, name="weights")
    weights.value = np.ones(T)
    follower_objective = lambda p, d: cp.Minimize(cp.sum_squares(d) + weights @ d + p @ d)  # noqa: E731
    consumer(objective=follower_objective)          # fine with a finite value
    weights.value = np.array([1.0, np.inf, 1.0])
    with raises_definition_error("alice", "parameters['weights']", "inf"):
        consumer(objective=follower_objective)


def test_non_dcp_follower() -> None:
    with raises_definition_error("alice", "objective", "convex"):
        consumer(objective=lambda p, d: cp.Maximize(cp.sum_squares(d) + p @ d))


def test_non_dcp_constraint_names_its_index() -> None:
    with raises_definition_error("alice", "constraints[1]", "convex"):
        consumer(constraints=lambda p, d: [d >= 0, cp.sum_squares(d) >= 1])


@pytest.mark.parametrize("objective", [
    lambda p, d: cp.Minimize(cp.sum_squares(d) + cp.multiply(p, p) @ d),     # price * price
    lambda p, d: cp.Minimize(cp.sum_squares(d) + p @ d + p @ p),              # price · price
    lambda p, d: cp.Minimize(cp.sum_squares(d) + cp.exp(p) @ d),              # price inside a nonlinear atom
], ids=["price*price", "price@price", "exp(price)@d"])
def test_non_dpp_follower(objective) -> None:
    with raises_definition_error("alice", "objective", "DPP"):
        consumer(objective=objective)


def test_signal_multiplying_a_variable_inside_a_nonlinear_atom() -> None:
    # DPP for cvxpy, but the signal would multiply the variable inside the conic data
    with raises_definition_error("alice", "constraints", "multiplies a variable"):
        consumer(objective=lambda p, d: cp.Minimize(cp.sum_squares(cp.multiply(p, d)) + p @ d))


def test_parameter_without_value_that_is_not_a_signal() -> None:
    forgotten = cp.Parameter(T, name="tariff")
    with raises_definition_error("alice", "parameters['tariff']", "no value", "signal"):
        consumer(objective=lambda p, d: cp.Minimize(cp.sum_squares(d) + forgotten @ d + p @ d))


def test_signal_lower_bound_above_upper_bound() -> None:
    with raises_definition_error("leader", "signals['price'].lower", "above"):
        Signal("price", (T,), np.array([0.0, 5.0, 0.0]), np.array([1.0, 4.0, 1.0]))


def test_signal_nan_bound() -> None:
    with raises_definition_error("leader", "signals['price'].upper", "nan"):
        Signal("price", (T,), 0.0, np.nan)


def test_duplicate_follower_names() -> None:
    with raises_definition_error("alice", "name", "share"):
        Game(market_leader(), [consumer("alice"), consumer("bob"), consumer("alice")])


def test_coupling_output_nobody_sends() -> None:
    with raises_definition_error("market", "couplings['balance'].output", "heat"):
        Game(market_leader(output="heat"), [consumer("alice")])


def test_follower_missing_payment_term() -> None:
    honest = consumer("alice")
    free_rider = consumer("bob", objective=lambda p, d: cp.Minimize(-(50 * cp.sum(d) - 0.5 * cp.sum_squares(d))))
    with raises_definition_error("bob", "objective", "price", "balance"):
        Game(market_leader(), [honest, free_rider])


def test_follower_paying_twice_is_rejected() -> None:
    greedy = consumer("bob", objective=lambda p, d: cp.Minimize(-(50 * cp.sum(d) - 0.5 * cp.sum_squares(d))
                                                                 + 2 * p @ d))
    with raises_definition_error("bob", "objective", "coefficient +1"):
        Game(market_leader(), [greedy])


def test_payment_through_an_equality_is_accepted() -> None:
    # the payment is on an auxiliary variable equal to the output: same dependence on the price
    price = cp.Parameter(T, name="price")
    d, z = cp.Variable(T), cp.Variable(T)
    follower = Follower("dora", cp.Minimize(cp.sum_squares(d) - 30 * cp.sum(d) + price @ z), [z == d, d >= 0],
                        {"price": price}, {"demand": d})
    Game(market_leader(), [follower])


def test_output_expression_not_affine() -> None:
    with raises_definition_error("alice", "outputs['demand']", "affine"):
        consumer(outputs=lambda d: {"demand": cp.square(d)})


def test_output_depending_on_a_parameter() -> None:
    scale = cp.Parameter(nonneg=True, value=2.0)
    with raises_definition_error("alice", "outputs['demand']", "parameter"):
        consumer(outputs=lambda d: {"demand": scale * d})


def test_output_shape_differs_from_price_shape() -> None:
    with raises_definition_error("alice", "outputs['demand']", "shape"):
        Game(market_leader(), [consumer(outputs=lambda d: {"demand": cp.sum(d)})])


def test_coupling_with_unknown_signal() -> None:
    with raises_definition_error("market", "couplings['balance'].signal", "tariff"):
        Leader([Signal("price", (T,), 0.0, 1.0)], couplings=[MarketCoupling("balance", "tariff", "demand")],
               name="market")


# =====================================================================================
# Solve-time failures
# =====================================================================================
def rhs_follower(name: str = "erin") -> Follower:
    """Needs d ≥ price − 10 but can buy at most 5: feasible iff every price ≤ 15."""
    return consumer(name, constraints=lambda p, d: [d >= p - 10, d <= 5, d >= 0])


def test_follower_feasibility_depends_on_signal() -> None:
    follower = rhs_follower()
    ok = follower.respond({"price": np.array([12.0, 14.0, 15.0])})
    assert ok.ok
    np.testing.assert_allclose(ok.outputs["demand"], [5.0, 5.0, 5.0], atol=1e-6)   # a − p > 5 here
    with pytest.raises(FollowerSolveError) as info:
        follower.respond({"price": np.array([12.0, 40.0, 15.0])})
    err = info.value
    assert err.follower == "erin" and err.status == "infeasible"
    np.testing.assert_allclose(err.signals["price"], [12.0, 40.0, 15.0])
    assert "erin" in str(err) and "infeasible" in str(err) and "40" in str(err)


def test_price_in_a_follower_constraint_is_refused_in_a_market_game() -> None:
    """A price-dependent feasible set breaks the duality every market strategy relies on."""
    with pytest.raises(GameDefinitionError, match=r"erin: constraints\[0\]: depends on price 'price'"):
        Game(market_leader(), [consumer("alice"), rhs_follower("erin")])


def test_infeasible_follower_at_every_signal() -> None:
    stubborn = consumer("frank", constraints=lambda p, d: [d >= 6, d <= 5])
    with pytest.raises(FollowerSolveError, match="frank"):
        stubborn.respond({"price": np.zeros(T)})
    result = gamecore.solve(Game(market_leader(), [consumer("alice"), stubborn]), "subgradient", progress=False)
    assert result.status == "failed" and "frank" in result.message


def test_unbounded_follower() -> None:
    # linear utility, no upper bound: buys without limit whenever the price is below 50
    greedy = consumer("gina", objective=lambda p, d: cp.Minimize(-50 * cp.sum(d) + p @ d),
                      constraints=lambda p, d: [d >= 0])
    with pytest.raises(FollowerSolveError) as info:
        greedy.respond({"price": np.full(T, 20.0)})
    assert info.value.status == "unbounded" and info.value.follower == "gina"
    bounded = greedy.respond({"price": np.full(T, 60.0)})          # above 50 it buys nothing
    np.testing.assert_allclose(bounded.outputs["demand"], 0.0, atol=1e-7)
    result = gamecore.solve(Game(market_leader(), [consumer("alice"), greedy]), "bisection", progress=False)
    assert result.status == "failed"
    assert "gina" in result.message and "unbounded" in result.message


# =====================================================================================
# Strategy and option errors
# =====================================================================================
def test_unknown_strategy_lists_available(market_case: gamecore.Case) -> None:
    with pytest.raises(StrategyError) as info:
        gamecore.solve(market_case, "simulated-annealing")
    message = str(info.value)
    assert "simulated-annealing" in message
    for name in gamecore.available_strategies():
        assert name in message


def test_unknown_option_lists_valid_options(market_case: gamecore.Case) -> None:
    with pytest.raises(StrategyError) as info:
        gamecore.solve(market_case, "bisection", max_iters=10)
    message = str(info.value)
    assert "max_iters" in message
    for option in ("max_iter", "tol", "price_tol"):
        assert option in message


@pytest.mark.parametrize("options", [
    {"max_iter": "a"}, {"max_iter": 2.5}, {"max_iter": 0}, {"max_iter": True},
    {"tol": -1}, {"tol": float("nan")}, {"tol": "small"},
], ids=["max_iter=str", "max_iter=float", "max_iter=0", "max_iter=bool", "tol<0", "tol=nan", "tol=str"])
def test_bad_option_value(market_case: gamecore.Case, options: dict) -> None:
    name, value = next(iter(options.items()))
    with pytest.raises(StrategyError, match=name):
        gamecore.solve(market_case, "subgradient", **options)


def test_bad_string_option(market_case: gamecore.Case) -> None:
    with pytest.raises(StrategyError, match="step_rule"):
        gamecore.solve(market_case, "subgradient", step_rule="newton")


def test_market_strategy_on_game_without_coupling(stackelberg_case: gamecore.Case) -> None:
    with pytest.raises(StrategyError, match="market"):
        gamecore.solve(stackelberg_case, "bisection")
