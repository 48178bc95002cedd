"""Every Stackelberg strategy on the library of published bilevel test problems.

    python benchmarks/bilevel_library.py [--strategies kkt admm nsga-qp] [--problems NAME ...]
                                         [--time-limit 120] [--out benchmarks/results]

One row per (problem, strategy): the strategy's objective (minimisation form), the error
against the problem's optimum (the literature value, or the verified/corrected one where the
listed value is wrong: see ``optimum_status``), status, certificate verdict, wall time
and time inside solvers. A strategy that refuses a problem (``StrategyError``) gets a row
with status ``refused`` and the reason. Writes ``bilevel_library.csv`` and prints a
Markdown table plus per-strategy counts (within 1e-6 / 1e-3 of the optimum, converged).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd

import gamecore
from gamecore.cases.bilevel import PROBLEMS
from gamecore.cases.bilevel.build import build_case


def run(strategies: list[str], names: list[str], time_limit: float, seed: int) -> pd.DataFrame:
    rows = []
    for name in names:
        problem = PROBLEMS[name]
        case = build_case(problem)
        for strategy in strategies:
            options = {"time_limit": time_limit} if strategy == "kkt" else {}
            row = {"problem": name, "n_x": problem.n_x, "n_y": problem.n_y, "tags": " ".join(problem.tags),
                   "f_star": problem.f_star, "optimum_status": problem.optimum_status, "strategy": strategy}
            start = time.perf_counter()
            try:
                result = gamecore.solve(case, strategy, progress=False, seed=seed, **options)
            except gamecore.StrategyError as err:
                rows.append({**row, "status": "refused", "message": str(err), "wall_s": time.perf_counter() - start})
                continue
            error = (result.objective - problem.f_star) / max(1.0, abs(problem.f_star)) \
                if result.objective is not None else None
            cert = result.certificate
            rows.append({**row, "objective": result.objective, "error": error, "status": result.status,
                         "certified": cert.certified, "unchecked": " ".join(cert.unchecked),
                         "optimistic_gap": cert.optimistic_gap, "leader_regret": cert.leader_regret,
                         "iterations": result.iterations, "evaluations": _evaluations(result.extra),
                         "wall_s": result.wall_s, "solver_s": result.solver_s,
                         "certificate_s": result.certificate_s, "message": result.message})
    return pd.DataFrame(rows)


def _evaluations(extra: dict) -> int | None:
    """Upper-level evaluations (signal vectors whose followers were solved) of ``nsga-qp``: GA + polish."""
    if "evaluations" not in extra:
        return None
    return int(extra["evaluations"]) + int(extra.get("polish_evaluations", 0))


def summary(frame: pd.DataFrame) -> pd.DataFrame:
    """Per strategy: problems, within 1e-6 / 1e-3 (|error|), converged, refused, median wall s."""
    out = []
    for strategy, part in frame.groupby("strategy", sort=False):
        err = part["error"].abs() if "error" in part else pd.Series(dtype=float)
        out.append({"strategy": strategy, "problems": len(part), "within_1e-6": int((err <= 1e-6).sum()),
                    "within_1e-3": int((err <= 1e-3).sum()), "converged": int((part["status"] == "converged").sum()),
                    "refused": int((part["status"] == "refused").sum()),
                    "median_wall_s": float(part["wall_s"].median())})
    return pd.DataFrame(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--strategies", nargs="+", default=["kkt", "admm", "nsga-qp"])
    parser.add_argument("--problems", nargs="+", default=sorted(PROBLEMS))
    parser.add_argument("--time-limit", type=float, default=120.0, help="kkt's time limit per problem (s)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    frame = run(args.strategies, args.problems, args.time_limit, args.seed)
    args.out.mkdir(parents=True, exist_ok=True)
    frame.to_csv(args.out / "bilevel_library.csv", index=False)
    cols = [c for c in ("problem", "strategy", "f_star", "objective", "error", "status", "certified", "wall_s",
                        "solver_s") if c in frame]
    with pd.option_context("display.float_format", "{:.4g}".format):
        print(frame[cols].to_string(index=False))
        print()
        print(summary(frame).to_string(index=False))


if __name__ == "__main__":
    main()
