"""Command-line interface: ``gamecore strategies | cases | solve | rolling | reconfigure | ries | p2p-dnr |
demo | bench``.

Exit codes: 0 success; 1 the strategy failed (status ``failed``) or crashed, or an ``--out``
file could not be written; 2 usage errors (unknown case or strategy, bad option, strategy not
applicable to the case, ``--out`` not a writable directory, dask scheduler unreachable), found
before the solve; 130 interrupted (Ctrl-C). Same for ``reconfigure`` (1: reconfiguration
``failed`` or crashed; 2: unknown feeder / method / periods, bad ``--time-limit``).
Errors print one line on stderr, without a traceback (set ``GAMECORE_DEBUG=1`` to get
the traceback of an unexpected exception).

Tables are plain text (no rich dependency, :mod:`gamecore.tables`); typer formats its own help
and usage errors with rich only when rich is installed. JSON output is strict
(:mod:`gamecore.jsonable`: NaN/inf -> null).

One module per command (``strategies``, ``cases``, ``solve``, ``rolling``, ``reconfigure``, ``ries``,
``p2p_dnr``, ``demo``, ``bench``), shared
helpers in ``common``, the dask client/cluster code in ``dask``. ``make_case``,
``get_strategy`` and ``available_strategies`` are looked up on this package when a command runs,
so patching ``gamecore.cli.<name>`` reaches every command.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import traceback
from collections.abc import Sequence

import typer

# the names the commands look up here at run time (patchable as gamecore.cli.<name>)
from gamecore.cases import make_case
from gamecore.cli.bench import bench_command
from gamecore.cli.cases import case_params_cell, cases_command, parse_case_params
from gamecore.cli.common import (
    CERTIFICATE_FIELDS,
    CERTIFICATE_LABELS,
    check_seconds,
    fail,
    flag,
    parse_options,
    parse_value,
    show_progress,
)
from gamecore.cli.dask import (
    DASK_CLOSE_TIMEOUT,
    DEFAULT_CONNECT_TIMEOUT,
    WORKER_SILENCE_TIMEOUT,
    WORKER_SPAWN_TIMEOUT,
    WORKER_START_TIMEOUT,
    check_scheduler,
    close_quietly,
    dask_client,
    dask_config,
    distributed_silenced,
    local_cluster,
    scheduler_client,
    sigint_deferred,
    sigint_ignored,
    silence_workers,
    spawn_ignoring_sigint,
    start_local_cluster,
    unreachable_reason,
)
from gamecore.cli.demo import (
    DEMO_CASES,
    DEMO_HEADERS,
    DEMO_WIDTHS_MIN,
    DemoRow,
    applicable_strategies,
    demo_command,
    run_demo_row,
)
from gamecore.cli.p2p_dnr import p2p_dnr_command
from gamecore.cli.reconfigure import (
    DEFAULT_TIME_LIMIT,
    check_reconfigure_usage,
    format_reconfiguration,
    reconfigure_command,
)
from gamecore.cli.ries import ries_command
from gamecore.cli.rolling import format_rolling, rolling_command
from gamecore.cli.solve import (
    build_solve,
    check_solve_usage,
    format_summary,
    prepare_out_dir,
    report_solve,
    result_payload,
    run_solve,
    solve_command,
    write_outputs,
)
from gamecore.cli.strategies import strategies_command
from gamecore.registry import available_strategies, get_strategy
from gamecore.tables import fmt, format_table

_HAS_RICH = importlib.util.find_spec("rich") is not None

app = typer.Typer(
    name="gamecore",
    help="Leader-follower games with interchangeable equilibrium strategies and equilibrium certificates.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich" if _HAS_RICH else None,
)
# the commands, in the order `gamecore --help` lists them
app.command("strategies")(strategies_command)
app.command("cases")(cases_command)
app.command("solve")(solve_command)
app.command("rolling")(rolling_command)
app.command("reconfigure")(reconfigure_command)
app.command("ries")(ries_command)
app.command("p2p-dnr")(p2p_dnr_command)
app.command("demo")(demo_command)
app.command("bench")(bench_command)

__all__ = [
    "CERTIFICATE_FIELDS",
    "CERTIFICATE_LABELS",
    "DASK_CLOSE_TIMEOUT",
    "DEFAULT_CONNECT_TIMEOUT",
    "DEFAULT_TIME_LIMIT",
    "DEMO_CASES",
    "DEMO_HEADERS",
    "DEMO_WIDTHS_MIN",
    "WORKER_SILENCE_TIMEOUT",
    "WORKER_SPAWN_TIMEOUT",
    "WORKER_START_TIMEOUT",
    "DemoRow",
    "app",
    "applicable_strategies",
    "available_strategies",
    "bench_command",
    "build_solve",
    "case_params_cell",
    "cases_command",
    "check_reconfigure_usage",
    "check_scheduler",
    "check_seconds",
    "check_solve_usage",
    "close_quietly",
    "dask_client",
    "dask_config",
    "demo_command",
    "distributed_silenced",
    "fail",
    "flag",
    "fmt",
    "format_reconfiguration",
    "format_rolling",
    "format_summary",
    "format_table",
    "get_strategy",
    "local_cluster",
    "main",
    "make_case",
    "parse_case_params",
    "parse_options",
    "parse_value",
    "prepare_out_dir",
    "reconfigure_command",
    "p2p_dnr_command",
    "ries_command",
    "rolling_command",
    "report_solve",
    "result_payload",
    "run_demo_row",
    "run_solve",
    "scheduler_client",
    "show_progress",
    "sigint_deferred",
    "sigint_ignored",
    "silence_workers",
    "solve_command",
    "spawn_ignoring_sigint",
    "start_local_cluster",
    "strategies_command",
    "unreachable_reason",
    "write_outputs",
]


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (``gamecore``)."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="gamecore")
    except Exception:  # pragma: no cover - last resort, typer already handles usage errors
        if os.environ.get("GAMECORE_DEBUG"):
            raise
        typer.echo(f"gamecore: internal error: {traceback.format_exc(limit=1).strip().splitlines()[-1]}", err=True)
        sys.exit(1)
