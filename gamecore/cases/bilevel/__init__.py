"""A library of published bilevel test problems (BOLIB, BASBLib, the TP set) as gamecore cases.

The problems are entered as published (``linear``, ``quadratic``, ``tp``); their optima are
then replaced by the independently verified ones of :mod:`gamecore.cases.bilevel.verified`
where the listed value is wrong (``optimum_status="corrected"``, ``listed_f_star`` = the
listed value), and marked ``"verified"`` where the verifier confirms it.
"""

from __future__ import annotations

import dataclasses
from functools import partial

from gamecore.case import Case, CaseSpec
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



def _build(name: str, agents: int = 1, periods: int = 1, seed: int = 0, max_memory_gb: float | None = None) -> Case:
    """Builder of the library problem ``name`` (fixed size: ``agents``, ``periods``, ``seed`` and
    ``max_memory_gb`` do not apply)."""
    from gamecore.cases.bilevel.build import build_case

    return build_case(PROBLEMS[name])


def case_specs() -> list[CaseSpec]:
    """The family provider of the entry point ``bilevel`` (group ``gamecore.cases``): one
    stackelberg case ``bilevel/<name>`` per problem of :data:`PROBLEMS`."""
    return [CaseSpec(f"bilevel/{name}", partial(_build, name),
                     f"bilevel test problem ({', '.join(problem.tags) or 'bilevel'}): "
                     f"{problem.n_x} leader / {problem.n_y} follower variables, "
                     f"F* = {problem.f_star:.6g} ({problem.optimum_status})",
                     "stackelberg", 1, 1)
            for name, problem in PROBLEMS.items()]


__all__ = ["BilevelProblem", "PROBLEMS", "case_specs", "with_verified_optimum"]
