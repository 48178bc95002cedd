"""Plug-in registries: the entry-point scan shared by strategies and cases, and the strategy registry.

Every strategy, built-in or third-party, is an entry point of the group ``gamecore.strategies``
(gamecore declares its own in its ``pyproject.toml``); there is no other list. A third party
adds one in its package metadata::

    [project.entry-points."gamecore.strategies"]
    my-method = "mypkg.module:MyStrategy"

Cases use the same scan with the group ``gamecore.cases`` (contract in :mod:`gamecore.cases`).

Conflicts are resolved by :func:`plugin_entry_points`: gamecore's own entry points first, then
third parties by name; a name already taken (a plug-in shadowing a built-in, or two plug-ins
with one name) keeps its first holder. Every anomaly (the shadowing, a plug-in that fails to
load or is not a :class:`~gamecore.strategy.Strategy`, an entry-point name that differs from
the class's ``name``) is reported as a :class:`~gamecore.errors.PluginWarning` once per process:
the set of messages already issued is the only state kept, and
:func:`clear_plugin_warnings` clears it. The entry points themselves are scanned on every call,
so a plug-in installed while the process runs is found.
"""

from __future__ import annotations

import functools
import warnings
from importlib.metadata import EntryPoint, entry_points
from typing import Any

from gamecore.case import Case, Reference
from gamecore.driver import Callback
from gamecore.errors import PluginWarning, StrategyError
from gamecore.game import Game
from gamecore.result import Result
from gamecore.strategy import Strategy

#: entry-point group of the strategies
STRATEGY_GROUP = "gamecore.strategies"
#: the distribution whose entry points are the built-ins
BUILTIN_DISTRIBUTION = "gamecore"


@functools.cache
def warn_plugin(message: str) -> None:
    """Issue ``message`` as a :class:`PluginWarning`, the first time only (per process, until
    :func:`clear_plugin_warnings`)."""
    warnings.warn(message, PluginWarning, stacklevel=2)


def clear_plugin_warnings() -> None:
    """Forget which plug-in warnings were issued, so they are issued again (tests, reloads)."""
    warn_plugin.cache_clear()


def is_builtin(ep: EntryPoint) -> bool:
    """Whether ``ep`` is declared by gamecore's own distribution."""
    dist = getattr(ep, "dist", None)
    return dist is not None and dist.name == BUILTIN_DISTRIBUTION


def plugin_entry_points(group: str) -> dict[str, EntryPoint]:
    """Entry-point name -> entry point of ``group``: built-ins first, then third parties by name.

    A third-party entry point whose name is already taken is left out with a
    :class:`PluginWarning` naming both (built-ins cannot be shadowed). Nothing is loaded.
    """
    found = list(entry_points(group=group))
    ordered = [ep for ep in found if is_builtin(ep)] + sorted((ep for ep in found if not is_builtin(ep)),
                                                              key=lambda ep: ep.name)
    chosen: dict[str, EntryPoint] = {}
    for ep in ordered:
        if ep.name in chosen:
            holder = chosen[ep.name]
            what = "the built-in" if is_builtin(holder) else "the plug-in"
            warn_plugin(f"gamecore: {group} entry point '{ep.name}' = {ep.value} shadows {what} "
                        f"'{ep.name}' = {holder.value}; ignored (rename the entry point)")
            continue
        chosen[ep.name] = ep
    return chosen


def load_plugin(ep: EntryPoint) -> Any | None:
    """``ep.load()``, or None with a :class:`PluginWarning` when it raises (a broken plug-in
    must not break the others)."""
    try:
        return ep.load()
    except Exception as err:  # noqa: BLE001 -- a broken plug-in must not break the others
        warn_plugin(f"gamecore: {ep.group} entry point '{ep.name}' = {ep.value} failed to load: "
                    f"{type(err).__name__}: {err}; ignored")
        return None


def is_alias(cls: type[Strategy]) -> bool:
    """Whether ``cls`` is an alias: a strategy whose class attribute ``alias_of`` (a tuple of
    registry names) lists the strategies it dispatches to, e.g. ``admm`` ->
    ``("admm-exchange", "admm-mccormick")``. It runs one of them, so listing every applicable
    strategy (the CLI demo) should leave it out: :func:`available_strategies` ``(aliases=False)``."""
    return bool(getattr(cls, "alias_of", ()))


def available_strategies(*, aliases: bool = True) -> dict[str, type[Strategy]]:
    """Name -> strategy class of every ``gamecore.strategies`` entry point, built-ins first.

    ``aliases=False`` leaves out the aliases (:func:`is_alias`), so each algorithm appears once.

    A plug-in that fails to load or is not a :class:`Strategy` subclass is left out; one whose
    entry-point name differs from its class's ``name`` is registered under the entry-point
    name. Each case draws one :class:`PluginWarning` (once per process).
    """
    found: dict[str, type[Strategy]] = {}
    for name, ep in plugin_entry_points(STRATEGY_GROUP).items():
        cls = load_plugin(ep)
        if cls is None:
            continue
        if not (isinstance(cls, type) and issubclass(cls, Strategy)):
            warn_plugin(f"gamecore: {STRATEGY_GROUP} entry point '{name}' = {ep.value} is not a Strategy "
                        f"subclass; ignored")
            continue
        if cls.name != name:
            warn_plugin(f"gamecore: {STRATEGY_GROUP} entry point '{name}' = {ep.value} names a strategy whose "
                        f"name is '{cls.name}'; it is registered as '{name}' (make the two agree)")
        if aliases or not is_alias(cls):
            found[name] = cls
    return found


def builtin_strategies() -> dict[str, type[Strategy]]:
    """Name -> strategy class of gamecore's own ``gamecore.strategies`` entry points only.

    No installed plug-in is loaded: gamecore's own test suite iterates over these, so that a
    third-party strategy is tested by its author (:mod:`gamecore.testing`), not by gamecore's
    suite. A built-in that fails to load raises.
    """
    return {name: ep.load() for name, ep in plugin_entry_points(STRATEGY_GROUP).items() if is_builtin(ep)}


def get_strategy(name: str, options: Any = None, **overrides: Any) -> Strategy:
    """Instantiate the strategy registered as ``name`` with validated options."""
    registry = available_strategies()
    if name not in registry:
        raise StrategyError(f"unknown strategy '{name}'; available: {', '.join(sorted(registry))}")
    return registry[name](options, **overrides)


def solve(game: Game | Case, strategy: str | Strategy = "admm", *, n_jobs: int = 1, backend: str = "loky",
          progress: bool | None = None, seed: int | None = 0, reference: Reference | None = None,
          pool: Any = None, bound: Any = None, callback: Callback | None = None, duality: str = "centralized",
          **options: Any) -> Result:
    """Solve ``game`` with ``strategy`` (a registry name or a Strategy object).

    Keyword ``options`` go to the strategy's ``Options`` (unknown names raise
    :class:`StrategyError` listing the valid ones). ``bound``: a
    :class:`~gamecore.bounds.BoundOptions` for the certificate's leader bound. ``callback``:
    called after every iteration of every loop (:class:`~gamecore.driver.IterationInfo`); a
    truthy return stops that loop. ``duality``: ``"centralized"`` (P* from the welfare problem) or
    ``"clearing"`` (the gap bounded by the answer's clearing welfare; :meth:`Strategy.solve`).
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
                              reference=reference, pool=pool, bound=bound, callback=callback, duality=duality)
