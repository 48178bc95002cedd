"""Followers: convex cvxpy programs written once against named signal Parameters."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import cvxpy as cp
import numpy as np

from gamecore.canonical import CanonicalProgram, Prox, Response, compile_program
from gamecore.errors import FollowerSolveError, GameDefinitionError


class Follower:
    """One follower (agent) of a leader–follower game.

    Args:
        name: unique agent name (used in every error message and table).
        objective: ``cp.Minimize(cost)`` or ``cp.Maximize(payoff)``; convex (DCP) and DPP in
            the signal Parameters. For market couplings the payment ``price @ output`` must
            appear in it with coefficient +1 (it is checked by the game).
        constraints: the follower's private constraints.
        signals: signal name -> the ``cp.Parameter`` standing for it (shape must match the
            leader's signal).
        outputs: output name -> affine expression of the follower's variables: what it
            sends back to the leader (e.g. net purchase per period, shape ``(T,)``).
        solver_options: Clarabel settings (e.g. ``{"tol_gap_rel": 1e-9}``), checked here against
            ``clarabel.DefaultSettings`` (:func:`gamecore.canonical.check_solver_options`): an
            unknown key, a value of the wrong kind or out of range (e.g. ``max_iter=-1``,
            ``tol_gap_rel="x"``, ``presolve_enable=True``) is a :class:`GameDefinitionError`
            naming this follower and ``solver_options['key']``.
        data: the follower's own data parameters (name -> ``cp.Parameter`` with an initial
            value), e.g. a storage level at the start of a stage: compiled once like signals
            (right-hand sides and linear cost terms only) and changed with :meth:`set_data`
            between solves, so a rolling horizon re-uses one compiled program for every state.

    Only the outputs and the objective value leave the agent; its data are compiled once
    into a :class:`~gamecore.canonical.CanonicalProgram` that the pool ships to workers.
    """

    def __init__(
        self,
        name: str,
        objective: cp.Minimize | cp.Maximize,
        constraints: Sequence[cp.Constraint],
        signals: Mapping[str, cp.Parameter],
        outputs: Mapping[str, cp.Expression],
        solver_options: Mapping[str, Any] | None = None,
        data: Mapping[str, cp.Parameter] | None = None,
    ) -> None:
        if not isinstance(name, str) or not name:
            raise GameDefinitionError(repr(name), "name", "a follower needs a non-empty string name")
        self.name = name
        for sig_name, param in signals.items():
            if not isinstance(param, cp.Parameter):
                raise GameDefinitionError(name, f"signals['{sig_name}']",
                                          f"must be a cp.Parameter, got {type(param).__name__}")
        if not outputs:
            raise GameDefinitionError(name, "outputs", "a follower must send at least one output")
        self.signal_params: dict[str, cp.Parameter] = dict(signals)
        #: the constraints as written (error messages name them by index)
        self.constraints: list[cp.Constraint] = list(constraints)
        self.output_exprs: dict[str, cp.Expression] = dict(outputs)
        self.data_params: dict[str, cp.Parameter] = dict(data or {})
        self.program: CanonicalProgram = compile_program(
            name, objective, self.constraints, self.signal_params, self.output_exprs, solver_options,
            data=self.data_params)

    @classmethod
    def from_program(cls, name: str, program: CanonicalProgram, *,
                     signals: Mapping[str, cp.Parameter] | None = None,
                     constraints: Sequence[cp.Constraint] = (),
                     outputs: Mapping[str, cp.Expression] | None = None) -> Follower:
        """A follower around an already compiled ``program`` (e.g. an instance of a
        :class:`gamecore.family.ProgramFamily`); ``signals``, ``constraints`` and ``outputs`` are the
        cvxpy forms it was compiled from, kept only to name constraints in error messages."""
        if not isinstance(name, str) or not name:
            raise GameDefinitionError(repr(name), "name", "a follower needs a non-empty string name")
        follower = cls.__new__(cls)
        follower.name = name
        follower.signal_params = dict(signals or {})
        follower.constraints = list(constraints)
        follower.output_exprs = dict(outputs or {})
        follower.data_params = {}
        follower.program = program
        return follower

    @property
    def signal_names(self) -> tuple[str, ...]:
        return self.program.signal_names

    @property
    def output_shapes(self) -> dict[str, tuple[int, ...]]:
        return {name: shape for name, (_, shape) in self.program.outputs.items()}

    def pack(self, signals: Mapping[str, np.ndarray]) -> np.ndarray:
        """Flatten this follower's signals (C order, in ``signal_names`` order)."""
        parts = []
        for sig_name in self.signal_names:
            if sig_name not in signals:
                raise GameDefinitionError(self.name, f"signals['{sig_name}']", "missing value")
            arr = np.asarray(signals[sig_name], dtype=float)
            expected = self.program.signal_shapes[sig_name]
            if arr.size != int(np.prod(expected, dtype=int)):
                raise GameDefinitionError(self.name, f"signals['{sig_name}']",
                                          f"shape {arr.shape}, expected {expected}")
            parts.append(arr.ravel())
        return np.concatenate(parts) if parts else np.zeros(0)

    @property
    def data_names(self) -> tuple[str, ...]:
        return self.program.data_names

    def set_data(self, values: Mapping[str, np.ndarray]) -> None:
        """Set this follower's data parameters (every declared one, by name; shapes as declared).

        The compiled program (and the copies a :class:`~gamecore.pool.FollowerPool` shipped to
        its workers, at their next request) solve with these values from now on.

        Raises:
            GameDefinitionError: a missing or unknown name, a wrong shape, NaN/inf.
        """
        unknown = sorted(set(values) - set(self.data_names))
        if unknown:
            raise GameDefinitionError(self.name, f"data['{unknown[0]}']",
                                      f"unknown data parameter; declared: {list(self.data_names)}")
        parts = []
        for name in self.data_names:
            if name not in values:
                raise GameDefinitionError(self.name, f"data['{name}']", "missing value")
            arr = np.asarray(values[name], dtype=float)
            shape = self.program.data_shapes[name]
            if arr.size != int(np.prod(shape, dtype=int)):
                raise GameDefinitionError(self.name, f"data['{name}']", f"shape {arr.shape}, expected {shape}")
            if not np.isfinite(arr).all():
                raise GameDefinitionError(self.name, f"data['{name}']", "contains NaN or inf")
            parts.append(arr.ravel())
        self.program.set_data(np.concatenate(parts) if parts else np.zeros(0))

    def respond(self, signals: Mapping[str, np.ndarray], prox: Prox | None = None) -> Response:
        """Best response to ``signals`` (optionally proximal); raises :class:`FollowerSolveError`."""
        sigma = self.pack(signals)
        response = self.program.solve(sigma, prox)
        if not response.ok:
            raise FollowerSolveError(self.name, response.status, self.program.signals_dict(sigma))
        return response

    def __repr__(self) -> str:
        outs = ", ".join(f"{k}{v}" for k, v in self.output_shapes.items())
        return f"Follower({self.name!r}, signals={list(self.signal_names)}, outputs=[{outs}], n={self.program.n})"
