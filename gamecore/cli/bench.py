"""``gamecore bench [SUITE] --out DIR``: run a benchmark suite (a TOML file, or the one-case suite of
the flags), resumable, and write its table and report (:mod:`gamecore.bench`)."""

from __future__ import annotations

import contextlib
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

import typer

from gamecore.cli.cases import parse_case_params
from gamecore.cli.common import check_seconds, echo_json, fail, flag, parse_options, show_progress
from gamecore.cli.dask import DEFAULT_CONNECT_TIMEOUT, dask_client, scheduler_client, silence_leftovers
from gamecore.errors import GameError, StrategyError
from gamecore.tables import fmt, format_table


def _int_list(text: str | None, option: str, least: int) -> list[int]:
    """``"10,100"`` -> ``[10, 100]``; exit 2 naming ``option`` on anything else."""
    if text is None:
        return []
    try:
        values = [int(v) for v in text.split(",") if v.strip()]
    except ValueError:
        fail(f"{option} expects comma-separated integers, got {text!r}")
    if not values or any(v < least for v in values):
        fail(f"{option} expects integers >= {least}, got {text!r}")
    return values


def bench_command(
    suite: Path | None = typer.Argument(None, help="suite file (TOML, see benchmarks/suites/); or give --case"),
    out: Path = typer.Option(..., "--out", "-o", help="output directory: results.csv, environment.json, report"),
    resume: bool = flag("skip the cells DIR/results.csv already holds (needed when it exists)", "--resume"),
    case: str | None = typer.Option(None, "--case", help="one-case suite: the case (see `gamecore cases`)"),
    strategies: str | None = typer.Option(None, "--strategies", "-s",
                                          help="one-case suite: comma-separated strategies, or 'applicable'"),
    agents: str | None = typer.Option(None, "--agents", "-n", help="one-case suite: comma-separated agent counts"),
    periods: str | None = typer.Option(None, "--periods", "-t", help="one-case suite: comma-separated periods "
                                                                    "(default: the case's)"),
    seeds: str = typer.Option("0", "--seeds", help="one-case suite: comma-separated seeds"),
    param: list[str] | None = typer.Option(None, "--param", "-P", metavar="KEY=VALUE",
                                           help="one-case suite: case parameter (repeatable)"),
    option: list[str] | None = typer.Option(None, "--option", "-O", metavar="KEY=VALUE",
                                            help="one-case suite: strategy option (repeatable; goes to every "
                                                 "strategy that has it)"),
    time_limit: float | None = typer.Option(None, "--time-limit", metavar="<seconds>",
                                            help="seconds per cell (default: the suite's, else 600)"),
    pool_jobs: int = typer.Option(1, "--pool-jobs", help="one-case suite: follower pool workers inside each cell"),
    n_jobs: int = typer.Option(1, "--n-jobs", "-j", help="cells run at the same time (-1: all cores / dask threads)"),
    backend: str = typer.Option("local", "--backend", help="where cells run: local (child processes) or dask"),
    scheduler: str | None = typer.Option(None, "--scheduler", help="with --backend dask: a dask scheduler address "
                                                                   "(default: a LocalCluster of --n-jobs workers)"),
    report: bool = typer.Option(True, "--report/--no-report", help="write report.md and the plots at the end"),
    as_json: bool = flag("print one JSON object instead of the summary", "--json"),
    quiet: bool = flag("no progress bar", "--quiet", "-q"),
) -> None:
    """Run a benchmark suite: every cell (case × strategy × agents × periods × seed) in its own
    process with a time limit; one row per cell in DIR/results.csv, then the report.

    Ctrl-C stops the running cells; the finished ones stay in results.csv (run again with --resume).
    """
    from gamecore.bench import SuiteError, load_suite, run
    from gamecore.bench.suite import DEFAULT_TIME_LIMIT, Suite

    if time_limit is not None:
        check_seconds("--time-limit", time_limit)
    if backend not in ("local", "dask"):
        fail(f"--backend must be local or dask, got {backend!r}")
    if scheduler is not None and backend != "dask":
        fail("--scheduler needs --backend dask")
    if n_jobs == 0 or n_jobs < -1:
        fail(f"--n-jobs must be a positive integer or -1, got {n_jobs}")
    flags = {"--case": case, "--strategies": strategies, "--agents": agents, "--periods": periods,
             "--param": param, "--option": option}
    try:
        if suite is not None:
            given = [name for name, value in flags.items() if value]
            if given:
                fail(f"give a suite file or the one-case flags, not both ({', '.join(given)})")
            built = load_suite(suite)
            if time_limit is not None:
                built = Suite(built.name, tuple(replace(c, time_limit=float(time_limit)) for c in built.cells),
                              built.source)
        else:
            if not case or not strategies or not agents:
                fail("give a suite file, or --case, --strategies and --agents")
            strategy_list = ["applicable"] if strategies == "applicable" else [
                s.strip() for s in strategies.split(",") if s.strip()]
            try:   # untyped here: one option set goes to several strategies, each checks its own
                opts = parse_options(option or [])
            except StrategyError as err:
                fail(str(err))
            from gamecore.cases import case_spec

            try:
                case_params = case_spec(case).parse_params(parse_case_params(param or []))
            except (GameError, ValueError) as err:
                fail(str(err).strip("'\""))
            built = Suite.from_flags(case, strategy_list, _int_list(agents, "--agents", 1),
                                     _int_list(periods, "--periods", 1), _int_list(seeds, "--seeds", 0),
                                     case_params, opts, time_limit if time_limit is not None else DEFAULT_TIME_LIMIT,
                                     pool_jobs=pool_jobs)
    except SuiteError as err:
        fail(str(err))
    try:
        with contextlib.ExitStack() as stack:
            if backend == "dask":
                stack.enter_context(scheduler_client(scheduler, DEFAULT_CONNECT_TIMEOUT) if scheduler is not None
                                    else dask_client("dask", None, n_jobs, followers=len(built.cells)))
            done = run(built, out, resume=resume, n_jobs=n_jobs, backend=backend, progress=show_progress(quiet),
                       report=report)
    except SuiteError as err:
        fail(str(err))
    except KeyboardInterrupt:
        silence_leftovers()
        fail("interrupted (finished cells are in results.csv; run again with --resume)", code=130)
    _report(done, built.name, as_json)


def _report(done: Any, name: str, as_json: bool) -> None:
    frame = done.frame
    statuses = dict(Counter(frame["status"])) if len(frame) else {}
    if as_json:
        echo_json({"suite": name, "out": str(done.out), "cells": int(len(frame)), "ran": done.ran,
                   "skipped": done.skipped, "statuses": statuses,
                   "files": {k: str(v) for k, v in done.files.items()}})
        return
    typer.echo(f"suite {name}: {done.ran} cells run, {done.skipped} skipped (already in {done.out / 'results.csv'})")
    rows = []
    for (method, agents), part in frame.groupby(["method", "agents"], sort=True):
        rows.append([method, int(agents), len(part), int((part["status"] == "converged").sum()),
                     fmt(part["iterations"].median()), fmt(part["wall_s"].median()), fmt(part["solver_s"].median())])
    if rows:
        typer.echo(format_table(["method", "agents", "runs", "converged", "iter (median)", "wall s", "solver s"],
                                rows))
    typer.echo("statuses: " + ", ".join(f"{k} {v}" for k, v in sorted(statuses.items())))
    for key, path in done.files.items():
        if key in ("report.md", "results.csv"):
            typer.echo(f"{key}: {path}")
