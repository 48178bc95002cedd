"""The result every strategy returns (modelled on scipy's OptimizeResult and pymoo's Result)."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from gamecore.certificate import Certificate
from gamecore.jsonable import dumps, jsonable

Status = Literal["converged", "max_iter", "failed"]


@dataclass
class Result:
    """Outcome of solving a game with one strategy.

    Attributes:
        game: game name; strategy: registry name; equilibrium: ``"market"`` or ``"stackelberg"``.
        status: ``"converged"``, ``"max_iter"`` or ``"failed"``; message: why.
        iterations: leader iterations (for NSGA: generations).
        signals: final signals, name -> array (signal units).
        outputs: follower name -> output name -> array (the strategy's reported solution).
        follower_objectives: follower name -> objective at the final signals.
        supplies: coupling name -> leader supply array.
        objective: minimisation-form objective of the answer: total welfare cost for market
            strategies, the leader's (first) objective for Stackelberg strategies.
        objectives: every leader objective (minimisation form), for multi-objective leaders.
        reference_objective / gap_to_reference: the reference optimum (closed form or
            centralized) and ``(objective − reference) / max(1, |reference|)``; positive = worse.
            The gap is reported only for a feasible answer (``certificate.feasible``: followers
            at best responses inside their feasible sets, couplings cleared, leader
            constraints held), where it is ≥ 0 up to tolerances (clearly negative: the
            reference is wrong); otherwise it is None, since an infeasible point can undercut
            any optimum.
        certificate: see :mod:`gamecore.certificate`.
        history: one dict per iteration (residuals, objective, step data, signals).
        messages / floats: leader <-> follower messages and floats exchanged by the strategy
            (the certificate's audit re-solve is not counted).
        wall_s: wall seconds of the strategy (without the certificate); solver_s: seconds
            inside solvers (followers + leader-side programs).
        workers: follower pool workers used; workers_note: why fewer than ``n_jobs`` asked
            for (capped at the followers and CPUs, see :func:`gamecore.pool.plan_workers`), else None.
        loops: one summary per loop the strategy ran through the driver, in the order they ended (a
            nested loop before its parent):
            :meth:`gamecore.driver.LoopRun.summary`: loop path, depth, iterations, status,
            reason, seconds; the top-level loop's records are ``history``.
        extra: strategy-specific data (e.g. Pareto set of NSGA-III).
    """

    game: str
    strategy: str
    equilibrium: str
    status: Status
    message: str
    iterations: int
    signals: dict[str, np.ndarray] = field(default_factory=dict)
    outputs: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    follower_objectives: dict[str, float] = field(default_factory=dict)
    supplies: dict[str, np.ndarray] = field(default_factory=dict)
    objective: float | None = None
    objectives: list[float] = field(default_factory=list)
    reference_objective: float | None = None
    gap_to_reference: float | None = None
    certificate: Certificate = field(default_factory=Certificate)
    history: list[dict[str, Any]] = field(default_factory=list)
    messages: int = 0
    floats: int = 0
    wall_s: float = 0.0
    solver_s: float = 0.0
    certificate_s: float = 0.0
    workers: int = 1
    workers_note: str | None = None
    loops: list[dict[str, Any]] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def success(self) -> bool:
        return self.status == "converged"

    # ----------------------------------------------------------------------- exports
    def to_dict(self, include_outputs: bool = True) -> dict[str, Any]:
        data = {
            "game": self.game, "strategy": self.strategy, "equilibrium": self.equilibrium,
            "status": self.status, "message": self.message, "iterations": self.iterations,
            "wall_s": self.wall_s, "solver_s": self.solver_s, "certificate_s": self.certificate_s,
            "objective": self.objective, "objectives": self.objectives,
            "reference_objective": self.reference_objective, "gap_to_reference": self.gap_to_reference,
            "certificate": self.certificate.summary(),
            "certificate_detail": self.certificate.to_dict(),
            "messages": self.messages, "floats": self.floats,
            "workers": self.workers, "workers_note": self.workers_note, "loops": self.loops,
            "signals": self.signals, "supplies": self.supplies,
            "follower_objectives": self.follower_objectives,
            "extra": self.extra,
        }
        if include_outputs:
            data["outputs"] = self.outputs
        return jsonable(data)

    def to_json(self, path: str | Path | None = None, include_outputs: bool = True, indent: int | None = 2) -> str:
        text = dumps(self.to_dict(include_outputs), indent=indent, default=None)
        if path is not None:
            Path(path).write_text(text)
        return text

    def history_frame(self) -> pd.DataFrame:
        """One row per iteration; array-valued entries (signals) are expanded to columns."""
        rows = []
        for entry in self.history:
            row: dict[str, Any] = {}
            for key, value in entry.items():
                arr = np.asarray(value)
                if arr.ndim == 0:
                    row[key] = value
                else:
                    for j, v in enumerate(arr.ravel()):
                        row[f"{key}[{j}]"] = float(v)
            rows.append(row)
        return pd.DataFrame(rows)

    def followers_frame(self) -> pd.DataFrame:
        """One row per follower: objective, best-response gap and the sum of each output."""
        gaps = self.certificate.best_response_gaps
        rows = []
        for j, (name, outs) in enumerate(self.outputs.items()):
            row: dict[str, Any] = {"follower": name, "objective": self.follower_objectives.get(name)}
            row["best_response_gap"] = gaps[j] if j < len(gaps) else None
            for out, arr in outs.items():
                row[f"{out}_total"] = float(np.sum(arr))
            rows.append(row)
        return pd.DataFrame(rows)

    def summary_row(self) -> dict[str, Any]:
        cert = self.certificate.summary()
        return {"strategy": self.strategy, "status": self.status, "iterations": self.iterations,
                "objective": self.objective, "gap_to_reference": self.gap_to_reference, **cert,
                "messages": self.messages, "wall_s": self.wall_s, "solver_s": self.solver_s}

    def __repr__(self) -> str:
        cert = ", ".join(f"{k}={_fmt(v)}" for k, v in self.certificate.summary().items() if v is not None)
        return (f"Result({self.strategy} on {self.game}: {self.status} after {self.iterations} it, "
                f"objective={_fmt(self.objective)}, gap={_fmt(self.gap_to_reference)}, {cert}, "
                f"wall={self.wall_s:.3g}s)")


def _fmt(v: float | None) -> str:
    return "n/a" if v is None else f"{v:.4g}"
