"""``gamecore demo``: the two analytic cases solved with every applicable strategy, compared to
their closed forms in a table printed row by row."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import typer

# available_strategies / get_strategy / make_case: looked up on the package
from gamecore import cli
from gamecore.case import Case
from gamecore.cases import case_spec
from gamecore.cli.common import CERTIFICATE_FIELDS, echo_json, flag
from gamecore.registry import is_alias
from gamecore.strategy import Strategy
from gamecore.tables import StreamTable, fmt

#: the two cases ``gamecore demo`` runs
DEMO_CASES: tuple[str, ...] = ("analytic-market", "analytic-stackelberg")

#: the certificate's "certified" entry (a bool stored among the floats) as a table cell
_YES_NO: dict[float | None, str] = {True: "yes", False: "no"}


@dataclass
class DemoRow:
    """One strategy's outcome in the demo table."""

    strategy: str
    status: str
    message: str
    iterations: int | None = None
    objective: float | None = None
    gap_to_reference: float | None = None
    certificate: dict[str, float | None] = field(default_factory=dict)
    wall_s: float | None = None

    def cells(self) -> list[str]:
        return [self.strategy, self.status, fmt(self.iterations), fmt(self.objective, ".8g"),
                fmt(self.gap_to_reference, ".2e")] + \
               [fmt(self.certificate.get(key), ".2e") for key, _ in CERTIFICATE_FIELDS] + \
               [_YES_NO.get(self.certificate.get("certified"), "-"), fmt(self.wall_s, ".3f")]


DEMO_HEADERS = ("strategy", "status", "iter", "objective", "gap(ref)") + \
    tuple(label for _, label in CERTIFICATE_FIELDS) + ("certified", "wall[s]")
DEMO_WIDTHS_MIN = (8, 9, 5, 14, 9) + (9,) * len(CERTIFICATE_FIELDS) + (9, 7)
#: strategy and status left-aligned, the numbers right-aligned
DEMO_RIGHT = (False, False) + (True,) * (len(DEMO_HEADERS) - 2)


def applicable_strategies(case: Case, registry: dict[str, type[Strategy]]) -> tuple[list[str], list[str]]:
    """Split the registry into strategies whose ``check(game)`` passes and the others."""
    ok, skipped = [], []
    for name, cls in registry.items():
        try:
            cls().check(case.game)
        except Exception:  # not applicable (or cannot even be instantiated)
            skipped.append(name)
        else:
            ok.append(name)
    return ok, skipped


def run_demo_row(name: str, case: Case) -> DemoRow:
    """Solve ``case`` with strategy ``name``; any exception becomes an ``error`` row.

    Options: the strategy's defaults, overridden by its optional class attribute
    ``demo_options`` (a dict, e.g. a smaller budget so the whole demo stays near a minute).
    """
    start = time.perf_counter()
    try:
        strategy = cli.get_strategy(name)
        demo_options = getattr(type(strategy), "demo_options", None) or {}
        if demo_options:
            strategy = cli.get_strategy(name, **demo_options)
        result = strategy.solve(case, progress=False, seed=0)
    except Exception as err:
        return DemoRow(name, "error", f"{type(err).__name__}: {err}", wall_s=time.perf_counter() - start)
    return DemoRow(name, result.status, result.message, result.iterations, result.objective,
                   result.gap_to_reference, result.certificate.summary(), result.wall_s)


def demo_command(
    agents: int = typer.Option(10, "--agents", "-n", min=1, help="followers per case"),
    periods: int = typer.Option(24, "--periods", "-t", min=1, help="periods per case"),
    as_json: bool = flag("print one JSON object instead of the tables", "--json"),
) -> None:
    """Solve the two analytic cases with every applicable strategy and compare to the closed forms
    (aliases such as ``admm`` are left out: they run one of the listed strategies)."""
    registry = {n: c for n, c in cli.available_strategies().items() if not is_alias(c)}
    name_width = max(len(n) for n in registry) if registry else 8
    widths = (name_width,) + DEMO_WIDTHS_MIN[1:]
    echo = (lambda _line: None) if as_json else (lambda line: typer.echo(line))
    report: list[dict[str, Any]] = []
    for case_name in DEMO_CASES:
        case = cli.make_case(case_name, agents, periods, seed=0)
        ref = case.reference
        echo("")
        echo(f"{case_name}: {agents} followers x {periods} periods; reference objective "
             f"{fmt(ref.objective if ref else None, '.8g')} ({ref.source if ref else 'none'}, minimisation form)")
        ok, skipped = applicable_strategies(case, registry)
        table = StreamTable(DEMO_HEADERS, widths, echo, right=DEMO_RIGHT)
        rows = []
        for name in ok:
            row = run_demo_row(name, case)
            rows.append(row)
            table.row(row.cells())
        for row in rows:
            if row.status != "converged":
                echo(f"  {row.strategy} ({row.status}): {row.message}")
        if skipped:
            echo(f"  not applicable to this case: {', '.join(skipped)}")
        report.append({"case": case_name, "kind": case_spec(case_name).kind, "agents": agents, "periods": periods,
                       "reference_objective": ref.objective if ref else None,
                       "reference_source": ref.source if ref else None,
                       "rows": [row.__dict__ for row in rows], "not_applicable": skipped})
    if as_json:
        echo_json({"cases": report})
    else:
        echo("")
        echo("gap(ref) = (objective - reference) / max(1, |reference|); certificate columns: see README.")
