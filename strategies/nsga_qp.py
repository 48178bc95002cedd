"""``nsga-qp`` — being written in this session (placeholder so the registry imports)."""

from __future__ import annotations

from dataclasses import dataclass

from gamecore.errors import StrategyError
from gamecore.strategy import Outcome, SolveContext, Strategy


@dataclass
class NSGAQPOptions:
    max_iter: int = 1000


class NSGAQP(Strategy[NSGAQPOptions]):
    name = "nsga-qp"
    equilibrium = "stackelberg"
    Options = NSGAQPOptions

    def run(self, ctx: SolveContext) -> Outcome:
        raise StrategyError("nsga-qp: not implemented yet")
