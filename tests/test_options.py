"""Strategy options declared once (gamecore/options.py): the declaration of every option
(:func:`gamecore.options.option`: type from the annotation, range, choices, unit, doc) drives
validation (``build_options``), command-line parsing (``parse_option_text``, ``solve -O``) and
the help table (``describe_options``, ``gamecore strategies NAME``).

The out-of-range cases are generated from ``describe_options`` of every built-in strategy, so a
range that is declared but not enforced fails here.
"""

from __future__ import annotations

import dataclasses
import json
import math
from dataclasses import dataclass
from typing import Any, Literal

import pytest
from typer.testing import CliRunner

import gamecore
from gamecore import StrategyError, cli
from gamecore.bounds import BoundOptions
from gamecore.options import (
    build_options,
    check_value,
    describe_options,
    option,
    parse_option_text,
    time_limit_option,
)
from gamecore.strategy import IterativeStrategy

BUILTINS = gamecore.builtin_strategies()
SMALL = ["--agents", "3", "--periods", "2"]


def _outside_cases() -> list[tuple[str, str, Any]]:
    return [(name, info.name, value) for name, cls in sorted(BUILTINS.items())
            for info in describe_options(cls.Options) for value in info.invalid]


@pytest.fixture(scope="module")
def runner() -> CliRunner:
    return CliRunner()


def invoke(runner: CliRunner, *args: str):
    return runner.invoke(cli.app, list(args))


# ------------------------------------------------------------------ validation from metadata
@pytest.mark.parametrize("strategy,name,value", _outside_cases(), ids=lambda v: v if isinstance(v, str) else repr(v))
def test_every_declared_range_is_enforced(strategy: str, name: str, value: Any) -> None:
    with pytest.raises(StrategyError, match=rf"^strategy '{strategy}': option {name} must be "):
        gamecore.get_strategy(strategy, **{name: value})


def test_the_generated_cases_cover_every_builtin_strategy() -> None:
    covered = {strategy for strategy, _, _ in _outside_cases()}
    assert covered == set(BUILTINS)
    assert len(_outside_cases()) >= 60


@pytest.mark.parametrize("strategy", sorted(BUILTINS))
def test_every_builtin_option_is_declared_and_its_default_is_valid(strategy: str) -> None:
    options_cls = BUILTINS[strategy].Options
    for info in describe_options(options_cls):
        assert info.doc, f"{strategy}: option {info.name} is not declared with option(..., doc=...)"
        assert info.type != "any", f"{strategy}: option {info.name} has no supported type"
        check_value(options_cls, info.name, info.default, strategy=strategy)   # the default satisfies its range


@pytest.mark.parametrize("strategy", sorted(BUILTINS))
def test_shared_names(strategy: str) -> None:
    """``time_limit`` everywhere (None by default, kkt 300 s), ``max_iter`` where the strategy
    iterates, and the docstring says what ``tol`` measures (or that there is none)."""
    cls = BUILTINS[strategy]
    infos = {info.name: info for info in describe_options(cls.Options)}
    assert "time_limit" in infos and infos["time_limit"].unit == "s"
    assert infos["time_limit"].default == (300.0 if strategy == "kkt" else None)
    assert infos["time_limit"].invalid == (0.0,)
    if issubclass(cls, IterativeStrategy):
        assert infos["max_iter"].range == "integer >= 1"
    assert "``tol``" in (cls.Options.__doc__ or ""), f"{strategy}: the Options docstring must say what tol measures"


def test_messages_keep_their_wording() -> None:
    with pytest.raises(StrategyError, match=r"^strategy 'bisection': option max_iter must be an integer >= 1, got 0$"):
        gamecore.get_strategy("bisection", max_iter=0)
    with pytest.raises(StrategyError, match=r"option tol must be in \(0, 1\), got 5"):
        gamecore.get_strategy("bisection", tol=5)
    with pytest.raises(StrategyError, match="option tol must be a finite number"):
        gamecore.get_strategy("subgradient", tol=math.nan)
    with pytest.raises(StrategyError, match="option max_iter must be an integer >= 1, got 2.5"):
        gamecore.get_strategy("subgradient", max_iter=2.5)
    with pytest.raises(StrategyError, match=r"option step_rule must be one of 'constant', 'diminishing', 'polyak', got 'newton'"):
        gamecore.get_strategy("subgradient", step_rule="newton")
    with pytest.raises(StrategyError, match="option polish must be a bool"):
        gamecore.get_strategy("nsga-qp", polish="yes")
    with pytest.raises(StrategyError, match=r"option pop_size must be an integer >= 4, or 0, got 2"):
        gamecore.get_strategy("nsga-qp", pop_size=2)
    with pytest.raises(StrategyError, match=r"option time_limit must be > 0, or None, got -1"):
        gamecore.get_strategy("centralized", time_limit=-1)


def test_values_are_coerced_to_the_declared_type() -> None:
    options = gamecore.get_strategy("nsga-qp", max_iter=5.0, tol=0, pop_size=0, time_limit=3).options
    assert options.max_iter == 5 and type(options.max_iter) is int
    assert options.tol == 0.0 and type(options.tol) is float
    assert options.time_limit == 3.0 and type(options.time_limit) is float
    assert gamecore.get_strategy("bisection", time_limit=None).options.time_limit is None


def test_bound_options_check_their_declared_ranges_when_built_directly() -> None:
    for info in describe_options(BoundOptions):
        for value in info.invalid:
            with pytest.raises(ValueError, match=rf"BoundOptions: option {info.name} must be"):
                BoundOptions(**{info.name: value})
    assert BoundOptions(kkt_max_pairs=0).kkt_max_pairs == 0


# ------------------------------------------------------------------ declarations
@dataclass
class _Declared:
    """``tol``: test only."""

    max_iter: int = option(10, doc="iterations", ge=1)
    tol: float = option(1e-3, doc="tolerance", gt=0, lt=1)
    scale: float = option(1.0, doc="may be +inf", gt=0, le=math.inf)
    algorithm: Literal["nsga2", "nsga3"] = option("nsga2", doc="which GA")
    polish: bool = option(True, doc="polish")
    weights: list[float] = option([1.0, 2.0], doc="a mutable default")
    time_limit: float | None = time_limit_option()


@dataclass
class _Plain:                      # a plug-in's plain fields: typed by annotation / default
    max_iter: int = 5
    tol: float = 1e-3
    label: str = "x"
    anything: Any = None


def test_mutable_defaults_are_copied_per_instance() -> None:
    a, b = _Declared(), _Declared()
    a.weights.append(3.0)
    assert b.weights == [1.0, 2.0]


def test_infinity_only_where_the_range_allows_it() -> None:
    assert build_options("demo", _Declared, None, {"scale": math.inf}).scale == math.inf
    with pytest.raises(StrategyError, match="option tol must be a finite number"):
        build_options("demo", _Declared, None, {"tol": math.inf})
    with pytest.raises(StrategyError, match="option scale must be a finite number"):
        build_options("demo", _Declared, None, {"scale": math.nan})


def test_literal_annotation_gives_the_choices() -> None:
    info = {i.name: i for i in describe_options(_Declared)}
    assert info["algorithm"].range == "one of 'nsga2', 'nsga3'"
    assert build_options("demo", _Declared, None, {"algorithm": "nsga3"}).algorithm == "nsga3"
    with pytest.raises(StrategyError, match="option algorithm must be one of"):
        build_options("demo", _Declared, None, {"algorithm": "nsga4"})


def test_plain_fields_keep_working() -> None:
    built = build_options("plain", _Plain, None, {"max_iter": 7.0, "tol": 1, "anything": [1, 2]})
    assert built.max_iter == 7 and built.tol == 1.0 and built.anything == [1, 2]
    with pytest.raises(StrategyError, match="option max_iter must be an integer, got 2.5"):
        build_options("plain", _Plain, None, {"max_iter": 2.5})
    with pytest.raises(StrategyError, match="option label must be a string"):
        build_options("plain", _Plain, None, {"label": 3})
    assert parse_option_text(_Plain, "anything", "12") == 12          # untyped: guessed from the text
    assert [i.range for i in describe_options(_Plain)] == ["integer", "number", "string", "any value"]


# ------------------------------------------------------------------ text -> value
@pytest.mark.parametrize("name,text,expected", [
    ("tol", "1e-6", 1e-6), ("polish", "false", False), ("polish", "On", True), ("algorithm", "nsga3", "nsga3"),
    ("time_limit", "none", None), ("time_limit", "2.5", 2.5), ("max_iter", "1e3", 1000), ("max_iter", " 42 ", 42),
    ("scale", "inf", math.inf),
])
def test_parse_option_text_is_typed_by_the_field(name: str, text: str, expected: Any) -> None:
    value = parse_option_text(_Declared, name, text)
    assert value == expected and type(value) is type(expected)


@pytest.mark.parametrize("name,text", [("tol", "small"), ("tol", "nan"), ("tol", "0"), ("max_iter", "2.5"),
                                       ("max_iter", "0"), ("polish", "maybe"), ("algorithm", "nsga4"),
                                       ("time_limit", "-1")])
def test_parse_option_text_refuses_bad_text_naming_the_option(name: str, text: str) -> None:
    with pytest.raises(StrategyError, match=rf"^strategy 'demo': option {name} must be"):
        parse_option_text(_Declared, name, text, strategy="demo")


def test_parse_option_text_unknown_name_is_the_build_options_error() -> None:
    with pytest.raises(StrategyError) as parsed:
        parse_option_text(BUILTINS["bisection"].Options, "tolerance", "1", strategy="bisection")
    with pytest.raises(StrategyError) as built:
        gamecore.get_strategy("bisection", tolerance=1)
    assert str(parsed.value) == str(built.value)
    assert "unknown option(s) ['tolerance']; valid options: max_iter (default 500)" in str(parsed.value)


# ------------------------------------------------------------------ CLI
def test_cli_options_are_typed(runner: CliRunner) -> None:
    res = invoke(runner, "solve", "analytic-market", "--strategy", "bisection", *SMALL, "-O", "max_iter=3",
                 "-O", "tol=1e-6", "-O", "time_limit=none", "--json")
    assert res.exit_code == 0, res.output
    payload = json.loads(res.stdout)
    assert payload["strategy"] == "bisection" and payload["iterations"] <= 3


def test_cli_bool_option(runner: CliRunner) -> None:
    res = invoke(runner, "solve", "analytic-stackelberg", "-s", "nsga-qp", *SMALL, "-O", "polish=false",
                 "-O", "max_iter=2", "-O", "pop_size=8", "--json")
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["iterations"] <= 2


@pytest.mark.parametrize("strategy,item,name", [
    ("bisection", "max_iter=abc", "max_iter"), ("bisection", "max_iter=0", "max_iter"),
    ("bisection", "tol=nan", "tol"), ("day-ahead", "method=fast", "method"), ("subgradient", "time_limit=0", "time_limit"),
    ("bisection", "max_sweeps=maybe", "max_sweeps"), ("bisection", "nonsense=1", "nonsense"),
])
def test_cli_bad_text_exits_2_naming_the_option(runner: CliRunner, strategy: str, item: str, name: str) -> None:
    res = invoke(runner, "solve", "analytic-market", "-s", strategy, *SMALL, "-O", item)
    assert res.exit_code == 2, res.output
    assert f"strategy '{strategy}'" in res.stderr and name in res.stderr and "Traceback" not in res.output


@pytest.mark.parametrize("strategy", sorted(BUILTINS))
def test_strategies_name_prints_the_options_table(runner: CliRunner, strategy: str) -> None:
    res = invoke(runner, "strategies", strategy)
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].startswith(f"{strategy} (")
    header = next(line for line in lines if line.startswith("option "))
    assert header.split() == ["option", "type", "default", "range", "unit", "meaning"]
    for info in describe_options(BUILTINS[strategy].Options):
        row = next((line for line in lines if line.split()[:1] == [info.name]), None)
        assert row is not None, f"{info.name} missing:\n{res.stdout}"
        assert info.range in row and info.type in row


def test_strategies_table_shows_ranges(runner: CliRunner) -> None:
    out = invoke(runner, "strategies", "bisection").stdout
    assert "integer >= 1" in out and "in (0, 1)" in out
    assert "one of 'gradient', 'accelerated'" in invoke(runner, "strategies", "day-ahead").stdout


def test_strategies_unknown_name_exits_2(runner: CliRunner) -> None:
    res = invoke(runner, "strategies", "simplex")
    assert res.exit_code == 2 and "unknown strategy 'simplex'" in res.stderr and "bisection" in res.stderr


def test_solve_help_points_to_the_options_table(runner: CliRunner) -> None:
    res = invoke(runner, "solve", "--help")
    assert res.exit_code == 0
    assert "gamecore strategies NAME" in " ".join(res.stdout.split())


def test_registry_cases_are_dataclass_options() -> None:
    for name, cls in BUILTINS.items():
        assert dataclasses.is_dataclass(cls.Options), name
