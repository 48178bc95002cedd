"""gamecore: leader–follower games with interchangeable equilibrium strategies.

Quick start::

    import gamecore
    case = gamecore.make_case("analytic-market", agents=10)
    result = gamecore.solve(case, strategy="bisection")
    print(result.certificate.summary())

The cases (:mod:`gamecore.cases`) are not imported by ``import gamecore``: ``CASES``,
``make_case``, ``available_cases`` and ``UnknownCaseError`` load the case registry on first
use (module ``__getattr__``), and ``make_case`` imports only the requested case.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import Any

from gamecore.bounds import BoundOptions
from gamecore.canonical import Prox, Response
from gamecore.case import Case, CaseParam, CaseSpec, Reference
from gamecore.centralized import solve_centralized
from gamecore.certificate import Certificate
from gamecore.errors import (
    FollowerSolveError,
    GameDefinitionError,
    GameDefinitionWarning,
    GameError,
    PluginWarning,
    ResourceLimitError,
    StrategyError,
    WorkerLostError,
)
from gamecore.follower import Follower
from gamecore.game import Game
from gamecore.leader import Bilinear, Leader, LeaderObjective, MarketCoupling
from gamecore.pool import FollowerPool
from gamecore.registry import available_strategies, builtin_strategies, get_strategy, solve
from gamecore.result import Result, Status
from gamecore.signals import Signal
from gamecore.strategy import IterativeStrategy, MarketPoint, Outcome, SolveContext, Strategy

__version__ = "0.1.0"

#: names served lazily from :mod:`gamecore.cases`
_CASE_REGISTRY = ("CASES", "UnknownCaseError", "available_cases", "make_case")


def __getattr__(name: str) -> Any:
    """The case registry's names (:data:`_CASE_REGISTRY`) and gamecore's submodules, imported on
    first use (PEP 562), so that ``import gamecore`` loads no case."""
    if name in _CASE_REGISTRY:
        return getattr(importlib.import_module("gamecore.cases"), name)
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "CASES", "Bilinear", "BoundOptions", "Case", "CaseParam", "CaseSpec", "Certificate", "Follower", "FollowerPool",
    "FollowerSolveError", "Game", "GameDefinitionError", "GameDefinitionWarning", "GameError", "IterativeStrategy",
    "Leader", "LeaderObjective", "MarketCoupling", "MarketPoint", "Outcome", "PluginWarning", "Prox", "Reference",
    "ResourceLimitError", "Response", "Result", "Signal", "SolveContext", "Status", "Strategy", "StrategyError",
    "UnknownCaseError", "WorkerLostError", "available_cases", "available_strategies", "builtin_strategies",
    "get_strategy", "make_case", "solve", "solve_centralized",
]
