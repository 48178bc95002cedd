"""The case registry: every case generator is an entry point of the group ``gamecore.cases``.

gamecore declares its own cases in its ``pyproject.toml``; a third-party package adds cases
the same way. An entry point names either

* one :class:`~gamecore.case.CaseSpec` (an object), registered under the entry-point name::

      [project.entry-points."gamecore.cases"]
      my-case = "mypkg.cases:SPEC"

* or a *family provider*: a callable taking no argument and returning an iterable of
  ``CaseSpec``, each named ``"<entry-point name>/<member>"`` (the bilevel library's 103
  problems are the family ``bilevel``: ``bilevel/Bard1984a``...)::

      my-family = "mypkg.cases:case_specs"

Nothing is imported until asked for: :func:`make_case` loads only the entry point that provides
the requested name (for ``"a/b"`` the family ``a``), :func:`available_cases` (and the
module attribute ``CASES``, a fresh dict on each access) loads them all. Conflicts and broken
entries are resolved as for strategies (:func:`gamecore.registry.plugin_entry_points`: built-ins
first, a shadowing plug-in ignored) and reported once as a
:class:`~gamecore.errors.PluginWarning`: an entry point that fails to load or is neither a
``CaseSpec`` nor a callable, a single spec whose ``name`` differs from the entry-point name
(registered under the entry-point name), a family member outside ``"<name>/"`` (ignored).

``make_case(name, agents=None, periods=None, seed=0, max_memory_gb=None, **params)`` builds
one: ``agents`` / ``periods`` / ``seed`` / ``max_memory_gb`` are checked by
:func:`gamecore.cases.base.case_arguments` and ``params`` by the case's own
:class:`~gamecore.case.CaseParam` declarations, before any data is drawn. Sizes whose estimated
memory exceeds the limit of :mod:`gamecore.limits` are refused by the builder, also up front.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
from importlib.metadata import EntryPoint
from typing import Any

from gamecore.case import Case, CaseParam, CaseSpec, Reference
from gamecore.cases.base import case_arguments
from gamecore.errors import GameError
from gamecore.registry import load_plugin, plugin_entry_points, warn_plugin

#: entry-point group of the cases
CASE_GROUP = "gamecore.cases"


class UnknownCaseError(GameError, KeyError):
    """No registered case has this name (the message lists the available ones)."""

    def __str__(self) -> str:  # KeyError quotes its message otherwise
        return str(self.args[0])


def _specs_of(name: str, ep: EntryPoint) -> dict[str, CaseSpec]:
    """The cases entry point ``ep`` (registered as ``name``) provides, by registered name;
    empty (with a :class:`PluginWarning`) when it is broken."""
    obj = load_plugin(ep)
    where = f"{CASE_GROUP} entry point '{name}' = {ep.value}"
    if obj is None:
        return {}
    if isinstance(obj, CaseSpec):
        if obj.name != name:
            warn_plugin(f"gamecore: {where} names a case whose name is '{obj.name}'; it is registered as "
                        f"'{name}' (make the two agree)")
            obj = dataclasses.replace(obj, name=name)
        return {name: obj}
    if not callable(obj):
        warn_plugin(f"gamecore: {where} is neither a CaseSpec nor a family provider (a callable returning "
                    f"CaseSpecs); ignored")
        return {}
    try:
        members = list(obj())
    except Exception as err:  # noqa: BLE001 -- a broken plug-in must not break the others
        warn_plugin(f"gamecore: {where} failed to list its cases: {type(err).__name__}: {err}; ignored")
        return {}
    found: dict[str, CaseSpec] = {}
    for spec in members:
        if not (isinstance(spec, CaseSpec) and spec.name.startswith(f"{name}/") and spec.name != f"{name}/"):
            shown = spec.name if isinstance(spec, CaseSpec) else type(spec).__name__
            warn_plugin(f"gamecore: {where} provided {shown!r}, not a CaseSpec named '{name}/<member>'; ignored")
            continue
        found[spec.name] = spec
    return found


def available_cases() -> dict[str, CaseSpec]:
    """Name -> spec of every registered case (loads every ``gamecore.cases`` entry point).

    Order: the single cases, then the families' members, each in entry-point order
    (:func:`~gamecore.registry.plugin_entry_points`: built-ins first).
    """
    singles: dict[str, CaseSpec] = {}
    members: dict[str, CaseSpec] = {}
    for name, ep in plugin_entry_points(CASE_GROUP).items():
        for key, spec in _specs_of(name, ep).items():
            (members if "/" in key else singles)[key] = spec
    return {**singles, **members}


def case_spec(name: str) -> CaseSpec:
    """The spec of the case ``name``, loading only the entry point that provides it.

    Raises:
        UnknownCaseError: no case ``name`` (the message lists every registered case).
    """
    eps = plugin_entry_points(CASE_GROUP)
    provider = name.split("/", 1)[0] if "/" in name else name
    if provider in eps:
        spec = _specs_of(provider, eps[provider]).get(name)
        if spec is not None:
            return spec
    raise UnknownCaseError(f"unknown case '{name}'; available: {', '.join(sorted(available_cases()))}")


def make_case(name: str, agents: int | None = None, periods: int | None = None, seed: int = 0,
              max_memory_gb: float | None = None, **params: Any) -> Case:
    """Build the case ``name`` with ``agents`` followers and ``periods`` periods from ``seed``.

    ``agents`` / ``periods`` default to the case's own (:class:`CaseSpec`). ``params`` are the
    case's own parameters (:attr:`CaseSpec.params`, listed by ``gamecore cases``); those not
    given take their declared defaults. Every argument is checked before any data is drawn.

    Raises:
        UnknownCaseError: no case ``name``.
        ValueError: ``agents`` / ``periods`` not an integer >= 1, ``seed`` not a non-negative
            integer (bools are refused), the message naming the argument
            (:func:`gamecore.cases.base.case_arguments`); a parameter the case does not declare
            (the message lists the valid ones) or a value the case refuses.
        ResourceLimitError: (a ``ValueError``) the case's estimated memory at this size exceeds
            ``max_memory_gb`` (GB = 10⁹ bytes; default: the environment variable
            ``GAMECORE_MAX_MEMORY_GB``, else half this machine's memory, see :mod:`gamecore.limits`).
    """
    spec = case_spec(name)
    agents, periods, seed = case_arguments(name, spec.default_agents if agents is None else agents,
                                           spec.default_periods if periods is None else periods, seed,
                                           max_memory_gb=max_memory_gb)   # the builder checks the memory
    values = spec.resolve_params(params)
    return spec.build(agents=agents, periods=periods, seed=seed, max_memory_gb=max_memory_gb, **values)


def __getattr__(name: str) -> Any:
    """``CASES`` (a fresh :func:`available_cases` dict) and the case modules, loaded on first use."""
    if name == "CASES":
        return available_cases()
    if importlib.util.find_spec(f"{__name__}.{name}") is not None:
        return importlib.import_module(f"{__name__}.{name}")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["CASES", "CASE_GROUP", "Case", "CaseParam", "CaseSpec", "Reference", "UnknownCaseError",
           "available_cases", "case_spec", "make_case"]
