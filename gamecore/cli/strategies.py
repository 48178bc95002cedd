"""``gamecore strategies [NAME]``: the registered strategies, or one strategy's options."""

from __future__ import annotations

import dataclasses
import inspect
import sys

import typer

# available_strategies is looked up on the package (tests patch it there)
from gamecore import cli
from gamecore.cli.common import fail
from gamecore.options import describe_options
from gamecore.strategy import Strategy
from gamecore.tables import format_table


def strategies_command(
    name: str | None = typer.Argument(None, help="show this strategy and a table of its options"),
) -> None:
    """List the registered strategies (built-ins and `gamecore.strategies` plug-ins); with NAME,
    that strategy's options (type, default, accepted range, unit, meaning), set with `solve -O`."""
    registry = cli.available_strategies()
    if name is None:
        rows = [(n, cls.equilibrium, _strategy_summary(cls)) for n, cls in registry.items()]
        typer.echo(format_table(("name", "equilibrium", "summary"), rows))
        return
    if name not in registry:
        fail(f"unknown strategy '{name}'; available: {', '.join(sorted(registry))}")
    cls = registry[name]
    typer.echo(f"{name} ({cls.equilibrium}): {_strategy_summary(cls)}")
    options_cls = getattr(cls, "Options", None)
    if not (isinstance(options_cls, type) and dataclasses.is_dataclass(options_cls)):
        fail(f"strategy '{name}': Options is not a dataclass type")
    doc = inspect.cleandoc(options_cls.__doc__ or "").split("\n\n")[0]
    if doc and not doc.startswith(f"{options_cls.__name__}("):     # dataclass' generated signature: no doc
        typer.echo(" ".join(doc.split()))
    typer.echo(format_options_table(options_cls))
    typer.echo("set with: gamecore solve CASE -s " + name + " -O option=value (repeatable)")


def format_options_table(options_cls: type) -> str:
    """The table of :func:`gamecore.options.describe_options`: option, type, default, range, unit, meaning."""
    rows = [(o.name, o.type, repr(o.default), o.range, o.unit or "-", o.doc or "-")
            for o in describe_options(options_cls)]
    return format_table(("option", "type", "default", "range", "unit", "meaning"), rows)


def _strategy_summary(cls: type[Strategy]) -> str:
    summary = getattr(cls, "summary", "") or ""
    if not summary:
        doc = (sys.modules.get(cls.__module__).__doc__ or "") if cls.__module__ in sys.modules else ""
        summary = doc.strip().splitlines()[0] if doc.strip() else ""
    return summary
