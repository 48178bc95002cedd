"""Single-level reformulation of a follower's best response, and its McCormick relaxation.

The bilevel problem "leader chooses σ, follower i best-responds" becomes single-level by
replacing each follower's optimality with optimality conditions. This module builds those
conditions from a follower's compiled canonical program (:class:`~gamecore.canonical.
CanonicalProgram`) and relaxes the one non-convex part; it knows nothing about how the
result is solved (ADMM in ``strategies/admm_bilevel.py``; a KKT/MILP reference could use
the same rows).

Strong-duality reformulation
============================
A follower with canonical data (P, q0, Qs, A, b0, K) — signals only in the objective
(``Bs = 0``), cones zero / nonneg / SOC (self-dual, the zero cone's dual is free) — solves
``min ½xᵀPx + (q0 + Qs σ)ᵀx  s.t.  A x + s = b0, s ∈ K`` (P symmetric here; the canonical
P is its upper triangle). Clarabel's dual is ``max −½xᵀPx − b0ᵀz`` over ``P x + q0 + Qs σ
+ Aᵀz = 0, z ∈ K*``. For signals σ, x is a best response iff ∃ z with::

    b0 − A x ∈ K                                   primal feasibility
    P x + q0 + Qs σ + Aᵀ z = 0,   z ∈ K*            dual feasibility (stationarity)
    xᵀ P x + q0ᵀ x + b0ᵀ z + Σ_j w_j ≤ 0            strong duality (primal ≤ dual value)
    w_j = σ_j v_j,   v = Qsᵀ x

The strong-duality row's left side is primal − dual value, which equals zᵀ(b0 − Ax) ≥ 0
under the other rows, so the row forces complementarity; at a feasible x that is not a best
response every z completing the other rows leaves it ≥ f(x) − f(x*) > 0. With P ≠ 0 the
quadratic row is a rotated second-order cone: with P = FᵀF and τ = −(q0ᵀx + b0ᵀz + Σ w)
it reads ``‖(τ − κ, 2√κ F x)‖ ≤ τ + κ`` (κ > 0 a scale: xᵀPx at the best response to zero
signals, ≥ 1).

McCormick relaxation
====================
The only non-convex part is w = σ ∘ v. Over a box σ ∈ [σL, σU] and v ∈ [vL, vU] each
``w_j`` is replaced by its McCormick envelope (:mod:`gamecore.relaxations`)::

    xL f + yL s − π ≤ xL yL        xU f + yU s − π ≤ xU yU
    π − xU f − yL s ≤ −xU yL       π − xL f − yU s ≤ −xL yU
    vL ≤ f ≤ vU,   σL ≤ s ≤ σU

for each product π = s·f (s a signal entry in [xL, xU], f a factor in [yL, yU]). A leader
objective with a bilinear term weight·⟨σ_s, y_i[o]⟩ reuses w when the priced quantity
equals the output on the follower's feasible set (``Qs`` columns of σ_s minus the output
columns lie in the row space of the equality constraints: :func:`same_on_feasible_set`,
checked as the game checks payments); otherwise it gets its own product u = σ ∘ y (y the
output's columns of x) with its own envelope. Per follower these envelopes sum to the
envelope of σ ∘ Σ_i y_i.

Bounds on the factors: LPs min / max v_j (and y) over the follower's feasible set
(:meth:`FollowerRelaxation.lp_bounds`, once); then optimality-based bound tightening
(OBBT, :meth:`FollowerRelaxation.tighten_bounds`): min / max of each factor over the
follower's own relaxation with σ in the current box. OBBT is valid: no bilevel-feasible
point with σ in the box is cut. On a point box (σL = σU) it recovers v at the best response.

Variables of one follower's relaxation, ``ξ = [x (n) | z (m) | σ_loc (S) | w (J) | u (U)]``,
with ``σ_loc`` local copies of the game signal entries the follower's products use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import clarabel
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import lsqr

from gamecore.canonical import _STATUS, OK_STATUSES, CanonicalProgram
from gamecore.errors import FollowerSolveError, StrategyError
from gamecore.game import Game
from gamecore.leader import LeaderObjective

#: Clarabel settings of solvers built here from raw data: updatable in place, and no
#: equilibration, whose scaling Clarabel computes once at construction (as in
#: gamecore.canonical: results must not depend on the history of updates)
SOLVER_SETTINGS = {"verbose": False, "presolve_enable": False, "equilibrate_enable": False}


class ReformulationError(StrategyError):
    """A follower outside the reformulation's scope (signals in constraints, exp/PSD/power
    cones, a non-PSD quadratic term, an unbounded product factor).

    A :class:`StrategyError`: a method that needs the reformulation cannot handle the game.
    """


def solver_settings(**extra: Any) -> Any:
    """Clarabel settings: :data:`SOLVER_SETTINGS` updated by ``extra``."""
    s = clarabel.DefaultSettings()
    for key, value in {**SOLVER_SETTINGS, **extra}.items():
        setattr(s, key, value)
    return s


def solver_status(sol: Any) -> str:
    """gamecore status (``"optimal"``, ``"infeasible"``, ...) of a Clarabel solution."""
    return _STATUS.get(str(sol.status), "solver_error")


def check_reformulable(name: str, prog: CanonicalProgram) -> None:
    """Raise :class:`ReformulationError` unless ``Bs = 0`` and the cones are zero / nonneg / SOC."""
    if prog.Bs.nnz and np.abs(prog.Bs.data).max() > 0:
        raise ReformulationError(f"follower '{name}' has signals in its constraints (Bs != 0); "
                                 "the strong-duality reformulation needs signals in the objective only")
    d = prog.dims
    if d.exp or d.psd or d.p3d:
        raise ReformulationError(f"follower '{name}' has exponential/PSD/power cones; "
                                 "only zero, nonnegative and second-order cones are supported")


def primal_dual(prog: CanonicalProgram, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best response x (n,) and its dual z (m,) in Clarabel's sign at program signals ``sigma`` (k,).

    Raises :class:`FollowerSolveError` when the program is not solved to optimality.
    """
    sigma = np.asarray(sigma, dtype=float)
    sol = clarabel.DefaultSolver(sp.csc_matrix(prog.P), prog.q(sigma), prog.A, prog.b(sigma),
                                 prog.dims.clarabel_cones(), solver_settings()).solve()
    status = solver_status(sol)
    if status not in OK_STATUSES:
        raise FollowerSolveError(prog.name, status, {"sigma": sigma}, "strong-duality reformulation")
    return np.asarray(sol.x, dtype=float), np.asarray(sol.z, dtype=float)


def same_on_feasible_set(prog: CanonicalProgram, direction: np.ndarray) -> bool:
    """True when ``directionᵀ x`` vanishes on the follower's equality set (row-space test)."""
    if not np.abs(direction).max() > 1e-12:
        return True
    a_eq = prog.A[: prog.dims.zero, :]
    if a_eq.shape[0] == 0:
        return False
    sol = lsqr(a_eq.T, direction, atol=1e-12, btol=1e-12, iter_lim=10 * prog.n)[0]
    resid = direction - a_eq.T @ sol
    return bool(np.abs(resid).max() <= 1e-6 * max(1.0, np.abs(direction).max()))


def leader_bilinear_costs(game: Game, objective: LeaderObjective
                          ) -> tuple[list[dict[int, float]], list[list[tuple[int, int, float]]]]:
    """The objective's bilinear terms as linear costs on each follower's products (minimisation form).

    Returns per follower ``w_cost`` (program signal position j -> weight on w_j, for terms
    whose priced quantity equals the output on the follower's feasible set) and ``u_terms``
    (game signal index, column of x, weight) for the others, each needing its own product.
    """
    sign = 1.0 if objective.sense == "min" else -1.0
    w_costs: list[dict[int, float]] = [{} for _ in game.followers]
    u_terms: list[list[tuple[int, int, float]]] = [[] for _ in game.followers]
    for term in objective.bilinear:
        sl = game.layout.slices[term.signal]
        coef = sign * term.weight
        for i in game.senders(term.output, term.followers):
            _add_term(game.followers[i].program, term.signal, term.output, sl, coef, w_costs[i], u_terms[i])
    return w_costs, u_terms


def _add_term(prog: CanonicalProgram, signal: str, output: str, sl: slice, coef: float, w_cost: dict[int, float],
              u_terms: list[tuple[int, int, float]]) -> None:
    """Add coef·⟨σ[sl], y[output]⟩ to ``w_cost`` (reuse of w) or to ``u_terms`` (own products)."""
    out_cols, _ = prog.outputs[output]
    size = sl.stop - sl.start
    if signal in prog.signal_names:
        offset = 0
        for nm in prog.signal_names:
            if nm == signal:
                break
            offset += int(np.prod(prog.signal_shapes[nm], dtype=int))
        positions = np.arange(offset, offset + size)
        rng = np.random.default_rng(2024)
        r = rng.standard_normal(size)
        direction = np.asarray(sp.csc_matrix(prog.Qs)[:, positions] @ r).ravel()
        direction[out_cols] -= r
        colnorm = np.asarray(abs(sp.csc_matrix(prog.Qs)[:, positions]).sum(axis=0)).ravel()
        if np.all(colnorm > 0) and same_on_feasible_set(prog, direction):
            for j in positions:
                w_cost[int(j)] = w_cost.get(int(j), 0.0) + coef
            return
    for e in range(size):
        u_terms.append((sl.start + e, int(out_cols[e]), coef))


def _sym(P: sp.spmatrix) -> sp.csc_matrix:
    """Full symmetric matrix from an upper-triangular one."""
    P = sp.csc_matrix(P)
    return sp.csc_matrix(P + P.T - sp.diags(P.diagonal()))


def _psd_factor(P_sym: sp.csc_matrix, name: str) -> np.ndarray:
    """F with FᵀF = P_sym (rows for positive eigenvalues only); shape (r, n)."""
    dense = P_sym.toarray()
    used = np.flatnonzero(np.abs(dense).sum(axis=0) > 0)
    if used.size == 0:
        return np.zeros((0, dense.shape[0]))
    vals, vecs = np.linalg.eigh(dense[np.ix_(used, used)])
    if vals.min() < -1e-8 * max(1.0, abs(vals).max()):
        raise ReformulationError(f"follower '{name}': quadratic term is not positive semidefinite")
    keep = vals > 1e-12 * max(1.0, vals.max())
    F = np.zeros((int(keep.sum()), dense.shape[0]))
    F[:, used] = (vecs[:, keep] * np.sqrt(vals[keep])).T
    return F


def _select(idx: np.ndarray, width: int) -> sp.csr_matrix:
    """Selection matrix (len(idx), width) with a one at column ``idx[r]`` of row r."""
    idx = np.asarray(idx, dtype=int)
    return sp.csr_matrix((np.ones(idx.size), (np.arange(idx.size), idx)), shape=(idx.size, width))


def cone_violation(residual: np.ndarray, cone: Any) -> float:
    """How far ``residual`` (= b − Aξ of one cone's rows) lies outside the cone (0 inside)."""
    s = np.asarray(residual, dtype=float)
    if not s.size:
        return 0.0
    if isinstance(cone, clarabel.ZeroConeT):
        return float(np.abs(s).max())
    if isinstance(cone, clarabel.NonnegativeConeT):
        return float(max(0.0, -s.min()))
    if isinstance(cone, clarabel.SecondOrderConeT):
        return float(max(0.0, np.linalg.norm(s[1:]) - s[0]))
    raise TypeError(f"cone_violation: unsupported cone {cone!r}")


@dataclass
class _Rows:
    """Rows ``A ξ + s = b, s ∈ cones`` (sparse, over the follower's ξ), one label per cone."""

    A: list[sp.spmatrix] = field(default_factory=list)
    b: list[np.ndarray] = field(default_factory=list)
    cones: list[Any] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    def add(self, A: sp.spmatrix, b: np.ndarray, cone: Any, label: str) -> None:
        self.A.append(sp.csr_matrix(A))
        self.b.append(np.asarray(b, dtype=float).ravel())
        self.cones.append(cone)
        self.labels.append(label)

    def stack(self, ncols: int) -> tuple[sp.csc_matrix, np.ndarray, list[Any]]:
        A = sp.vstack(self.A, format="csc") if self.A else sp.csc_matrix((0, ncols))
        b = np.concatenate(self.b) if self.b else np.zeros(0)
        return A, b, list(self.cones)


class FollowerRelaxation:
    """One follower's strong-duality reformulation and its McCormick relaxation (module docstring).

    Variable ξ = [x (n) | z (m) | σ_loc (S) | w (J) | u (U)]:
    ``σ_loc`` are local copies of the game signal entries ``local`` (game indices);
    ``w_j ≈ σ_j v_j`` for the program signal positions ``J`` with a non-zero Qs column;
    ``u_l ≈ σ_g(l) · x[col(l)]`` for the products of ``u_terms``.

    Args:
        name: follower name (for messages).
        prog: its canonical program (``Bs = 0``; zero / nonneg / SOC cones).
        sig_game: (k,) game index of each program signal entry (``Game.signal_index[i]``).
        w_cost: program signal position j -> leader weight on w_j (see
            :func:`leader_bilinear_costs`); only enters :attr:`cost`.
        u_terms: (game signal index, column of x, leader weight) per extra product u.

    Attributes:
        cost: (N,) the leader's linear weights on ξ (on w and u): its bilinear terms.
        lp_bounds: (lo, hi) of the factors [v_J, y_U] over the feasible set (LPs).
        box_v: current factor bounds (LP bounds, tightened by :meth:`tighten_bounds`).
    """

    def __init__(self, name: str, prog: CanonicalProgram, sig_game: np.ndarray,
                 w_cost: Mapping[int, float] | None = None, u_terms: Sequence[tuple[int, int, float]] = ()) -> None:
        self.name = name
        self.prog = prog
        check_reformulable(name, prog)
        n, m = prog.n, prog.A.shape[0]
        Qs = sp.csc_matrix(prog.Qs)
        colnorm = np.asarray(abs(Qs).sum(axis=0)).ravel() if prog.k else np.zeros(0)
        self.J = np.flatnonzero(colnorm > 0)                          # program signal positions
        self.u_terms = list(u_terms)
        local = {int(sig_game[j]) for j in self.J} | {g for g, _, _ in self.u_terms}
        self.local = np.array(sorted(local), dtype=int)               # game indices of σ_loc
        pos = {g: k for k, g in enumerate(self.local)}
        self.J_loc = np.array([pos[int(sig_game[j])] for j in self.J], dtype=int)
        self.U_loc = np.array([pos[g] for g, _, _ in self.u_terms], dtype=int)
        self.U_col = np.array([c for _, c, _ in self.u_terms], dtype=int)
        S, nJ, nU = self.local.size, self.J.size, len(self.u_terms)
        self.n, self.m, self.S, self.nJ, self.nU = n, m, S, nJ, nU
        self.iz = n
        self.isig = n + m
        self.iw = n + m + S
        self.iu = n + m + S + nJ
        self.N = n + m + S + nJ + nU
        self.QJ = Qs[:, self.J].T.tocsr() if nJ else sp.csr_matrix((0, n))   # v = QJ x
        self.cost = np.zeros(self.N)
        for j, c in (w_cost or {}).items():
            k = int(np.flatnonzero(self.J == j)[0])
            self.cost[self.iw + k] += c
        for l, (_, _, c) in enumerate(self.u_terms):
            self.cost[self.iu + l] += c
        self._exact = self._exact_rows()
        A0, b0, cones0 = self._exact.stack(self.N)
        coo = A0.tocoo()
        self._exact_coo = (coo.row, coo.col, coo.data, b0, cones0, A0.shape[0])
        self._box_pattern = self._make_box_pattern()
        self.lp_bounds = self._lp_bounds()
        self.box_v: tuple[np.ndarray, np.ndarray] = self.lp_bounds

    # -- the exact reformulation (all rows but w = σ∘v) -----------------------------------
    def _x_rows(self, M: sp.spmatrix) -> sp.csr_matrix:
        M = sp.csr_matrix(M)
        return sp.hstack([M, sp.csr_matrix((M.shape[0], self.N - self.n))], format="csr")

    def _exact_rows(self) -> _Rows:
        prog, n, N = self.prog, self.n, self.N
        d = prog.dims
        rows = _Rows()
        P_sym = _sym(prog.P)
        # stationarity: P x + A^T z + Qs σ = -q0
        Qloc = sp.csr_matrix((n, self.S))
        if self.nJ:
            Qloc = sp.csr_matrix(sp.csc_matrix(prog.Qs)[:, self.J] @ _select(self.J_loc, self.S))
        stat = sp.hstack([P_sym, sp.csc_matrix(prog.A).T, Qloc, sp.csr_matrix((n, self.nJ + self.nU))], format="csr")
        rows.add(stat, -prog.q0, clarabel.ZeroConeT(n), "stationarity")
        # primal feasibility: A x + s = b0, s in K
        prim = self._x_rows(prog.A)
        offset = 0
        for size, cone in self._cone_sizes():
            rows.add(prim[offset:offset + size], prog.b0[offset:offset + size], cone, "primal")
            offset += size
        # dual feasibility: z in K* (zero cone -> free; nonneg, soc self-dual)
        offset = d.zero
        for size, cone in self._cone_sizes()[1:] if d.zero else self._cone_sizes():
            rows.add(-_select(self.iz + offset + np.arange(size), N), np.zeros(size), cone, "dual")
            offset += size
        # strong duality: x'Px + q0'x + b0'z + 1'w <= 0
        lin = sp.hstack([sp.csr_matrix(prog.q0[None, :]), sp.csr_matrix(prog.b0[None, :]),
                         sp.csr_matrix((1, self.S)), sp.csr_matrix(np.ones((1, self.nJ))),
                         sp.csr_matrix((1, self.nU))], format="csr")
        F = _psd_factor(P_sym, self.name)
        if F.shape[0] == 0:
            rows.add(lin, np.zeros(1), clarabel.NonnegativeConeT(1), "strong_duality")
        else:
            # ||F x||^2 <= tau, tau = -(lin xi):  ||(tau - k, 2 sqrt(k) F x)|| <= tau + k
            kappa = self._kappa(P_sym)
            cone_rows = sp.vstack([lin, lin, self._x_rows(-2.0 * np.sqrt(kappa) * F)], format="csr")
            b = np.concatenate([[kappa, -kappa], np.zeros(F.shape[0])])
            rows.add(cone_rows, b, clarabel.SecondOrderConeT(F.shape[0] + 2), "strong_duality")
        self._P_sym = P_sym
        return rows

    def _cone_sizes(self) -> list[tuple[int, Any]]:
        d = self.prog.dims
        out: list[tuple[int, Any]] = []
        if d.zero:
            out.append((d.zero, clarabel.ZeroConeT(d.zero)))
        if d.nonneg:
            out.append((d.nonneg, clarabel.NonnegativeConeT(d.nonneg)))
        out += [(s, clarabel.SecondOrderConeT(s)) for s in d.soc]
        return out

    def _kappa(self, P_sym: sp.csc_matrix) -> float:
        """Scale of the rotated cone: xᵀPx of the best response at zero signals (≥ 1)."""
        sol = self.prog.solve(np.zeros(self.prog.k), keep_x=True)
        if not sol.ok or sol.x is None:
            return 1.0
        return float(max(1.0, sol.x @ (P_sym @ sol.x)))

    def exact_system(self) -> tuple[sp.csc_matrix, np.ndarray, list[Any]]:
        """``A ξ + s = b, s ∈ cones`` of the reformulation without the products' envelopes.

        Together with w = σ_loc[J_loc] ∘ v (and u = σ ∘ y) these rows are exact: they hold
        iff x is a best response to σ_loc with dual z.
        """
        return self._exact.stack(self.N)

    def duality_slack(self, xi: np.ndarray) -> float:
        """Primal minus dual value ``xᵀPx + q0ᵀx + b0ᵀz + Σ w`` at ξ (≤ 0 required; 0 at a best response)."""
        x, z = xi[: self.n], xi[self.iz: self.iz + self.m]
        return float(x @ (self._P_sym @ x) + self.prog.q0 @ x + self.prog.b0 @ z + xi[self.iw: self.iw + self.nJ].sum())

    # -- factors and their bounds ---------------------------------------------------------
    def directions(self) -> list[np.ndarray]:
        """x-space directions of the product factors: v_j = Qs_jᵀx, then y columns of u terms."""
        dirs = [np.asarray(self.QJ[k].toarray()).ravel() for k in range(self.nJ)]
        for col in self.U_col:
            e = np.zeros(self.n)
            e[col] = 1.0
            dirs.append(e)
        return dirs

    def factors(self, x: np.ndarray) -> np.ndarray:
        """The product factors [v_J, y_U] at a canonical point x (n,)."""
        return np.concatenate([self.QJ @ x, x[self.U_col]])

    def _lp_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """min / max of each direction over the follower's feasible set (LPs, once)."""
        prog = self.prog
        dirs = self.directions()
        lo, hi = np.zeros(len(dirs)), np.zeros(len(dirs))
        if not dirs:
            return lo, hi
        solver = clarabel.DefaultSolver(sp.csc_matrix((prog.n, prog.n)), np.zeros(prog.n), prog.A, prog.b0,
                                        prog.dims.clarabel_cones(), solver_settings())
        for k, dvec in enumerate(dirs):
            for sign, out in ((1.0, lo), (-1.0, hi)):
                solver.update(q=sign * dvec)
                sol = solver.solve()
                status = solver_status(sol)
                if status not in OK_STATUSES:
                    what = f"v[{k}] = Qs[:, {self.J[k]}]ᵀx" if k < self.nJ else f"output column {self.U_col[k - self.nJ]}"
                    raise ReformulationError(f"follower '{self.name}': {what} is {status} over its "
                                             "feasible set; McCormick envelopes need finite bounds")
                out[k] = sign * min(float(sol.obj_val), float(sol.obj_val_dual))
        return lo, hi

    def reset_bounds(self) -> None:
        """Factor bounds back to the LP bounds."""
        self.box_v = (self.lp_bounds[0].copy(), self.lp_bounds[1].copy())

    def tighten_bounds(self, sig_lo: np.ndarray, sig_hi: np.ndarray) -> int:
        """One OBBT sweep: min / max of every factor over this follower's relaxation on the σ_loc box.

        Returns the number of failed sub-solves (their old bound is kept, which is valid).
        """
        dirs = self.directions()
        if not dirs:
            return 0
        A, b, cones = self.system(sig_lo, sig_hi)
        solver = clarabel.DefaultSolver(sp.csc_matrix((self.N, self.N)), np.zeros(self.N), A, b, cones,
                                        solver_settings())
        lo, hi = self.box_v[0].copy(), self.box_v[1].copy()
        failures = 0
        for k, dvec in enumerate(dirs):
            q = np.zeros(self.N)
            q[: self.n] = dvec
            for sign in (1.0, -1.0):
                solver.update(q=sign * q)
                sol = solver.solve()
                if solver_status(sol) not in OK_STATUSES:
                    failures += 1
                    continue
                # the weaker of the primal and dual objectives, less a margin: stays a valid bound
                value = sign * min(float(sol.obj_val), float(sol.obj_val_dual))
                slack = 1e-7 * max(1.0, abs(value))
                if sign > 0:
                    lo[k] = max(lo[k], value - slack)
                else:
                    hi[k] = min(hi[k], value + slack)
        hi = np.maximum(hi, lo)
        self.box_v = (lo, hi)
        return failures

    # -- the relaxation on a σ box --------------------------------------------------------
    def _box_coo(self, sig_lo: np.ndarray, sig_hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """McCormick rows of w and u, bounds of v / y and of σ_loc, as COO triplets + rhs.

        Rows per product as in the module docstring (all ``≤``, nonnegative slack), products
        ordered w then u, then σ_loc ≤ hi and −σ_loc ≤ −lo. The sparsity pattern is fixed;
        only values change with the box, so rows/cols are computed once and values are
        vectorised per call.
        """
        vlo, vhi = self.box_v
        rows, cols, kinds, _ = self._box_pattern
        # per product: (xL, xU, yL, yU), products ordered w then u
        sloc = np.concatenate([self.J_loc, self.U_loc]).astype(int)
        xL, xU = sig_lo[sloc], sig_hi[sloc]
        yL, yU = vlo, vhi
        coef_f = [xL, xU, -xU, -xL, np.ones_like(xL), -np.ones_like(xL)]
        coef_s = [yL, yU, -yL, -yU]
        vals = np.empty(rows.size)
        # kinds: 0 = factor entry (value = coef_f[g][r] * V value), 1 = signal entry, 2 = product, 3 = box
        fv, g, r = self._box_values
        mask = kinds == 0
        vals[mask] = np.stack(coef_f)[g[mask], r[mask]] * fv[mask]
        mask = kinds == 1
        vals[mask] = np.stack(coef_s)[g[mask], r[mask]]
        mask = kinds == 2
        vals[mask] = np.where(g[mask] < 2, -1.0, 1.0)
        mask = kinds == 3
        vals[mask] = np.where(g[mask] == 0, 1.0, -1.0)
        b = np.concatenate([xL * yL, xU * yU, -xU * yL, -xL * yU, yU, -yL, sig_hi, -sig_lo])
        return rows, cols, vals, b

    def _make_box_pattern(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Rows/cols of the box block (relative row numbers) and what each entry's value is."""
        E = sp.csr_matrix((np.ones(self.nU), (np.arange(self.nU), self.U_col)), shape=(self.nU, self.n))
        V = sp.vstack([self.QJ, E], format="coo") if self.nU else sp.coo_matrix(self.QJ)
        nprod = self.nJ + self.nU
        sloc = np.concatenate([self.J_loc, self.U_loc]).astype(int)
        prod = np.concatenate([self.iw + np.arange(self.nJ), self.iu + np.arange(self.nU)]).astype(int)
        R, C, K, G, RI, FV = [], [], [], [], [], []
        for g in range(6):
            base = g * nprod
            R.append(base + V.row); C.append(V.col); K.append(np.zeros(V.nnz, int)); G.append(np.full(V.nnz, g))
            RI.append(V.row); FV.append(V.data)
            if g < 4:
                R.append(base + np.arange(nprod)); C.append(self.isig + sloc); K.append(np.ones(nprod, int))
                G.append(np.full(nprod, g)); RI.append(np.arange(nprod)); FV.append(np.zeros(nprod))
                R.append(base + np.arange(nprod)); C.append(prod); K.append(np.full(nprod, 2))
                G.append(np.full(nprod, g)); RI.append(np.arange(nprod)); FV.append(np.zeros(nprod))
        for g in range(2):
            base = 6 * nprod + g * self.S
            R.append(base + np.arange(self.S)); C.append(self.isig + np.arange(self.S))
            K.append(np.full(self.S, 3)); G.append(np.full(self.S, g)); RI.append(np.arange(self.S))
            FV.append(np.zeros(self.S))
        cat = lambda parts, dt=int: np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt)
        self._box_values = (cat(FV, float), cat(G), cat(RI))
        self.n_box_rows = 6 * nprod + 2 * self.S
        return cat(R), cat(C), cat(K), cat(RI)

    def system(self, sig_lo: np.ndarray, sig_hi: np.ndarray) -> tuple[sp.csc_matrix, np.ndarray, list[Any]]:
        """``A ξ + s = b, s ∈ cones`` of the relaxation on the σ_loc box [sig_lo, sig_hi] (S,).

        The exact rows (:meth:`exact_system`) followed by one nonnegative cone of
        :attr:`n_box_rows` rows: the McCormick envelopes, the factor bounds :attr:`box_v`
        and the σ_loc box.
        """
        r0, c0, v0, b0, cones0, m0 = self._exact_coo
        rows, cols, vals, b = self._box_coo(sig_lo, sig_hi)
        A = sp.csc_matrix((np.concatenate([v0, vals]), (np.concatenate([r0, m0 + rows]), np.concatenate([c0, cols]))),
                          shape=(m0 + self.n_box_rows, self.N))
        return A, np.concatenate([b0, b]), cones0 + [clarabel.NonnegativeConeT(self.n_box_rows)]

    def violations(self, xi: np.ndarray, sig_lo: np.ndarray | None = None,
                   sig_hi: np.ndarray | None = None) -> dict[str, float]:
        """Largest violation per row group at ξ (N,): ``stationarity``, ``primal``, ``dual``,
        ``strong_duality`` and, given a σ_loc box, ``mccormick`` (envelopes, factor and σ bounds)."""
        A, b, cones = (self.exact_system() if sig_lo is None else self.system(sig_lo, sig_hi))
        labels = self._exact.labels + ([] if sig_lo is None else ["mccormick"])
        sizes = [part.size for part in self._exact.b] + ([] if sig_lo is None else [self.n_box_rows])
        resid = b - A @ xi
        out: dict[str, float] = {}
        bounds = np.cumsum([0] + sizes)
        for cone, label, start, stop in zip(cones, labels, bounds[:-1], bounds[1:]):
            out[label] = max(out.get(label, 0.0), cone_violation(resid[start:stop], cone))
        return out

    # -- points ---------------------------------------------------------------------------
    def point(self, x: np.ndarray, z: np.ndarray, sigma_game: np.ndarray) -> np.ndarray:
        """ξ (N,) of (x, z) at game signals ``sigma_game`` with exact products w = σ∘v, u = σ∘y."""
        xi = np.zeros(self.N)
        xi[: self.n], xi[self.iz: self.iz + self.m] = x, z
        sig = np.asarray(sigma_game, dtype=float)[self.local]
        xi[self.isig: self.isig + self.S] = sig
        prods = np.concatenate([sig[self.J_loc], sig[self.U_loc]]) * self.factors(np.asarray(x, dtype=float))
        xi[self.iw: self.iw + self.nJ] = prods[: self.nJ]
        xi[self.iu: self.iu + self.nU] = prods[self.nJ:]
        return xi

    def sigma(self, xi: np.ndarray) -> np.ndarray:
        """σ_loc part of ξ."""
        return xi[self.isig: self.isig + self.S]

    def products(self, xi: np.ndarray, sigma_game: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(relaxed products [w, u] of ξ, exact products σ·[v, y]) at game signals ``sigma_game``."""
        x = xi[: self.n]
        v = np.concatenate([self.QJ @ x, x[self.U_col]])
        sig = np.concatenate([sigma_game[self.local[self.J_loc]], sigma_game[self.local[self.U_loc]]])
        relaxed = np.concatenate([xi[self.iw: self.iw + self.nJ], xi[self.iu: self.iu + self.nU]])
        return relaxed, sig * v

    def cost_value(self, xi: np.ndarray) -> float:
        """The leader's bilinear terms on this follower, ``cost · ξ`` (minimisation form)."""
        return float(self.cost @ xi)

