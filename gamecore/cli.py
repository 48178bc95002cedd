"""Command-line interface: ``gamecore strategies | cases | solve | demo | reconfigure``.

Exit codes: 0 success; 1 the strategy failed (status ``failed``) or crashed, or an ``--out``
file could not be written; 2 usage errors (unknown case or strategy, bad option, strategy not
applicable to the case, ``--out`` not a writable directory, dask scheduler unreachable), found
before the solve; 130 interrupted (Ctrl-C). Same for ``reconfigure`` (1: reconfiguration
``failed`` or crashed; 2: unknown feeder / method / periods, bad ``--time-limit``).
Errors print one line on stderr, without a traceback (set ``GAMECORE_DEBUG=1`` to get
the traceback of an unexpected exception).

Tables are plain text (no rich dependency); typer formats its own help and usage errors
with rich only when rich is installed.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import json
import logging
import math
import os
import signal
import sys
import tempfile
import threading
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterator, NoReturn, Optional, Sequence

import typer
from joblib import cpu_count

from gamecore.case import Case, CaseParam
from gamecore.cases import UnknownCaseError, available_cases, case_spec, make_case
from gamecore.errors import GameError, StrategyError
from gamecore.pool import check_backend, plan_workers
from gamecore.registry import available_strategies, get_strategy
from gamecore.result import Result
from gamecore.strategy import Strategy

_HAS_RICH = importlib.util.find_spec("rich") is not None

app = typer.Typer(
    name="gamecore",
    help="Leader-follower games with interchangeable equilibrium strategies and equilibrium certificates.",
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="rich" if _HAS_RICH else None,
)

#: certificate fields, in display order, with short column labels and long names
CERTIFICATE_FIELDS: tuple[tuple[str, str], ...] = (
    ("best_response_gap", "BR gap"), ("follower_infeasibility", "infeas."), ("coupling_residual", "coupling"),
    ("duality_gap", "duality"), ("leader_violation", "leader c."), ("optimistic_gap", "optimist."),
    ("leader_regret", "regret"))
CERTIFICATE_LABELS: dict[str, str] = {
    "best_response_gap": "best-response gap", "follower_infeasibility": "follower infeasibility",
    "coupling_residual": "coupling residual", "duality_gap": "duality gap", "leader_violation": "leader violation",
    "optimistic_gap": "optimistic gap", "leader_regret": "leader regret"}

#: the two cases ``gamecore demo`` runs
DEMO_CASES: tuple[str, ...] = ("analytic-market", "analytic-stackelberg")

#: seconds ``--scheduler`` may take to answer (``--connect-timeout``)
DEFAULT_CONNECT_TIMEOUT: float = 5.0
#: seconds each of the dask client and cluster gets to close
DASK_CLOSE_TIMEOUT: float = 10.0
#: seconds the LocalCluster's worker processes get to be forked, then to connect
WORKER_SPAWN_TIMEOUT: float = 10.0
WORKER_START_TIMEOUT: float = 120.0
#: seconds the LocalCluster's workers get to silence their logging before they are closed
WORKER_SILENCE_TIMEOUT: float = 2.0
#: ``gamecore reconfigure --time-limit`` default, s
DEFAULT_TIME_LIMIT: float = 600.0


# ------------------------------------------------------------------------------ helpers
def fail(message: str, code: int = 2) -> NoReturn:
    """Print ``message`` on stderr and exit with ``code`` (no traceback)."""
    typer.echo(f"gamecore: error: {message}", err=True)
    raise typer.Exit(code)


def flag(help_text: str, *names: str) -> Any:
    """A typer on/off option: ``False`` unless one of ``names`` is given (it takes no value);
    the help shows the bare flag, not a ``<bool>`` value."""
    return typer.Option(False, *names, metavar="", help=help_text)


def parse_value(text: str) -> bool | int | float | str:
    """Parse an option value: ``true``/``false`` -> bool, then int, then float, else the string."""
    lowered = text.strip().lower()
    if lowered in ("true", "yes", "on"):
        return True
    if lowered in ("false", "no", "off"):
        return False
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


def parse_options(items: Sequence[str]) -> dict[str, Any]:
    """``["max_iter=50", "tol=1e-6"]`` -> ``{"max_iter": 50, "tol": 1e-06}`` (``-`` in keys -> ``_``).

    Raises:
        StrategyError: an item without ``=`` or with an empty key, or a key given twice.
    """
    options: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise StrategyError(f"--option expects key=value, got {item!r}")
        if key in options:
            raise StrategyError(f"--option {key} given twice")
        options[key] = parse_value(value.strip())
    return options


def show_progress(quiet: bool) -> bool:
    """Progress bars only when not ``--quiet`` and both stdout and stderr are terminals."""
    return not quiet and _isatty(sys.stdout) and _isatty(sys.stderr)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):
        return False


def fmt(value: Any, spec: str = ".4g") -> str:
    """Format a number for a table (``n/a`` for None / non-finite)."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return str(value)
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if not math.isfinite(number):
        return "n/a" if math.isnan(number) else str(number)
    return format(number, spec)


def format_table(headers: Sequence[str], rows: Sequence[Sequence[Any]], right: Sequence[bool] | None = None) -> str:
    """A plain-text table: header, dashes, rows; columns padded to their widest cell."""
    cells = [[str(c) for c in row] for row in rows]
    widths = [max([len(h)] + [len(r[j]) for r in cells]) for j, h in enumerate(headers)]
    right = right or [False] * len(headers)

    def line(values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if r else v.ljust(w) for v, w, r in zip(values, widths, right)).rstrip()

    out = [line(list(headers)), line(["-" * w for w in widths])]
    out.extend(line(r) for r in cells)
    return "\n".join(out)


def _strategy_summary(cls: type[Strategy]) -> str:
    summary = getattr(cls, "summary", "") or ""
    if not summary:
        doc = (sys.modules.get(cls.__module__).__doc__ or "") if cls.__module__ in sys.modules else ""
        summary = doc.strip().splitlines()[0] if doc.strip() else ""
    return summary


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


# ----------------------------------------------------------------------------- commands
@app.command("strategies")
def strategies_command() -> None:
    """List the registered strategies (built-ins and `gamecore.strategies` plug-ins)."""
    rows = [(name, cls.equilibrium, _strategy_summary(cls)) for name, cls in available_strategies().items()]
    typer.echo(format_table(("name", "equilibrium", "summary"), rows))


@app.command("cases")
def cases_command(
    name: Optional[str] = typer.Argument(None, help="show this case and what its parameters mean"),
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


@app.command("solve")
def solve_command(
    case: str = typer.Argument(..., help="case name (see `gamecore cases`)"),
    strategy: str = typer.Option(..., "--strategy", "-s", help="strategy name (see `gamecore strategies`)"),
    agents: Optional[int] = typer.Option(None, "--agents", "-n", min=1, help="followers (default: the case's)"),
    periods: Optional[int] = typer.Option(None, "--periods", "-t", min=1, help="periods (default: the case's)"),
    seed: int = typer.Option(0, "--seed", help="seeds the case data and the strategy's random choices"),
    n_jobs: int = typer.Option(1, "--n-jobs", "-j", help="follower pool workers (1 = in-process, -1 = all cores)"),
    backend: str = typer.Option("loky", "--backend", help="joblib backend of the follower pool: loky, threading, "
                                "multiprocessing or dask"),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="with --backend dask: address of a dask "
                                            "scheduler (default: a LocalCluster of --n-jobs single-thread workers)"),
    connect_timeout: Optional[float] = typer.Option(
        None, "--connect-timeout", metavar="<seconds>",
        help=f"with --scheduler: seconds to reach the scheduler before giving up with exit 2 "
             f"(default {DEFAULT_CONNECT_TIMEOUT:g})"),
    out: Optional[Path] = typer.Option(None, "--out", "-o",
                                       help="write result.json, history.csv and convergence.png to this directory "
                                            "(checked before solving; files appear complete or not at all)"),
    as_json: bool = flag("print one JSON object instead of the summary", "--json"),
    quiet: bool = flag("no progress bar", "--quiet", "-q"),
    option: Optional[list[str]] = typer.Option(None, "--option", "-O", metavar="KEY=VALUE",
                                               help="strategy option (repeatable), e.g. -O max_iter=200 -O tol=1e-6"),
    param: Optional[list[str]] = typer.Option(None, "--param", "-P", metavar="KEY=VALUE",
                                              help="case parameter (repeatable; see `gamecore cases`), "
                                                   "e.g. --param cap_margin=1.5"),
) -> None:
    """Solve CASE with one strategy, print the result and its certificate.

    Ctrl-C stops the solve, shuts the dask cluster (if any) down quietly and exits 130.
    """
    check_solve_usage(case, n_jobs, backend, scheduler, connect_timeout)
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
        fail("interrupted", code=130)
    report_solve(built, result, periods or case_spec(case).default_periods, as_json, out)


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


def check_seconds(name: str, value: float) -> float:
    """``value`` if it is a finite number of seconds > 0; else exit 2 naming option ``name``."""
    if not (math.isfinite(value) and value > 0):
        fail(f"{name} must be a finite number of seconds > 0, got {value:g}")
    return value


def build_solve(case: str, strategy: str, agents: int | None, periods: int | None, seed: int, backend: str,
                option: Sequence[str], param: Sequence[str] = ()) -> tuple[Strategy, Case]:
    """The strategy (with its ``--option`` values) and the case built with its ``--param`` values;
    exit 2 on any :class:`GameError` / ``ValueError`` (bad backend, option or case parameter,
    strategy not applicable)."""
    try:
        check_backend(backend)
        strategy_obj = get_strategy(strategy, **parse_options(option))
        params = case_spec(case).parse_params(parse_case_params(param))
        built = make_case(case, agents, periods, seed, **params)
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
        typer.echo(json.dumps(_finite(result_payload(built, result, periods)), allow_nan=False,
                              default=_json_default))
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


# --------------------------------------------------------------------------------- dask
@contextlib.contextmanager
def dask_client(backend: str, scheduler: str | None, n_jobs: int,
                connect_timeout: float = DEFAULT_CONNECT_TIMEOUT, followers: int | None = None) -> Iterator[None]:
    """With ``backend="dask"``: a ``dask.distributed.Client`` for the block — connected to
    ``scheduler`` (see :func:`scheduler_client`) or to a ``LocalCluster`` of ``n_jobs``
    single-thread workers (all cores for -1; capped at ``followers`` and the CPUs as a local
    pool is, :func:`gamecore.pool.plan_workers`; see :func:`local_cluster`) — closed
    afterwards, quietly. Other backends: nothing."""
    if backend != "dask":
        yield
        return
    if scheduler is not None:
        with scheduler_client(scheduler, connect_timeout):
            yield
        return
    workers, _ = plan_workers(n_jobs, "loky", followers or cpu_count(), cpu_count())  # local processes
    with local_cluster(workers):
        yield


def _import_dask_client() -> Any:
    """``dask.distributed`` (exit 2 with the install hint when dask is missing)."""
    try:
        import dask.distributed
    except ImportError:
        fail('--backend dask needs dask: pip install -e ".[dask]"')
    return dask.distributed


@contextlib.contextmanager
def local_cluster(workers: int) -> Iterator[None]:
    """A ``LocalCluster`` of ``workers`` single-thread worker processes and a client on it for
    the block; both closed quietly afterwards, also on Ctrl-C.

    The worker processes ignore SIGINT (see :func:`spawn_ignoring_sigint`): a Ctrl-C on the
    terminal, sent to the whole process group, then reaches only this process, which shuts the
    cluster down, instead of printing a traceback from every worker. A Ctrl-C during the start-up
    takes effect as soon as the cluster is in a state that can be closed cleanly.

    A start-up failure (e.g. the workers not connecting within :data:`WORKER_START_TIMEOUT` s)
    exits 1 with "cannot start a dask LocalCluster ..." (re-raised with ``GAMECORE_DEBUG`` set).

    Raises:
        KeyboardInterrupt: Ctrl-C during the start-up (whatever came up is closed first).
    """
    distributed = _import_dask_client()
    started: list[Any] = []  # cluster, then client, as they come up
    try:
        try:
            with sigint_deferred() as interrupted:
                start_local_cluster(distributed, workers, started, interrupted)
        except Exception as err:
            if os.environ.get("GAMECORE_DEBUG"):
                raise
            fail(f"cannot start a dask LocalCluster of {workers} workers: {type(err).__name__}: {err}", code=1)
        yield
    finally:
        if len(started) == 2:  # workers still busy (Ctrl-C) would log cancelled tasks and a scheduler gone
            silence_workers(started[1], WORKER_SILENCE_TIMEOUT)
        close_quietly(*reversed(started))


def start_local_cluster(distributed: Any, workers: int, started: list[Any], interrupted: threading.Event) -> None:
    """Start a scheduler-only ``LocalCluster``, add ``workers`` worker processes (with SIGINT
    ignored) and connect a client; append the cluster and the client to ``started`` as soon as
    each exists (so the caller can close whatever came up). Returns early once ``interrupted``
    is set.

    Raises:
        TimeoutError: the workers did not all connect within :data:`WORKER_START_TIMEOUT` s.
    """
    cluster = distributed.LocalCluster(n_workers=0, threads_per_worker=1, processes=True, dashboard_address=None)
    started.append(cluster)
    spawn_ignoring_sigint(lambda: cluster.scale(workers), workers, WORKER_SPAWN_TIMEOUT)
    client = distributed.Client(cluster)
    started.append(client)
    deadline = time.monotonic() + WORKER_START_TIMEOUT
    while not interrupted.is_set():
        try:
            client.wait_for_workers(workers, timeout=0.25)
            return
        except TimeoutError:  # asyncio's and dask's TimeoutError are this one (Python >= 3.11)
            if time.monotonic() > deadline:
                raise TimeoutError(f"the {workers} dask workers did not start within {WORKER_START_TIMEOUT:g} s")


def spawn_ignoring_sigint(start: Callable[[], Any], count: int, timeout: float) -> None:
    """Call ``start()`` (which starts ``count`` child processes in the background) with SIGINT
    ignored, and keep it ignored until ``count`` new child processes exist or ``timeout`` s have
    passed: a child inherits "ignore SIGINT" from the moment it is forked (through ``exec``).

    Only this short window ignores SIGINT (a Ctrl-C in it is lost); the children's start-up
    (imports, registration) runs with Ctrl-C working again. Needs ``psutil`` (a dependency of
    dask.distributed); without it, ``start()`` is called and the children keep default SIGINT.
    """
    try:
        import psutil
    except ImportError:  # pragma: no cover - distributed depends on psutil
        start()
        return
    me = psutil.Process()
    before = {child.pid for child in me.children(recursive=True)}
    deadline = time.monotonic() + timeout
    with sigint_ignored():
        start()
        while time.monotonic() < deadline:
            new = [c for c in me.children(recursive=True) if c.pid not in before and not _is_resource_tracker(c)]
            if len(new) >= count:
                return
            time.sleep(0.01)


def silence_workers(client: Any, timeout: float) -> None:
    """Make every worker of ``client`` emit no more log records (``logging.disable`` run on the
    workers), waiting at most ``timeout`` s; best effort: failures and unresponsive workers are
    ignored. Only for workers this process owns (a LocalCluster), just before closing them."""

    def run() -> None:
        with contextlib.suppress(Exception):
            client.run(logging.disable, logging.CRITICAL, on_error="ignore")

    worker = threading.Thread(target=run, name="gamecore-silence-workers", daemon=True)
    worker.start()
    worker.join(timeout)


def _is_resource_tracker(process: Any) -> bool:
    """Whether a psutil process is multiprocessing's resource tracker (started with the first worker)."""
    import psutil

    try:
        return any("resource_tracker" in part for part in process.cmdline())
    except psutil.Error:  # gone, or not ours to inspect
        return False


@contextlib.contextmanager
def scheduler_client(address: str, timeout: float) -> Iterator[None]:
    """A client connected to the dask scheduler at ``address`` for the block, closed quietly after.

    The scheduler must answer dask's handshake and an ``identity`` request within ``timeout``
    seconds (:func:`check_scheduler`); otherwise — nothing listening, a server that does not
    speak dask (HTTP, ...), not a scheduler — exit 2 with "cannot reach the dask scheduler at
    <address>: <reason>", after at most about ``timeout`` seconds.
    """
    distributed = _import_dask_client()
    try:
        check_scheduler(address, timeout)
        with dask_config({"distributed.comm.timeouts.connect": timeout}), distributed_silenced():
            client = distributed.Client(address, timeout=timeout)
    except Exception as err:  # noqa: BLE001 - whatever the server did, the answer is the same message
        fail(f"cannot reach the dask scheduler at {address}: {unreachable_reason(err, timeout)}")
    try:
        yield
    finally:
        close_quietly(client)


def check_scheduler(address: str, timeout: float) -> None:
    """Connect to ``address``, do dask's handshake and ask the server's identity, all within
    ``timeout`` s (dask bounds only the TCP connect, not the handshake: an HTTP server would
    make it wait forever, and an HTTP answer is read as a frame length of exabytes).

    Raises:
        TimeoutError: no complete answer within ``timeout``.
        OSError: the connection failed (nothing listening, refused, unknown host).
        ValueError: a bad address, or the server is a dask server but not a scheduler.
        Exception: anything else from reading an answer that is not dask's protocol.
    """
    from distributed.comm import connect

    async def identity() -> dict[str, Any]:
        comm = await connect(address, timeout=timeout)
        try:
            await comm.write({"op": "identity", "reply": True})
            return await comm.read()
        finally:
            comm.abort()

    with distributed_silenced():
        info = asyncio.run(asyncio.wait_for(identity(), timeout))
    kind = info.get("type") if isinstance(info, dict) else None
    if kind != "Scheduler":
        raise ValueError(f"the server there is not a dask scheduler (identity type {kind!r})")


def unreachable_reason(err: BaseException, timeout: float) -> str:
    """One line saying why :func:`check_scheduler` / the client failed (for the error message)."""
    if isinstance(err, TimeoutError):
        return f"no dask handshake within {timeout:g} s (is it a dask scheduler?)"
    if isinstance(err, (OSError, ValueError)):
        root = err
        while root.__cause__ is not None:  # dask wraps e.g. ConnectionRefusedError twice
            root = root.__cause__
        return str(err) + (f" ({type(root).__name__}: {root})" if root is not err else "")
    return f"its answer is not dask's protocol (reading it failed with {type(err).__name__})"


@contextlib.contextmanager
def dask_config(settings: dict[str, Any]) -> Iterator[None]:
    """``dask.config.set(settings)`` for the block, restored afterwards."""
    import dask

    with dask.config.set(settings):
        yield


@contextlib.contextmanager
def distributed_silenced() -> Iterator[None]:
    """No log record of this process (distributed, tornado, asyncio, ...) is emitted in the block;
    the previous ``logging.disable`` level is restored afterwards."""
    previous = logging.root.manager.disable
    logging.disable(logging.CRITICAL)
    try:
        yield
    finally:
        logging.disable(previous)


@contextlib.contextmanager
def sigint_deferred() -> Iterator[threading.Event]:
    """In the block, Ctrl-C (SIGINT) only sets the yielded event; when the block ends normally
    with the event set, ``KeyboardInterrupt`` is raised there. The previous handler is restored.
    When SIGINT is ignored already, or outside the main thread: a plain block (event never set)."""
    interrupted = threading.Event()
    try:
        ignored = signal.getsignal(signal.SIGINT) == signal.SIG_IGN
        previous = None if ignored else signal.signal(signal.SIGINT, lambda _signum, _frame: interrupted.set())
    except ValueError:  # not the main thread
        previous = None
    try:
        yield interrupted
    finally:
        if previous is not None:
            signal.signal(signal.SIGINT, previous)
    if interrupted.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def sigint_ignored() -> Iterator[None]:
    """SIGINT ignored in the block (child processes started meanwhile inherit the "ignore"),
    the previous handler restored afterwards. Outside the main thread: no change."""
    try:
        previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def close_quietly(*resources: Any, timeout: float = DASK_CLOSE_TIMEOUT) -> None:
    """``close(timeout=...)`` each dask client / cluster in order, with logging silenced and
    Ctrl-C ignored (a second Ctrl-C must not leave workers behind); close errors are dropped."""
    with sigint_ignored(), distributed_silenced():
        for resource in resources:
            with contextlib.suppress(Exception):
                resource.close(timeout=timeout)


def result_payload(case: Case, result: Result, periods: int | None = None) -> dict[str, Any]:
    """The JSON object of ``gamecore solve --json``: ``Result.to_dict()`` (without per-follower
    outputs, which ``--out`` writes to result.json) plus the case, its size and the reference's source."""
    payload: dict[str, Any] = {"case": case.name, "agents": len(case.game.followers), "periods": periods}
    payload.update(result.to_dict(include_outputs=False))
    payload["reference_source"] = _reference_source(case, result)
    return payload


def _finite(value: Any) -> Any:
    """JSON-safe copy: non-finite floats -> None, containers recursed."""
    if isinstance(value, dict):
        return {str(k): _finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_finite(v) for v in value]
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _json_default(value: Any) -> Any:
    try:
        import numpy as np

        if isinstance(value, np.ndarray):
            return value.tolist()
        if isinstance(value, np.generic):
            return value.item()
    except ImportError:  # pragma: no cover
        pass
    return str(value)


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


# -------------------------------------------------------------------------- reconfigure
@app.command("reconfigure")
def reconfigure_command(
    feeder: str = typer.Argument(..., help="feeder name (ieee33)"),
    periods: int = typer.Option(1, "--periods", "-t", min=1,
                                help="periods of the day (a divisor of 24; 1 = nominal Baran & Wu load)"),
    max_switching: Optional[int] = typer.Option(None, "--max-switching", "-k", min=0,
                                                help="limit on switching operations over the day, counted "
                                                     "from the initial configuration (default: none)"),
    method: str = typer.Option("highs", "--method", "-m",
                               help="highs (outer approximation, HiGHS MILP + SOCP) or ecos_bb (MISOCP, "
                                    "no time limit)"),
    time_limit: Optional[float] = typer.Option(
        None, "--time-limit", metavar="<seconds>",
        help=f"budget of the mixed-integer solve, s: finite, > 0 (default {DEFAULT_TIME_LIMIT:g}); highs only, "
             "refused with --method ecos_bb (ECOS_BB has no time limit)"),
    as_json: bool = flag("print one JSON object instead of the summary", "--json"),
) -> None:
    """Loss-minimising reconfiguration of a distribution feeder (DistFlow SOCP, AC-checked).

    JSON keys: ``base_loss_kw``, ``loss_kw``, ``ac_check_loss_kw``, ``ac_check_base_loss_kw``
    (mean over the periods, kW; for one period the period's value), ``min_voltage_pu`` and
    ``ac_check_min_voltage_pu`` (minimum over the periods), ``open_lines`` (line names of the data;
    a list for one period, a list of per-period lists otherwise), ``per_period`` (every figure per
    period), ``binaries_before`` / ``binaries_after`` (line-status binaries over all periods),
    ``switching_operations``, ``lower_bound_kw`` (proven bound on ``loss_kw``, mean over the
    periods; null for ecos_bb), ``status``, ``message``, ``wall_s``. Exit 1 when the status is
    ``failed``; ``suboptimal`` (not proven optimal) exits 0 with the status in the output.
    """
    from gamecore.network.reconfiguration import reconfigure

    budget = check_reconfigure_usage(feeder, periods, method, time_limit)
    try:
        result = reconfigure(feeder, periods=periods, max_switching=max_switching, method=method,
                             time_limit=budget)
    except Exception as err:  # a solver crash must not end in a traceback for the user
        if os.environ.get("GAMECORE_DEBUG"):
            raise
        fail(f"reconfiguration crashed: {type(err).__name__}: {err}", code=1)
    payload = result.summary()
    if as_json:
        typer.echo(json.dumps(_finite(payload), allow_nan=False, default=_json_default))
    else:
        typer.echo(format_reconfiguration(payload))
    if result.status == "failed":
        raise typer.Exit(1)


def check_reconfigure_usage(feeder: str, periods: int, method: str, time_limit: float | None) -> float:
    """Exit 2 (:func:`fail`) on an unknown feeder or method, bad ``--periods``, a ``--time-limit``
    that is not a finite number > 0, or ``--time-limit`` with ``--method ecos_bb`` (ECOS_BB has no
    time limit, so it would be silently ignored); return the time budget in seconds."""
    from gamecore.network.data import FEEDERS, import_pandapower, load_profile
    from gamecore.network.reconfiguration import METHODS

    try:
        import_pandapower()
    except ImportError as err:  # the optional `network` extra is not installed
        fail(str(err))
    if feeder not in FEEDERS:
        fail(f"unknown feeder '{feeder}'; available: {', '.join(sorted(FEEDERS))}")
    if method not in METHODS:
        fail(f"unknown method '{method}'; available: {', '.join(METHODS)}")
    try:
        load_profile(periods)
    except ValueError as err:
        fail(str(err))
    if time_limit is None:
        return DEFAULT_TIME_LIMIT
    check_seconds("--time-limit", time_limit)
    if method == "ecos_bb":
        fail("--time-limit cannot be used with --method ecos_bb: ECOS_BB has no time limit "
             "(use --method highs for a bounded run)")
    return time_limit


def format_reconfiguration(payload: dict[str, Any]) -> str:
    """Human-readable summary of ``gamecore reconfigure``."""
    periods = payload["periods"]
    open_lines = payload["open_lines"]
    if periods == 1:
        open_text = ", ".join(open_lines) or "none"
    else:
        open_text = "; ".join(f"t{t}: {', '.join(lines)}" for t, lines in enumerate(open_lines)) or "none"
    unit = "kW" if periods == 1 else f"kW (mean of {periods} periods)"
    lines = [
        f"feeder        {payload['feeder']} ({periods} period{'s' if periods > 1 else ''}, method {payload['method']})",
        f"status        {payload['status']}: {payload['message']}",
        f"base loss     {fmt(payload['base_loss_kw'], '.4f')} {unit}  (AC {fmt(payload['ac_check_base_loss_kw'], '.4f')})",
        f"loss          {fmt(payload['loss_kw'], '.4f')} {unit}  (AC {fmt(payload['ac_check_loss_kw'], '.4f')})",
        f"open lines    {open_text}",
        f"min voltage   {fmt(payload['min_voltage_pu'], '.5f')} pu  (AC {fmt(payload['ac_check_min_voltage_pu'], '.5f')})",
        f"binaries      {payload['binaries_before']} before reduction, {payload['binaries_after']} after",
        f"switching     {payload['switching_operations']} operations"
        + (f" (limit {payload['max_switching']})" if payload["max_switching"] is not None else ""),
        f"time          wall {payload['wall_s']:.2f} s, mixed-integer solver {payload['solver_s']:.2f} s",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------------- demo
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
               [{True: "yes", False: "no"}.get(self.certificate.get("certified"), "-"), fmt(self.wall_s, ".3f")]


DEMO_HEADERS = ("strategy", "status", "iter", "objective", "gap(ref)") + \
    tuple(label for _, label in CERTIFICATE_FIELDS) + ("certified", "wall[s]")
DEMO_WIDTHS_MIN = (8, 9, 5, 14, 9) + (9,) * len(CERTIFICATE_FIELDS) + (9, 7)


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
        strategy = get_strategy(name)
        demo_options = getattr(type(strategy), "demo_options", None) or {}
        if demo_options:
            strategy = get_strategy(name, **demo_options)
        result = strategy.solve(case, progress=False, seed=0)
    except Exception as err:
        return DemoRow(name, "error", f"{type(err).__name__}: {err}", wall_s=time.perf_counter() - start)
    return DemoRow(name, result.status, result.message, result.iterations, result.objective,
                   result.gap_to_reference, result.certificate.summary(), result.wall_s)


class _StreamTable:
    """Prints a fixed-width table one row at a time (so long runs show progress)."""

    def __init__(self, headers: Sequence[str], widths: Sequence[int], echo: Callable[[str], None]) -> None:
        self.widths = [max(len(h), w) for h, w in zip(headers, widths)]
        self.right = [False, False] + [True] * (len(headers) - 2)
        self.echo = echo
        self.echo(self._line(headers))
        self.echo(self._line(["-" * w for w in self.widths]))

    def _line(self, values: Sequence[str]) -> str:
        return "  ".join(v.rjust(w) if r else v.ljust(w)
                         for v, w, r in zip(values, self.widths, self.right)).rstrip()

    def row(self, values: Sequence[str]) -> None:
        self.echo(self._line(values))


@app.command("demo")
def demo_command(
    agents: int = typer.Option(10, "--agents", "-n", min=1, help="followers per case"),
    periods: int = typer.Option(24, "--periods", "-t", min=1, help="periods per case"),
    as_json: bool = flag("print one JSON object instead of the tables", "--json"),
) -> None:
    """Solve the two analytic cases with every applicable strategy and compare to the closed forms."""
    registry = available_strategies()
    name_width = max(len(n) for n in registry) if registry else 8
    widths = (name_width,) + DEMO_WIDTHS_MIN[1:]
    echo = (lambda _line: None) if as_json else (lambda line: typer.echo(line))
    report: list[dict[str, Any]] = []
    for case_name in DEMO_CASES:
        case = make_case(case_name, agents, periods, seed=0)
        ref = case.reference
        echo("")
        echo(f"{case_name}: {agents} followers x {periods} periods; reference objective "
             f"{fmt(ref.objective if ref else None, '.8g')} ({ref.source if ref else 'none'}, minimisation form)")
        ok, skipped = applicable_strategies(case, registry)
        table = _StreamTable(DEMO_HEADERS, widths, echo)
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
        typer.echo(json.dumps(_finite({"cases": report}), default=_json_default, allow_nan=False))
    else:
        echo("")
        echo("gap(ref) = (objective - reference) / max(1, |reference|); certificate columns: see README.")


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Console-script entry point (``gamecore``)."""
    try:
        app(args=list(argv) if argv is not None else None, prog_name="gamecore")
    except Exception:  # pragma: no cover - last resort, typer already handles usage errors
        if os.environ.get("GAMECORE_DEBUG"):
            raise
        typer.echo(f"gamecore: internal error: {traceback.format_exc(limit=1).strip().splitlines()[-1]}", err=True)
        sys.exit(1)


if __name__ == "__main__":  # pragma: no cover
    main()
