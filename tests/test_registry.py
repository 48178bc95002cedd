"""Strategy registry: built-ins, the entry-point group for third parties, typed options."""

from __future__ import annotations

import sys
import textwrap
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import gamecore
from gamecore.errors import StrategyError
from strategies.subgradient import Subgradient, SubgradientOptions

BUILTINS = {"centralized", "subgradient", "bisection", "admm", "nsga-qp"}


def test_builtins_are_registered_and_declared_as_entry_points() -> None:
    assert BUILTINS <= set(gamecore.available_strategies())
    declared = {ep.name for ep in entry_points(group="gamecore.strategies")}
    assert BUILTINS <= declared


def test_each_strategy_states_its_equilibrium() -> None:
    for name, cls in gamecore.available_strategies().items():
        assert cls.equilibrium in ("market", "stackelberg", "both"), name
        assert cls.name == name


def test_third_party_strategy_is_discovered_through_entry_points(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "thirdparty_strategy.py").write_text(textwrap.dedent('''
        from dataclasses import dataclass
        from strategies.bisection import Bisection

        @dataclass
        class Opts:
            max_iter: int = 100

        class Halving(Bisection):
            name = "halving"
            summary = "a third-party strategy"
    '''))
    dist = tmp_path / "thirdparty_strategy-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: thirdparty-strategy\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[gamecore.strategies]\nhalving = thirdparty_strategy:Halving\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    registry = gamecore.available_strategies()
    assert "halving" in registry
    case = gamecore.make_case("analytic-market", agents=3, periods=2)
    result = gamecore.solve(case, "halving", progress=False)
    assert result.strategy == "halving" and result.status == "converged"
    monkeypatch.delitem(sys.modules, "thirdparty_strategy", raising=False)


def test_unknown_strategy_lists_valid_names() -> None:
    case = gamecore.make_case("analytic-market", agents=2, periods=2)
    with pytest.raises(StrategyError) as err:
        gamecore.solve(case, "simplex")
    for name in BUILTINS:
        assert name in str(err.value)


def test_bad_options_are_reported_with_valid_ones() -> None:
    case = gamecore.make_case("analytic-market", agents=2, periods=2)
    with pytest.raises(StrategyError, match="valid options: max_iter"):
        gamecore.solve(case, "subgradient", step=3)
    with pytest.raises(StrategyError, match="max_iter must be an integer"):
        gamecore.solve(case, "subgradient", max_iter=2.5)
    with pytest.raises(StrategyError, match="step_rule"):
        gamecore.solve(case, "subgradient", step_rule="newton")
    with pytest.raises(StrategyError, match="tol must be a finite number"):
        Subgradient(tol=float("nan"))


def test_strategy_object_with_typed_options_equals_solve_by_name() -> None:
    case = gamecore.make_case("analytic-market", agents=4, periods=3, seed=2)
    by_object = Subgradient(SubgradientOptions(tol=1e-6)).solve(case, progress=False)
    by_name = gamecore.solve(case, "subgradient", tol=1e-6, progress=False)
    assert by_object.iterations == by_name.iterations
    assert (by_object.signals["price"] == by_name.signals["price"]).all()


def test_market_strategy_refuses_a_game_without_coupling() -> None:
    case = gamecore.make_case("analytic-stackelberg", agents=2, periods=2)
    with pytest.raises(StrategyError, match="no market coupling"):
        gamecore.solve(case, "bisection")
