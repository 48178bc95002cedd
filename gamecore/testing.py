"""Conformance suite for strategies: what a plug-in author runs on their own strategy.

gamecore's own test suite tests only the built-in strategies
(:func:`gamecore.registry.builtin_strategies`); a third-party strategy is tested by its
author, against the same contract, with::

    from gamecore.testing import check_strategy
    report = check_strategy("my-method")            # or the class: check_strategy(MyStrategy)
    print(report)                                   # one line per check; AssertionError on failure

or, one pytest test per check::

    import pytest
    from gamecore.testing import conformance_tests

    @pytest.mark.parametrize("check", conformance_tests("my-method"), ids=str)
    def test_conformance(check):
        check()

The checks (see :data:`CHECKS`), each on closed-form games small enough to run in seconds
(``analytic-market`` / ``analytic-stackelberg`` with ``agents`` followers and ``periods``
periods):

* ``contract``: the class sets a string ``name``, an ``equilibrium`` among ``"market"``,
  ``"stackelberg"``, ``"both"``, a ``summary``, an ``Options`` dataclass whose fields all
  have defaults; ``cls()`` builds; a registry name resolves to a class of that ``name``, and
  ``get_strategy(name).options`` equals the defaults.
* ``options``: an unknown option, options of the wrong type and (for an
  :class:`~gamecore.IterativeStrategy`) ``max_iter=0`` raise :class:`~gamecore.StrategyError`
  at construction, and so does a value just outside every range or choice list declared with
  :func:`gamecore.options.option` (the error naming the option); an ``Options`` instance and a
  mapping are both accepted.
* ``market-closed-form`` (strategies that compute market equilibria): ``status ==
  "converged"``, a certified answer, clearing prices within ``rtol=1e-3`` of the closed
  form and ``|gap_to_reference| ≤ 1e-4``.
* ``stackelberg-closed-form`` (strategies that compute Stackelberg equilibria):
  ``"converged"``, certified, ``leader_regret ≤ 1e-3`` and ``gap_to_reference ≤ 1e-3``.
* ``refuses-market`` / ``refuses-stackelberg`` (strategies of one notion only): ``check``
  and ``solve`` raise :class:`~gamecore.StrategyError` on a game of the other notion,
  before any follower is solved.

``options`` (a mapping) are passed to every solve, e.g. a smaller budget for a slow strategy.
"""

from __future__ import annotations

import dataclasses
import functools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gamecore.errors import StrategyError
from gamecore.options import describe_options
from gamecore.strategy import EQUILIBRIA, IterativeStrategy, Strategy

#: every check, in the order they run; those that do not apply to a strategy are left out
CHECKS = ("contract", "options", "market-closed-form", "stackelberg-closed-form", "refuses-market",
          "refuses-stackelberg")
#: tolerances of the closed-form checks (those of gamecore's own tests/test_closed_form.py)
MARKET_PRICE_RTOL = 1e-3
MARKET_GAP = 1e-4
STACKELBERG_REGRET = 1e-3
STACKELBERG_GAP = 1e-3


@dataclass(frozen=True)
class Target:
    """The strategy under test: its class, and its registry name when it was given by name."""

    cls: type[Strategy]
    registered: str | None
    options: Mapping[str, Any]
    agents: int
    periods: int
    seed: int

    @property
    def label(self) -> str:
        return self.registered or getattr(self.cls, "name", None) or self.cls.__qualname__

    def build(self, **overrides: Any) -> Strategy:
        return self.cls(dict(self.options), **overrides)

    def case(self, notion: str) -> Any:
        from gamecore.cases import make_case
        return make_case(f"analytic-{notion}", agents=self.agents, periods=self.periods, seed=self.seed)


@dataclass
class CheckOutcome:
    """One check's verdict: ``passed``, a one-line ``message`` (why it failed, or what held)
    and its wall ``seconds``."""

    name: str
    passed: bool
    message: str
    seconds: float


@dataclass
class ConformanceReport:
    """The verdicts of :func:`check_strategy`; ``str(report)`` is one line per check."""

    strategy: str
    checks: list[CheckOutcome] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failures(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.passed]

    def __str__(self) -> str:
        passed = sum(c.passed for c in self.checks)
        lines = [f"conformance of strategy '{self.strategy}': {passed}/{len(self.checks)} checks passed"]
        lines += [f"  {'PASS' if c.passed else 'FAIL'} {c.name:<24} {c.seconds:6.2f} s  {c.message}"
                  for c in self.checks]
        return "\n".join(lines)

    def raise_for_failures(self) -> None:
        """Raise AssertionError naming every failed check, unless all passed."""
        if not self.passed:
            raise AssertionError(str(self))


@dataclass(frozen=True)
class ConformanceCheck:
    """One check bound to one strategy: call it to run it (raises AssertionError when it
    fails); ``str(check)`` is ``"<strategy>:<check>"``, a pytest id (``ids=str``)."""

    name: str
    target: Target
    run: Callable[[Target], str] = field(repr=False)

    def __call__(self) -> str:
        return self.run(self.target)

    def __str__(self) -> str:
        return f"{self.target.label}:{self.name}"


# ----------------------------------------------------------------------------- checks
def _same(a: Any, b: Any) -> bool:
    """Two Options instances hold the same values (field by field, arrays too)."""
    if type(a) is not type(b):
        return False
    return all(np.array_equal(getattr(a, f.name), getattr(b, f.name)) if isinstance(getattr(a, f.name), np.ndarray)
               else getattr(a, f.name) == getattr(b, f.name) for f in dataclasses.fields(a))


def _expect_strategy_error(build: Callable[[], Any], what: str, label: str, naming: str = "") -> None:
    """``build()`` must raise :class:`StrategyError` (whose message contains ``naming``, if given)."""
    try:
        build()
    except StrategyError as err:
        if naming not in str(err):
            raise AssertionError(f"{label}: the error for {what} does not name {naming!r}: {err}") from err
        return
    except Exception as err:  # reported as the wrong exception
        raise AssertionError(f"{label}: {what} raised {type(err).__name__} ({err}), expected StrategyError") from err
    raise AssertionError(f"{label}: {what} was accepted, expected StrategyError")


def check_contract(target: Target) -> str:
    cls, label = target.cls, target.label
    name = getattr(cls, "name", None)
    assert isinstance(name, str) and name, f"{label}: class attribute name must be a non-empty string, got {name!r}"
    equilibrium = getattr(cls, "equilibrium", None)
    assert equilibrium in EQUILIBRIA, f"{label}: equilibrium must be one of {list(EQUILIBRIA)}, got {equilibrium!r}"
    assert isinstance(getattr(cls, "summary", None), str) and cls.summary, \
        f"{label}: class attribute summary (one line for `gamecore strategies`) is missing or empty"
    options_cls = getattr(cls, "Options", None)
    assert isinstance(options_cls, type) and dataclasses.is_dataclass(options_cls), \
        f"{label}: Options must be a dataclass type, got {options_cls!r}"
    required = [f.name for f in dataclasses.fields(options_cls)
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING]
    assert not required, f"{label}: every option needs a default (cls() must build); without one: {required}"
    strategy = cls()
    assert isinstance(strategy.options, options_cls), \
        f"{label}: cls().options is a {type(strategy.options).__name__}, not an {options_cls.__name__}"
    assert _same(strategy.options, options_cls()), f"{label}: cls().options differs from the defaults {options_cls()}"
    if target.registered is not None:
        from gamecore.registry import get_strategy
        assert name == target.registered, (f"{label}: registered as '{target.registered}' but its class says "
                                           f"name = '{name}' (make the entry-point name and the class name agree)")
        by_name = get_strategy(target.registered)
        assert type(by_name) is cls and _same(by_name.options, options_cls()), \
            f"{label}: get_strategy('{target.registered}') does not build the class with default options"
    return f"name '{name}', equilibrium '{equilibrium}', {len(dataclasses.fields(options_cls))} options with defaults"


def check_options(target: Target) -> str:
    cls, label = target.cls, target.label
    _expect_strategy_error(lambda: cls(gamecore_no_such_option=1), "an unknown option", label)
    _expect_strategy_error(lambda: cls(42), "options=42 (neither Options nor a mapping)", label)
    defaults = cls.Options()
    assert _same(cls(defaults).options, defaults), f"{label}: an Options instance is not taken as given"
    assert _same(cls(dataclasses.asdict(defaults)).options, defaults), \
        f"{label}: a mapping of the defaults is not taken as given"
    done = "unknown option and wrong type refused, Options instance and mapping accepted"
    if issubclass(cls, IterativeStrategy):
        _expect_strategy_error(lambda: cls(max_iter=0), "max_iter=0", label)
        done += ", max_iter=0 refused"
    outside = [(info.name, value, info.range) for info in describe_options(cls.Options) for value in info.invalid]
    for name, value, accepted in outside:       # one value just outside every declared bound / choice list
        _expect_strategy_error(functools.partial(cls, **{name: value}), f"{name}={value!r} (accepted: {accepted})",
                               label, naming=f"option {name}")
    return done + f", {len(outside)} values just outside the declared ranges refused"


def _solve(target: Target, notion: str) -> tuple[Any, Any]:
    case = target.case(notion)
    result = target.build().solve(case, progress=False, seed=0)
    label = target.label
    assert result.equilibrium == notion, f"{label} on {case.name}: computed {result.equilibrium!r}, expected {notion!r}"
    assert result.status == "converged", f"{label} on {case.name}: status {result.status!r}: {result.message}"
    cert = result.certificate
    assert cert.certified, f"{label} on {case.name}: converged but not certified: {'; '.join(cert.failures())}"
    return case, result


def check_market_closed_form(target: Target) -> str:
    case, result = _solve(target, "market")
    label = f"{target.label} on {case.name}"
    expected = case.reference.signals["price"]
    got = result.signals["price"]
    error = float(np.max(np.abs(got - expected) / np.maximum(np.abs(expected), 1e-12)))
    assert np.allclose(got, expected, rtol=MARKET_PRICE_RTOL), \
        f"{label}: prices {got} differ from the closed form {expected} " \
        f"(max rel. error {error:.3g} > {MARKET_PRICE_RTOL})"
    gap = result.gap_to_reference
    assert gap is not None and abs(gap) <= MARKET_GAP, f"{label}: gap to the closed form {gap} (> {MARKET_GAP})"
    return f"certified, {result.iterations} iterations, max price error {error:.2g}, gap {gap:.2g}"


def check_stackelberg_closed_form(target: Target) -> str:
    case, result = _solve(target, "stackelberg")
    label = f"{target.label} on {case.name}"
    regret = result.certificate.leader_regret
    assert regret is not None and regret <= STACKELBERG_REGRET, \
        f"{label}: leader regret {regret} (> {STACKELBERG_REGRET})"
    gap = result.gap_to_reference
    assert gap is not None and gap <= STACKELBERG_GAP, f"{label}: gap to the closed form {gap} (> {STACKELBERG_GAP})"
    return f"certified, {result.iterations} iterations, leader regret {regret:.2g}, gap {gap:.2g}"


def _check_refuses(target: Target, notion: str) -> str:
    case = target.case(notion)
    strategy = target.build()
    label = f"{target.label} on {case.name}"
    _expect_strategy_error(lambda: strategy.check(case.game), f"check() of a {notion} game", label)
    _expect_strategy_error(lambda: strategy.solve(case, progress=False), f"solve() of a {notion} game", label)
    return f"check() and solve() refuse {case.name}"


def check_refuses_market(target: Target) -> str:
    return _check_refuses(target, "market")


def check_refuses_stackelberg(target: Target) -> str:
    return _check_refuses(target, "stackelberg")


_RUN: dict[str, Callable[[Target], str]] = {
    "contract": check_contract, "options": check_options, "market-closed-form": check_market_closed_form,
    "stackelberg-closed-form": check_stackelberg_closed_form, "refuses-market": check_refuses_market,
    "refuses-stackelberg": check_refuses_stackelberg,
}


# ------------------------------------------------------------------------------ public
def resolve(strategy: str | type[Strategy]) -> tuple[type[Strategy], str | None]:
    """The class of ``strategy`` (a registry name or a :class:`Strategy` subclass) and its
    registry name (None for a class). Raises :class:`StrategyError` otherwise."""
    if isinstance(strategy, str):
        from gamecore.registry import available_strategies
        registry = available_strategies()
        if strategy not in registry:
            raise StrategyError(f"unknown strategy '{strategy}'; available: {', '.join(sorted(registry))}")
        return registry[strategy], strategy
    if isinstance(strategy, type) and issubclass(strategy, Strategy):
        return strategy, None
    raise StrategyError(f"expected a strategy name or a Strategy subclass, got {strategy!r}")


def applicable_checks(cls: type[Strategy]) -> list[str]:
    """The names of the checks (:data:`CHECKS`) that apply to strategy class ``cls``."""
    equilibrium = getattr(cls, "equilibrium", None)
    names = ["contract", "options"]
    if equilibrium in ("market", "both"):
        names.append("market-closed-form")
    if equilibrium in ("stackelberg", "both"):
        names.append("stackelberg-closed-form")
    if equilibrium == "stackelberg":
        names.append("refuses-market")
    if equilibrium == "market":
        names.append("refuses-stackelberg")
    return names


def conformance_tests(strategy: str | type[Strategy], *, options: Mapping[str, Any] | None = None,
                      agents: int = 3, periods: int = 2, seed: int = 1,
                      only: tuple[str, ...] | None = None) -> list[ConformanceCheck]:
    """One callable per applicable check (pytest: ``parametrize("check", ..., ids=str)``).

    Args:
        strategy: a registry name (the registration is checked too) or a Strategy subclass.
        options: option overrides for every solve (a cheaper budget, say).
        agents, periods, seed: size and data of the closed-form games.
        only: run only these checks (names of :data:`CHECKS`) among the applicable ones.
    """
    cls, registered = resolve(strategy)
    if only is not None:
        unknown = sorted(set(only) - set(CHECKS))
        if unknown:
            raise ValueError(f"unknown conformance check(s) {unknown}; valid: {list(CHECKS)}")
    target = Target(cls, registered, dict(options or {}), agents, periods, seed)
    return [ConformanceCheck(name, target, _RUN[name]) for name in applicable_checks(cls)
            if only is None or name in only]


def check_strategy(strategy: str | type[Strategy], *, options: Mapping[str, Any] | None = None,
                   agents: int = 3, periods: int = 2, seed: int = 1, only: tuple[str, ...] | None = None,
                   raise_on_failure: bool = True) -> ConformanceReport:
    """Run every applicable check on ``strategy`` and return the report.

    Arguments as for :func:`conformance_tests`. A check fails on an AssertionError or any
    other exception (reported as ``crashed: <type>: <message>``); the later checks still run.

    Raises:
        AssertionError: some check failed and ``raise_on_failure`` (the message is the report).
    """
    checks = conformance_tests(strategy, options=options, agents=agents, periods=periods, seed=seed, only=only)
    report = ConformanceReport(checks[0].target.label if checks else str(strategy))
    for check in checks:
        start = time.perf_counter()
        try:
            message, passed = check(), True
        except AssertionError as err:
            message, passed = str(err), False
        except Exception as err:  # noqa: BLE001 -- a crashing strategy is a failed check, not a crashed suite
            message, passed = f"crashed: {type(err).__name__}: {err}", False
        report.checks.append(CheckOutcome(check.name, passed, message, time.perf_counter() - start))
    if raise_on_failure:
        report.raise_for_failures()
    return report


__all__ = ["CHECKS", "CheckOutcome", "ConformanceCheck", "ConformanceReport", "Target", "applicable_checks",
           "check_strategy", "conformance_tests", "resolve"]
