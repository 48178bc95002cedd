"""``gamecore cases [NAME]``: the registered cases and their parameters."""

from __future__ import annotations

from collections.abc import Sequence

import typer

from gamecore.case import CaseParam
from gamecore.cases import UnknownCaseError, available_cases, case_spec
from gamecore.cli.common import fail
from gamecore.tables import format_table


def cases_command(
    name: str | None = typer.Argument(None, help="show this case and what its parameters mean"),
) -> None:
    """List the registered cases (`gamecore.cases` entry points): kind, default size (agents x
    periods), case-specific parameters with their defaults (set with `solve --param`), summary."""
    if name is not None:
        try:
            spec = case_spec(name)
        except UnknownCaseError as err:
            fail(str(err))
        typer.echo(f"{spec.name} ({spec.kind}): {spec.summary}")
        typer.echo(f"default size: {spec.default_agents} agents x {spec.default_periods} periods")
        for param in spec.params:
            typer.echo(f"--param {param.name}=... (default {param.default!r}): {param.help}")
        return
    rows = [(spec.name, spec.kind, spec.default_agents, spec.default_periods, case_params_cell(spec.params),
             spec.summary) for spec in available_cases().values()]
    typer.echo(format_table(("name", "kind", "agents", "periods", "parameters", "summary"), rows,
                            right=(False, False, True, True, False, False)))


def case_params_cell(params: Sequence[CaseParam]) -> str:
    """``name=default,...`` of a case's parameters, ``-`` when it has none (one table cell)."""
    return ",".join(f"{p.name}={p.default!r}" for p in params) or "-"


def parse_case_params(items: Sequence[str]) -> dict[str, str]:
    """``["cap_margin=1.5"]`` -> ``{"cap_margin": "1.5"}``: the texts of ``--param``, parsed and
    checked later by the case (:meth:`~gamecore.case.CaseSpec.parse_params`).

    Raises:
        ValueError: an item without ``=`` or with an empty key, or a key given twice.
    """
    texts: dict[str, str] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ValueError(f"--param expects key=value, got {item!r}")
        if key in texts:
            raise ValueError(f"--param {key} given twice")
        texts[key] = value.strip()
    return texts
