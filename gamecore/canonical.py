"""Compiled follower programs: cvxpy's canonical conic form, re-solved with Clarabel directly.

A follower is written once as a cvxpy problem against signal Parameters (DPP). It is
compiled *once* to Clarabel's standard form::

    minimize    ½ xᵀ P x + q(σ)ᵀ x + d(σ)
    subject to  A x + s = b(σ),   s ∈ K

where σ is the follower's flat signal vector and q, d, b are affine in σ (cvxpy's DPP
guarantees this). Re-solving for new signals is then a sparse mat-vec plus
``clarabel.DefaultSolver.update`` — no cvxpy canonicalisation per solve (timings against
``Problem.solve``: ``benchmarks/pool_overhead.py``, figures in ``benchmarks/README.md``).

Each named output (what a follower sends to the leader) is bound to a fresh variable by an
equality constraint, so outputs are a column selection of ``x``.

An optional proximal term ``(ρ/2)‖o − t‖²`` on the outputs (used by ADMM) is added in the
same canonical space, so objectives and outputs of proximal and plain responses are
directly comparable.

**Data parameters** (a follower's own state: a storage level, energy still to serve) are
compiled like signals — affine in ``q``, ``d`` and ``b``, never multiplying a variable in a
constraint or a quadratic term — but their values belong to the agent, not to the leader:
:meth:`CanonicalProgram.set_data` folds the current values into ``q0``, ``d0`` and ``b0``, so a
program is compiled once and re-used for every state (a rolling horizon's stages).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import clarabel
import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from gamecore.errors import GameDefinitionError
from gamecore.solver import (
    EQUILIBRATE_ONCE,
    OK_STATUSES,
    check_solver_options,
    follower_settings,
    new_solver,
)
from gamecore.solver import solve as solve_conic

#: a program's fixed matrix (``Qs``, ``Bs``, the symmetric ``P``) with at most this many entries
#: (rows × columns) is multiplied as a dense array (:meth:`CanonicalProgram._product`): 65,536
#: float64 entries are 512 KiB per matrix, and below that a dense product beats scipy's sparse one
DENSE_ENTRIES = 65_536


@dataclass(frozen=True)
class ConeDims:
    """Cone sizes of Clarabel's ``K`` in cvxpy's order: zero, nonneg, soc, exp, psd, power."""

    zero: int
    nonneg: int
    soc: tuple[int, ...]
    exp: int
    psd: tuple[int, ...]
    p3d: tuple[float, ...]

    @classmethod
    def from_cvxpy(cls, dims: Any) -> ConeDims:
        if getattr(dims, "pnd", None):
            raise GameDefinitionError("follower", "constraints", "n-dimensional power cones are not supported")
        return cls(int(dims.zero), int(dims.nonneg), tuple(int(d) for d in dims.soc), int(dims.exp),
                   tuple(int(d) for d in dims.psd), tuple(float(a) for a in dims.p3d))

    def clarabel_cones(self) -> list[Any]:
        cones: list[Any] = []
        if self.zero:
            cones.append(clarabel.ZeroConeT(self.zero))
        if self.nonneg:
            cones.append(clarabel.NonnegativeConeT(self.nonneg))
        cones += [clarabel.SecondOrderConeT(d) for d in self.soc]
        cones += [clarabel.PSDTriangleConeT(d) for d in self.psd]
        cones += [clarabel.ExponentialConeT() for _ in range(self.exp)]
        cones += [clarabel.PowerConeT(a) for a in self.p3d]
        return cones

    @property
    def only_symmetric_polyhedral_or_soc(self) -> bool:
        return self.exp == 0 and not self.psd and not self.p3d


def symmetric(P: sp.spmatrix) -> sp.csr_matrix:
    """The full symmetric matrix of a canonical program's upper-triangular ``P``."""
    P = sp.csr_matrix(P)
    return sp.csr_matrix(P + P.T - sp.diags(P.diagonal()))


def cone_violation(residual: np.ndarray, zero: int, nonneg: int, soc: Sequence[int]) -> float:
    """Largest violation of ``residual ∈ {0}^zero × R₊^nonneg × SOC(soc[0]) × …`` (0 inside).

    Zero cone: |r|; nonnegative: max(0, −r); second-order: max(0, ‖r₁:‖ − r₀). Rows past
    these blocks (exponential/PSD/power cones) are not measured.
    """
    r = np.asarray(residual, dtype=float)
    worst = float(np.abs(r[:zero]).max()) if zero else 0.0
    start = zero
    if nonneg:
        worst = max(worst, float(max(0.0, -r[start:start + nonneg].min())))
    start += nonneg
    for size in soc:
        part = r[start:start + size]
        worst = max(worst, float(max(0.0, np.linalg.norm(part[1:]) - part[0])))
        start += size
    return worst


@dataclass
class Response:
    """A follower's answer to one signal vector.

    Attributes:
        status: ``"optimal"``, ``"optimal_inaccurate"``, ``"infeasible"``, ``"unbounded"``, ...
        outputs: output name -> array (the follower's declared output shapes, output units).
        objective: the follower's own objective (cost, incl. payments at the given signals;
            excluding any proximal term), in objective units.
        solve_time: seconds inside Clarabel: its ``solve()`` call (retries included) and, for a
            compiled follower, handing it the data (``DefaultSolver.update``, or building the
            solver on a first solve); timed around those calls.
        iterations: Clarabel iterations.
        x: canonical primal solution (length ``n``); kept only when asked for.
    """

    status: str
    outputs: dict[str, np.ndarray]
    objective: float
    solve_time: float
    iterations: int
    x: np.ndarray | None = None

    @property
    def ok(self) -> bool:
        return self.status in OK_STATUSES


@dataclass
class Prox:
    """Proximal term ``(rho/2) Σ_o ‖output_o − target_o‖²`` over the named outputs."""

    rho: float
    targets: Mapping[str, np.ndarray]


@dataclass
class CanonicalProgram:
    """A convex program in Clarabel form with signal-affine data (see module docstring).

    Shapes: ``n`` canonical variables, ``m`` cone rows, ``k`` signal entries (the program's
    own signals, concatenated in ``signal_names`` order, each flattened in C order).
    """

    name: str
    P: sp.csc_matrix            # (n, n) upper triangle, explicit zeros on output diagonals
    q0: np.ndarray              # (n,)
    Qs: sp.csr_matrix           # (n, k)
    d0: float
    ds: np.ndarray              # (k,)
    A: sp.csc_matrix            # (m, n), Clarabel sign: A x + s = b
    b0: np.ndarray              # (m,)
    Bs: sp.csr_matrix           # (m, k)
    dims: ConeDims
    signal_names: tuple[str, ...]
    signal_shapes: dict[str, tuple[int, ...]]
    outputs: dict[str, tuple[np.ndarray, tuple[int, ...]]]   # name -> (columns of x, shape)
    settings: dict[str, Any] = field(default_factory=dict)
    #: data parameters (module docstring): names, shapes, their maps into q, d and b, and the
    #: parts of q0, d0, b0 that do not depend on them; ``data_vector`` holds the current values
    data_names: tuple[str, ...] = ()
    data_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    Qd: sp.csr_matrix | None = None      # (n, kd)
    dd: np.ndarray | None = None         # (kd,)
    Bd: sp.csr_matrix | None = None      # (m, kd)
    base: tuple[np.ndarray, float, np.ndarray] | None = None   # (q0, d0, b0) at data = 0
    data_vector: np.ndarray = field(default_factory=lambda: np.zeros(0))
    _solvers: dict[Any, Any] = field(default_factory=dict, repr=False, compare=False)

    # -- pickling: Clarabel solver objects stay behind; they are rebuilt lazily ------------
    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_solvers"] = {}
        return state

    @property
    def n(self) -> int:
        return self.q0.size

    @property
    def k(self) -> int:
        return self.ds.size

    def set_data(self, vector: np.ndarray) -> None:
        """Set the data parameters to the flat ``vector`` (``data_names`` order, each C order):
        ``q0``, ``d0`` and ``b0`` become their values at that data (the solvers pick them up at
        the next solve). Raises ValueError on a wrong size or NaN/inf."""
        vector = np.asarray(vector, dtype=float).ravel()
        if vector.shape != self.data_vector.shape:
            raise ValueError(f"follower '{self.name}': data vector of size {vector.size}, expected "
                             f"{self.data_vector.size} ({list(self.data_names)})")
        if not np.isfinite(vector).all():
            raise ValueError(f"follower '{self.name}': data {list(self.data_names)} contain NaN or inf")
        if self.base is None or self.Qd is None or self.Bd is None or self.dd is None:
            return
        q0, d0, b0 = self.base
        self.q0 = q0 + self.Qd @ vector
        self.d0 = d0 + float(self.dd @ vector)
        self.b0 = b0 + self.Bd @ vector
        self.data_vector = vector.copy()

    @property
    def is_quadratic(self) -> bool:
        return bool(self.P.nnz and np.any(self.P.data))

    def q(self, sigma: np.ndarray) -> np.ndarray:
        return self.q0 + self._product("Qs", self.Qs, sigma) if self.k else self.q0.copy()

    def b(self, sigma: np.ndarray) -> np.ndarray:
        return self.b0 + self._product("Bs", self.Bs, sigma) if self.k else self.b0.copy()

    def objective_at(self, x: np.ndarray, sigma: np.ndarray) -> float:
        """The program's objective ½xᵀPx + q(σ)ᵀx + d(σ) at any canonical point ``x``."""
        return self._objective(x, self.q(sigma), sigma)

    def _objective(self, x: np.ndarray, q: np.ndarray, sigma: np.ndarray) -> float:
        """:meth:`objective_at` with ``q = q(σ)`` already at hand."""
        quadratic = (0.5 * float(x @ self._product("symmetric_P", None, x))
                     if self.memo("is_quadratic", lambda: self.is_quadratic) else 0.0)
        return quadratic + float(q @ x) + self.d0 + float(self.ds @ sigma)

    def _product(self, name: str, matrix: sp.spmatrix | None, v: np.ndarray) -> np.ndarray:
        """``matrix @ v`` for one of the program's fixed matrices (``Qs``, ``Bs``; ``symmetric_P``:
        the full symmetric P, built here), kept dense when it has at most :data:`DENSE_ENTRIES`
        entries (a small dense product takes a few microseconds where scipy's sparse dispatch
        takes about fifteen, and it is paid several times per follower solve), else as CSR."""
        def build() -> Any:
            source = self.P if matrix is None else matrix
            if source.shape[0] * source.shape[1] > DENSE_ENTRIES:
                return sp.csr_matrix(symmetric(source) if matrix is None else source)
            dense = source.toarray()
            if matrix is None:                      # the upper triangle -> the full symmetric matrix
                dense = dense + dense.T - np.diag(np.diag(dense))
            return dense

        return self.memo(f"product:{name}", build) @ v

    def infeasibility(self, x: np.ndarray, sigma: np.ndarray) -> float:
        """How far ``x`` (n,) lies outside the feasible set at signals ``sigma`` (k,).

        The largest cone violation of ``b(σ) − A x`` (zero cone: |r|; nonnegative: max(0, −r);
        second-order: max(0, ‖r₁:‖ − r₀); exponential/PSD/power cones are not measured),
        relative to ``max(1, ‖b(σ)‖∞)``. NaN/inf in ``x`` gives inf.
        """
        x = np.asarray(x, dtype=float)
        if x.shape != (self.n,) or not np.isfinite(x).all():
            return float("inf")
        b = self.b(np.asarray(sigma, dtype=float))
        worst = cone_violation(b - self.A @ x, self.dims.zero, self.dims.nonneg, self.dims.soc)
        return worst / max(1.0, float(np.abs(b).max()) if b.size else 1.0)

    def outputs_of(self, x: np.ndarray) -> dict[str, np.ndarray]:
        return {name: x[cols].reshape(shape) for name, (cols, shape) in self.outputs.items()}

    # -- solving --------------------------------------------------------------------------
    def _settings(self) -> dict[str, Any]:
        """Clarabel settings of this program's solvers (:func:`gamecore.solver.follower_settings`;
        the options were checked when the program was compiled)."""
        return follower_settings(self.settings)

    def _data(self, sigma: np.ndarray, prox: Prox | None) -> tuple[Any, sp.csc_matrix, np.ndarray, np.ndarray]:
        """``(cache key, P, q, b)`` of the problem at ``sigma`` (with the proximal term, if any)."""
        q = self.q(sigma)
        b = self.b(sigma)
        if prox is None:
            return "plain", self.P, q, b
        names = tuple(sorted(prox.targets))
        key = ("prox", names)
        P = self.memo(f"prox_P:{names}", self.P.copy)     # P's pattern; its values are set here, every solve
        P.data = self.P.data + prox.rho * self._prox_mask(names)
        for name, target in prox.targets.items():
            cols, _ = self.outputs[name]
            q[cols] -= prox.rho * np.asarray(target, dtype=float).ravel()
        return key, P, q, b

    def _cones(self) -> list[Any]:
        """The Clarabel cones of ``dims`` (built once per program; read-only: every solver built
        from them copies the list)."""
        cones: list[Any] = self.memo("cones", self.dims.clarabel_cones)
        return cones

    def _solver(self, key: Any, P: sp.csc_matrix, q: np.ndarray, b: np.ndarray, prox: Prox | None) -> Any:
        """The cached solver of ``key`` updated to ``(P, q, b)`` (built on first use)."""
        solver = self._solvers.get(key)
        if solver is None or not self._reusable:
            solver = new_solver(P, q, self.A, b, self._cones(), self._settings())
            self._solvers[key] = solver
        elif prox is None:
            solver.update(q=q, b=b)
        else:
            solver.update(P=P, q=q, b=b)
        return solver

    @property
    def _reusable(self) -> bool:
        """Whether a solver may be updated in place and reused.

        Clarabel keeps the equilibration scaling computed when a solver is built, so with
        equilibration on, an updated solver's answer would depend on the data it was built
        with (i.e. on the history of solves, hence on sharding and ``n_jobs``). Equilibration
        is off by default; a follower that turns it on gets a fresh solver per solve.
        """
        return not self.settings.get("equilibrate_enable", False)

    def _prox_mask(self, names: tuple[str, ...]) -> np.ndarray:
        """Mask over ``P.data`` selecting the diagonal entries of the named outputs' columns."""
        cached = self._solvers.get(("mask", names))
        if cached is None:
            cols = np.concatenate([self.outputs[nm][0] for nm in names])
            coo_rows = np.repeat(np.arange(self.P.shape[1]), np.diff(self.P.indptr))  # column index per entry
            on_diag = self.P.indices == coo_rows
            cached = (on_diag & np.isin(self.P.indices, cols)).astype(float)
            self._solvers[("mask", names)] = cached
        return cached

    def solve(self, sigma: np.ndarray, prox: Prox | None = None, keep_x: bool = True) -> Response:
        """Solve at signal vector ``sigma`` (shape ``(k,)``), optionally with a proximal term."""
        sigma = np.asarray(sigma, dtype=float)
        key, P, q, b = self._data(sigma, prox)
        handing = time.perf_counter()
        solver = self._solver(key, P, q, b, prox)      # Clarabel builds the solver, or takes the new data
        handed = time.perf_counter() - handing
        # a stall is retried on a fresh solver (EQUILIBRATE_ONCE), so the answer still depends
        # only on the current data; the time inside the solver is Clarabel's: building / updating
        # the solver (above) and the solve call with its retries (Solution.solve_time)
        found = solve_conic(P, q, self.A, b, self._cones(), self._settings(), EQUILIBRATE_ONCE, solver=solver)
        inside = handed + found.solve_time
        iterations = int(found.raw.iterations)    # of the last attempt
        x = found.x
        if x is not None:
            plain_q = q if prox is None else self.q(sigma)     # the program's own objective, without the prox
            return Response(found.status, self.outputs_of(x), self._objective(x, plain_q, sigma),
                            inside, iterations, x if keep_x else None)
        nan_outputs = {name: np.full(shape, np.nan) for name, (_, shape) in self.outputs.items()}
        return Response(found.status, nan_outputs, float("nan"), inside, iterations)

    def memo(self, key: str, build: Callable[[], Any]) -> Any:
        """Data derived from this program, built once by ``build()`` and kept under ``key`` (with
        the cached solvers: not pickled, rebuilt in each worker)."""
        cache_key = ("memo", key)
        if cache_key not in self._solvers:
            self._solvers[cache_key] = build()
        return self._solvers[cache_key]

    def solve_restricted(self, sigma: np.ndarray, P: sp.csc_matrix, q: np.ndarray, A: sp.csc_matrix,
                         h: np.ndarray) -> tuple[str, np.ndarray | None, float, int]:
        """Minimise another objective ``½ xᵀPx + qᵀx`` over this program's feasible set at ``sigma``
        cut by extra rows ``G x ≤ h``; its own objective is ignored.

        ``P`` is an upper triangle (n, n), ``q`` (n,); ``A`` is this program's ``A`` with the r
        rows ``G`` stacked below it (the caller may keep the stacked matrix between calls), ``h``
        (r,). The solver is built afresh with the program's settings and the same retry policy as
        :meth:`solve` (:data:`gamecore.solver.EQUILIBRATE_ONCE`). Returns ``(status, x or None,
        seconds, iterations summed over the attempts)``.
        """
        sigma = np.asarray(sigma, dtype=float)
        h = np.asarray(h, dtype=float).ravel()
        b = np.concatenate([self.b(sigma), h])
        cones = self.dims.clarabel_cones() + ([clarabel.NonnegativeConeT(int(h.size))] if h.size else [])
        q = np.asarray(q, dtype=float)
        found = solve_conic(P, q, A, b, cones, self._settings(), EQUILIBRATE_ONCE)
        return found.status, found.x, found.solve_time, found.iterations

    def signals_dict(self, sigma: np.ndarray) -> dict[str, np.ndarray]:
        out, offset = {}, 0
        for name in self.signal_names:
            shape = self.signal_shapes[name]
            size = int(np.prod(shape, dtype=int))
            out[name] = np.asarray(sigma[offset:offset + size]).reshape(shape)
            offset += size
        return out


# ------------------------------------------------------------------------------------------
# Compilation from cvxpy
# ------------------------------------------------------------------------------------------

def compile_program(
    name: str,
    objective: cp.Minimize | cp.Maximize,
    constraints: Sequence[cp.Constraint],
    signals: Mapping[str, cp.Parameter],
    outputs: Mapping[str, cp.Expression],
    settings: Mapping[str, Any] | None = None,
    data: Mapping[str, cp.Parameter] | None = None,
) -> CanonicalProgram:
    """Compile a convex cvxpy program, affine in the signal Parameters, to canonical form.

    ``data``: data parameters (module docstring), compiled like signals and set afterwards by
    :meth:`CanonicalProgram.set_data`; their current values are the program's initial data.
    Other parameters are frozen at their current values. Raises
    :class:`GameDefinitionError` naming ``name`` and the field for: non-DCP/non-DPP programs,
    a signal that multiplies a variable inside a constraint or a quadratic term, NaN/inf data,
    non-affine or parameter-dependent outputs, solver ``settings`` Clarabel would refuse or
    misbehave with (:func:`gamecore.solver.check_solver_options`; checked first).
    """
    return compile_form(name, objective, constraints, signals, outputs, settings, data).program(name)


@dataclass
class CompiledForm:
    """A cvxpy program compiled once (cvxpy's DPP tensors), ready to be instantiated.

    :meth:`program` evaluates the tensors at values of the *structure parameters* (the
    parameters that are neither signals nor data: an agent's capacities, efficiencies,
    profiles; see :class:`gamecore.family.ProgramFamily`) and returns a
    :class:`CanonicalProgram` — a sparse tensor–vector product per matrix, no cvxpy
    canonicalisation. The signal and data maps (``Qs``, ``ds``, ``Bs``, ``Qd``, ``dd``, ``Bd``)
    do not depend on those values (DPP admits no product of two parameters), so every
    instance shares them.
    """

    name: str
    prog: Any                                   # cvxpy's ParamConeProg (Clarabel-formatted)
    dims: ConeDims
    base_vec: np.ndarray                        # cvxpy parameter vector: signals, data at 0, others at their values
    structure: dict[str, tuple[int, tuple[int, ...]]]   # structure parameter -> (column, shape) in base_vec
    Qs: sp.csr_matrix
    ds: np.ndarray
    Bs: sp.csr_matrix
    signal_names: tuple[str, ...]
    signal_shapes: dict[str, tuple[int, ...]]
    outputs: dict[str, tuple[np.ndarray, tuple[int, ...]]]
    settings: dict[str, Any]
    data_names: tuple[str, ...] = ()
    data_shapes: dict[str, tuple[int, ...]] = field(default_factory=dict)
    Qd: sp.csr_matrix | None = None
    dd: np.ndarray | None = None
    Bd: sp.csr_matrix | None = None
    initial_data: np.ndarray = field(default_factory=lambda: np.zeros(0))

    def parameter_vector(self, values: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        """cvxpy's parameter vector with the structure parameters at ``values`` (name -> array of
        the declared shape; missing names keep their compile-time values; names the program does
        not use are ignored)."""
        vec = self.base_vec.copy()
        for nm, value in (values or {}).items():
            if nm not in self.structure:
                continue
            col, shape = self.structure[nm]
            size = int(np.prod(shape, dtype=int))
            vec[col:col + size] = np.asarray(value, dtype=float).reshape(shape).flatten(order="F")
        return vec

    def program(self, name: str, values: Mapping[str, np.ndarray] | None = None,
                data: np.ndarray | None = None) -> CanonicalProgram:
        """The canonical program at structure ``values`` (default: the compile-time values) and
        flat ``data`` vector (default: the compile-time data values), named ``name``."""
        vec = self.parameter_vector(values)
        prog, n = self.prog, self.prog.x.size
        full = np.asarray(sp.csc_matrix(prog.q) @ vec).ravel()
        A, b = prog.reduced_A.get_matrix_from_tensor(vec, with_offset=True)
        if prog.reduced_P is not None and prog.P is not None:
            P, _ = prog.reduced_P.get_matrix_from_tensor(vec, with_offset=False)
            P = sp.csc_matrix(P)
        else:
            P = sp.csc_matrix((n, n))
        all_out = (np.concatenate([c for c, _ in self.outputs.values()]) if self.outputs else np.zeros(0, int))
        compiled = CanonicalProgram(
            name=name, P=_upper_with_output_diagonals(P, all_out), q0=full[:n].copy(), Qs=self.Qs,
            d0=float(full[n]), ds=self.ds, A=sp.csc_matrix(-A), b0=np.atleast_1d(np.asarray(b, dtype=float)).ravel(),
            Bs=self.Bs, dims=self.dims, signal_names=self.signal_names, signal_shapes=self.signal_shapes,
            outputs=self.outputs, settings=self.settings)
        if self.data_names:
            assert self.Qd is not None and self.dd is not None and self.Bd is not None
            compiled.data_names, compiled.data_shapes = self.data_names, self.data_shapes
            compiled.Qd, compiled.dd, compiled.Bd = self.Qd, self.dd, self.Bd
            compiled.base = (compiled.q0.copy(), compiled.d0, compiled.b0.copy())
            compiled.data_vector = np.zeros(self.initial_data.size)
            compiled.set_data(self.initial_data if data is None else data)
        return compiled


def compile_form(
    name: str,
    objective: cp.Minimize | cp.Maximize,
    constraints: Sequence[cp.Constraint],
    signals: Mapping[str, cp.Parameter],
    outputs: Mapping[str, cp.Expression],
    settings: Mapping[str, Any] | None = None,
    data: Mapping[str, cp.Parameter] | None = None,
    structure: Mapping[str, cp.Parameter] | None = None,
) -> CompiledForm:
    """Check and compile a follower program once (see :func:`compile_program` for the checks and
    errors). ``structure``: parameters whose values :meth:`CompiledForm.program` sets per
    instance (they must have values now: the compile-time instance). Every other non-signal,
    non-data parameter is frozen at its current value."""
    settings = check_solver_options(name, settings)
    sign = 1.0
    if isinstance(objective, cp.Maximize):
        sign = -1.0
    elif not isinstance(objective, cp.Minimize):
        raise GameDefinitionError(name, "objective", "must be cp.Minimize or cp.Maximize")
    out_vars: dict[str, cp.Variable] = {}
    links: list[cp.Constraint] = []
    for out_name, expr in outputs.items():
        expr = cp.Expression.cast_to_const(expr) if not isinstance(expr, cp.Expression) else expr
        if not expr.is_affine():
            raise GameDefinitionError(name, f"outputs['{out_name}']", "must be affine in the variables")
        if expr.parameters():
            raise GameDefinitionError(name, f"outputs['{out_name}']", "must not depend on Parameters")
        var = cp.Variable(expr.shape, name=f"__out_{out_name}")
        out_vars[out_name] = var
        links.append(var == expr)
    problem = cp.Problem(cp.Minimize(sign * objective.expr), list(constraints) + links)
    data_params = dict(data or {})
    _check_data_parameters(name, signals, data_params)
    initial_data = np.concatenate([np.asarray(p.value, dtype=float).ravel() for p in data_params.values()]) \
        if data_params else np.zeros(0)
    affine = {**signals, **data_params}      # compiled as affine maps: signals, then data
    _check_convex(name, problem, objective, constraints)
    _check_signal_coefficients(name, constraints, affine)
    _check_finite(name, problem, signals)

    signal_ids = {p.id: nm for nm, p in affine.items()}
    saved = {p.id: p.value for p in affine.values()}
    for p in affine.values():
        p.value = np.zeros(p.shape)
    try:
        cone_data, _, _ = problem.get_problem_data(cp.CLARABEL, ignore_dpp=False)
    finally:
        for p in affine.values():
            p.value = saved[p.id]
    prog = cone_data[cp.settings.PARAM_PROB]
    if cone_data.get("lower_bounds") is not None or cone_data.get("upper_bounds") is not None:
        raise GameDefinitionError(name, "variables", "variable bounds passed to the solver are not supported")

    n = prog.x.size
    param_vec = _frozen_parameter_vector(prog, signal_ids)
    sig_cols = _signal_columns(prog, affine)
    present = sig_cols >= 0
    _, _, Qs, ds = _objective_maps(prog, param_vec, sig_cols, n)
    if prog.P is not None and present.any() and sp.csc_matrix(prog.P)[:, sig_cols[present]].nnz:
        raise GameDefinitionError(name, "objective", "a signal multiplies a quadratic term (not DPP-affine in q)")
    m = np.atleast_1d(np.asarray(cone_data["b"])).size
    Bs = _rhs_map(name, prog, param_vec, sig_cols, m)
    out_cols = {out_name: (_variable_columns(prog, var), tuple(var.shape)) for out_name, var in out_vars.items()}
    k = sum(p.size for p in signals.values())          # leader signal entries; data entries follow
    Qs, Bs = sp.csr_matrix(Qs), sp.csr_matrix(Bs)
    slots = {nm: (int(prog.param_id_to_col[p.id]), tuple(p.shape)) for nm, p in (structure or {}).items()
             if p.id in prog.param_id_to_col}
    form = CompiledForm(
        name=name, prog=prog, dims=ConeDims.from_cvxpy(cone_data["dims"]), base_vec=param_vec, structure=slots,
        Qs=sp.csr_matrix(Qs[:, :k]), ds=ds[:k].copy(), Bs=sp.csr_matrix(Bs[:, :k]),
        signal_names=tuple(signals), signal_shapes={nm: tuple(p.shape) for nm, p in signals.items()},
        outputs=out_cols, settings=settings, initial_data=initial_data)
    if data_params:
        form.data_names = tuple(data_params)
        form.data_shapes = {nm: tuple(p.shape) for nm, p in data_params.items()}
        form.Qd, form.dd, form.Bd = sp.csr_matrix(Qs[:, k:]), ds[k:].copy(), sp.csr_matrix(Bs[:, k:])
    prog.reduced_A.cache(False)
    if prog.reduced_P is not None:
        prog.reduced_P.cache(False)
    return form


def _check_data_parameters(name: str, signals: Mapping[str, cp.Parameter],
                           data: Mapping[str, cp.Parameter]) -> None:
    """Data parameters are cp.Parameters with finite values, distinct from the signals."""
    signal_ids = {p.id for p in signals.values()}
    for nm, param in data.items():
        where = f"data['{nm}']"
        if not isinstance(param, cp.Parameter):
            raise GameDefinitionError(name, where, f"must be a cp.Parameter, got {type(param).__name__}")
        if nm in signals or param.id in signal_ids:
            raise GameDefinitionError(name, where, "is also a signal: a parameter is either the leader's signal "
                                                   "or the follower's own data")
        if param.value is None or not np.isfinite(np.asarray(param.value, dtype=float)).all():
            raise GameDefinitionError(name, where, "needs a finite initial value")


def _frozen_parameter_vector(prog: Any, signal_ids: Mapping[int, str]) -> np.ndarray:
    """cvxpy's parameter vector with every non-signal Parameter at its value, signals at 0."""
    param_vec = np.zeros(prog.total_param_size + 1)
    param_vec[-1] = 1.0                                   # the constant column
    for pid, col in prog.param_id_to_col.items():
        if pid in signal_ids or pid == -1:
            continue
        param = prog.id_to_param[pid]
        param_vec[col:col + param.size] = np.asarray(param.value, dtype=float).flatten(order="F")
    return param_vec


def _signal_columns(prog: Any, signals: Mapping[str, cp.Parameter]) -> np.ndarray:
    """Column of cvxpy's parameter vector for each entry of our signal vector (−1: unused).

    Our signal vector is the signals in declaration order, each flattened in C order;
    cvxpy's parameter vector flattens each Parameter in Fortran order.
    """
    cols: list[int] = []
    for param in signals.values():
        if param.id not in prog.param_id_to_col:
            cols.extend([-1] * param.size)               # the signal does not appear: no effect
            continue
        start = prog.param_id_to_col[param.id]
        c_of_f = np.arange(param.size).reshape(param.shape or (1,)).ravel(order="F")
        entry = np.empty(param.size, dtype=int)
        entry[c_of_f] = start + np.arange(param.size)
        cols.extend(entry.tolist())
    return np.asarray(cols, dtype=int)


def _objective_maps(prog: Any, param_vec: np.ndarray, sig_cols: np.ndarray,
                    n: int) -> tuple[np.ndarray, float, sp.csr_matrix, np.ndarray]:
    """``q(σ) = q0 + Qs σ`` and ``d(σ) = d0 + ds·σ`` read off cvxpy's objective tensor."""
    present = sig_cols >= 0
    q_tensor = sp.csc_matrix(prog.q)
    full0 = np.asarray(q_tensor @ param_vec).ravel()
    Qfull = sp.lil_matrix((n + 1, sig_cols.size))
    if present.any():
        Qfull[:, np.flatnonzero(present)] = q_tensor[:, sig_cols[present]]
    Qfull = sp.csr_matrix(Qfull)
    return full0[:n], float(full0[n]), sp.csr_matrix(Qfull[:n, :]), np.asarray(Qfull[n, :].todense()).ravel()


def _rhs_map(name: str, prog: Any, param_vec: np.ndarray, sig_cols: np.ndarray, m: int) -> sp.csr_matrix:
    """``Bs`` with ``b(σ) = b0 + Bs σ``; raises if a signal multiplies a variable in a constraint."""
    present = sig_cols >= 0
    if not (present.any() and sp.csc_matrix(prog.A)[:, sig_cols[present]].nnz):
        return sp.csr_matrix((m, sig_cols.size))
    A_mat, b_vec = prog.reduced_A.get_matrix_from_tensor(param_vec, with_offset=True)
    columns = []
    for j, col in enumerate(sig_cols):
        if col < 0:
            columns.append(np.zeros(m))
            continue
        unit = param_vec.copy()
        unit[col] += 1.0
        A_j, b_j = prog.reduced_A.get_matrix_from_tensor(unit, with_offset=True)
        if (abs(A_j - A_mat)).max() > 0:
            raise GameDefinitionError(
                name, "constraints", f"signal entry {j} multiplies a variable in a constraint; "
                "signals may enter constraints only as right-hand sides")
        columns.append(np.asarray(b_j - b_vec).ravel())
    return sp.csr_matrix(np.column_stack(columns))


def _variable_columns(prog: Any, var: cp.Variable) -> np.ndarray:
    """Columns of ``x`` holding ``var`` in C order (cvxpy vectorises in Fortran order)."""
    start = prog.var_id_to_col[var.id]
    if not var.shape:
        return start + np.zeros(1, int)
    return start + np.arange(var.size).reshape(var.shape, order="F").ravel(order="C")



def _upper_with_output_diagonals(P: sp.csc_matrix, out_cols: np.ndarray) -> sp.csc_matrix:
    """Upper triangle of ``P`` with explicit (possibly zero) diagonal entries on ``out_cols``.

    The explicit entries keep the sparsity pattern fixed when a proximal weight is added, so
    Clarabel's in-place ``update(P=...)`` applies.
    """
    n = P.shape[0]
    upper = sp.triu(P).tocoo()
    rows = np.concatenate([upper.row, out_cols])
    cols = np.concatenate([upper.col, out_cols])
    vals = np.concatenate([upper.data, np.zeros(out_cols.size)])
    matrix = sp.csc_matrix((vals, (rows, cols)), shape=(n, n))   # duplicates summed, zeros kept
    matrix.sort_indices()
    return matrix


def _check_convex(name: str, problem: cp.Problem, objective: Any, constraints: Sequence[cp.Constraint]) -> None:
    if not objective.is_dcp():
        raise GameDefinitionError(name, "objective", "is not convex (fails DCP rules)")
    for i, con in enumerate(constraints):
        if not con.is_dcp():
            raise GameDefinitionError(name, f"constraints[{i}]", f"is not convex (fails DCP rules): {con}")
    # cvxpy's @compute_once is annotated Callable[[T], R], which drops is_dcp's dpp parameter
    if not problem.is_dcp(dpp=True):  # type: ignore[call-arg]
        raise GameDefinitionError(
            name, "objective", "is not DPP: signals must enter affinely (e.g. price @ quantity), "
            "not multiplied by each other or inside nonlinear atoms")
    if any(v.attributes.get("boolean") or v.attributes.get("integer") for v in problem.variables()):
        raise GameDefinitionError(name, "variables", "integer/boolean variables are not allowed in a follower")


def _signal_times_variable(expr: cp.Expression, signal_ids: set[int]) -> bool:
    """Whether some product in ``expr`` multiplies a signal Parameter with a variable."""
    from cvxpy.atoms.affine.binary_operators import DivExpression, MulExpression, multiply

    if isinstance(expr, (MulExpression, multiply, DivExpression)) and len(expr.args) == 2:
        left, right = expr.args
        for a, b in ((left, right), (right, left)):
            if any(p.id in signal_ids for p in a.parameters()) and b.variables():
                return True
    # every cvxpy expression has .args (leaves an empty list); cvxpy's Canonical does not declare it
    return any(_signal_times_variable(arg, signal_ids) for arg in expr.args)  # type: ignore[attr-defined]


def _check_signal_coefficients(name: str, constraints: Sequence[cp.Constraint],
                               signals: Mapping[str, cp.Parameter]) -> None:
    """Signals may enter constraints only as right-hand sides: name the constraint that breaks it."""
    ids = {p.id for p in signals.values()}
    for i, con in enumerate(constraints):
        if any(_signal_times_variable(arg, ids) for arg in con.args):
            raise GameDefinitionError(name, f"constraints[{i}]",
                                      f"a signal multiplies a variable ({con}); signals may enter constraints only "
                                      "as right-hand sides (terms without variables), and objectives linearly")


def _check_finite(name: str, problem: cp.Problem, signals: Mapping[str, cp.Parameter]) -> None:
    signal_ids = {p.id for p in signals.values()}
    for i, const in enumerate(problem.constants()):
        value = const.value
        if value is None:
            continue
        arr = value.toarray() if sp.issparse(value) else np.asarray(value, dtype=float)
        if not np.isfinite(arr).all():
            raise GameDefinitionError(name, "data", f"constant #{i} of shape {arr.shape} contains NaN or inf")
    for param in problem.parameters():
        if param.id in signal_ids:
            continue
        if param.value is None:
            raise GameDefinitionError(
                name, f"parameters['{param.name()}']",
                "has no value and is not one of the follower's signals "
                f"({sorted(signals)}); give it a value or declare it as a signal")
        if not np.isfinite(np.asarray(param.value, dtype=float)).all():
            raise GameDefinitionError(name, f"parameters['{param.name()}']", "contains NaN or inf")
