"""``gamecore p2p-dnr``: seed 002's game by ``two-tier``, its key figures and its plots (case ``p2p-dnr``)."""

from __future__ import annotations

from pathlib import Path

import typer

from gamecore.cli.common import echo_json, fail, flag
from gamecore.cli.solve import build_solve, result_payload, run_solve
from gamecore.tables import fmt


def p2p_dnr_command(
    agents: int = typer.Option(10, "--agents", "-n", min=1, help="prosumers (32 = one per load bus)"),
    periods: int = typer.Option(24, "--periods", "-t", min=1, help="periods of the day (a divisor of 24)"),
    seed: int = typer.Option(0, "--seed", help="seeds the prosumers' data"),
    param: list[str] | None = typer.Option(None, "--param", "-P", metavar="KEY=VALUE",
                                              help="case parameter (repeatable): resources=false, max_switching=K"),
    option: list[str] | None = typer.Option(None, "--option", "-O", metavar="KEY=VALUE",
                                               help="two-tier option (repeatable), e.g. -O joint_bound=false "
                                                    "-O market=admm -O market_rho=1e-4"),
    plot: Path | None = typer.Option(None, "--plot", help="write p2p_topology.png (open lines per period), "
                                                          "p2p_losses.png (losses per period vs the base "
                                                          "topology), p2p_trades.png (trade matrix) and "
                                                          "p2p_convergence.png (charge changes) to this directory"),
    as_json: bool = flag("print the JSON object of `gamecore solve --json` instead of the summary", "--json"),
    quiet: bool = flag("no progress bar", "--quiet", "-q"),
) -> None:
    """Solve ``p2p-dnr`` with ``two-tier``: losses, open lines, welfare, bound gap, AC check. Exit 1 when it failed."""
    from gamecore.cases.p2p_dnr.analysis import plot_convergence, plot_losses, plot_topology, plot_trades
    from gamecore.cases.p2p_dnr.data import Scenario

    if plot is not None:
        try:
            plot.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            fail(f"cannot create --plot directory {plot}: {err}")
    strategy_obj, built = build_solve("p2p-dnr", "two-tier", agents, periods, seed, "loky", option or [], param or [])
    result = run_solve(strategy_obj, built, "two-tier", n_jobs=1, backend="loky", quiet=quiet, seed=seed)
    scenario = built.params["scenario"]
    assert isinstance(scenario, Scenario)
    decision = result.extra.get("decision")
    if plot is not None and decision is not None:
        plot_topology(scenario, decision["open_lines"], plot / "p2p_topology.png")
        rows = [{"row": "two-tier", "loss_kw": decision["loss_kw"]},
                {"row": "base topology, same loads", "loss_kw": decision["base_loss_kw"]}]
        plot_losses(scenario, rows, plot / "p2p_losses.png")
        plot_trades(scenario, result.outputs, plot / "p2p_trades.png")
        plot_convergence(result, plot / "p2p_convergence.png")
    if as_json:
        echo_json(result_payload(built, result, periods))
    else:
        head = result.extra.get("headline", {})
        typer.echo(f"p2p-dnr: {agents} prosumers, {periods} periods, two-tier: {result.status} in "
                   f"{result.iterations} iterations ({result.message})")
        for key in ("loss_kw", "ac_check_loss_kw", "min_voltage_pu", "max_line_loading", "welfare", "system_cost",
                    "bound_gap", "switching_operations"):
            typer.echo(f"  {key:<22}{fmt(head.get(key), '.6g')}")
        if decision is not None:
            typer.echo(f"  {'open_lines':<22}{decision['open_lines'] if periods > 1 else decision['open_lines'][0]}")
        typer.echo(f"  {'certified (market)':<22}{'yes' if result.certificate.certified else 'NO'}")
    if result.status == "failed":
        raise typer.Exit(1)
