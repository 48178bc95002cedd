"""One benchmark cell, run in its own process: build the case, solve it, return the table row.

``python -m gamecore.bench.cell`` reads one cell (:meth:`gamecore.bench.suite.Cell.to_dict`, JSON)
on stdin and prints its row (JSON, the columns of :data:`gamecore.bench.table.COLUMNS`) as the
last line of stdout. The runner (:mod:`gamecore.bench.runner`) starts one such process per cell,
so that a cell past its time limit can be stopped (with its pool workers) and its peak memory is
its own.

Any exception while building or solving becomes a row with status ``error`` and a message naming
the exception: a failing cell never takes the suite down.
"""

from __future__ import annotations

import json
import math
import resource
import sys
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from gamecore.bench.suite import ROLLING, ROLLING_OPTIONS, Cell, canonical_json
from gamecore.bench.table import CERTIFICATE_COLUMNS, COLUMNS


def empty_row(cell: Cell, status: str, message: str, started: str | None = None,
              environment: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """The row of ``cell`` with only its identity, ``status``, ``message`` and the ``gamecore_version``
    / ``git_commit`` of ``environment`` (:func:`gamecore.bench.runner.environment_record`); every
    measure empty."""
    env = environment or {}
    row: dict[str, Any] = dict.fromkeys(COLUMNS)
    row.update({"cell": cell.key, "case": cell.case, "params": canonical_json(dict(cell.params)),
                "method": cell.method, "strategy": cell.strategy, "options": canonical_json(dict(cell.options)),
                "agents": cell.agents, "periods": cell.periods, "seed": cell.seed, "status": status,
                "message": message, "pool_jobs": cell.pool_jobs, "pool_backend": cell.pool_backend,
                "started": started or now(), "gamecore_version": env.get("gamecore"),
                "git_commit": env.get("git_commit")})
    return row


def now() -> str:
    """The current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def peak_memory_mb() -> float:
    """Peak resident memory of this process so far (MiB; Linux reports ru_maxrss in KiB)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024.0 * 1024.0) if sys.platform == "darwin" else peak / 1024.0


def run_cell(cell: Cell, environment: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Build ``cell``'s case, solve it with its method and return its row (module docstring).

    ``environment`` supplies the ``gamecore_version`` and ``git_commit`` columns.
    """
    started_at, clock = now(), time.perf_counter()
    row = empty_row(cell, "error", "", started_at, environment)
    try:
        from gamecore.cases import make_case

        building = time.perf_counter()
        case = make_case(cell.case, cell.agents, cell.periods, cell.seed, **dict(cell.params))
        compile_s = time.perf_counter() - building
        if cell.strategy == ROLLING:
            row.update(_rolling_row(case, cell, compile_s))
        else:
            row.update(_solve_row(case, cell, compile_s))
    except Exception as err:  # noqa: BLE001 - a failing cell is a row (module docstring)
        row["status"], row["message"] = "error", f"{type(err).__name__}: {err}"
    row["peak_mem_mb"] = peak_memory_mb()
    row["cell_s"] = time.perf_counter() - clock   # the runner replaces it by the process's whole time
    return row


def _solve_row(case: Any, cell: Cell, compile_s: float) -> dict[str, Any]:
    from gamecore.registry import solve

    result = solve(case, cell.strategy, n_jobs=cell.pool_jobs, backend=cell.pool_backend, progress=False,
                   seed=cell.seed, **dict(cell.options))
    cert = result.certificate.summary()
    measures = {c: _finite_or_none(cert.get(c)) for c in CERTIFICATE_COLUMNS}
    return {"status": result.status, "message": result.message, "certified": bool(result.certificate.certified),
            "iterations": result.iterations, "wall_s": result.wall_s, "solver_s": result.solver_s,
            "compile_s": compile_s, "certificate_s": result.certificate_s, "messages": result.messages,
            "floats": result.floats, "objective": result.objective,
            "reference_objective": result.reference_objective, "gap_to_reference": result.gap_to_reference,
            **measures}


def _rolling_row(case: Any, cell: Cell, compile_s: float) -> dict[str, Any]:
    """The rolling workflow's row: day-ahead + real-time iterations, the realised cost as the
    objective, the centralized rolling cost as the reference (when asked, outside the timing),
    and each certificate measure at its worst over the day's stages."""
    from gamecore.rolling import solve_rolling

    opts = {**ROLLING_OPTIONS, **dict(cell.options)}
    result = solve_rolling(case, opts["day_ahead"], opts["real_time"], n_jobs=cell.pool_jobs,
                           backend=cell.pool_backend, progress=False,
                           day_ahead_options=dict(opts["day_ahead_options"]),
                           real_time_options=dict(opts["real_time_options"]), hindsight=False)
    reference = gap = None
    if opts["reference"]:
        ref = solve_rolling(case, None, "centralized", n_jobs=cell.pool_jobs, backend=cell.pool_backend,
                            progress=False, hindsight=False)
        reference = ref.cost if ref.status != "failed" else None
        if reference is not None and result.status != "failed":
            gap = (result.cost - reference) / max(1.0, abs(reference))
    summaries = [s.certificate for s in result.stages]
    if result.day_ahead is not None:
        summaries.append(result.day_ahead.certificate.summary())
    measures = {}
    for c in CERTIFICATE_COLUMNS:
        values = [float(s[c]) for s in summaries if s.get(c) is not None]
        measures[c] = (math.inf if any(not math.isfinite(v) for v in values) else max(values)) if values \
            else None
    certified = bool(result.stages) and all(s.certified for s in result.stages) and (
        result.day_ahead is None or bool(result.day_ahead.certificate.certified))
    return {"status": result.status, "message": result.message, "certified": certified,
            "iterations": result.iterations, "wall_s": result.wall_s, "solver_s": result.solver_s,
            "compile_s": compile_s + result.compile_s, "certificate_s": None, "messages": result.messages,
            "floats": None, "objective": result.cost if result.status != "failed" else None,
            "reference_objective": reference, "gap_to_reference": gap, **measures}


def _finite_or_none(value: Any) -> Any:
    """A certificate value as the table keeps it: None (not computed) stays None; NaN becomes inf
    (a measure that was computed and is not a number is a failure, never a pass)."""
    if value is None:
        return None
    value = float(value)
    return math.inf if math.isnan(value) else value


def row_json(row: Mapping[str, Any]) -> str:
    """``row`` as one line of JSON that keeps ``inf`` (``Infinity``: a failed measure) apart from
    ``null`` (not computed); numpy scalars become Python numbers."""
    return json.dumps(dict(row), allow_nan=True, default=lambda v: v.item() if hasattr(v, "item") else str(v))


def main() -> None:
    """``python -m gamecore.bench.cell``: one cell from stdin (JSON: ``{"cell": ..., "environment": ...}``)
    to one row on stdout (the last line)."""
    data = json.loads(sys.stdin.read())
    row = run_cell(Cell.from_dict(data["cell"]), data.get("environment"))
    sys.stdout.write("\n" + row_json(row) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
