"""Strategy registry: built-ins, the entry-point group for third parties, typed options.

Plug-in anomalies are simulated with entry points added to what the registry's
``entry_points`` returns (no installed third-party plug-in is involved).
"""

from __future__ import annotations

import sys
import textwrap
import warnings
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest

import gamecore
from _plugins import add_entry_points
import gamecore.registry
import strategies
from gamecore.errors import PluginWarning, StrategyError
from strategies.subgradient import Subgradient, SubgradientOptions

BUILTINS = {"centralized", "subgradient", "bisection", "admm", "admm-exchange", "admm-mccormick", "nsga-qp"}
GROUP = "gamecore.strategies"


pytestmark = pytest.mark.usefixtures("fresh_plugin_warnings")



def test_builtins_are_registered_and_declared_as_entry_points() -> None:
    assert BUILTINS <= set(gamecore.available_strategies())
    declared = {ep.name for ep in entry_points(group="gamecore.strategies")}
    assert BUILTINS <= declared


def test_entry_points_are_the_only_registry_of_builtins() -> None:
    assert not hasattr(strategies, "BUILTIN")
    builtin = {name for name, ep in gamecore.registry.plugin_entry_points(GROUP).items()
               if gamecore.registry.is_builtin(ep)}
    assert BUILTINS | {"kkt"} <= builtin
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # the built-ins raise no plug-in warning
        assert set(gamecore.builtin_strategies()) == builtin
    assert set(gamecore.available_strategies()) >= builtin


def test_plugin_shadowing_a_builtin_is_ignored_with_one_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    add_entry_points(monkeypatch, EntryPoint("bisection", "strategies.subgradient:Subgradient", GROUP))
    with pytest.warns(PluginWarning, match=r"'bisection' = strategies.subgradient:Subgradient shadows the built-in"):
        registry = gamecore.available_strategies()
    assert registry["bisection"] is strategies.Bisection
    with warnings.catch_warnings():
        warnings.simplefilter("error")          # once: later lookups are silent
        assert gamecore.available_strategies()["bisection"] is strategies.Bisection
        assert gamecore.get_strategy("bisection").name == "bisection"


def test_plugin_named_unlike_its_class_warns_once_and_keeps_the_entry_point_name(
        monkeypatch: pytest.MonkeyPatch) -> None:
    add_entry_points(monkeypatch, EntryPoint("halving", "strategies.bisection:Bisection", GROUP))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for _ in range(3):
            registry = gamecore.available_strategies()
    plugin = [w for w in caught if issubclass(w.category, PluginWarning)]
    assert len(plugin) == 1, [str(w.message) for w in caught]
    assert "'halving'" in str(plugin[0].message) and "'bisection'" in str(plugin[0].message)
    assert registry["halving"] is strategies.Bisection and registry["bisection"] is strategies.Bisection


def test_broken_plugins_are_skipped_with_a_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    add_entry_points(monkeypatch, EntryPoint("ghost", "no_such_module_for_gamecore:Strategy", GROUP),
                     EntryPoint("notone", "gamecore.errors:GameError", GROUP))
    with pytest.warns(PluginWarning) as record:
        registry = gamecore.available_strategies()
    messages = " | ".join(str(w.message) for w in record)
    assert "'ghost'" in messages and "failed to load" in messages
    assert "'notone'" in messages and "not a Strategy subclass" in messages
    assert "ghost" not in registry and "notone" not in registry and BUILTINS <= set(registry)


def test_each_strategy_states_its_equilibrium() -> None:
    for name, cls in gamecore.builtin_strategies().items():     # plug-ins: gamecore.testing
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
