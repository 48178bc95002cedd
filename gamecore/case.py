"""The case contract: what a case is and how a case generator declares itself.

A *case* is a runnable :class:`Case`: a game plus, where one exists, an independently computed
:class:`Reference`. A case *generator* is described by a :class:`CaseSpec` (builder, default
size, kind and its own :class:`CaseParam` parameters) and registered under the entry-point
group ``gamecore.cases`` (the registry and the entry-point contract are in
:mod:`gamecore.cases`).

This module is part of the engine: it imports no case, so ``import gamecore.strategy`` loads
no case data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from gamecore.game import Game

if TYPE_CHECKING:
    from gamecore.rolling import RollingHorizon
    from gamecore.two_tier import UpperLevel


@dataclass(frozen=True)
class Reference:
    """An independently computed optimum.

    Attributes:
        kind: ``"market"`` (objective = minimal total welfare cost of the centralized problem)
            or ``"stackelberg"`` (objective = leader's optimal value, minimisation form).
        objective: the optimal value, in minimisation form.
        signals: optimal signals (name -> array).
        source: how it was obtained (``"closed form"``, ``"centralized"``...).
    """

    kind: Literal["market", "stackelberg"]
    objective: float
    signals: dict[str, np.ndarray]
    source: str


@dataclass
class Case:
    """A runnable case: a game and, when known, its reference solution.

    ``rolling``: how the case is operated over a rolling horizon (a
    :class:`gamecore.rolling.RollingHorizon`, run by :func:`gamecore.rolling.solve_rolling` and
    ``gamecore rolling``); ``None`` for a single-shot case. ``game`` is then the case's
    single game (for ``ieh``: the day-ahead game).

    ``upper``: the leader of a two-tier game (:class:`gamecore.two_tier.UpperLevel`, run by the
    ``two-tier`` strategy): ``game`` is then the market it sets the data of.
    """

    name: str
    game: Game
    reference: Reference | None = None
    description: str = ""
    params: dict[str, object] = field(default_factory=dict)
    rolling: RollingHorizon | None = None
    upper: UpperLevel | None = None


@dataclass(frozen=True)
class CaseParam:
    """A case-specific parameter of a case generator (beyond agents / periods / seed).

    Attributes:
        name: the builder's keyword argument (a Python identifier).
        default: the value used when the parameter is not given (shown by ``gamecore cases``).
        help: one line: meaning and unit.
        parse: text -> value, used for ``gamecore solve --param name=text`` (a ``ValueError``
            or ``TypeError`` is reported naming the parameter); ``float``, ``int``, ``str``...
        check: ``check(case, value) -> value``: the case's validation of a value given by a
            caller (raises ``ValueError`` naming ``case`` and the parameter); None: any value.
    """

    name: str
    default: Any
    help: str
    parse: Callable[[str], Any] = str
    check: Callable[[str, Any], Any] | None = None


@dataclass(frozen=True)
class CaseSpec:
    """A registered case generator.

    ``build(agents=, periods=, seed=, max_memory_gb=, **params) -> Case`` where ``params`` are
    exactly the declared :attr:`params` (filled with their defaults by :meth:`resolve_params`).
    Every builder validates ``agents`` / ``periods`` / ``seed`` / ``max_memory_gb`` with
    :func:`gamecore.cases.base.case_arguments` (which also refuses sizes whose estimated memory
    exceeds the limit of :mod:`gamecore.limits`) before any data is drawn.

    Attributes:
        name: the registered name (``"ieh"``, ``"bilevel/Bard1984a"``...).
        build: the builder.
        summary: one line for ``gamecore cases``.
        kind: the equilibrium notion of its game (``"market"`` or ``"stackelberg"``).
        default_agents: followers when the caller gives none.
        default_periods: periods when the caller gives none.
        params: the case-specific parameters, in display order.
        default_strategy: the strategy ``gamecore solve CASE`` runs without ``--strategy``
            (None: the option is required).
    """

    name: str
    build: Callable[..., Case]
    summary: str
    kind: Literal["market", "stackelberg"]
    default_agents: int
    default_periods: int
    params: tuple[CaseParam, ...] = ()
    default_strategy: str | None = None

    def _valid(self) -> str:
        return (f"valid parameters: {', '.join(p.name for p in self.params)}" if self.params
                else "it takes no parameters")

    def _param(self, name: str) -> CaseParam:
        for param in self.params:
            if param.name == name:
                return param
        raise ValueError(f"case '{self.name}': unknown parameter '{name}'; {self._valid()}")

    def resolve_params(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """Every declared parameter: the value in ``given`` checked by the case, else its default.

        Raises:
            ValueError: a name in ``given`` that the case does not declare (the message lists
                the valid ones), or a value its ``check`` refuses.
        """
        for name in given:
            self._param(name)
        values: dict[str, Any] = {}
        for param in self.params:
            if param.name in given:
                value = given[param.name]
                values[param.name] = param.check(self.name, value) if param.check is not None else value
            else:
                values[param.name] = param.default
        return values

    def parse_params(self, texts: Mapping[str, str]) -> dict[str, Any]:
        """``texts`` (parameter name -> text, as from ``--param name=text``) parsed by each
        parameter's ``parse``; not yet checked (:meth:`resolve_params` does that).

        Raises:
            ValueError: an unknown name (listing the valid ones) or a text ``parse`` refuses.
        """
        values: dict[str, Any] = {}
        for name, text in texts.items():
            param = self._param(name)
            try:
                values[name] = param.parse(text)
            except (TypeError, ValueError) as err:
                raise ValueError(f"case '{self.name}': parameter {name}={text!r} could not be parsed: {err}") from None
        return values


__all__ = ["Case", "CaseParam", "CaseSpec", "Reference"]
