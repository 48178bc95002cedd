"""Strategy registry: built-ins plus the ``gamecore.strategies`` entry-point group.

Third parties add a strategy by exposing a :class:`~gamecore.strategy.Strategy` subclass in
their package metadata::

    [project.entry-points."gamecore.strategies"]
    my-method = "mypkg.module:MyStrategy"
"""

from __future__ import annotations

import warnings
from importlib.metadata import entry_points
from typing import Any

from gamecore.cases.base import Case, Reference
from gamecore.errors import StrategyError
from gamecore.game import Game
from gamecore.result import Result
from gamecore.strategy import Strategy


def available_strategies() -> dict[str, type[Strategy]]:
    """Name -> strategy class, built-ins first, then installed entry points."""
    from strategies import BUILTIN

    found: dict[str, type[Strategy]] = dict(BUILTIN)
    for ep in entry_points(group="gamecore.strategies"):
        if ep.name in found:
            continue
        try:
            cls = ep.load()
        except Exception as err:  # a broken plug-in must not break the built-ins
            warnings.warn(f"gamecore: strategy entry point '{ep.name}' failed to load: {err}", stacklevel=2)
            continue
        if not (isinstance(cls, type) and issubclass(cls, Strategy)):
            warnings.warn(f"gamecore: entry point '{ep.name}' is not a Strategy subclass; ignored", stacklevel=2)
            continue
        found[ep.name] = cls
    return found


def get_strategy(name: str, options: Any = None, **overrides: Any) -> Strategy:
    """Instantiate the strategy registered as ``name`` with validated options."""
    registry = available_strategies()
    if name not in registry:
        raise StrategyError(f"unknown strategy '{name}'; available: {', '.join(sorted(registry))}")
    return registry[name](options, **overrides)


def solve(game: Game | Case, strategy: str | Strategy = "admm", *, n_jobs: int = 1, backend: str = "loky",
          progress: bool | None = None, seed: int | None = 0, reference: Reference | None = None,
          pool: Any = None, bound: Any = None, **options: Any) -> Result:
    """Solve ``game`` with ``strategy`` (a registry name or a Strategy object).

    Keyword ``options`` go to the strategy's ``Options`` (unknown names raise
    :class:`StrategyError` listing the valid ones). ``bound``: a
    :class:`~gamecore.bounds.BoundOptions` for the certificate's leader bound.
    """
    if isinstance(strategy, str):
        strategy_obj = get_strategy(strategy, **options)
    elif isinstance(strategy, Strategy):
        if options:
            raise StrategyError("pass options either to the strategy object or to solve(), not both")
        strategy_obj = strategy
    else:
        raise StrategyError(f"strategy must be a name or a Strategy instance, got {type(strategy).__name__}")
    return strategy_obj.solve(game, n_jobs=n_jobs, backend=backend, progress=progress, seed=seed,
                              reference=reference, pool=pool, bound=bound)
