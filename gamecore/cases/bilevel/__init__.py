"""A library of published bilevel test problems (BOLIB, BASBLib, the TP set) as gamecore cases."""

from __future__ import annotations

from gamecore.cases.bilevel import linear, quadratic, tp
from gamecore.cases.bilevel.problem import BilevelProblem

#: every problem of the library, by name
PROBLEMS: dict[str, BilevelProblem] = {p.name: p for p in (*linear.PROBLEMS, *quadratic.PROBLEMS, *tp.PROBLEMS)}

__all__ = ["BilevelProblem", "PROBLEMS"]
