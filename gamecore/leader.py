"""The leader: signals with bounds, objectives (Stackelberg) and market couplings."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

import cvxpy as cp
import numpy as np

from gamecore.errors import GameDefinitionError
from gamecore.signals import Signal

#: builds a cvxpy expression from signals and aggregated follower outputs (name -> expression)
CostBuilder = Callable[[Mapping[str, cp.Expression], Mapping[str, cp.Expression]], cp.Expression]
#: builds the leader's constraints from signals and aggregated follower outputs (same arguments)
ConstraintBuilder = Callable[[Mapping[str, cp.Expression], Mapping[str, cp.Expression]], Sequence[cp.Constraint]]


@dataclass(frozen=True)
class Bilinear:
    """The term ``weight · ⟨signal, Σ_{i ∈ followers} y_i[output]⟩`` (price × quantity).

    ``followers=None`` sums over every follower that sends ``output``.
    """

    signal: str
    output: str
    weight: float = 1.0
    followers: tuple[str, ...] | None = None


@dataclass(frozen=True)
class LeaderObjective:
    """One leader objective: bilinear price × quantity terms plus a convex remainder.

    Value (before ``sense``) = Σ bilinear terms + ``cost(signals, aggregates)``, where
    ``aggregates[o] = Σ_i y_i[o]`` over all followers sending ``o``. With ``sense="min"``
    the remainder must be convex, with ``"max"`` concave, jointly in signals and aggregates
    (it is checked when a strategy builds a relaxation from it).
    """

    name: str
    bilinear: tuple[Bilinear, ...] = ()
    cost: CostBuilder | None = None
    sense: Literal["min", "max"] = "min"

    def value(self, signals: Mapping[str, np.ndarray], aggregates: Mapping[str, np.ndarray],
              per_follower: Mapping[str, Mapping[str, np.ndarray]] | None = None) -> float:
        """Objective value in the declared sense (not negated)."""
        total = 0.0
        for term in self.bilinear:
            quantity = self.bilinear_quantity(term, aggregates, per_follower)
            total += term.weight * float(np.sum(np.asarray(signals[term.signal]) * quantity))
        if self.cost is not None:
            expr = self.cost({k: cp.Constant(np.asarray(v)) for k, v in signals.items()},
                             {k: cp.Constant(np.asarray(v)) for k, v in aggregates.items()})
            total += float(np.asarray(cp.Expression.cast_to_const(expr).value).sum())
        return total

    @staticmethod
    def bilinear_quantity(term: Bilinear, aggregates: Mapping[str, np.ndarray],
                          per_follower: Mapping[str, Mapping[str, np.ndarray]] | None = None) -> np.ndarray:
        """The quantity ``term`` prices: Σ of its output over its followers (all senders: the aggregate)."""
        if term.followers is None:
            return np.asarray(aggregates[term.output], dtype=float)
        if per_follower is None:
            raise ValueError("per-follower outputs needed for a restricted bilinear term")
        return np.asarray(sum(per_follower[f][term.output] for f in term.followers), dtype=float)

    def minimized(self, signals: Mapping[str, np.ndarray], aggregates: Mapping[str, np.ndarray],
                  per_follower: Mapping[str, Mapping[str, np.ndarray]] | None = None) -> float:
        """Value in minimisation form (negated for ``sense="max"``)."""
        v = self.value(signals, aggregates, per_follower)
        return v if self.sense == "min" else -v


@dataclass(frozen=True)
class MarketCoupling:
    """A coupling constraint cleared by a price signal (its Lagrange multiplier).

    Balance: ``Σ_{i ∈ followers} y_i[output] = s`` where ``s`` is the leader's supply with
    convex cost ``supply_cost(s)`` and constraints ``supply_constraints(s)`` (e.g. a
    transformer limit ``s <= cap``). Without a supply model ``s = 0`` (pure exchange).
    The signal ``signal`` is the price of this balance; every follower sending ``output``
    must pay ``⟨price, y_i[output]⟩`` in its objective.

    Market equilibrium = prices at which followers' best responses and the leader's best
    supply clear the balance = optimal dual of the centralized welfare problem. The price
    is therefore continuous: an integer ``signal`` is refused (:class:`Leader`).
    """

    name: str
    signal: str
    output: str
    supply_cost: Callable[[cp.Variable], cp.Expression] | None = None
    supply_constraints: Callable[[cp.Variable], list[cp.Constraint]] | None = None
    followers: tuple[str, ...] | None = None

    @property
    def has_supply(self) -> bool:
        return self.supply_cost is not None or self.supply_constraints is not None


@dataclass
class Leader:
    """Leader of the game.

    Args:
        signals: the signals it sets (bounded boxes; strategies project onto them). Integer
            and binary signals (:attr:`Signal.integer`) are decisions of a Stackelberg
            leader: a market coupling's price must be a continuous signal.
        objectives: zero (pure market coordinator), one, or several (multi-objective) objectives.
        couplings: market couplings it clears with prices.
        constraints: upper-level constraints ``constraints(signals, agg) -> [cp.Constraint]``,
            the signature of :attr:`LeaderObjective.cost`: ``signals[name]`` has the signal's
            shape, ``agg[o]`` is Σ_i y_i[o] over every follower sending output ``o`` (its
            shape). Constraints on signals only and coupled constraints on follower outputs
            are both allowed; they must be convex (DCP) jointly in signals and aggregates.
            In the optimistic reading a coupled constraint is met by the followers' optimal
            responses the leader selects. Strategies that cannot honour them refuse the game.
        name: label for tables and errors.
    """

    signals: Sequence[Signal]
    objectives: Sequence[LeaderObjective] = ()
    couplings: Sequence[MarketCoupling] = ()
    name: str = "leader"
    constraints: ConstraintBuilder | None = None
    _by_name: dict[str, Signal] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.signals = list(self.signals)
        self.objectives = list(self.objectives)
        self.couplings = list(self.couplings)
        self._by_name = {}
        for sig in self.signals:
            if not isinstance(sig, Signal):
                raise GameDefinitionError(self.name, "signals", f"expected Signal, got {type(sig).__name__}")
            if sig.name in self._by_name:
                raise GameDefinitionError(self.name, f"signals['{sig.name}']", "declared twice")
            self._by_name[sig.name] = sig
        seen: set[str] = set()
        for obj in self.objectives:
            if obj.name in seen:
                raise GameDefinitionError(self.name, f"objectives['{obj.name}']", "declared twice")
            seen.add(obj.name)
            if obj.sense not in ("min", "max"):
                raise GameDefinitionError(self.name, f"objectives['{obj.name}'].sense", "must be 'min' or 'max'")
            for term in obj.bilinear:
                if term.signal not in self._by_name:
                    raise GameDefinitionError(self.name, f"objectives['{obj.name}'].bilinear",
                                              f"unknown signal '{term.signal}'; declared: {list(self._by_name)}")
                if not np.isfinite(term.weight):
                    raise GameDefinitionError(self.name, f"objectives['{obj.name}'].bilinear", "weight is NaN/inf")
        if self.constraints is not None and not callable(self.constraints):
            raise GameDefinitionError(self.name, "constraints",
                                      f"must be a callable (signals, agg) -> list of constraints, "
                                      f"got {type(self.constraints).__name__}")
        for coupling in self.couplings:
            if coupling.signal not in self._by_name:
                raise GameDefinitionError(self.name, f"couplings['{coupling.name}'].signal",
                                          f"unknown signal '{coupling.signal}'; declared: {list(self._by_name)}")
            if self._by_name[coupling.signal].integer:
                raise GameDefinitionError(self.name, f"couplings['{coupling.name}'].signal",
                                          f"signal '{coupling.signal}' is an integer signal; the price of market "
                                          f"coupling '{coupling.name}' must be continuous (it is the balance's "
                                          "Lagrange multiplier); integer signals are decisions of a Stackelberg "
                                          "leader")

    def signal(self, name: str) -> Signal:
        return self._by_name[name]
