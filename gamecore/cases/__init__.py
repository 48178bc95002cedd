"""Registered cases: closed-form games now, the seed energy systems later.

``make_case(name, agents=None, periods=None, seed=0)`` builds one; ``CASES`` lists them.
"""

from __future__ import annotations

from functools import partial

import numpy as np

from gamecore.cases import analytic_market, analytic_stackelberg, ieh
from gamecore.cases.bilevel import PROBLEMS as BILEVEL_PROBLEMS
from gamecore.cases.bilevel.build import build_case as _bilevel_case
from gamecore.cases.base import Case, CaseSpec, Reference
from gamecore.errors import GameError

CASES: dict[str, CaseSpec] = {
    "analytic-market": CaseSpec("analytic-market", analytic_market.build,
                                "quadratic-utility consumers + capacity-limited supplier; clearing prices in closed form",
                                "market", 10, 24),
    "analytic-stackelberg": CaseSpec("analytic-stackelberg", analytic_stackelberg.build,
                                     "monopoly pricing of quadratic-utility consumers; optimal prices in closed form",
                                     "stackelberg", 10, 24),
    "ieh": CaseSpec("ieh", ieh.build,
                    "energy hubs (CHP, furnace, EES/TES, shiftable loads) behind a congested transformer; "
                    "day-ahead stage (seed 003)", "market", 15, 24),
}


def _bilevel_builder(name: str, agents: int = 1, periods: int = 1, seed: int = 0) -> Case:
    """Builder of one library problem (fixed size: ``agents``, ``periods`` and ``seed`` do not apply)."""
    return _bilevel_case(BILEVEL_PROBLEMS[name])


for _name, _problem in BILEVEL_PROBLEMS.items():
    CASES[f"bilevel/{_name}"] = CaseSpec(f"bilevel/{_name}", partial(_bilevel_builder, _name),
                                         f"bilevel test problem ({', '.join(_problem.tags) or 'bilevel'}): "
                                         f"{_problem.n_x} leader / {_problem.n_y} follower variables, "
                                         f"F* = {_problem.f_star:.6g} ({_problem.optimum_status})",
                                         "stackelberg", 1, 1)


class UnknownCaseError(GameError, KeyError):
    def __str__(self) -> str:  # KeyError quotes its message otherwise
        return str(self.args[0])


def make_case(name: str, agents: int | None = None, periods: int | None = None, seed: int = 0) -> Case:
    """Build the case ``name`` with ``agents`` followers and ``periods`` periods from ``seed``."""
    if name not in CASES:
        raise UnknownCaseError(f"unknown case '{name}'; available: {', '.join(sorted(CASES))}")
    spec = CASES[name]
    for label, value in (("agents", agents), ("periods", periods)):
        if value is not None and (isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1):
            raise ValueError(f"case '{name}': {label} must be an integer >= 1, got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"case '{name}': seed must be a non-negative integer, got {seed!r}")
    return spec.build(agents=agents or spec.default_agents, periods=periods or spec.default_periods, seed=seed)


__all__ = ["CASES", "Case", "CaseSpec", "Reference", "make_case", "UnknownCaseError"]
