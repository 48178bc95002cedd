"""The dask side of ``gamecore solve --backend dask``: a client on a LocalCluster or on a
``--scheduler``, closed quietly (also on Ctrl-C), and the SIGINT handling around it."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from joblib import cpu_count

from gamecore.cli.common import fail
from gamecore.pool import plan_workers

#: seconds ``--scheduler`` may take to answer (``--connect-timeout``)
DEFAULT_CONNECT_TIMEOUT: float = 5.0
#: seconds each of the dask client and cluster gets to close
DASK_CLOSE_TIMEOUT: float = 10.0
#: seconds the LocalCluster's worker processes get to be forked, then to connect
WORKER_SPAWN_TIMEOUT: float = 10.0
WORKER_START_TIMEOUT: float = 120.0
#: seconds the LocalCluster's workers get to silence their logging before they are closed
WORKER_SILENCE_TIMEOUT: float = 2.0


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
                raise TimeoutError(
                    f"the {workers} dask workers did not start within {WORKER_START_TIMEOUT:g} s") from None


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
        root: BaseException = err
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


def silence_leftovers() -> None:
    """For a process that is about to exit after Ctrl-C: drop "Exception ignored in ..." reports
    (``sys.unraisablehook``), e.g. of a dask ``Client.__del__`` that finds its event loop closed
    when a close under load timed out; the interrupted run has nothing left to report."""
    sys.unraisablehook = lambda _unraisable: None


def close_quietly(*resources: Any, timeout: float = DASK_CLOSE_TIMEOUT) -> None:
    """``close(timeout=...)`` each dask client / cluster in order, with logging silenced and
    Ctrl-C ignored (a second Ctrl-C must not leave workers behind); close errors are dropped."""
    with sigint_ignored(), distributed_silenced():
        for resource in resources:
            with contextlib.suppress(Exception):
                resource.close(timeout=timeout)
