"""The ADMM split: ``admm-exchange`` (market games), ``admm-mccormick`` (Stackelberg games) and
the alias ``admm`` that picks one by the game.

Each specific name refuses the other kind of game, naming the other strategy; each has only
its own options; the alias accepts the union, refuses an option of the algorithm it does not
run unless it is at its default, and gives bit-identical results to the specific name.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

import gamecore
from gamecore.errors import StrategyError
from gamecore.registry import available_strategies, is_alias
from strategies.admm import (
    ADMM,
    MCCORMICK_ONLY,
    ADMMExchange,
    ADMMMcCormick,
    ADMMOptions,
    ExchangeOptions,
    McCormickOptions,
)

SHARED = ("max_iter", "rho", "eps_abs", "eps_rel", "balance", "mu", "tau", "time_limit")


@pytest.fixture
def market(market_case: gamecore.Case) -> gamecore.Case:
    return market_case


@pytest.fixture
def stackelberg(stackelberg_case: gamecore.Case) -> gamecore.Case:
    return stackelberg_case


def _names(cls: type) -> set[str]:
    return {f.name for f in dataclasses.fields(cls)}


# ------------------------------------------------------------------------------ registry
def test_registry_lists_the_two_algorithms_and_the_alias() -> None:
    registry = available_strategies()
    assert registry["admm"] is ADMM
    assert registry["admm-exchange"] is ADMMExchange and ADMMExchange.equilibrium == "market"
    assert registry["admm-mccormick"] is ADMMMcCormick and ADMMMcCormick.equilibrium == "stackelberg"
    assert is_alias(ADMM) and ADMM.alias_of == ("admm-exchange", "admm-mccormick")
    assert not is_alias(ADMMExchange) and not is_alias(ADMMMcCormick)
    plain = available_strategies(aliases=False)
    assert "admm" not in plain and {"admm-exchange", "admm-mccormick", "bisection", "kkt"} <= set(plain)


# ------------------------------------------------------------------------------ options
def test_each_algorithm_has_only_its_own_options() -> None:
    assert _names(ExchangeOptions) == set(SHARED)
    assert _names(McCormickOptions) == set(SHARED) | set(MCCORMICK_ONLY)
    assert len(MCCORMICK_ONLY) == 11
    assert _names(ADMMOptions) == _names(McCormickOptions)      # the alias: the union
    with pytest.raises(StrategyError, match=r"admm-exchange.*unknown option.*relax_tol"):
        ADMMExchange(relax_tol=1e-3)
    assert ADMMMcCormick(relax_tol=1e-3).options.relax_tol == 1e-3


def test_default_tolerances_per_algorithm() -> None:
    assert ExchangeOptions().tolerances() == (1e-6, 1e-6)
    assert McCormickOptions().tolerances() == (1e-5, 1e-4)
    assert ExchangeOptions(eps_abs=1e-3).tolerances() == (1e-3, 1e-6)
    assert ADMMOptions().tolerances("market") == (1e-6, 1e-6)
    assert ADMMOptions().tolerances("stackelberg") == (1e-5, 1e-4)


@pytest.mark.parametrize("bad", [{"rho": -1.0}, {"tau": 1.0}, {"mu": 0.5}, {"max_iter": 0}, {"eps_rel": -1.0}])
def test_shared_option_values_are_validated_by_both(bad: dict) -> None:
    name = next(iter(bad))
    for cls in (ADMMExchange, ADMMMcCormick, ADMM):
        with pytest.raises(StrategyError, match=name):
            cls(**bad)


@pytest.mark.parametrize("option, value", [("relax_tol", 1e-3), ("max_rounds", 5), ("factor", 0.25), ("obbt", False),
                                           ("obbt_passes", 1), ("expand", 3.0), ("samples", 0),
                                           ("round_iter", 100)])
def test_alias_refuses_a_mccormick_option_on_a_market_game(market: gamecore.Case, option: str, value) -> None:
    with pytest.raises(StrategyError, match=rf"{option}={value!r} belong to 'admm-mccormick'.*runs 'admm-exchange'"):
        gamecore.solve(market, "admm", progress=False, **{option: value})


def test_alias_accepts_mccormick_options_at_their_defaults_on_a_market_game(market: gamecore.Case) -> None:
    defaults = {f.name: f.default for f in dataclasses.fields(McCormickOptions) if f.name in MCCORMICK_ONLY}
    alias = gamecore.solve(market, "admm", progress=False, **defaults)
    plain = gamecore.solve(market, "admm-exchange", progress=False)
    assert alias.status == "converged", alias.message
    assert np.array_equal(alias.signals["price"], plain.signals["price"])


# ------------------------------------------------------------------------------ refusals
def test_exchange_refuses_a_stackelberg_game_naming_mccormick(stackelberg: gamecore.Case) -> None:
    with pytest.raises(StrategyError, match=r"'admm-exchange'.*has none.*use 'admm-mccormick'"):
        gamecore.solve(stackelberg, "admm-exchange", progress=False)


def test_mccormick_refuses_a_market_game_naming_exchange(market: gamecore.Case) -> None:
    with pytest.raises(StrategyError, match=r"'admm-mccormick'.*market couplings.*use 'admm-exchange'"):
        gamecore.solve(market, "admm-mccormick", progress=False)


def test_alias_check_picks_by_game(market: gamecore.Case, stackelberg: gamecore.Case) -> None:
    alias = ADMM()
    assert isinstance(alias.algorithm(market.game), ADMMExchange)
    assert isinstance(alias.algorithm(stackelberg.game), ADMMMcCormick)
    alias.check(market.game)
    alias.check(stackelberg.game)


# ------------------------------------------------------------------------------ results
@pytest.mark.parametrize("kwargs", [{}, {"rho": 3.0, "balance": False, "max_iter": 40}])
def test_alias_and_exchange_are_bit_identical_on_a_market(market: gamecore.Case, kwargs: dict) -> None:
    alias = gamecore.solve(market, "admm", progress=False, seed=3, **kwargs)
    plain = gamecore.solve(market, "admm-exchange", progress=False, seed=3, **kwargs)
    assert alias.strategy == "admm" and plain.strategy == "admm-exchange"
    assert alias.extra["algorithm"] == plain.extra["algorithm"] == "admm-exchange"
    assert alias.equilibrium == plain.equilibrium == "market"
    _assert_identical(alias, plain)
    if not kwargs:
        assert alias.status == "converged", alias.message


def test_alias_and_mccormick_are_bit_identical_on_a_stackelberg_game(stackelberg: gamecore.Case) -> None:
    alias = gamecore.solve(stackelberg, "admm", progress=False, seed=1)
    plain = gamecore.solve(stackelberg, "admm-mccormick", progress=False, seed=1)
    assert alias.strategy == "admm" and plain.strategy == "admm-mccormick"
    assert alias.extra["algorithm"] == plain.extra["algorithm"] == "admm-mccormick"
    assert alias.equilibrium == plain.equilibrium == "stackelberg"
    assert alias.status == "converged", alias.message
    _assert_identical(alias, plain)
    assert alias.extra["rounds"] == plain.extra["rounds"]


def _assert_identical(a: gamecore.Result, b: gamecore.Result) -> None:
    assert a.status == b.status and a.iterations == b.iterations
    assert a.objective == b.objective
    for name in a.signals:
        assert np.array_equal(a.signals[name], b.signals[name])
    assert len(a.history) == len(b.history)
    for ha, hb in zip(a.history, b.history):
        assert ha.keys() == hb.keys()
        for key in ha:
            assert np.array_equal(ha[key], hb[key]), key
    assert a.extra["rho"] == b.extra["rho"]
