"""The game: a leader, its followers and their couplings, validated at construction."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from typing import TypeVar

import cvxpy as cp
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import lsqr

from gamecore.canonical import CanonicalProgram, Response, compile_program
from gamecore.errors import GameDefinitionError, GameDefinitionWarning
from gamecore.follower import Follower
from gamecore.leader import Leader, MarketCoupling
from gamecore.signals import SignalLayout
from gamecore.upper_level import LeaderConstraints, LeaderProgram, compile_leader, cost_outputs, leader_arguments

SUPPLY = "supply"
T = TypeVar("T")


class Game:
    """A leader–follower game.

    The game knows nothing about energy: signals are named arrays, followers are compiled
    convex programs, couplings are balances cleared by prices.

    Args:
        leader: the leader (signals, objectives, couplings).
        followers: the followers; names must be unique.
        name: label used in tables.
        reported_outputs: outputs the followers send for the caller only (e.g. a storage
            state read by a rolling horizon), which no coupling, leader objective or leader
            constraint uses; any other unused output draws a :class:`GameDefinitionWarning`.

    Raises:
        GameDefinitionError: naming the agent and the field, for unknown or mis-shaped
            signals, outputs a coupling needs but nobody sends, followers whose objective
            does not pay ``price @ output`` for a market coupling, a coupling price in a
            follower's constraints or in the objective of a follower that does not send the
            coupling's output, an integer signal pricing a coupling, duplicate names.
    """

    def __init__(self, leader: Leader, followers: Sequence[Follower], name: str = "game",
                 reported_outputs: Sequence[str] = ()) -> None:
        self.name = name
        self.reported_outputs = tuple(reported_outputs)
        self.leader = leader
        self.followers = list(followers)
        if not self.followers:
            raise GameDefinitionError(leader.name, "followers", "a game needs at least one follower")
        self.layout = SignalLayout(leader.signals)
        names = [f.name for f in self.followers]
        if len(set(names)) != len(names):
            dup = next(n for n in names if names.count(n) > 1)
            raise GameDefinitionError(dup, "name", "two followers share this name")
        self.index = {f.name: i for i, f in enumerate(self.followers)}
        self._senders: dict[tuple[str, tuple[str, ...] | None], list[int]] = {}
        self.signal_index: list[np.ndarray] = [self._signal_index(f) for f in self.followers]
        seen = np.zeros(self.layout.size, dtype=bool)
        for idx in self.signal_index:
            seen[idx] = True
        #: (layout.size,) True for the signal entries no follower receives: the leader's own
        #: decisions (e.g. its dispatch), which only its objectives and constraints use. In the
        #: optimistic reading they are chosen after the followers respond (a convex recourse
        #: at fixed responses, :func:`gamecore.optimistic.leader_recourse`).
        self.leader_only: np.ndarray = ~seen
        self._check_outputs()
        self.suppliers: dict[str, CanonicalProgram] = {c.name: self._compile_supply(c) for c in leader.couplings}
        #: the leader's upper-level constraints (None when it has none)
        self.leader_constraints: LeaderConstraints | None = (
            LeaderConstraints(leader.constraints, self.layout, self.output_shapes, leader.name)
            if leader.constraints is not None else None)
        self._leader_programs: dict[int | None, LeaderProgram] = {}
        self._cost_params: dict[int, tuple[cp.Parameter, dict[str, cp.Parameter], cp.Expression]] = {}
        self._memo: dict[object, object] = {}
        for coupling in leader.couplings:
            self._check_prices(coupling)
            self._check_payments(coupling)
        self._warn_unused_outputs()

    # ----------------------------------------------------------------------------- kinds
    @property
    def is_market(self) -> bool:
        """True when the leader clears at least one coupling with prices."""
        return bool(self.leader.couplings)

    @property
    def is_stackelberg(self) -> bool:
        """True when the leader has at least one objective of its own."""
        return bool(self.leader.objectives)

    @property
    def n_followers(self) -> int:
        return len(self.followers)

    @property
    def output_shapes(self) -> dict[str, tuple[int, ...]]:
        """Output name -> shape, over every output some follower sends (shapes agree by construction)."""
        return {o: s for f in self.followers for o, s in f.output_shapes.items()}

    @property
    def has_leader_only(self) -> bool:
        """True when some signal entry reaches no follower (:attr:`leader_only`)."""
        return bool(self.leader_only.any())

    @property
    def has_leader_constraints(self) -> bool:
        return self.leader_constraints is not None and self.leader_constraints.count > 0

    # ----------------------------------------------------------------------- validation
    def _signal_index(self, follower: Follower) -> np.ndarray:
        parts = []
        for sig_name in follower.signal_names:
            if sig_name not in self.layout.signals:
                raise GameDefinitionError(follower.name, f"signals['{sig_name}']",
                                          f"the leader sets no such signal; it sets {self.layout.names}")
            expected = self.layout.signals[sig_name].shape
            got = follower.program.signal_shapes[sig_name]
            if tuple(got) != tuple(expected):
                raise GameDefinitionError(follower.name, f"signals['{sig_name}']",
                                          f"Parameter shape {got} does not match the leader's signal shape {expected}")
            sl = self.layout.slices[sig_name]
            parts.append(np.arange(sl.start, sl.stop))
        return np.concatenate(parts) if parts else np.zeros(0, dtype=int)

    def senders(self, output: str, restrict: Sequence[str] | None = None) -> list[int]:
        """Indices of followers that send ``output`` (optionally restricted to names); computed once
        per (output, restriction): strategies aggregate outputs every iteration."""
        key = (output, None if restrict is None else tuple(restrict))
        found = self._senders.get(key)
        if found is None:
            pool = range(self.n_followers) if restrict is None else [self.index[n] for n in restrict]
            found = [i for i in pool if output in self.followers[i].program.outputs]
            self._senders[key] = found
        return list(found)

    def _check_outputs(self) -> None:
        leader = self.leader
        first: dict[str, tuple[str, tuple[int, ...]]] = {}
        for f in self.followers:
            for o, shape in f.output_shapes.items():
                owner, known = first.setdefault(o, (f.name, shape))
                if shape != known:
                    raise GameDefinitionError(f.name, f"outputs['{o}']",
                                              f"shape {shape} differs from follower '{owner}''s {known}; "
                                              "outputs of one name are summed over followers")
        for coupling in leader.couplings:
            where = f"couplings['{coupling.name}']"
            if coupling.followers is not None:
                for fname in coupling.followers:
                    if fname not in self.index:
                        raise GameDefinitionError(leader.name, f"{where}.followers", f"unknown follower '{fname}'")
            senders = self.senders(coupling.output, coupling.followers)
            if not senders:
                raise GameDefinitionError(leader.name, f"{where}.output",
                                          f"no follower sends output '{coupling.output}'")
            shape = leader.signal(coupling.signal).shape
            for i in senders:
                f = self.followers[i]
                if f.output_shapes[coupling.output] != shape:
                    raise GameDefinitionError(f.name, f"outputs['{coupling.output}']",
                                              f"shape {f.output_shapes[coupling.output]} differs from price "
                                              f"'{coupling.signal}' shape {shape} of coupling '{coupling.name}'")
                if coupling.signal not in f.signal_names:
                    raise GameDefinitionError(f.name, f"signals['{coupling.signal}']",
                                              f"sends '{coupling.output}' to coupling '{coupling.name}' but "
                                              "does not see its price")
        for obj in leader.objectives:
            for term in obj.bilinear:
                senders = self.senders(term.output, term.followers)
                if not senders:
                    raise GameDefinitionError(leader.name, f"objectives['{obj.name}'].bilinear",
                                              f"no follower sends output '{term.output}'")
                shape = leader.signal(term.signal).shape
                for i in senders:
                    if self.followers[i].output_shapes[term.output] != shape:
                        raise GameDefinitionError(self.followers[i].name, f"outputs['{term.output}']",
                                                  f"shape differs from signal '{term.signal}' {shape}")

    def _check_prices(self, coupling: MarketCoupling) -> None:
        """A coupling's price enters a follower only as the payment for what it sends.

        Refused (naming the follower): the price in a follower's constraints — its feasible
        set would move with the price, and the market equilibrium would no longer be the dual
        of the welfare problem that the market strategies and the certificate rely on — and
        the price in the objective of a follower that does not send the coupling's output (a
        payment for a quantity the balance never sees, e.g. an output name misspelt). Refused
        too (naming the coupling and the signal): an integer price — a Lagrange multiplier is
        continuous (:class:`~gamecore.leader.Leader` refuses it at construction already; this
        catches a leader whose couplings were changed afterwards).
        """
        if self.leader.signal(coupling.signal).integer:
            raise GameDefinitionError(self.leader.name, f"couplings['{coupling.name}'].signal",
                                      f"signal '{coupling.signal}' is an integer signal; the price of market "
                                      f"coupling '{coupling.name}' must be continuous (integer signals are "
                                      "decisions of a Stackelberg leader)")
        senders = set(self.senders(coupling.output, coupling.followers))
        for i, f in enumerate(self.followers):
            if coupling.signal not in f.signal_names:
                continue
            cols = _signal_slice(f.program, coupling.signal)
            if _nonzero(f.program.Bs[:, cols]):
                param = f.signal_params.get(coupling.signal)
                where = [k for k, con in enumerate(f.constraints)
                         if param is not None and any(p.id == param.id for p in con.parameters())]
                raise GameDefinitionError(
                    f.name, f"constraints[{where[0]}]" if where else "constraints",
                    f"depends on price '{coupling.signal}' of market coupling '{coupling.name}'; in a market game "
                    "a price may enter a follower only through its objective (the payment price @ output), "
                    "so that the market equilibrium is the dual of the welfare problem")
            if i not in senders and _nonzero(f.program.Qs[:, cols]):
                why = (f"it is not among the coupling's followers {list(coupling.followers)}"
                       if coupling.followers is not None and f.name not in coupling.followers
                       else f"it sends {sorted(f.output_shapes)}")
                raise GameDefinitionError(
                    f.name, "outputs",
                    f"pays price '{coupling.signal}' of market coupling '{coupling.name}' in its objective but "
                    f"does not send output '{coupling.output}' to it ({why}): the balance would not see "
                    "the quantity it pays for")

    def _warn_unused_outputs(self) -> None:
        """Warn (:class:`GameDefinitionWarning`) about follower outputs that no coupling, leader
        objective or leader constraint uses: the leader never sees them (often a misspelt name)."""
        leader = self.leader
        used = set(self.reported_outputs) | {c.output for c in leader.couplings}
        used |= {t.output for obj in leader.objectives for t in obj.bilinear}
        for obj in leader.objectives:
            used |= set(cost_outputs(obj, self.layout, self.output_shapes, leader.name))
        if self.leader_constraints is not None:
            used |= set(self.leader_constraints.outputs)
        unused: dict[str, list[str]] = {}
        for f in self.followers:
            for o in sorted(set(f.output_shapes) - used):
                unused.setdefault(o, []).append(f.name)
        for o, names in unused.items():
            who = ", ".join(names[:3]) + (f" and {len(names) - 3} more" if len(names) > 3 else "")
            warnings.warn(f"game '{self.name}': output '{o}' (sent by {who}) is used by no coupling, leader objective "
                          "or leader constraint; pass Game(..., reported_outputs=['" + o + "']) if it is sent "
                          "for the caller only", GameDefinitionWarning, stacklevel=3)

    def _compile_supply(self, coupling: MarketCoupling) -> CanonicalProgram:
        shape = self.leader.signal(coupling.signal).shape
        price = cp.Parameter(shape, name=coupling.signal)
        s = cp.Variable(shape, name=f"{coupling.name}_supply")
        cost = coupling.supply_cost(s) if coupling.supply_cost is not None else 0
        constraints = list(coupling.supply_constraints(s)) if coupling.supply_constraints is not None else []
        if not coupling.has_supply:
            constraints = [s == 0]
        return compile_program(f"{self.leader.name}.{coupling.name}", cp.Minimize(cost - cp.sum(cp.multiply(price, s))),
                               constraints, {coupling.signal: price}, {SUPPLY: s})

    def _check_payments(self, coupling: MarketCoupling) -> None:
        """Each sender's objective must contain exactly ``⟨price, y[output]⟩`` in the price.

        Checked exactly on the canonical data: the price sensitivity of the objective, minus
        the output selection, must lie in the row space of the equality constraints (so the
        two agree on the whole feasible set). One random combination of periods is tested (the same
        for every sender).
        """
        rng = np.random.default_rng(12345)
        # followers instantiated from one program family usually share the combination of
        # equality rows that carries the payment: try the last one before solving again
        known: dict[tuple[int, ...], np.ndarray] = {}
        w = rng.standard_normal(self.leader.signal(coupling.signal).size)    # one random combination
        for i in self.senders(coupling.output, coupling.followers):
            f = self.followers[i]
            prog = f.program
            sens = np.zeros(prog.k)
            sens[_signal_slice(prog, coupling.signal)] = w
            v = np.asarray(prog.Qs @ sens).ravel()
            cols, _ = prog.outputs[coupling.output]
            v[cols] -= w
            if not np.abs(v).max() > 1e-12:
                continue
            a_eq = prog.A[: prog.dims.zero, :]
            tol = 1e-6 * max(1.0, np.abs(w).max())
            key = (prog.n, a_eq.shape[0], id(prog.Qs))
            resid = v - a_eq.T @ known[key] if key in known else None
            if resid is None or np.abs(resid).max() > tol:
                sol = lsqr(a_eq.T, v, atol=1e-12, btol=1e-12, iter_lim=10 * prog.n)[0] if a_eq.shape[0] \
                    else np.zeros(0)
                resid = v - (a_eq.T @ sol if a_eq.shape[0] else 0)
                known[key] = sol
            if np.abs(resid).max() > tol:
                raise GameDefinitionError(
                    f.name, "objective",
                    f"must pay price '{coupling.signal}' times output '{coupling.output}' "
                    f"(term `{coupling.signal} @ {coupling.output}` with coefficient +1) for market coupling "
                    f"'{coupling.name}'; its dependence on the price is different")

    # ------------------------------------------------------------------------ evaluation
    def follower_signals(self, i: int, signal_vector: np.ndarray) -> np.ndarray:
        """Follower ``i``'s own signal vector out of the game's flat signal vector."""
        return np.asarray(signal_vector)[self.signal_index[i]]

    def aggregate(self, responses: Sequence[Response], output: str,
                  restrict: Sequence[str] | None = None) -> np.ndarray:
        """Σ of ``output`` over the followers that send it (``responses`` in follower order)."""
        senders = self.senders(output, restrict)
        return np.sum([responses[i].outputs[output] for i in senders], axis=0)

    def aggregates(self, responses: Sequence[Response]) -> dict[str, np.ndarray]:
        names = {o for f in self.followers for o in f.output_shapes}
        return {o: self.aggregate(responses, o) for o in sorted(names)}

    def payments(self, i: int, signals: Mapping[str, np.ndarray], response: Response) -> float:
        """Follower ``i``'s payments ``Σ_c ⟨price_c, y_i[output_c]⟩`` over market couplings."""
        total = 0.0
        for coupling in self.leader.couplings:
            if i in self.senders(coupling.output, coupling.followers):
                total += float(np.sum(signals[coupling.signal] * response.outputs[coupling.output]))
        return total

    def supply_cost(self, coupling: MarketCoupling, price: np.ndarray, supply_response: Response) -> float:
        """The leader's supply cost C(s) (the supply program's objective plus ⟨p, s⟩)."""
        return supply_response.objective + float(np.sum(price * supply_response.outputs[SUPPLY]))

    def leader_program(self, objective: int | None = 0) -> LeaderProgram:
        """The leader's objective ``objective`` (index; None: constraints only) and constraints,
        compiled once to canonical form (:class:`~gamecore.upper_level.LeaderProgram`) and kept."""
        if objective not in self._leader_programs:
            obj = self.leader.objectives[objective] if objective is not None else None
            self._leader_programs[objective] = compile_leader(
                f"{self.leader.name}.program", self.layout, self.output_shapes, obj, self.leader_constraints)
        return self._leader_programs[objective]

    def memo(self, key: object, build: Callable[[], T]) -> T:
        """Data derived from this game, built once by ``build()`` and kept under ``key`` (e.g. the
        assembled recourse program of :func:`gamecore.optimistic.leader_recourse`)."""
        if key not in self._memo:
            self._memo[key] = build()
        return self._memo[key]  # type: ignore[return-value]

    def leader_violation(self, signal_vector: np.ndarray, responses: Sequence[Response]) -> float:
        """Largest relative violation of the leader's constraints at given responses (0 without any)."""
        if self.leader_constraints is None:
            return 0.0
        return self.leader_constraints.violation(signal_vector, self.aggregates(responses))

    def leader_objectives(self, signals: Mapping[str, np.ndarray], responses: Sequence[Response]) -> np.ndarray:
        """Every leader objective, in minimisation form, shape ``(n_objectives,)``.

        The same value as :meth:`~gamecore.leader.LeaderObjective.minimized`; the objectives'
        ``cost`` expressions are built once per game over cvxpy Parameters and re-evaluated
        (:meth:`cost_value`) instead of being rebuilt from constants at every point.
        """
        aggregates = self.aggregates(responses)
        per_follower = {f.name: responses[i].outputs for i, f in enumerate(self.followers)}
        out = []
        for k, obj in enumerate(self.leader.objectives):
            value = replace(obj, cost=None).value(signals, aggregates, per_follower) if obj.bilinear else 0.0
            if obj.cost is not None:
                value += self.cost_value(k, signals, aggregates)
            out.append(value if obj.sense == "min" else -value)
        return np.array(out)

    def cost_value(self, k: int, signals: Mapping[str, np.ndarray], aggregates: Mapping[str, np.ndarray]) -> float:
        """``cost(signals, aggregates)`` of objective ``k`` (declared sense), from its expression built once
        over Parameters; NaN/inf inputs are evaluated the slow way (Parameters must be finite)."""
        obj = self.leader.objectives[k]
        vector = self.layout.pack(signals)
        flat = {o: np.ravel(np.asarray(v, dtype=float)) for o, v in aggregates.items()}
        if not (np.isfinite(vector).all() and all(np.isfinite(v).all() for v in flat.values())):
            return replace(obj, bilinear=()).value(signals, aggregates)
        built = self._cost_params.get(k)
        if built is None:
            sigma = cp.Parameter(self.layout.size)
            aggs = {o: cp.Parameter(int(np.prod(sh, dtype=int))) for o, sh in self.output_shapes.items()}
            sig_exprs, agg_exprs = leader_arguments(self.layout, sigma, aggs, self.output_shapes)
            assert obj.cost is not None
            expr = cp.sum(cp.Expression.cast_to_const(obj.cost(sig_exprs, agg_exprs)))
            built = self._cost_params[k] = (sigma, aggs, expr)
        sigma, aggs, expr = built
        sigma.value = vector
        for o, p in aggs.items():
            p.value = flat[o] if o in flat else np.zeros(p.size)
        return float(np.asarray(expr.value))

    def __repr__(self) -> str:
        kind = "+".join(k for k, flag in (("market", self.is_market), ("stackelberg", self.is_stackelberg)) if flag)
        return (f"Game({self.name!r}, {kind}, followers={self.n_followers}, "
                f"signals={ {n: s.shape for n, s in self.layout.signals.items()} })")


def _signal_slice(program: CanonicalProgram, name: str) -> slice:
    """Columns of signal ``name`` in ``program``'s own signal vector (``signal_names`` order)."""
    offset = 0
    for nm in program.signal_names:
        size = int(np.prod(program.signal_shapes[nm], dtype=int))
        if nm == name:
            return slice(offset, offset + size)
        offset += size
    raise KeyError(name)


def _nonzero(matrix: sp.spmatrix) -> bool:
    """True when a sparse matrix has an entry that is not exactly zero."""
    return bool(np.any(matrix.data != 0)) if matrix.nnz else False
