"""``gamecore strategies``: the registered strategies."""

from __future__ import annotations

import sys

import typer

# available_strategies is looked up on the package (tests patch it there)
from gamecore import cli
from gamecore.strategy import Strategy
from gamecore.tables import format_table


def strategies_command() -> None:
    """List the registered strategies (built-ins and `gamecore.strategies` plug-ins)."""
    rows = [(name, cls.equilibrium, _strategy_summary(cls)) for name, cls in cli.available_strategies().items()]
    typer.echo(format_table(("name", "equilibrium", "summary"), rows))


def _strategy_summary(cls: type[Strategy]) -> str:
    summary = getattr(cls, "summary", "") or ""
    if not summary:
        doc = (sys.modules.get(cls.__module__).__doc__ or "") if cls.__module__ in sys.modules else ""
        summary = doc.strip().splitlines()[0] if doc.strip() else ""
    return summary
