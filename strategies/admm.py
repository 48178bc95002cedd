"""``admm`` — being written in this session (placeholder so the registry imports)."""

from __future__ import annotations

from dataclasses import dataclass

from gamecore.errors import StrategyError
from gamecore.strategy import Outcome, SolveContext, Strategy


@dataclass
class ADMMOptions:
    max_iter: int = 1000


class ADMM(Strategy[ADMMOptions]):
    name = "admm"
    equilibrium = "market"
    Options = ADMMOptions

    def run(self, ctx: SolveContext) -> Outcome:
        raise StrategyError("admm: not implemented yet")
