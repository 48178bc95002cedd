"""gamecore.testing, the conformance suite for plug-in authors: run on every built-in strategy and
on the plug-in example (examples/fixed_step.py); it catches broken strategies with clear
messages; gamecore's own suite sees only the built-ins, never an installed plug-in.
"""

from __future__ import annotations

from importlib.metadata import EntryPoint

import pytest
from test_plugin_example import load_example

import gamecore
from _plugins import add_entry_points
import gamecore.registry
from gamecore import StrategyError
from gamecore.errors import PluginWarning
from gamecore.game import Game
from gamecore.testing import (
    CHECKS,
    ConformanceCheck,
    ConformanceReport,
    check_strategy,
    conformance_tests,
)

FixedStep = load_example().FixedStep
GROUP = "gamecore.strategies"

#: every applicable check of every built-in (≤ 1.5 s each at the suite's default size, 3 × 2)
BUILTIN_CHECKS = [check for name in sorted(gamecore.builtin_strategies()) for check in conformance_tests(name)]


pytestmark = pytest.mark.usefixtures("fresh_plugin_warnings")



@pytest.mark.parametrize("check", BUILTIN_CHECKS, ids=str)
def test_builtin_strategy_conforms(check: ConformanceCheck) -> None:
    check()


def test_every_builtin_gets_the_checks_of_its_notion() -> None:
    names = {}
    for check in BUILTIN_CHECKS:
        names.setdefault(check.target.label, []).append(check.name)
    assert set(names) == set(gamecore.builtin_strategies())
    for name, checks in names.items():
        cls = gamecore.builtin_strategies()[name]
        assert checks[:2] == ["contract", "options"], name
        assert ("market-closed-form" in checks) == cls.targets("market"), name
        assert ("stackelberg-closed-form" in checks) == cls.targets("stackelberg"), name
        assert ("refuses-stackelberg" in checks) == (cls.equilibrium == "market"), name
        assert ("refuses-market" in checks) == (cls.equilibrium == "stackelberg"), name


@pytest.mark.parametrize("check", conformance_tests(FixedStep), ids=str)
def test_plugin_example_conforms(check: ConformanceCheck) -> None:
    check()


def test_check_strategy_reports_every_check_of_the_example() -> None:
    report = check_strategy(FixedStep)
    assert isinstance(report, ConformanceReport) and report.passed and not report.failures
    assert [c.name for c in report.checks] == ["contract", "options", "market-closed-form", "refuses-stackelberg"]
    text = str(report)
    assert "conformance of strategy 'fixed-step': 4/4 checks passed" in text
    assert "PASS market-closed-form" in text and "certified" in text


def test_registered_example_conforms_but_stays_out_of_gamecore_suite(monkeypatch: pytest.MonkeyPatch) -> None:
    """An installed plug-in: listed by available_strategies, never by builtin_strategies (which
    the registry-iterating tests of gamecore's suite use); its author checks it by name."""
    add_entry_points(monkeypatch, EntryPoint("fixed-step", "fixed_step:FixedStep", GROUP))
    assert gamecore.available_strategies()["fixed-step"] is FixedStep
    assert "fixed-step" not in gamecore.builtin_strategies()
    report = check_strategy("fixed-step")
    assert report.passed and report.strategy == "fixed-step"


def test_mismatched_entry_point_name_fails_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    add_entry_points(monkeypatch, EntryPoint("fixed", "fixed_step:FixedStep", GROUP))
    with (pytest.warns(PluginWarning, match="names a strategy whose name is 'fixed-step'"),
          pytest.raises(AssertionError, match="make the entry-point name and the class name agree")):
        check_strategy("fixed", only=("contract",))


def test_a_strategy_that_does_not_converge_fails_with_the_status_and_message() -> None:
    with pytest.raises(AssertionError) as err:
        check_strategy(FixedStep, options={"max_iter": 2})
    message = str(err.value)
    assert "3/4 checks passed" in message
    assert "FAIL market-closed-form" in message and "status 'max_iter'" in message and "max_iter=2" in message


def test_a_strategy_that_accepts_the_other_notion_fails_refusal() -> None:
    class Lenient(FixedStep):
        def check(self, game: Game) -> None:          # accepts anything
            pass

    report = check_strategy(Lenient, only=("refuses-stackelberg",), raise_on_failure=False)
    assert not report.passed and [c.name for c in report.failures] == ["refuses-stackelberg"]
    assert "check() of a stackelberg game was accepted, expected StrategyError" in report.failures[0].message


def test_a_crashing_strategy_is_a_failed_check_not_a_crashed_suite() -> None:
    class Crashing(FixedStep):
        def step(self, ctx, state):
            raise RuntimeError("kaboom")

    report = check_strategy(Crashing, raise_on_failure=False)
    failed = {c.name: c.message for c in report.failures}
    assert list(failed) == ["market-closed-form"]
    assert failed["market-closed-form"] == "crashed: RuntimeError: kaboom"
    assert [c.name for c in report.checks if c.passed] == ["contract", "options", "refuses-stackelberg"]


def test_an_options_class_without_defaults_fails_the_contract() -> None:
    from dataclasses import dataclass

    @dataclass
    class NoDefault:
        max_iter: int
        tol: float = 1e-6
        damping: float = 0.5
        step: float = 0.0

    class Strict(FixedStep):
        Options = NoDefault

    with pytest.raises(AssertionError, match=r"every option needs a default.*\['max_iter'\]"):
        check_strategy(Strict, only=("contract",))


def test_bad_arguments_are_refused() -> None:
    with pytest.raises(StrategyError, match="unknown strategy 'no-such-method'"):
        conformance_tests("no-such-method")
    with pytest.raises(StrategyError, match="expected a strategy name or a Strategy subclass"):
        conformance_tests(42)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown conformance check"):
        conformance_tests(FixedStep, only=("speed",))
    assert set(CHECKS) >= {c.name for c in BUILTIN_CHECKS}

