"""gamecore: leader–follower games with interchangeable equilibrium strategies.

Quick start::

    import gamecore
    case = gamecore.make_case("analytic-market", agents=10)
    result = gamecore.solve(case, strategy="bisection")
    print(result.certificate.summary())
"""

from gamecore.bounds import BoundOptions
from gamecore.canonical import Prox, Response
from gamecore.cases import CASES, Case, Reference, make_case
from gamecore.certificate import Certificate
from gamecore.centralized import solve_centralized
from gamecore.errors import (FollowerSolveError, GameDefinitionError, GameDefinitionWarning, GameError,
                             ResourceLimitError, StrategyError, WorkerLostError)
from gamecore.follower import Follower
from gamecore.game import Game
from gamecore.leader import Bilinear, Leader, LeaderObjective, MarketCoupling
from gamecore.pool import FollowerPool
from gamecore.registry import available_strategies, get_strategy, solve
from gamecore.result import Result
from gamecore.signals import Signal
from gamecore.strategy import IterativeStrategy, Outcome, SolveContext, Strategy

__version__ = "0.1.0"

__all__ = [
    "Bilinear", "BoundOptions", "CASES", "Case", "Certificate", "Follower", "FollowerPool", "FollowerSolveError", "Game",
    "GameDefinitionError", "GameDefinitionWarning", "GameError", "IterativeStrategy", "Leader", "LeaderObjective",
    "MarketCoupling", "Outcome", "Prox", "Reference", "ResourceLimitError", "Response", "Result", "Signal",
    "SolveContext", "Strategy", "StrategyError", "WorkerLostError", "available_strategies", "get_strategy",
    "make_case", "solve", "solve_centralized",
]
