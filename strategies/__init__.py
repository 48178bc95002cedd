"""Built-in equilibrium strategies.

They are registered only as entry points of the group ``gamecore.strategies`` in gamecore's
``pyproject.toml`` (see :mod:`gamecore.registry`); this package merely re-exports the classes.
"""

from __future__ import annotations

from strategies.admm import ADMM, ADMMExchange, ADMMMcCormick
from strategies.bisection import Bisection
from strategies.centralized import Centralized
from strategies.kkt import KKT
from strategies.nsga_qp import NSGAQP
from strategies.subgradient import Subgradient

__all__ = ["ADMM", "KKT", "NSGAQP", "ADMMExchange", "ADMMMcCormick", "Bisection", "Centralized", "Subgradient"]
