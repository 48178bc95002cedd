"""Hostile inputs (issue 9), CLI: items 9, 11, 14.

* Item 9: ``--scheduler`` pointing at nothing, at an HTTP server, or at a port answering
  ``HTTP/1.1 400`` ends within ``--connect-timeout`` with "cannot reach the dask scheduler at
  ..." and exit 2, before the case is built (before: 32 s then "strategy crashed: OSError"; a
  hang of >= 400 s; "MemoryError: Unable to allocate 3.07 EiB").
* Item 11: Ctrl-C (SIGINT to the whole process group, as a terminal sends it) during a solve
  on a dask ``LocalCluster`` exits 130 with one "interrupted" line and no traceback, and
  leaves no worker process behind (before: a traceback from every worker).
* Item 14: ``--out`` is checked before the solve (exit 2 naming ``--out``) and a write failing
  midway leaves no partial file; ``reconfigure --time-limit`` must be finite and > 0 (exit 2)
  and is refused with ``--method ecos_bb`` (ECOS_BB has no time limit); ``--json`` and
  ``--quiet`` show as flags in ``--help``; ``-j 0`` / ``-j -2`` exit 2.

The in-process runs go through typer's CliRunner in a watchdog thread (:func:`invoke_within`)
so that a regression to a hang fails the test instead of hanging the suite.
"""

from __future__ import annotations

import contextlib
import errno
import http.server
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from gamecore import cli

SMALL = ["--agents", "3", "--periods", "2"]
#: generous bound on the in-process runs below (a hang before the fixes)
WATCHDOG_S = 30.0


def invoke_within(seconds: float, *args: str) -> tuple[Result, float]:
    """Run ``gamecore ARGS`` in-process (CliRunner) in a thread; fail the test if it has not
    finished after ``seconds``. Returns the result and the elapsed wall time."""
    box: dict[str, Any] = {}

    def run() -> None:
        box["result"] = CliRunner().invoke(cli.app, list(args), env={"COLUMNS": "200"})

    start = time.monotonic()
    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    elapsed = time.monotonic() - start
    if thread.is_alive():
        pytest.fail(f"gamecore {' '.join(args)} still running after {seconds:g} s")
    return box["result"], elapsed


@pytest.fixture
def no_case_build(monkeypatch: pytest.MonkeyPatch) -> None:
    """Building a case fails the test: the command must stop before it."""

    def forbidden(*_args: Any, **_kwargs: Any) -> None:
        raise AssertionError("the case was built before the check")

    monkeypatch.setattr(cli, "make_case", forbidden)


# ------------------------------------------------------------ item 9: --scheduler
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class _QuietHandler(http.server.BaseHTTPRequestHandler):
    """An HTTP server's handler that logs nothing (dask's binary handshake is a bad request)."""

    def log_message(self, format: str, *args: Any) -> None:  # the stdlib's signature
        pass


@pytest.fixture
def http_port() -> Iterator[int]:
    """A port with a real ``http.server`` behind it (it waits for a request line forever)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _QuietHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1]
    server.shutdown()
    server.server_close()


@pytest.fixture
def bad_request_port() -> Iterator[int]:
    """A port that answers every connection with ``HTTP/1.1 400 Bad Request`` and closes it."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:  # timeout (check stop) or closed
                continue
            with conn:
                conn.sendall(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join(2)
    listener.close()


@pytest.mark.parametrize("server", ["nothing listening", "http server", "http 400"])
def test_unreachable_scheduler_exits_2_within_the_connect_timeout(
        server: str, request: pytest.FixtureRequest, no_case_build: None) -> None:
    pytest.importorskip("dask.distributed")
    port = {"nothing listening": _free_port,
            "http server": lambda: request.getfixturevalue("http_port"),
            "http 400": lambda: request.getfixturevalue("bad_request_port")}[server]()
    address = f"tcp://127.0.0.1:{port}"
    res, elapsed = invoke_within(WATCHDOG_S, "solve", "analytic-market", "-s", "bisection", *SMALL,
                                 "--backend", "dask", "-j", "2", "--scheduler", address, "--connect-timeout", "1")
    assert res.exit_code == 2, res.output
    assert f"cannot reach the dask scheduler at {address}: " in res.stderr
    assert "Traceback" not in res.output and "EiB" not in res.stderr
    assert elapsed < 1 + 3, f"took {elapsed:.1f} s with --connect-timeout 1"


@pytest.mark.parametrize("args, fragment", [
    (["--scheduler", "tcp://127.0.0.1:1", "--connect-timeout", "0"], "--connect-timeout must be a finite"),
    (["--scheduler", "tcp://127.0.0.1:1", "--connect-timeout", "nan"], "--connect-timeout must be a finite"),
    (["--connect-timeout", "2"], "--connect-timeout needs --scheduler"),
])
def test_bad_connect_timeout_is_a_usage_error(args: list[str], fragment: str, no_case_build: None) -> None:
    res, _ = invoke_within(WATCHDOG_S, "solve", "analytic-market", "-s", "bisection", *SMALL,
                           "--backend", "dask", "-j", "2", *args)
    assert res.exit_code == 2, res.output
    assert fragment in res.stderr


# ------------------------------------------------------- item 11: Ctrl-C with dask
def _descendants(pid: int) -> list[Any]:
    import psutil

    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.NoSuchProcess:
        return []


def _wait_for_workers(pid: int, count: int, timeout: float) -> list[Any]:
    """The ``count`` spawned dask worker processes under ``pid`` once they exist."""
    import psutil

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        workers = []
        for proc in _descendants(pid):
            with contextlib.suppress(psutil.Error):  # exited meanwhile
                if any("spawn_main" in part for part in proc.cmdline()):
                    workers.append(proc)
        if len(workers) >= count:
            return workers
        time.sleep(0.05)
    pytest.fail(f"the {count} dask workers did not appear within {timeout:g} s")


@pytest.mark.slow
@pytest.mark.parametrize("delay", [0.3, 4.0], ids=["during-worker-start-up", "during-the-solve"])
def test_ctrl_c_during_a_dask_solve_is_quiet_and_leaves_no_worker(delay: float) -> None:
    pytest.importorskip("dask.distributed")
    psutil = pytest.importorskip("psutil")
    # tol=1e-300 is never reached: the solve runs until interrupted
    cmd = [sys.executable, "-m", "gamecore", "solve", "analytic-market", "-s", "subgradient", "-n", "20", "-t", "24",
           "--backend", "dask", "-j", "2", "-q", "-O", "tol=1e-300", "-O", "max_iter=100000"]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        workers = _wait_for_workers(proc.pid, 2, 60)
        time.sleep(delay)
        assert proc.poll() is None, proc.communicate()
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C on a terminal does: the whole group
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
    assert proc.returncode == 130, err
    assert err.strip() == "gamecore: error: interrupted", err
    assert out == ""
    _, alive = psutil.wait_procs(workers, timeout=5)
    assert not alive, f"worker processes left behind: {[p.pid for p in alive]}"


def test_sigint_deferred_raises_at_the_end_of_the_block() -> None:
    before = signal.getsignal(signal.SIGINT)
    reached_end = False
    with pytest.raises(KeyboardInterrupt), cli.sigint_deferred() as interrupted:
        os.kill(os.getpid(), signal.SIGINT)
        deadline = time.monotonic() + 5
        while not interrupted.is_set() and time.monotonic() < deadline:
            time.sleep(0.01)
        reached_end = True
    assert reached_end
    assert signal.getsignal(signal.SIGINT) is before


# ------------------------------------------------------------------- item 14: --out
def test_out_that_is_a_file_exits_2_before_solving(tmp_path: Path, no_case_build: None) -> None:
    target = tmp_path / "taken"
    target.write_text("not a directory")
    res, _ = invoke_within(WATCHDOG_S, "solve", "analytic-market", "-s", "bisection", *SMALL, "--out", str(target))
    assert res.exit_code == 2, res.output
    assert "--out" in res.stderr and "not a directory" in res.stderr
    assert res.stdout == ""
    assert target.read_text() == "not a directory"


def test_out_below_a_file_exits_2_before_solving(tmp_path: Path, no_case_build: None) -> None:
    (tmp_path / "file").write_text("x")
    res, _ = invoke_within(WATCHDOG_S, "solve", "analytic-market", "-s", "bisection", *SMALL,
                           "--out", str(tmp_path / "file" / "sub"))
    assert res.exit_code == 2, res.output
    assert "--out" in res.stderr and "not a writable directory" in res.stderr


def test_write_failing_midway_leaves_no_partial_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import gamecore.plotting

    out = tmp_path / "run"
    out.mkdir()
    (out / "result.json").write_text("an earlier run")

    def disk_full(_result: Any, _path: Any, *args: Any, **kwargs: Any) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(gamecore.plotting, "plot_convergence", disk_full)
    res, _ = invoke_within(WATCHDOG_S, "solve", "analytic-market", "-s", "bisection", *SMALL, "--out", str(out),
                           "--json")
    assert res.exit_code == 1, res.output
    assert "cannot write to --out" in res.stderr and "No space left" in res.stderr
    assert sorted(p.name for p in out.iterdir()) == ["result.json"]  # no history.csv, no temporary file
    assert (out / "result.json").read_text() == "an earlier run"


# ------------------------------------------------------ item 14: reconfigure --time-limit
@pytest.fixture
def no_reconfigure(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Replace the reconfiguration by a recorder that raises (so nothing is solved)."""
    from gamecore.network import reconfiguration

    calls: list[dict[str, Any]] = []

    def record(*args: Any, **kwargs: Any) -> None:
        calls.append(kwargs)
        raise RuntimeError("not solved in this test")

    monkeypatch.setattr(reconfiguration, "reconfigure", record)
    return calls


@pytest.mark.parametrize("value", ["-5", "0", "nan", "inf", "-inf"])
def test_time_limit_must_be_finite_and_positive(value: str, no_reconfigure: list[dict[str, Any]]) -> None:
    res, _ = invoke_within(WATCHDOG_S, "reconfigure", "ieee33", "--time-limit", value)
    assert res.exit_code == 2, res.output
    assert "--time-limit must be a finite number of seconds > 0" in res.stderr
    assert no_reconfigure == []


def test_time_limit_with_ecos_bb_is_refused(no_reconfigure: list[dict[str, Any]]) -> None:
    res, _ = invoke_within(WATCHDOG_S, "reconfigure", "ieee33", "--method", "ecos_bb", "--time-limit", "10")
    assert res.exit_code == 2, res.output
    assert "--time-limit" in res.stderr and "ecos_bb" in res.stderr
    assert no_reconfigure == []


@pytest.mark.parametrize("args, expected", [([], 600.0), (["--time-limit", "30"], 30.0)])
def test_time_limit_reaches_the_highs_reconfiguration(args: list[str], expected: float,
                                                      no_reconfigure: list[dict[str, Any]]) -> None:
    res, _ = invoke_within(WATCHDOG_S, "reconfigure", "ieee33", *args)
    assert res.exit_code == 1 and "not solved in this test" in res.stderr  # the recorder's crash
    assert no_reconfigure[0]["time_limit"] == expected and no_reconfigure[0]["method"] == "highs"


# ---------------------------------------------------------- item 14: flags and -j
@pytest.mark.parametrize("command", [["solve"], ["reconfigure"], ["demo"]])
def test_json_shows_as_a_flag_in_help(command: list[str]) -> None:
    res, _ = invoke_within(WATCHDOG_S, *command, "--help")
    assert res.exit_code == 0, res.output
    flag_lines = [line for line in res.stdout.splitlines() if "--json" in line or "--quiet" in line]
    assert any("--json" in line for line in flag_lines), res.stdout
    for line in flag_lines:
        assert "<bool>" not in line and "BOOLEAN" not in line, line


@pytest.mark.parametrize("n_jobs", ["0", "-2"])
def test_n_jobs_zero_or_below_minus_one_exits_2(n_jobs: str, no_case_build: None) -> None:
    res, _ = invoke_within(WATCHDOG_S, "solve", "analytic-market", "-s", "bisection", *SMALL, "-j", n_jobs)
    assert res.exit_code == 2, res.output
    assert "--n-jobs must be a positive integer or -1" in res.stderr
