"""A library of published bilevel test problems (BOLIB, BASBLib, the TP set) as gamecore cases.

The problems are entered as published (``linear``, ``quadratic``, ``tp``); their optima are
then replaced by the independently verified ones of :mod:`gamecore.cases.bilevel.verified`
where the listed value is wrong (``optimum_status="corrected"``, ``listed_f_star`` = the
listed value), and marked ``"verified"`` where the verifier confirms it.
"""

from __future__ import annotations

import dataclasses

from gamecore.cases.bilevel import linear, quadratic, tp
from gamecore.cases.bilevel.problem import BilevelProblem
from gamecore.cases.bilevel.verified import VERIFIED

#: relative difference above which a listed optimum counts as wrong
CORRECTION_TOL = 1e-6


def with_verified_optimum(problem: BilevelProblem) -> BilevelProblem:
    """``problem`` with its optimum checked against :data:`VERIFIED` (unchanged if not verified)."""
    if problem.name not in VERIFIED:
        return problem
    value, method, why = VERIFIED[problem.name]
    if abs(value - problem.f_star) <= CORRECTION_TOL * max(1.0, abs(problem.f_star)):
        return dataclasses.replace(problem, optimum_status="verified")
    note = (f"CORRECTED: listed optimum {problem.f_star:.10g}, verified {value:.12g} ({method}; kkt agrees): {why}. ")
    return dataclasses.replace(problem, f_star=value, listed_f_star=problem.f_star, optimum_status="corrected",
                               notes=note + problem.notes)


#: every problem of the library, by name
PROBLEMS: dict[str, BilevelProblem] = {
    p.name: with_verified_optimum(p) for p in (*linear.PROBLEMS, *quadratic.PROBLEMS, *tp.PROBLEMS)}

__all__ = ["BilevelProblem", "PROBLEMS", "with_verified_optimum"]
