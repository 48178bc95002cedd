"""``gamecore solve CASE -s STRATEGY``: one solve, its summary or JSON, and the ``--out`` files."""

from __future__ import annotations

import contextlib
import math
import os
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import typer

# make_case / get_strategy are looked up on the package (tests patch them there)
from gamecore import cli
from gamecore.case import Case
from gamecore.cases import UnknownCaseError, case_spec
from gamecore.cli.cases import parse_case_params
from gamecore.cli.common import (
    CERTIFICATE_FIELDS,
    CERTIFICATE_LABELS,
    check_seconds,
    echo_json,
    fail,
    flag,
    options_class,
    parse_options,
    show_progress,
)
from gamecore.cli.dask import DEFAULT_CONNECT_TIMEOUT, dask_client, scheduler_client, silence_leftovers
from gamecore.errors import GameError
from gamecore.pool import check_backend
from gamecore.result import Result
from gamecore.strategy import Strategy
from gamecore.tables import fmt


def solve_command(
    case: str = typer.Argument(..., help="case name (see `gamecore cases`)"),
    strategy: str | None = typer.Option(None, "--strategy", "-s",
                                        help="strategy name (see `gamecore strategies`); default: the case's "
                                             "default strategy where it has one (`gamecore cases`)"),
    agents: int | None = typer.Option(None, "--agents", "-n", min=1, help="followers (default: the case's)"),
    periods: int | None = typer.Option(None, "--periods", "-t", min=1, help="periods (default: the case's)"),
    seed: int = typer.Option(0, "--seed", help="seeds the case data and the strategy's random choices"),
    n_jobs: int = typer.Option(1, "--n-jobs", "-j", help="follower pool workers (1 = in-process, -1 = all cores)"),
    backend: str = typer.Option("loky", "--backend", help="joblib backend of the follower pool: loky, threading, "
                                "multiprocessing or dask"),
    scheduler: str | None = typer.Option(None, "--scheduler", help="with --backend dask: address of a dask "
                                            "scheduler (default: a LocalCluster of --n-jobs single-thread workers)"),
    connect_timeout: float | None = typer.Option(
        None, "--connect-timeout", metavar="<seconds>",
        help=f"with --scheduler: seconds to reach the scheduler before giving up with exit 2 "
             f"(default {DEFAULT_CONNECT_TIMEOUT:g})"),
    out: Path | None = typer.Option(None, "--out", "-o",
                                       help="write result.json, history.csv and convergence.png to this directory "
                                            "(checked before solving; files appear complete or not at all)"),
    as_json: bool = flag("print one JSON object instead of the summary", "--json"),
    quiet: bool = flag("no progress bar", "--quiet", "-q"),
    option: list[str] | None = typer.Option(None, "--option", "-O", metavar="KEY=VALUE",
                                               help="strategy option (repeatable), e.g. -O max_iter=200 -O tol=1e-6 "
                                                    "-O time_limit=none; `gamecore strategies NAME` lists a "
                                                    "strategy's options with their types and ranges"),
    param: list[str] | None = typer.Option(None, "--param", "-P", metavar="KEY=VALUE",
                                              help="case parameter (repeatable; see `gamecore cases`), "
                                                   "e.g. --param cap_margin=1.5"),
) -> None:
    """Solve CASE with one strategy, print the result and its certificate.

    Ctrl-C stops the solve, shuts the dask cluster (if any) down quietly and exits 130.
    """
    check_solve_usage(case, n_jobs, backend, scheduler, connect_timeout)
    strategy = strategy or default_strategy(case)
    if out is not None:
        prepare_out_dir(out)
    try:
        with contextlib.ExitStack() as stack:
            if scheduler is not None:  # fail fast, before the case is built
                stack.enter_context(scheduler_client(scheduler, connect_timeout or DEFAULT_CONNECT_TIMEOUT))
            strategy_obj, built = build_solve(case, strategy, agents, periods, seed, backend, option or [],
                                              param or [])
            stack.enter_context(dask_client(backend, None, n_jobs, followers=built.game.n_followers)
                                if scheduler is None else contextlib.nullcontext())
            result = run_solve(strategy_obj, built, strategy, n_jobs=n_jobs, backend=backend, quiet=quiet, seed=seed)
    except KeyboardInterrupt:  # the dask client / cluster are closed by now
        silence_leftovers()
        fail("interrupted", code=130)
    report_solve(built, result, periods or case_spec(case).default_periods, as_json, out)


def default_strategy(case: str) -> str:
    """The case's default strategy; exit 2 when it has none (``--strategy`` is then required)."""
    name = case_spec(case).default_strategy
    if name is None:
        fail(f"case '{case}' has no default strategy: give --strategy (see `gamecore strategies`)")
    return name


def check_solve_usage(case: str, n_jobs: int, backend: str, scheduler: str | None,
                      connect_timeout: float | None) -> None:
    """Exit 2 (:func:`fail`) on a usage error of ``gamecore solve`` that needs no case or solver:
    unknown case, ``--n-jobs`` 0 or < -1, ``--scheduler`` without ``--backend dask``, dask with
    ``-j 1``, ``--connect-timeout`` without ``--scheduler`` or not a finite number > 0."""
    try:
        case_spec(case)
    except UnknownCaseError as err:
        fail(str(err))
    if n_jobs == 0 or n_jobs < -1:
        fail(f"--n-jobs must be a positive integer or -1, got {n_jobs}")
    if scheduler is not None and backend != "dask":
        fail("--scheduler needs --backend dask")
    if backend == "dask" and n_jobs == 1:
        fail("--backend dask needs --n-jobs > 1 or -1 (with -j 1 the followers are solved in-process)")
    if connect_timeout is not None:
        if scheduler is None:
            fail("--connect-timeout needs --scheduler")
        check_seconds("--connect-timeout", connect_timeout)


def build_solve(case: str, strategy: str, agents: int | None, periods: int | None, seed: int, backend: str,
                option: Sequence[str], param: Sequence[str] = ()) -> tuple[Strategy, Case]:
    """The strategy (with its ``--option`` values, parsed and checked by the fields of its ``Options``:
    :func:`gamecore.options.parse_option_text`) and the case built with its ``--param`` values;
    exit 2 on any :class:`GameError` / ``ValueError`` (bad backend, option or case parameter,
    strategy not applicable)."""
    try:
        check_backend(backend)
        strategy_obj = cli.get_strategy(strategy, **parse_options(option, options_class(strategy), strategy))
        params = case_spec(case).parse_params(parse_case_params(param))
        built = cli.make_case(case, agents, periods, seed, **params)
        strategy_obj.check(built.game)
    except (GameError, ValueError) as err:
        fail(str(err))
    return strategy_obj, built


def run_solve(strategy_obj: Strategy, built: Case, name: str, *, n_jobs: int, backend: str, quiet: bool,
              seed: int) -> Result:
    """``strategy_obj.solve(built, ...)``; an exception (not Ctrl-C) -> "strategy '<name>' crashed:
    ...", exit 1 (re-raised with ``GAMECORE_DEBUG`` set)."""
    try:
        return strategy_obj.solve(built, n_jobs=n_jobs, backend=backend, progress=show_progress(quiet), seed=seed)
    except Exception as err:  # a strategy bug must not end in a traceback for the user
        if os.environ.get("GAMECORE_DEBUG"):
            raise
        fail(f"strategy '{name}' crashed: {type(err).__name__}: {err}", code=1)


def report_solve(built: Case, result: Result, periods: int, as_json: bool, out: Path | None) -> None:
    """Print the summary (or the JSON object), write ``--out`` files; exit 1 when the status
    is ``failed`` or a file cannot be written (no partial file is left, see :func:`write_outputs`)."""
    if as_json:
        echo_json(result_payload(built, result, periods))
    else:
        typer.echo(format_summary(built, result))
    if out is not None:
        try:
            written = write_outputs(result, out)
        except Exception as err:  # disk full, permissions changed since the check, a plotting failure, ...
            fail(f"cannot write to --out {out}: {type(err).__name__}: {err}", code=1)
        if not as_json:
            typer.echo("wrote " + ", ".join(str(p) for p in written))
    if result.status == "failed":
        raise typer.Exit(1)


def prepare_out_dir(out: Path) -> None:
    """Create directory ``out`` (with its parents) and check that a file can be created in it.

    Exits 2 naming ``--out`` when ``out`` is an existing non-directory or cannot be created or
    written. Called before the case is built, so a bad ``--out`` costs no solve.
    """
    if out.exists() and not out.is_dir():
        fail(f"--out {out} exists and is not a directory")
    try:
        out.mkdir(parents=True, exist_ok=True)
        handle, probe = tempfile.mkstemp(dir=out, prefix=".gamecore-write-check-")
        os.close(handle)
        os.unlink(probe)
    except OSError as err:
        fail(f"--out {out} is not a writable directory: {err.strerror or err}")


def result_payload(case: Case, result: Result, periods: int | None = None) -> dict[str, Any]:
    """The JSON object of ``gamecore solve --json``: ``Result.to_dict()`` (without per-follower
    outputs, which ``--out`` writes to result.json) plus the case, its size and the reference's source,
    and the entries of ``result.extra["headline"]`` (a strategy's key figures, e.g. ``two-tier``'s
    ``loss_kw``) at the top level where they do not clash with a key above."""
    payload: dict[str, Any] = {"case": case.name, "agents": len(case.game.followers), "periods": periods}
    payload.update(result.to_dict(include_outputs=False))
    for key, value in result.extra.get("headline", {}).items():  # a strategy's key figures, at the top
        payload.setdefault(key, value)
    payload["reference_source"] = _reference_source(case, result)
    return payload


def format_summary(case: Case, result: Result) -> str:
    """Human-readable summary of one solve."""
    game = case.game
    cert = result.certificate.summary()
    lines = [
        f"case          {case.name} ({len(game.followers)} followers)",
        f"strategy      {result.strategy} ({result.equilibrium} equilibrium)",
        f"status        {result.status}: {result.message}",
        f"iterations    {result.iterations}",
        f"objective     {fmt(result.objective, '.10g')}  (minimisation form)",
        f"reference     {_reference_text(case, result)}",
        f"gap           {fmt(result.gap_to_reference, '.3g')}  (relative to the reference; positive = worse)",
        "certificate",
    ]
    certificate = result.certificate
    lines += [f"  {CERTIFICATE_LABELS[key]:<24}{fmt(cert[key], '.3g')}" for key, _ in CERTIFICATE_FIELDS
              if key in certificate.required or cert[key] is not None]
    if certificate.leader_bound is not None:
        lines.append(f"  {'leader bound':<24}{fmt(certificate.leader_bound, '.10g')} ({certificate.bound_source})")
    verdict = "yes" if certificate.certified else "NO: " + "; ".join(certificate.failures())
    lines.append(f"  {'certified':<24}{verdict}")
    lines += [
        f"messages      {result.messages} ({result.floats} floats)",
        f"time          wall {result.wall_s:.3f} s, solver {result.solver_s:.3f} s, "
        f"certificate {result.certificate_s:.3f} s",
    ]
    return "\n".join(lines)


def write_outputs(result: Result, directory: Path) -> list[Path]:
    """Write ``result.json``, ``history.csv`` and ``convergence.png`` into ``directory`` (created
    if missing); return their paths.

    Each file is first written under a temporary name in ``directory`` and the three are moved
    into place (``os.replace``) only once all are complete: when a write fails, the temporary
    files are removed and files of an earlier run are left as they were (never truncated).
    """
    from gamecore.plotting import plot_convergence

    writers: dict[str, Callable[[Path], Any]] = {
        "result.json": result.to_json,
        "history.csv": lambda path: result.history_frame().to_csv(path, index=False),
        "convergence.png": lambda path: plot_convergence(result, path),
    }
    directory.mkdir(parents=True, exist_ok=True)
    temporary: dict[str, Path] = {}
    try:
        for name, write in writers.items():
            temporary[name] = _temporary_path(directory, name)
            write(temporary[name])
        for name, path in temporary.items():
            os.replace(path, directory / name)
    finally:
        for path in temporary.values():
            path.unlink(missing_ok=True)
    return [directory / name for name in writers]


def _temporary_path(directory: Path, name: str) -> Path:
    """A new empty file in ``directory`` named like ``.name.XXXX.suffix`` (same suffix, so
    writers that infer the format from it still work)."""
    handle, path = tempfile.mkstemp(dir=directory, prefix=f".{name}.", suffix=Path(name).suffix)
    os.close(handle)
    return Path(path)


def _reference_source(case: Case, result: Result) -> str:
    ref = case.reference
    if result.reference_objective is None:
        return "n/a"
    if ref is not None and math.isclose(result.reference_objective, ref.objective, rel_tol=0, abs_tol=1e-12):
        return ref.source
    return "centralized"


def _reference_text(case: Case, result: Result) -> str:
    if result.reference_objective is not None:
        return f"{fmt(result.reference_objective, '.10g')}  ({_reference_source(case, result)})"
    if case.reference is not None:
        return f"{fmt(case.reference.objective, '.10g')}  ({case.reference.source}, {case.reference.kind})"
    return "n/a"
