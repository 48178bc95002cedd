"""Running a suite: one process per cell, a time limit per cell, results written as they come.

:func:`run` runs every cell of a :class:`~gamecore.bench.suite.Suite` that ``DIR/results.csv``
does not hold yet (``resume=True``), ``n_jobs`` cells at a time — on this machine (each cell a
child process, ``backend="local"``) or on the workers of the active ``dask.distributed`` client
(``backend="dask"``; each dask task starts the cell's process on its worker's machine). A cell
past its time limit is stopped with its follower-pool workers (the child runs in its own process
group) and recorded with status ``timeout``; a cell whose process dies is recorded with status
``error``. After every cell the table is rewritten atomically (``results.csv``, and
``results.parquet`` when pandas can write Parquet), so an interrupted suite loses only the cells
that were running: ``--resume`` runs the rest. ``environment.json`` records the versions,
the machine and the git commit of the run (one record per session of a resumed suite).
"""

from __future__ import annotations

import json
import os
import platform
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from gamecore.bench.cell import empty_row, now
from gamecore.bench.suite import Cell, Suite, SuiteError
from gamecore.bench.table import COLUMNS
from gamecore.limits import physical_memory_bytes

#: file names inside a suite's output directory
RESULTS_CSV = "results.csv"
RESULTS_PARQUET = "results.parquet"
ENVIRONMENT_JSON = "environment.json"
#: packages whose versions the environment record holds
VERSIONED = ("gamecore", "numpy", "scipy", "cvxpy", "clarabel", "highspy", "pymoo", "joblib", "pandas")


@dataclass
class BenchRun:
    """What :func:`run` did: the whole table (every row of ``results.csv``, earlier sessions
    included), the cells run now and those skipped as already done, and the files."""

    frame: pd.DataFrame
    ran: int
    skipped: int
    out: Path
    files: dict[str, Path]


def environment_record() -> dict[str, Any]:
    """Versions of :data:`VERSIONED` (None when not installed), Python, platform, CPU count,
    memory (GiB), the git commit of the gamecore checkout (None outside one) and the time."""
    versions: dict[str, str | None] = {}
    for name in VERSIONED:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    memory = physical_memory_bytes()
    return {**versions, "python": platform.python_version(), "platform": platform.platform(),
            "cpu_count": os.cpu_count(), "memory_gib": None if memory is None else memory / 2 ** 30,
            "git_commit": git_commit(), "time": now()}


def git_commit() -> str | None:
    """The commit of the git checkout gamecore is imported from, or None (not a checkout, no git)."""
    root = Path(__file__).resolve().parents[2]
    try:
        done = subprocess.run(["git", "-C", str(root), "rev-parse", "HEAD"], capture_output=True, text=True,
                              timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    text = done.stdout.strip()
    return text if done.returncode == 0 and len(text) == 40 else None


def read_results(out: str | Path) -> pd.DataFrame:
    """``out/results.csv`` as a frame with the columns of :data:`~gamecore.bench.table.COLUMNS`
    (an empty frame when there is none). ``inf`` in a certificate column is a failed measure,
    an empty cell a measure not computed."""
    path = Path(out) / RESULTS_CSV
    if not path.exists():
        return pd.DataFrame(columns=list(COLUMNS))
    frame = pd.read_csv(path, dtype={"cell": str, "params": str, "options": str, "message": str, "git_commit": str})
    missing = [c for c in COLUMNS if c not in frame]
    if missing:
        raise SuiteError(f"{path} is not a gamecore bench table (missing columns {missing})")
    return frame


def write_results(frame: pd.DataFrame, out: Path) -> dict[str, Path]:
    """Write ``frame`` to ``out/results.csv`` (and ``results.parquet`` when possible) atomically:
    a reader sees the old file or the new one, never half of one."""
    files = {"results.csv": out / RESULTS_CSV}
    _atomic(out / RESULTS_CSV, lambda p: frame.to_csv(p, index=False))
    try:
        _atomic(out / RESULTS_PARQUET, lambda p: frame.to_parquet(p, index=False))
        files["results.parquet"] = out / RESULTS_PARQUET
    except ImportError:   # no pyarrow / fastparquet: CSV only
        pass
    return files


def _atomic(path: Path, write: Callable[[Path], Any]) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


class _Children:
    """The cell processes running now (to stop them when the suite is interrupted)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._procs: set[subprocess.Popen[str]] = set()

    def add(self, proc: subprocess.Popen[str]) -> None:
        with self._lock:
            self._procs.add(proc)

    def discard(self, proc: subprocess.Popen[str]) -> None:
        with self._lock:
            self._procs.discard(proc)

    def kill_all(self) -> None:
        with self._lock:
            procs = list(self._procs)
        for proc in procs:
            kill_group(proc)


def kill_group(proc: subprocess.Popen[str]) -> None:
    """Kill ``proc`` and every process of its group (its follower-pool workers)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_cell_process(cell: Cell, environment: Mapping[str, Any], children: _Children | None = None,
                     python: str | None = None) -> dict[str, Any]:
    """Run ``cell`` in a child process (``python -m gamecore.bench.cell``, its own process group)
    and return its row; ``timeout`` after ``cell.time_limit`` s (the group is killed), ``error``
    when the process dies without a row (the message gives its exit code and last stderr line)."""
    started = now()
    payload = json.dumps({"cell": cell.to_dict(), "environment": dict(environment)}, default=str)
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "GAMECORE_BENCH_CELL": cell.key}
    clock = time.perf_counter()
    proc = subprocess.Popen([python or sys.executable, "-m", "gamecore.bench.cell"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
                            start_new_session=True)
    if children is not None:
        children.add(proc)
    try:
        try:
            stdout, stderr = proc.communicate(payload, timeout=cell.time_limit)
        except subprocess.TimeoutExpired:
            kill_group(proc)
            proc.communicate()
            row = empty_row(cell, "timeout", f"stopped at the cell time limit of {cell.time_limit:g} s", started,
                            environment)
            row["cell_s"] = cell.time_limit
            return row
    finally:
        if children is not None:
            children.discard(proc)
        kill_group(proc)   # pool workers the cell left behind
    lines = [line for line in stdout.splitlines() if line.strip()]
    if proc.returncode == 0 and lines:
        try:
            answer = json.loads(lines[-1])
        except json.JSONDecodeError:
            answer = None
        if isinstance(answer, dict):
            return {**{c: answer.get(c) for c in COLUMNS}, "cell_s": time.perf_counter() - clock}
    last = next((line for line in reversed(stderr.splitlines()) if line.strip()), "no output")
    how = f"killed by signal {-proc.returncode}" if proc.returncode < 0 else f"exit code {proc.returncode}"
    row = empty_row(cell, "error", f"cell process died ({how}): {last}", started, environment)
    row["cell_s"] = time.perf_counter() - clock
    return row


def _dask_cell(cell_data: dict[str, Any], environment: dict[str, Any]) -> dict[str, Any]:
    """A dask task: run the cell's process on the worker's machine."""
    return run_cell_process(Cell.from_dict(cell_data), environment)


@contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM raises KeyboardInterrupt in the main thread for the block (so the running cells
    are stopped and the table is consistent); elsewhere: nothing."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def run(suite: Suite, out: str | Path, *, resume: bool = False, n_jobs: int = 1, backend: str = "local",
        progress: bool | None = None, report: bool = True) -> BenchRun:
    """Run ``suite`` into the directory ``out`` (module docstring); the report at the end.

    Args:
        suite: a checked suite (:func:`~gamecore.bench.suite.load_suite` / ``Suite.from_flags``).
        out: the output directory (created). Holding a ``results.csv`` already, it needs
            ``resume=True``: the cells whose key is in it are skipped and its rows kept.
        n_jobs: cells run at the same time (each with its own follower pool, ``suite``'s
            ``pool.n_jobs``); -1: the CPU count (local) or every dask worker thread.
        backend: ``"local"`` (child processes of this one) or ``"dask"`` (the active
            ``dask.distributed`` client's workers).
        progress: a progress bar over the cells (default: when stderr is a terminal).
        report: write the report (:func:`gamecore.bench.report.write_report`) at the end.

    Raises:
        SuiteError: ``out`` holds results and ``resume`` is False; ``out`` holds a file that is
            not a bench table; a bad ``n_jobs`` / ``backend``; dask without a client.
        KeyboardInterrupt: after stopping the running cells (the finished ones are written).
    """
    from tqdm.auto import tqdm

    out = Path(out)
    if isinstance(n_jobs, bool) or not isinstance(n_jobs, int) or n_jobs == 0 or n_jobs < -1:
        raise SuiteError(f"n_jobs must be a positive integer or -1, got {n_jobs!r}")
    if backend not in ("local", "dask"):
        raise SuiteError(f"backend must be 'local' or 'dask', got {backend!r}")
    if out.exists() and not out.is_dir():
        raise SuiteError(f"--out {out}: not a directory")
    if (out / RESULTS_CSV).exists() and not resume:
        raise SuiteError(f"{out / RESULTS_CSV} exists: pass --resume (resume=True) to run only the cells it "
                         "does not hold, or choose another output directory")
    out.mkdir(parents=True, exist_ok=True)
    frame = read_results(out)
    done = set(frame["cell"].astype(str)) if len(frame) else set()
    todo = [c for c in suite.cells if c.key not in done]
    environment = environment_record()
    _record_environment(out, suite, environment, len(todo))
    rows = frame.to_dict("records")
    files: dict[str, Path] = {}
    bar = tqdm(total=len(suite.cells), initial=len(suite.cells) - len(todo), desc=f"bench {suite.name}",
               unit="cell", disable=progress is False or (progress is None and not sys.stderr.isatty()))

    def record(row: dict[str, Any]) -> None:
        rows.append(row)
        files.update(write_results(pd.DataFrame(rows, columns=list(COLUMNS)), out))
        bar.set_postfix_str(f"{row['method']} N={row['agents']}: {row['status']}")
        bar.update(1)

    try:
        with _terminate_as_interrupt():
            if backend == "dask":
                _run_dask(todo, environment, n_jobs, record)
            else:
                _run_local(todo, environment, n_jobs, record)
    finally:
        bar.close()
    if not files:   # no cell ran: the table on disk stays as it was (written if there was none)
        files.update(write_results(pd.DataFrame(rows, columns=list(COLUMNS)), out)
                     if not (out / RESULTS_CSV).exists() else
                     {name: out / name for name in (RESULTS_CSV, RESULTS_PARQUET) if (out / name).exists()})
    table = read_results(out)   # the table as written (empty measures are NaN, as any reader sees them)
    if report and len(table):
        from gamecore.bench.report import write_report

        files.update(write_report(table, out))
    return BenchRun(table, len(todo), len(suite.cells) - len(todo), out, files)


def _record_environment(out: Path, suite: Suite, environment: Mapping[str, Any], cells: int) -> None:
    """Append this session's record (environment, suite, cells to run) to ``environment.json``."""
    path = out / ENVIRONMENT_JSON
    sessions: list[Any] = []
    if path.exists():
        try:
            loaded = json.loads(path.read_text())
            sessions = loaded.get("sessions", []) if isinstance(loaded, dict) else []
        except json.JSONDecodeError:
            sessions = []
    sessions.append({**environment, "suite": suite.name, "source": suite.source, "cells_to_run": cells,
                     "cells_in_suite": len(suite.cells)})
    _atomic(path, lambda p: p.write_text(json.dumps({"sessions": sessions}, indent=2, default=str)))


def _run_local(cells: list[Cell], environment: Mapping[str, Any], n_jobs: int,
               record: Callable[[dict[str, Any]], None]) -> None:
    workers = (os.cpu_count() or 1) if n_jobs == -1 else n_jobs
    children = _Children()
    pending: set[Future[dict[str, Any]]] = set()
    cells_of: dict[Future[dict[str, Any]], Cell] = {}
    queue = list(cells)
    pool = ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="gamecore-bench")
    try:
        while queue or pending:
            while queue and len(pending) < workers:
                cell = queue.pop(0)
                future = pool.submit(run_cell_process, cell, environment, children)
                cells_of[future] = cell
                pending.add(future)
            finished, pending = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                record(_row_of(future, cells_of.pop(future), environment))
    finally:
        children.kill_all()
        pool.shutdown(wait=True, cancel_futures=True)


def _row_of(future: Any, cell: Cell, environment: Mapping[str, Any]) -> dict[str, Any]:
    """The row a finished cell future holds; an ``error`` row when running the cell itself
    raised (the process could not be started, the dask task was lost...)."""
    try:
        return dict(future.result())
    except Exception as err:  # noqa: BLE001 - a cell that could not run is a row, never a crashed suite
        return empty_row(cell, "error", f"the cell could not run: {type(err).__name__}: {err}",
                         environment=environment)


def _run_dask(cells: list[Cell], environment: Mapping[str, Any], n_jobs: int,
              record: Callable[[dict[str, Any]], None]) -> None:
    try:
        from distributed import as_completed, default_client
    except ImportError:
        raise SuiteError('backend "dask" needs dask: pip install -e ".[dask]"') from None
    try:
        client = default_client()
    except ValueError:
        raise SuiteError('backend "dask" needs a dask.distributed Client (gamecore bench --backend dask '
                         'starts a LocalCluster, or connects to --scheduler)') from None
    limit = len(cells) if n_jobs == -1 else n_jobs
    queue = list(cells)
    futures = as_completed()
    running: dict[Any, Cell] = {}

    def submit() -> None:
        cell = queue.pop(0)
        future = client.submit(_dask_cell, cell.to_dict(), dict(environment), pure=False)
        running[future] = cell
        futures.add(future)

    try:
        while queue and len(running) < limit:
            submit()
        for future in futures:
            record(_row_of(future, running.pop(future), environment))
            if queue:
                submit()
    finally:
        for future in running:
            future.cancel()


__all__ = ["ENVIRONMENT_JSON", "RESULTS_CSV", "RESULTS_PARQUET", "BenchRun", "environment_record", "git_commit",
           "read_results", "run", "run_cell_process", "write_results"]
