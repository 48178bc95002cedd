"""Built-in equilibrium strategies, registered by name (see ``gamecore.registry``)."""

from __future__ import annotations

from gamecore.strategy import Strategy
from strategies.admm import ADMM
from strategies.bisection import Bisection
from strategies.centralized import Centralized
from strategies.kkt import KKT
from strategies.nsga_qp import NSGAQP
from strategies.subgradient import Subgradient

BUILTIN: dict[str, type[Strategy]] = {cls.name: cls for cls in (Centralized, Subgradient, Bisection, ADMM, NSGAQP, KKT)}

__all__ = ["ADMM", "BUILTIN", "Bisection", "Centralized", "KKT", "NSGAQP", "Subgradient"]
