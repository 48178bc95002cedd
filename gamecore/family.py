"""Program families: one follower program compiled once and instantiated for many agents.

Agents of one kind (energy hubs, buildings, IES of a type) solve the same program with
different numbers: capacities, efficiencies, load and renewable profiles, the state at the
start of a rolling stage. Compiling each agent with cvxpy costs tens of milliseconds of
canonicalisation per program — at a thousand agents and a new horizon every stage, most of a
rolling day. A :class:`ProgramFamily` is written once against *structure parameters*
(``cp.Parameter`` s standing for those numbers), compiled once
(:func:`gamecore.canonical.compile_form`), and instantiated per agent by evaluating cvxpy's DPP
tensors at the agent's values — a few sparse products, no canonicalisation::

    p = structure_parameters(hub_numbers(hubs[0]), nonneg=["grid_max", ...])  # example values
    model = hub_model(p)                        # the physics, written once against p[...]
    family = ProgramFamily("hub", cp.Minimize(model.cost), model.constraints,
                           signals={"price": model.price}, outputs={"net": model.net}, parameters=p)
    followers = [family.follower(h.name, hub_numbers(h)) for h in hubs]

Rules (cvxpy's DPP): a structure parameter may multiply a variable (a coefficient of a
constraint or of a quadratic term) but not another parameter or a signal; a parameter that
must keep a sign for the program to stay convex (a weight on a convex term) is declared with
``nonneg=True`` and every instance's value is checked against it. The instance equals a
fresh compile of the program with the values written as constants (tested).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import clarabel
import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from gamecore.canonical import CanonicalProgram, CompiledForm, compile_form
from gamecore.errors import GameDefinitionError, GameError
from gamecore.follower import Follower
from gamecore.solver import EQUILIBRATE_ONCE, follower_settings
from gamecore.solver import solve as solve_conic

#: cvxpy sign attributes a structure parameter may carry, with the test its values must pass
_SIGNS = {"nonneg": lambda a: a >= 0, "pos": lambda a: a > 0, "nonpos": lambda a: a <= 0, "neg": lambda a: a < 0}


def structure_parameters(values: Mapping[str, Any], nonneg: Iterable[str] = (),
                         pos: Iterable[str] = ()) -> dict[str, cp.Parameter]:
    """One ``cp.Parameter`` per entry of ``values`` (name -> scalar or array), of its shape and with
    it as value (the family's compile-time instance); names in ``nonneg`` / ``pos`` carry that sign
    attribute (needed where the sign keeps the program convex, e.g. a weight on a square)."""
    nonneg, pos = set(nonneg), set(pos)
    unknown = sorted((nonneg | pos) - set(values))
    if unknown:
        raise ValueError(f"structure_parameters: sign given for unknown names {unknown}")
    out = {}
    for name, value in values.items():
        arr = np.asarray(value, dtype=float)
        out[name] = cp.Parameter(arr.shape, name=name, value=arr, nonneg=name in nonneg, pos=name in pos)
    return out


def prefixed(prefix: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """``values`` with their names prefixed ``prefix.``: one component's numbers (e.g. a storage's
    ``storage_numbers``) among an agent's, so that several components share one namespace."""
    return {f"{prefix}.{k}": v for k, v in values.items()}


def component(numbers: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    """The entries ``prefix.key`` of ``numbers`` as ``key``: one component's numbers back (the
    inverse of :func:`prefixed`; values may be numbers or structure parameters)."""
    return {k[len(prefix) + 1:]: v for k, v in numbers.items() if k.startswith(prefix + ".")}


class ProgramFamily:
    """A follower program shared by the agents of one kind (module docstring).

    Args:
        name: the family's label (errors name it with the agent).
        objective, constraints, signals, outputs, solver_options, data: as for
            :class:`~gamecore.follower.Follower` (the checks are made once, here).
        parameters: structure parameter name -> ``cp.Parameter`` (with a value: the example
            instance the family is checked and compiled with).

    Raises:
        GameDefinitionError: everything :class:`~gamecore.follower.Follower` refuses, naming the
            family; a structure parameter that is not a ``cp.Parameter`` or has no value, or is
            also a signal or a data parameter.
    """

    def __init__(self, name: str, objective: cp.Minimize | cp.Maximize, constraints: Sequence[cp.Constraint],
                 signals: Mapping[str, cp.Parameter], outputs: Mapping[str, cp.Expression],
                 parameters: Mapping[str, cp.Parameter], *, data: Mapping[str, cp.Parameter] | None = None,
                 solver_options: Mapping[str, Any] | None = None) -> None:
        taken = {p.id for p in signals.values()} | {p.id for p in (data or {}).values()}
        for nm, param in parameters.items():
            where = f"parameters['{nm}']"
            if not isinstance(param, cp.Parameter):
                raise GameDefinitionError(name, where, f"must be a cp.Parameter, got {type(param).__name__}")
            if param.id in taken:
                raise GameDefinitionError(name, where, "is also a signal or data parameter of the family")
            if param.value is None:
                raise GameDefinitionError(name, where, "needs a value (the family's example instance)")
        self.name = name
        self.signal_params = dict(signals)
        self.constraints = list(constraints)
        self.output_exprs = dict(outputs)
        self.shapes = {nm: tuple(p.shape) for nm, p in parameters.items()}
        self.signs = {nm: [s for s in _SIGNS if p.attributes.get(s)] for nm, p in parameters.items()}
        self.form: CompiledForm = compile_form(name, objective, self.constraints, self.signal_params,
                                               self.output_exprs, solver_options, data, structure=parameters)

    @property
    def parameter_names(self) -> tuple[str, ...]:
        return tuple(self.shapes)

    def checked_values(self, agent: str, values: Mapping[str, Any]) -> dict[str, np.ndarray]:
        """``values`` checked against the declaration: every parameter given, no unknown name, the
        declared shape, finite, the declared sign. Raises :class:`GameDefinitionError` naming
        ``agent`` and ``parameters['name']``."""
        unknown = sorted(set(values) - set(self.shapes))
        if unknown:
            raise GameDefinitionError(agent, f"parameters['{unknown[0]}']",
                                      f"not a parameter of family '{self.name}' ({list(self.shapes)})")
        checked = {}
        for nm, shape in self.shapes.items():
            where = f"parameters['{nm}']"
            if nm not in values:
                raise GameDefinitionError(agent, where, f"missing value (family '{self.name}')")
            arr = np.asarray(values[nm], dtype=float)
            if arr.shape != shape and not (arr.size == 1 and int(np.prod(shape, dtype=int)) == 1):
                raise GameDefinitionError(agent, where, f"shape {arr.shape}, expected {shape}")
            if not np.isfinite(arr).all():
                raise GameDefinitionError(agent, where, "contains NaN or inf")
            for sign in self.signs[nm]:
                if not np.all(_SIGNS[sign](arr)):
                    raise GameDefinitionError(agent, where, f"must be {sign} (the family's program is convex "
                                                            f"only then), got min {float(arr.min()):.6g}")
            checked[nm] = arr.reshape(shape)
        return checked

    def program(self, agent: str, values: Mapping[str, Any]) -> CanonicalProgram:
        """Agent ``agent``'s compiled program at its structure ``values`` (name -> array)."""
        return self.form.program(agent, self.checked_values(agent, values))

    def follower(self, agent: str, values: Mapping[str, Any]) -> Follower:
        """Agent ``agent`` as a :class:`~gamecore.follower.Follower` of this family."""
        return Follower.from_program(agent, self.program(agent, values), signals=self.signal_params,
                                     constraints=self.constraints, outputs=self.output_exprs)

    def solve_many(self, agents: Sequence[str], values: Sequence[Mapping[str, Any]]) -> list[dict[str, np.ndarray]]:
        """Every agent's instance (``values[i]`` for ``agents[i]``) of a signal-free family, solved;
        each instance's outputs.

        For a linear program (no quadratic term, zero and nonnegative cones only) the instances are
        independent blocks of one LP: the family's DPP tensors are evaluated at all the numbers in
        one sparse product and the block-diagonal LP is solved once (rows reordered so that every
        instance's zero-cone rows come first) — a thousand small LPs for the price of one solve.
        Otherwise each instance is solved on its own. Numbers that are not all finite and of the
        declared shapes are checked one by one (:meth:`checked_values`'s named error).

        Raises:
            GameDefinitionError: a family with signals, or bad numbers (naming the agent).
            GameError: the stacked LP (or an instance) has no solution.
        """
        if self.form.signal_names:
            raise GameDefinitionError(self.name, "signals", "solve_many solves signal-free families only")
        form, count = self.form, len(values)
        prog, dims = form.prog, form.dims
        quadratic = prog.reduced_P is not None and prog.P is not None
        if quadratic or dims.soc or dims.exp or dims.psd or dims.p3d:
            return [self._solved(self.program(a, v).solve(np.zeros(0), keep_x=False), a)
                    for a, v in zip(agents, values)]
        V = np.repeat(form.base_vec[:, None], count, axis=1)
        try:
            for nm, (col, shape) in form.structure.items():
                size = int(np.prod(shape, dtype=int))
                V[col:col + size, :] = np.array([np.asarray(v[nm], float).reshape(shape).ravel(order="F")
                                                 for v in values]).reshape(count, size).T
            valid = bool(np.isfinite(V).all()) and all(len(v) == len(self.shapes) for v in values)
        except (KeyError, ValueError):
            valid = False
        if not valid:
            for a, v in zip(agents, values):
                self.checked_values(a, v)      # raises, naming the agent and the number
        n = prog.x.size
        Q = np.asarray(sp.csc_matrix(prog.q) @ V)                          # (n + 1, count): q and the constant
        reduced = prog.reduced_A
        flat = np.asarray(reduced.reduced_mat @ V)                         # (nnz of [A | b], count)
        indices, indptr, (m, _) = reduced.problem_data_index
        nnz_a = int(indptr[n])
        zero, nonneg = dims.zero, dims.nonneg
        member = np.arange(count)[:, None]

        def place(rows: np.ndarray) -> np.ndarray:     # instance i's row r -> its row in the stacked LP
            rows = rows[None, :]
            return np.where(rows < zero, member * zero + rows, count * zero + member * nonneg + (rows - zero)).ravel()

        cols = np.repeat(np.arange(n), np.diff(indptr[:n + 1]))
        A = sp.csc_matrix((-flat[:nnz_a].T.ravel(), (place(indices[:nnz_a]), (cols[None, :] + member * n).ravel())),
                          shape=(count * m, count * n))
        b = np.zeros(count * m)
        b[place(indices[nnz_a:])] = flat[nnz_a:].T.ravel()
        cones = [c for c in (clarabel.ZeroConeT(count * zero) if zero else None,
                             clarabel.NonnegativeConeT(count * nonneg) if nonneg else None) if c is not None]
        found = solve_conic(sp.csc_matrix((count * n, count * n)), Q[:n].T.ravel(), A, b, cones,
                            follower_settings(form.settings), EQUILIBRATE_ONCE)
        if found.x is None:
            raise GameError(f"family '{self.name}': the stacked LP of {count} instances is {found.status}")
        x = found.x.reshape(count, n)
        stacked = {nm: x[:, c].reshape((count, *shape)) for nm, (c, shape) in form.outputs.items()}
        return [{nm: arrays[i] for nm, arrays in stacked.items()} for i in range(count)]

    def _solved(self, response: Any, agent: str) -> dict[str, np.ndarray]:
        if not response.ok:
            raise GameError(f"family '{self.name}': agent '{agent}''s instance is {response.status}")
        return dict(response.outputs)


class FamilyCache:
    """Program families by shape key, each compiled at its first use and instantiated after.

    A case keys its agents' programs by what fixes their shape (horizon, which units an agent
    has); ``build(parameters)`` makes the family of a key from the structure parameters of the
    first agent that needs it. Owned by whoever builds the games (e.g. a rolling description, for
    a day): no global cache.
    """

    def __init__(self, nonneg: Iterable[str] = ()) -> None:
        self._families: dict[Any, ProgramFamily] = {}
        self._nonneg = tuple(nonneg)

    def __len__(self) -> int:
        """Families compiled so far."""
        return len(self._families)

    def family(self, key: Any, values: Mapping[str, Any],
               build: Callable[[dict[str, cp.Parameter]], ProgramFamily]) -> ProgramFamily:
        """The family of ``key``, built first when new: ``build(structure_parameters(values, nonneg))``
        (``values``: the numbers of the agent that needs it first)."""
        family = self._families.get(key)
        if family is None:
            family = build(structure_parameters(values, nonneg=[n for n in self._nonneg if n in values]))
            self._families[key] = family
        return family

    def follower(self, key: Any, agent: str, values: Mapping[str, Any],
                 build: Callable[[dict[str, cp.Parameter]], ProgramFamily]) -> Follower:
        """Agent ``agent`` at its numbers ``values`` from the family of ``key`` (see :meth:`family`)."""
        return self.family(key, values, build).follower(agent, values)


__all__ = ["FamilyCache", "ProgramFamily", "component", "prefixed", "structure_parameters"]
