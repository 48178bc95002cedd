"""Hostile inputs (issue 9), sizes and settings: items 8, 12, 13.

* Item 8 (sizes): a case size or an ``nsga-qp`` population whose estimated memory exceeds the
  limit of :mod:`gamecore.limits` is refused up front, naming the limit and how to raise it;
  the closed forms of the analytic cases are no longer quadratic in the number of agents.
  The resource cases run with a limit of a few MB (``GAMECORE_MAX_MEMORY_GB`` or
  ``max_memory_gb=``), so a modest size is refused at once and nothing is allocated.
* Item 12: follower ``solver_options`` are checked against Clarabel's settings when the
  follower is constructed (``GameDefinitionError`` naming the follower and the key).
* Item 13 (rest): every case generator, called directly too, checks its sizes and seed in one
  place, the message naming the argument.

Each test failed (or hung) before the change and passes after it.
"""

from __future__ import annotations

import time
import tracemalloc
from typing import Any, Callable

import cvxpy as cp
import numpy as np
import pytest
from typer.testing import CliRunner

import gamecore
from gamecore import GameDefinitionError, StrategyError, cli
from gamecore.cases import analytic_market, analytic_stackelberg, ieh
from gamecore.cases.ieh import data as ieh_data
from gamecore.errors import ResourceLimitError
from gamecore.limits import MEMORY_ENV, memory_limit_bytes

#: a limit of a few MB: the sizes below are modest (built in seconds before the change) yet refused
SMALL_LIMIT_GB = "0.004"


def _refused_quickly(call: Callable[[], Any], error: type[Exception]) -> Exception:
    """Run ``call``, which must raise ``error`` within 1 s having allocated < 1 MB (Python heap:
    numpy arrays included), i.e. before any data was drawn; return the error."""
    tracemalloc.start()
    start = time.perf_counter()
    try:
        with pytest.raises(error) as info:
            call()
        elapsed = time.perf_counter() - start
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert elapsed < 1.0, f"refusal took {elapsed:.2f} s"
    assert peak < 1e6, f"{peak / 1e6:.1f} MB allocated before the refusal"
    return info.value


# ------------------------------------------------------------------ item 8: case sizes
@pytest.mark.parametrize("name,agents", [("analytic-market", 2000), ("analytic-stackelberg", 2000), ("ieh", 200)])
def test_case_too_large_for_the_memory_limit_is_refused_up_front(monkeypatch: pytest.MonkeyPatch, name: str,
                                                                  agents: int) -> None:
    monkeypatch.setenv(MEMORY_ENV, SMALL_LIMIT_GB)
    err = _refused_quickly(lambda: gamecore.make_case(name, agents=agents), ResourceLimitError)
    message = str(err)
    assert isinstance(err, ValueError) and isinstance(err, gamecore.GameError)
    assert f"case '{name}'" in message and f"agents={agents}" in message
    assert "0.004 GB" in message and f"{MEMORY_ENV}=0.004" in message       # the limit and where it comes from
    assert "max_memory_gb=" in message and f"environment variable {MEMORY_ENV}" in message   # how to raise it
    assert err.estimate_bytes > err.limit_bytes == 4_000_000


def test_ten_million_agents_are_refused_at_the_default_limit() -> None:
    """The issue's ``agents=10**7`` (ran until killed): refused at once by the default limit."""
    for name in ("analytic-market", "analytic-stackelberg", "ieh"):
        err = _refused_quickly(lambda name=name: gamecore.make_case(name, agents=10**7), ResourceLimitError)
        assert "agents=10000000" in str(err) and "half of this machine's" in str(err)


def test_huge_periods_are_refused_too(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_ENV, SMALL_LIMIT_GB)
    err = _refused_quickly(lambda: gamecore.make_case("analytic-market", agents=2, periods=50_000), ResourceLimitError)
    assert "periods=50000" in str(err)


def test_max_memory_gb_keyword_overrides_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_ENV, "0.000001")                     # 1 kB: refuses everything
    with pytest.raises(ResourceLimitError, match="GAMECORE_MAX_MEMORY_GB=0.000001"):
        gamecore.make_case("analytic-market", agents=2, periods=2)
    case = gamecore.make_case("analytic-market", agents=2, periods=2, max_memory_gb=1)
    assert len(case.game.followers) == 2
    monkeypatch.delenv(MEMORY_ENV)
    with pytest.raises(ResourceLimitError, match=r"max_memory_gb=0\.001"):
        gamecore.make_case("analytic-market", agents=200, periods=24, max_memory_gb=0.001)


@pytest.mark.parametrize("value", ["lots", "0", "-1", "nan", "inf"])
def test_a_malformed_memory_limit_is_named(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv(MEMORY_ENV, value)
    with pytest.raises(ValueError, match=MEMORY_ENV):
        gamecore.make_case("analytic-market", agents=2, periods=2)
    monkeypatch.delenv(MEMORY_ENV)
    with pytest.raises(ValueError, match="max_memory_gb"):
        gamecore.make_case("analytic-market", agents=2, periods=2, max_memory_gb=value)


def test_default_limit_is_half_the_machine_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    import os
    monkeypatch.delenv(MEMORY_ENV, raising=False)
    physical = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    assert memory_limit_bytes() == physical // 2
    assert memory_limit_bytes(2.5) == 2_500_000_000


@pytest.mark.parametrize("builder,kwargs,word", [
    (ieh_data.make_scenario, {"hubs": 20_000}, "hubs=20000"),
    (ieh.make_ieh_scenario, {"agents": 200}, "agents=200"),
    (ieh.build, {"agents": 200}, "agents=200"),
    (analytic_market.market_data, {"agents": 50_000, "periods": 24, "seed": 0}, "agents=50000"),
    (analytic_stackelberg.stackelberg_data, {"agents": 50_000, "periods": 24, "seed": 0}, "agents=50000"),
    (analytic_market.build, {"agents": 2000}, "agents=2000"),
])
def test_case_generators_called_directly_check_the_limit_too(monkeypatch: pytest.MonkeyPatch, builder: Callable,
                                                             kwargs: dict, word: str) -> None:
    monkeypatch.setenv(MEMORY_ENV, SMALL_LIMIT_GB)
    err = _refused_quickly(lambda: builder(**kwargs), ResourceLimitError)
    assert word in str(err)


def test_cli_refuses_a_huge_case_with_exit_2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(MEMORY_ENV, SMALL_LIMIT_GB)
    start = time.perf_counter()
    res = CliRunner().invoke(cli.app, ["solve", "analytic-market", "-s", "centralized", "--agents", "2000"])
    assert res.exit_code == 2, res.output
    assert "agents=2000" in res.stderr and MEMORY_ENV in res.stderr and "Traceback" not in res.output
    assert time.perf_counter() - start < 5.0


def test_closed_forms_are_not_quadratic_in_the_agents() -> None:
    """50 000 consumers: the data and the exact clearing / monopoly prices within seconds (the
    per-kink evaluation took ≈ 25 s for the market and longer for the monopoly before); the
    rewritten monopoly closed form stays exact (see the brute-force check below)."""
    start = time.perf_counter()
    data = analytic_market.market_data(50_000, 2, seed=0)
    prices, _, _ = analytic_market.closed_form(data)
    sdata = analytic_stackelberg.stackelberg_data(50_000, 2, seed=0)
    sprices, _ = analytic_stackelberg.closed_form(sdata)
    assert time.perf_counter() - start < 5.0
    assert np.all(np.isfinite(prices)) and np.all(np.isfinite(sprices))
    for seed in range(6):
        _assert_best_monopoly_price(seed)


def _assert_best_monopoly_price(seed: int) -> None:
    """The monopoly closed form (sorted cumulative sums), with caps that bind, against a
    brute-force scan of the profit on a fine price grid and at every kink."""
    rng = np.random.default_rng(seed)
    data = analytic_stackelberg.stackelberg_data(6, 2, seed=seed)
    data["dmax"] = data["dmax"] * rng.uniform(0.05, 0.6, data["dmax"].size)      # caps bind at low prices
    prices, profit = analytic_stackelberg.closed_form(data)
    a, b, dmax, c, pmax = data["a"], data["b"], data["dmax"], data["c"], float(data["pmax"])
    total = 0.0
    for t in range(a.shape[1]):
        grid = np.concatenate([np.linspace(c[t], pmax, 20001), np.clip(a[:, t], c[t], pmax),
                               np.clip(a[:, t] - b * dmax, c[t], pmax)])
        values = (grid - c[t]) * np.clip((a[:, t][None, :] - grid[:, None]) / b, 0.0, dmax).sum(axis=1)
        at_price = (prices[t] - c[t]) * np.clip((a[:, t] - prices[t]) / b, 0.0, dmax).sum()
        assert at_price >= values.max() - 1e-9 * max(1.0, values.max())
        total += at_price
    assert profit == pytest.approx(total, rel=1e-12)


# --------------------------------------------------------------- item 8: nsga-qp sizes
def test_nsga_pop_size_too_large_is_a_strategy_error_naming_pop_size_and_the_limit(
        monkeypatch: pytest.MonkeyPatch, stackelberg_case: gamecore.Case) -> None:
    monkeypatch.setenv(MEMORY_ENV, SMALL_LIMIT_GB)
    err = _refused_quickly(lambda: gamecore.solve(stackelberg_case, "nsga-qp", progress=False, pop_size=2000,
                                                  max_iter=1, polish=False), StrategyError)
    message = str(err)
    assert "pop_size=2000" in message and "0.004 GB" in message and MEMORY_ENV in message
    assert "lower pop_size" in message
    assert isinstance(err.__cause__, ResourceLimitError)
    # the default run of the same game fits (pop_size automatic = 20)
    assert gamecore.solve(stackelberg_case, "nsga-qp", progress=False, max_iter=2, polish=False).status != "failed"


def test_nsga_issue_pop_size_is_refused_at_the_default_limit(stackelberg_case: gamecore.Case) -> None:
    """The issue's ``-O pop_size=100000000`` (4 GB in 22 s): refused at once, CLI exit 2."""
    err = _refused_quickly(lambda: gamecore.get_strategy("nsga-qp", pop_size=100_000_000).check(stackelberg_case.game),
                           StrategyError)
    assert "pop_size=100000000" in str(err)
    res = CliRunner().invoke(cli.app, ["solve", "analytic-stackelberg", "-s", "nsga-qp", "--agents", "3",
                                       "--periods", "2", "-O", "pop_size=100000000"])
    assert res.exit_code == 2 and "pop_size=100000000" in res.stderr, res.output


def test_nsga_partitions_driving_the_automatic_population_are_refused(stackelberg_case: gamecore.Case) -> None:
    """Several objectives: a huge ``partitions`` makes the automatic population huge (and used
    to generate every reference direction first)."""
    from gamecore import Leader, LeaderObjective
    game = stackelberg_case.game
    volume = LeaderObjective("volume", cost=lambda s, agg: -cp.sum(agg["demand"]), sense="min")
    two = gamecore.Game(Leader(game.leader.signals, [game.leader.objectives[0], volume]), game.followers)
    err = _refused_quickly(lambda: gamecore.get_strategy("nsga-qp", partitions=10**7).check(two), StrategyError)
    assert "partitions=10000000" in str(err) and "pop_size=0 (automatic" in str(err)


# ------------------------------------------------------------ item 12: solver options
def _consumer(options: Any) -> gamecore.Follower:
    price = cp.Parameter(2, name="price")
    d = cp.Variable(2)
    return gamecore.Follower("alice", cp.Minimize(price @ d + cp.sum_squares(d)), [d >= 0, d <= 3],
                             {"price": price}, {"demand": d}, solver_options=options)


@pytest.mark.parametrize("options,key,words", [
    ({"max_itr": 50}, "max_itr", ["not a Clarabel setting", "did you mean 'max_iter'", "tol_gap_rel"]),
    ({"bogus": 1}, "bogus", ["not a Clarabel setting", "valid settings:"]),
    ({"max_iter": -1}, "max_iter", [">= 1"]),
    ({"max_iter": 0}, "max_iter", [">= 1"]),
    ({"max_iter": 10**30}, "max_iter", ["integer range"]),
    ({"max_iter": 2.5}, "max_iter", ["integer"]),
    ({"max_iter": True}, "max_iter", ["integer"]),
    ({"tol_gap_rel": "x"}, "tol_gap_rel", ["number"]),
    ({"tol_gap_rel": -1e-8}, "tol_gap_rel", [">= 0"]),
    ({"tol_feas": float("nan")}, "tol_feas", ["nan"]),
    ({"tol_feas": float("inf")}, "tol_feas", ["finite"]),
    ({"time_limit": 0}, "time_limit", ["> 0"]),
    ({"max_step_fraction": 2.0}, "max_step_fraction", ["(0, 1]"]),
    ({"verbose": 1}, "verbose", ["True or False"]),
    ({"presolve_enable": True}, "presolve_enable", ["must stay False"]),
    ({"direct_solve_method": 3}, "direct_solve_method", ["string"]),
    ({"pardiso_iparm": [1]}, "pardiso_iparm", ["length 64"]),
    ({"direct_solve_method": "bogus"}, None, ["direct_solve_method"]),
])
def test_bad_solver_options_are_refused_at_construction_naming_follower_and_key(options: dict, key: str | None,
                                                                               words: list[str]) -> None:
    with pytest.raises(GameDefinitionError) as info:
        _consumer(options)
    err = info.value
    assert err.agent == "alice"
    assert err.field == (f"solver_options['{key}']" if key else "solver_options")
    for word in words:
        assert word in str(err), str(err)


def test_solver_options_must_be_a_mapping() -> None:
    with pytest.raises(GameDefinitionError, match=r"alice: solver_options: must be a mapping"):
        _consumer("tol_gap_rel=1e-9")


def test_valid_solver_options_are_normalised_and_used() -> None:
    follower = _consumer({"tol_gap_rel": np.float64(1e-10), "max_iter": np.int64(80), "time_limit": float("inf"),
                          "equilibrate_enable": np.bool_(True), "direct_solve_method": "qdldl"})
    settings = follower.program.settings
    assert settings == {"tol_gap_rel": 1e-10, "max_iter": 80, "time_limit": float("inf"),
                        "equilibrate_enable": True, "direct_solve_method": "qdldl"}
    assert type(settings["max_iter"]) is int and type(settings["equilibrate_enable"]) is bool
    response = follower.respond({"price": np.array([-1.0, 1.0])})
    assert response.ok and np.allclose(response.outputs["demand"], [0.5, 0.0], atol=1e-7)


# ------------------------------------------------------- item 13: sizes and seeds, all cases
@pytest.mark.parametrize("builder,kwargs,word", [
    (ieh.build, {"seed": None}, "seed"),
    (ieh.build, {"seed": "abc"}, "seed"),
    (ieh.build, {"agents": 2.5}, "agents"),
    (ieh.build, {"agents": True}, "agents"),
    (ieh.make_ieh_scenario, {"seed": -1}, "seed"),
    (ieh_data.make_scenario, {"hubs": 2.5}, "hubs"),
    (ieh_data.make_scenario, {"hubs": None}, "hubs"),
    (ieh_data.make_scenario, {"periods": "24"}, "periods"),
    (ieh_data.make_scenario, {"seed": True}, "seed"),
    (ieh_data.make_scenario, {"transformer_cap": "big"}, "transformer_cap"),
    (analytic_market.build, {"agents": np.float64(3.0)}, "agents"),
    (analytic_market.market_data, {"agents": 3, "periods": 4, "seed": "abc"}, "seed"),
    (analytic_stackelberg.build, {"seed": 1.5}, "seed"),
    (analytic_stackelberg.stackelberg_data, {"agents": True, "periods": 4, "seed": 0}, "agents"),
])
def test_case_generators_called_directly_name_the_bad_argument(builder: Callable, kwargs: dict, word: str) -> None:
    err = _refused_quickly(lambda: builder(**kwargs), ValueError)
    assert f"{word} must be" in str(err), str(err)
