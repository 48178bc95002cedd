"""Registered cases: closed-form games now, the seed energy systems later.

``make_case(name, agents=None, periods=None, seed=0, max_memory_gb=None)`` builds one;
``CASES`` lists them. Sizes whose estimated memory exceeds the limit of
:mod:`gamecore.limits` are refused before any data is drawn.
"""

from __future__ import annotations

from functools import partial

from gamecore.cases import analytic_market, analytic_stackelberg, ieh
from gamecore.cases.bilevel import PROBLEMS as BILEVEL_PROBLEMS
from gamecore.cases.bilevel.build import build_case as _bilevel_case
from gamecore.cases.base import Case, CaseSpec, Reference, case_arguments
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


def _bilevel_builder(name: str, agents: int = 1, periods: int = 1, seed: int = 0,
                     max_memory_gb: float | None = None) -> Case:
    """Builder of one library problem (fixed size: ``agents``, ``periods``, ``seed`` and
    ``max_memory_gb`` do not apply)."""
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


def make_case(name: str, agents: int | None = None, periods: int | None = None, seed: int = 0,
              max_memory_gb: float | None = None) -> Case:
    """Build the case ``name`` with ``agents`` followers and ``periods`` periods from ``seed``.

    ``agents`` / ``periods`` default to the case's own (``CASES[name]``). Every argument is
    checked before any data is drawn (:func:`gamecore.cases.base.case_arguments`).

    Raises:
        UnknownCaseError: no case ``name``.
        ValueError: ``agents`` / ``periods`` not an integer >= 1, ``seed`` not a non-negative
            integer (bools are refused), the message naming the argument.
        ResourceLimitError: (a ``ValueError``) the case's estimated memory at this size exceeds
            ``max_memory_gb`` (GB = 10⁹ bytes; default: the environment variable
            ``GAMECORE_MAX_MEMORY_GB``, else half this machine's memory, see :mod:`gamecore.limits`).
    """
    if name not in CASES:
        raise UnknownCaseError(f"unknown case '{name}'; available: {', '.join(sorted(CASES))}")
    spec = CASES[name]
    agents, periods, seed = case_arguments(name, spec.default_agents if agents is None else agents,
                                           spec.default_periods if periods is None else periods, seed,
                                           max_memory_gb=max_memory_gb)   # the builder checks the memory
    return spec.build(agents=agents, periods=periods, seed=seed, max_memory_gb=max_memory_gb)


__all__ = ["CASES", "Case", "CaseSpec", "Reference", "make_case", "UnknownCaseError"]
