"""The benchmark results table: one row per run (a *cell* of a suite), its columns and their types.

Every suite writes one tidy table, ``results.csv`` (and ``results.parquet`` when pandas can
write Parquet): one row per (case, case parameters, method, agents, periods, seed). The columns
are :data:`COLUMNS`, in that order, with the meanings of :data:`COLUMN_DOCS` (benchmarks/README.md
documents the same names; a test checks them against a produced table).

Statuses (:data:`STATUSES`): a strategy's own ``converged`` / ``max_iter`` / ``failed``; ``timeout``
when the cell ran past the suite's per-cell time limit and was stopped; ``error`` when building
the case or running the strategy raised (the message names the exception). Only ``converged``
counts as solved in the reports.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

#: the statuses a row may carry; only "converged" counts as solved
STATUSES: tuple[str, ...] = ("converged", "max_iter", "failed", "timeout", "error")
#: the certificate measures (gamecore.certificate.Certificate.summary keys), one column each
CERTIFICATE_COLUMNS: tuple[str, ...] = ("best_response_gap", "follower_infeasibility", "coupling_residual",
                                        "duality_gap", "leader_violation", "optimistic_gap", "leader_regret")
#: the columns that name a problem instance (a performance profile compares methods across these)
PROBLEM_COLUMNS: tuple[str, ...] = ("case", "params", "agents", "periods", "seed")

COLUMN_DOCS: Mapping[str, str] = MappingProxyType({
    "cell": "the cell's key: a hash of case, params, method, strategy, options, agents, periods, seed, "
            "pool_jobs and pool_backend (what --resume matches)",
    "case": "case name (`gamecore cases`)",
    "params": "case parameters as JSON (sorted keys; {} for the case's defaults)",
    "method": "the suite's label of the strategy entry (default: the strategy name); profiles compare methods",
    "strategy": "registered strategy name, or `rolling` for the rolling day-ahead / real-time workflow",
    "options": "strategy options as JSON (sorted keys)",
    "agents": "followers (hubs, IES, consumers...)",
    "periods": "periods of the horizon",
    "seed": "seed of the case data and of the strategy's random choices",
    "status": "converged, max_iter, failed (the strategy's), timeout (stopped at the cell time limit) or "
              "error (building or solving raised)",
    "message": "the strategy's message, or why the cell timed out / raised",
    "certified": "every certificate measure computed and within tolerance (empty when no certificate)",
    "iterations": "leader iterations (NSGA: generations; rolling: day-ahead + every real-time stage)",
    "wall_s": "seconds of the strategy run (without building the case or the certificate)",
    "solver_s": "seconds inside solvers (followers and leader-side programs)",
    "compile_s": "seconds building the case (compiling its programs; rolling: also every stage game)",
    "certificate_s": "seconds of the independent certificate",
    "messages": "leader <-> follower messages exchanged by the strategy",
    "floats": "floats carried by those messages",
    "objective": "the result's objective (minimisation form; rolling: the realised cost of the day)",
    "reference_objective": "the case's reference optimum (closed form or centralized; rolling: the "
                           "centralized rolling cost when computed)",
    "gap_to_reference": "(objective - reference) / max(1, |reference|); empty when not computed",
    **{c: f"certificate: {c.replace('_', ' ')} (empty = not computed)" for c in CERTIFICATE_COLUMNS},
    "peak_mem_mb": "peak resident memory of the cell's process (MiB); empty when the cell was killed",
    "cell_s": "seconds of the whole cell (process start, imports, case, strategy, certificate)",
    "pool_jobs": "follower pool workers asked for inside the cell (n_jobs of gamecore.solve)",
    "pool_backend": "joblib backend of that pool",
    "gamecore_version": "gamecore version that ran the cell",
    "git_commit": "git commit of the gamecore checkout that ran the cell (empty outside a checkout)",
    "started": "UTC time the cell started (ISO 8601)",
})
#: the columns of results.csv, in order
COLUMNS: tuple[str, ...] = tuple(COLUMN_DOCS)

__all__ = ["CERTIFICATE_COLUMNS", "COLUMNS", "COLUMN_DOCS", "PROBLEM_COLUMNS", "STATUSES"]
