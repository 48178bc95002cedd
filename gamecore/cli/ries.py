"""``gamecore ries``: seed 001's five-scenario ablation, ours beside the paper's (case ``ries``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from gamecore.cli.common import echo_json, fail, flag
from gamecore.cli.solve import build_solve, run_solve


def ries_command(
    scenario: list[int] | None = typer.Option(None, "--scenario", "-k", min=1, max=5,
                                                 help="scenario of the paper's ablation (repeatable; default all "
                                                      "five): 1 all features, 2 no SCTM, 3 no P2G-CCS, 4 no "
                                                      "storage, 5 no PMV"),
    agents: int = typer.Option(3, "--agents", "-n", min=1, help="load aggregators"),
    periods: int = typer.Option(24, "--periods", "-t", min=1, help="periods of the day (a divisor of 24)"),
    strategy: str = typer.Option("kkt", "--strategy", "-s", help="strategy solving each scenario"),
    seed: int = typer.Option(0, "--seed", help="seeds the LAs beyond the third and the strategy"),
    option: list[str] | None = typer.Option(None, "--option", "-O", metavar="KEY=VALUE",
                                               help="strategy option (repeatable), e.g. -O time_limit=600"),
    plot: Path | None = typer.Option(None, "--plot", help="write ries_s<k>.png (prices, dispatch, comfort, "
                                                          "emissions, ADMM residuals) per scenario to this directory"),
    as_json: bool = flag("print one JSON object (the rows) instead of the table", "--json"),
    quiet: bool = flag("no progress bar", "--quiet", "-q"),
) -> None:
    """Solve the ``ries`` case in each scenario and print the ablation table beside the paper's.

    Columns: EGO revenue (its profit, CNY), the LAs' total cost (CNY), RIES emissions (kg), each
    with the paper's figure, then the change of each relative to scenario 1, ours and the
    paper's; the welfare optimum (centralized) per scenario is in the JSON rows. Exit 1 when a
    scenario's solve failed.
    """
    from gamecore.cases.ries.analysis import ablation, plot_solution, table_lines

    chosen = sorted(set(scenario or [1, 2, 3, 4, 5]))
    if plot is not None:
        try:
            plot.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            fail(f"cannot create --plot directory {plot}: {err}")
    results: dict[int, Any] = {}
    for k in chosen:
        strategy_obj, built = build_solve("ries", strategy, agents, periods, seed, "loky", option or [],
                                          [f"scenario={k}"])
        result = run_solve(strategy_obj, built, strategy, n_jobs=1, backend="loky", quiet=quiet, seed=seed)
        results[k] = (built, result)
        if plot is not None and result.status != "failed":
            plot_solution(built, result, plot / f"ries_s{k}.png")
    rows = ablation(results)
    if as_json:
        echo_json({"strategy": strategy, "agents": agents, "periods": periods, "rows": rows})
    else:
        typer.echo(f"ries ablation: {strategy}, {agents} LAs, {periods} periods (ours vs the paper; d = change "
                   "relative to scenario 1)")
        typer.echo("\n".join(table_lines(rows)))
        for row in rows:
            typer.echo(f"  scenario {row['scenario']} ({row['label']}): {row['status']}, "
                       f"{'certified' if row['certified'] else 'NOT certified'}; welfare optimum "
                       f"{row['welfare_cost']:,.0f} CNY")
    if any(r.status == "failed" for _, r in results.values()):
        raise typer.Exit(1)
