"""Single-level reformulation of a follower's best response, and its McCormick relaxation.

The bilevel problem "leader chooses σ, follower i best-responds" becomes single-level by
replacing each follower's optimality with optimality conditions. This module builds those
conditions from a follower's compiled canonical program (:class:`~gamecore.canonical.
CanonicalProgram`) and relaxes the one non-convex part; it knows nothing about how the
result is solved (ADMM in ``strategies/admm_bilevel.py``; a KKT/MILP reference could use
the same rows).

Scope (:func:`check_reformulable`): cones zero / nonnegative / second-order (self-dual,
the zero cone's dual is free); signals in the objective (``Qs``) and in the constraints'
right-hand sides (``Bs``). Exponential, PSD and power cones are refused.

Strong-duality reformulation
============================
A follower with canonical data (P, q0, Qs, A, b0, Bs, K) solves
``min ½xᵀPx + (q0 + Qs σ)ᵀx  s.t.  A x + s = b0 + Bs σ, s ∈ K`` (P symmetric here; the
canonical P is its upper triangle). Clarabel's dual is ``max −½xᵀPx − (b0 + Bs σ)ᵀz`` over
``P x + q0 + Qs σ + Aᵀz = 0, z ∈ K*``. For signals σ, x is a best response iff ∃ z with::

    b0 + Bs σ − A x ∈ K                                     primal feasibility (linear in x, σ)
    P x + q0 + Qs σ + Aᵀ z = 0,   z ∈ K*                     dual feasibility (stationarity)
    xᵀ P x + q0ᵀ x + b0ᵀ z + Σ_j w_j + Σ_k t_k ≤ 0           strong duality (primal ≤ dual value)
    w_j = σ_j v_j,   v = Qsᵀ x                               (signal j in the objective)
    t_k = σ_k r_k,   r = Bsᵀ z                               (signal k in the right-hand sides)

since σᵀQsᵀx = Σ_j σ_j v_j and b(σ)ᵀz = b0ᵀz + σᵀBsᵀz = b0ᵀz + Σ_k σ_k r_k. The
strong-duality row's left side is primal − dual value, which equals zᵀ(b(σ) − Ax) ≥ 0
under the other rows, so the row forces complementarity; at a feasible x that is not a
best response every z completing the other rows leaves it ≥ f(x) − f(x*) > 0. One dual
z per point suffices: the rows hold for (σ, x) iff they hold with *some* optimal dual. With
P ≠ 0 the quadratic row is a rotated second-order cone: with P = FᵀF and
τ = −(q0ᵀx + b0ᵀz + Σ w + Σ t) it reads ``‖(τ − κ, 2√κ F x)‖ ≤ τ + κ`` (κ > 0 a scale: xᵀPx
at the best response to zero signals, ≥ 1).

McCormick relaxation
====================
The only non-convex parts are w = σ ∘ v and t = σ ∘ r. Over a box σ ∈ [σL, σU] and
factor bounds each product π = s·f (s a signal entry in [xL, xU], f a factor in [yL, yU])
is replaced by its McCormick envelope (:func:`gamecore.relaxations.envelope_rows`)::

    xL f + yL s − π ≤ xL yL        xU f + yU s − π ≤ xU yU
    π − xU f − yL s ≤ −xU yL       π − xL f − yU s ≤ −xL yU
    yL ≤ f ≤ yU,   σL ≤ s ≤ σU

A leader objective with a bilinear term weight·⟨σ_s, y_i[o]⟩ reuses w when the priced
quantity equals the output on the follower's feasible set (``Qs`` columns of σ_s minus the
output columns lie in the row space of the equality constraints: :func:`same_on_feasible_set`,
checked as the game checks payments); otherwise it gets its own product u = σ ∘ y (y the
output's columns of x) with its own envelope. Per follower these envelopes sum to the
envelope of σ ∘ Σ_i y_i.

Bounds on the factors [v, y, r] (finite, valid by construction, derived from the data):

1. min / max of each factor over the follower's primal and dual feasibility rows with σ in
   its declared box (conic programs, :attr:`FollowerRelaxation.lp_bounds`, once). Finite for
   a quantity the constraints bound; infinite for a dual r (the dual feasible set of a
   bounded LP is unbounded) and for a quantity only optimality bounds (consumers with
   ``d ≥ 0`` only: demand is bounded by the price box through the strongly concave utility).
2. where infinite: min / max over the follower's KKT conditions with σ in the box (SOS1
   MIPs, :func:`complete_bounds` → :meth:`gamecore.kkt.KKTModel.expression_bounds`; with a
   single follower the leader's constraints are included). The dual is restricted to its
   minimum-norm element (z on its support in the range of the support's rows): at a point
   where the active rows are linearly dependent (e.g. the follower's feasible set shrinks to
   a point at the end of the signal box) the optimal duals form a ray, while the
   minimum-norm dual is unique and bounded, and one dual per point is all the strong-duality
   rows need. A factor still without a finite bound is refused (``ReformulationError``
   naming the follower and the factor): the game truly has none (e.g. a follower indifferent
   over an unbounded set at some signal), or SCIP proved none.
3. per trust-region box, optimality-based bound tightening (OBBT,
   :meth:`FollowerRelaxation.tighten_bounds`): min / max of each factor over the follower's
   own relaxation with σ in the current box, starting from the bounds of 1–2. OBBT is valid:
   no bilevel-feasible point with σ in the box (lifted by its minimum-norm dual) is cut. On a
   point box (σL = σU) it recovers v at the best response.

Variables of one follower's relaxation, ``ξ = [x (n) | z (m) | σ_loc (S) | w (J) | u (U) | t (K)]``,
with ``σ_loc`` local copies of the game signal entries the follower's products and
right-hand sides use.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import clarabel
import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import lsqr

from gamecore.canonical import CanonicalProgram, symmetric
from gamecore.errors import FollowerSolveError, StrategyError
from gamecore.game import Game
from gamecore.leader import LeaderObjective
from gamecore.relaxations import W_SIGN, envelope_rows
from gamecore.solver import BASE_SETTINGS, new_solver
from gamecore.solver import solve as solve_conic

# Solvers built here from raw data are updated in place between solves: BASE_SETTINGS (no
# presolve, no equilibration, as for the compiled followers), one attempt (NO_RETRY).


class ReformulationError(StrategyError):
    """A follower outside the reformulation's scope (exp/PSD/power cones, a non-PSD quadratic
    term, a product factor without finite bounds, no feasible point with σ in its box).

    A :class:`StrategyError`: a method that needs the reformulation cannot handle the game.
    """


def check_reformulable(name: str, prog: CanonicalProgram) -> None:
    """Raise :class:`ReformulationError` unless the cones are zero / nonnegative / second-order.

    Signals may enter the objective (``Qs``) and the constraints' right-hand sides (``Bs``).
    """
    d = prog.dims
    if d.exp or d.psd or d.p3d:
        raise ReformulationError(f"follower '{name}' has exponential/PSD/power cones; "
                                 "only zero, nonnegative and second-order cones are supported")


def primal_dual(prog: CanonicalProgram, sigma: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Best response x (n,) and its dual z (m,) in Clarabel's sign at program signals ``sigma`` (k,).

    Raises :class:`FollowerSolveError` when the program is not solved to optimality.
    """
    sigma = np.asarray(sigma, dtype=float)
    found = solve_conic(sp.csc_matrix(prog.P), prog.q(sigma), prog.A, prog.b(sigma), prog.dims.clarabel_cones(),
                        BASE_SETTINGS)
    if found.x is None:
        raise FollowerSolveError(prog.name, found.status, {"sigma": sigma}, "strong-duality reformulation")
    return found.x, np.asarray(found.raw.z, dtype=float)


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


@dataclass
class BilinearCosts:
    """A leader objective's bilinear terms as linear costs on each follower's products (minimisation form).

    Per follower ``i`` (game order):

    * ``w[i]``: program signal position j -> weight on w_j = σ_j·v_j (v = Qsᵀx), for terms whose
      priced quantity equals ±v up to a constant on the follower's feasible set (+v: the
      follower pays σ·y; −v: it is paid σ·y, a seller — the weight then carries the sign);
    * ``sigma[i]``: program signal position j -> weight on σ_j itself: that constant times the
      term's weight. A priced output with a constant part (``y = dt·(base − cut)``: cvxpy moves
      σ·dt·base into the objective's σ-only term ``ds``) gives σ_j·y_j = w_j + σ_j·c_j, and the
      σ_j·c_j part is linear in σ;
    * ``u[i]``: (game signal index, column of x, weight) for the other terms, each needing its
      own product u = σ_g·x_col.
    """

    w: list[dict[int, float]]
    sigma: list[dict[int, float]]
    u: list[list[tuple[int, int, float]]]


def leader_bilinear_costs(game: Game, objective: LeaderObjective) -> BilinearCosts:
    """The objective's bilinear terms as linear costs on each follower's products (:class:`BilinearCosts`)."""
    sign = 1.0 if objective.sense == "min" else -1.0
    costs = BilinearCosts([{} for _ in game.followers], [{} for _ in game.followers], [[] for _ in game.followers])
    for term in objective.bilinear:
        sl = game.layout.slices[term.signal]
        coef = sign * term.weight
        for i in game.senders(term.output, term.followers):
            _add_term(game.followers[i].program, term.signal, term.output, sl, coef, costs.w[i], costs.sigma[i],
                      costs.u[i])
    return costs


def _output_offsets(prog: CanonicalProgram, positions: np.ndarray, out_cols: np.ndarray,
                    orientation: float = 1.0) -> np.ndarray | None:
    """``c = y − s·v`` (per entry, ``s = orientation`` ±1) on the follower's feasible set, where
    y = x[out_cols] and s·v = s·Qs[:, positions]ᵀx differ by a constant there (their difference lies in the row space of
    the equality rows, :func:`same_on_feasible_set`); None when that constant depends on the
    signals (equality right-hand sides that move with σ) or cannot be computed accurately.

    Read at the minimum-norm solution of the equality rows at σ = 0 and checked at a random σ.
    """
    zero = prog.dims.zero
    a_eq = sp.csr_matrix(prog.A[:zero, :])
    Qs = sp.csc_matrix(prog.Qs)[:, positions]

    def at(b_eq: np.ndarray) -> np.ndarray | None:
        x = lsqr(a_eq, b_eq, atol=1e-14, btol=1e-14, iter_lim=20 * prog.n + 100)[0]
        if np.abs(a_eq @ x - b_eq).max(initial=0.0) > 1e-9 * max(1.0, np.abs(b_eq).max(initial=0.0)):
            return None
        return x[out_cols] - orientation * np.asarray(Qs.T @ x).ravel()

    b0 = prog.b0[:zero]
    c0 = at(b0)
    if c0 is None:
        return None
    if prog.Bs.nnz:
        shift = np.asarray(sp.csr_matrix(prog.Bs)[:zero] @ np.random.default_rng(7).standard_normal(prog.k)).ravel()
        if np.abs(shift).max(initial=0.0) > 0:
            c1 = at(b0 + shift)
            if c1 is None or np.abs(c1 - c0).max() > 1e-7 * max(1.0, np.abs(c0).max()):
                return None
    return c0


def _add_term(prog: CanonicalProgram, signal: str, output: str, sl: slice, coef: float, w_cost: dict[int, float],
              sigma_cost: dict[int, float], u_terms: list[tuple[int, int, float]]) -> None:
    """Add coef·⟨σ[sl], y[output]⟩ to ``w_cost`` and ``sigma_cost`` (reuse of w) or to ``u_terms``
    (own products), see :class:`BilinearCosts`."""
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
        colnorm = np.asarray(abs(sp.csc_matrix(prog.Qs)[:, positions]).sum(axis=0)).ravel()
        # the follower pays σ·y (orientation +1: v = y + c) or is paid it (a seller, −1: v = −y + c)
        for orientation in (1.0, -1.0):
            direction = orientation * np.asarray(sp.csc_matrix(prog.Qs)[:, positions] @ r).ravel()
            direction[out_cols] -= r
            if not (np.all(colnorm > 0) and same_on_feasible_set(prog, direction)):
                continue
            constants = _output_offsets(prog, positions, out_cols, orientation)
            if constants is not None:
                noise = 1e-12 * max(1.0, float(np.abs(constants).max(initial=0.0)))
                for j, c in zip(positions, constants):
                    w_cost[int(j)] = w_cost.get(int(j), 0.0) + orientation * coef
                    if abs(c) > noise:
                        sigma_cost[int(j)] = sigma_cost.get(int(j), 0.0) + coef * float(c)
                return
    for e in range(size):
        u_terms.append((sl.start + e, int(out_cols[e]), coef))


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

    Variable ξ = [x (n) | z (m) | σ_loc (S) | w (J) | u (U) | t (K)]:
    ``σ_loc`` are local copies of the game signal entries ``local`` (game indices);
    ``w_j ≈ σ_j v_j``, v_j = Qs_jᵀx, for the program signal positions ``J`` with a non-zero
    Qs column; ``u_l ≈ σ_g(l) · x[col(l)]`` for the products of ``u_terms``;
    ``t_k ≈ σ_k r_k``, r_k = Bs_kᵀz, for the positions ``K`` with a non-zero Bs column
    (signals in the constraints' right-hand sides).

    Args:
        name: follower name (for messages).
        prog: its canonical program (zero / nonneg / SOC cones).
        sig_game: (k,) game index of each program signal entry (``Game.signal_index[i]``).
        w_cost: program signal position j -> leader weight on w_j (see
            :func:`leader_bilinear_costs`); only enters :attr:`cost`.
        sigma_cost: program signal position j -> leader weight on σ_j itself (the constant
            part of a priced output, :class:`BilinearCosts`); only enters :attr:`cost`, on the
            local copy of σ_j (j must have a non-zero Qs column).
        u_terms: (game signal index, column of x, leader weight) per extra product u.
        signal_box: (lower, upper) of every game signal entry (the declared box, game
            layout; ±inf allowed); the factor bounds are computed with σ in it. None: free.
        signal_labels: (k,) readable name of each program signal entry (for messages).

    Attributes:
        cost: (N,) the leader's linear weights on ξ (on w, u and σ_loc): its bilinear terms.
        lp_bounds: (lo, hi) of the factors [v_J, y_U, r_K] over the follower's primal and
            dual feasible sets with σ in ``signal_box`` (one conic program per bound; ±inf
            where that is unbounded: :meth:`open_factors`, completed by the caller with
            :meth:`set_initial_bounds`, e.g. :func:`complete_bounds`).
        bounds0: the initial factor bounds (``lp_bounds`` completed); :meth:`system` needs
            them finite (else :class:`ReformulationError` naming the factor).
        box_v: current factor bounds (initial bounds, tightened by :meth:`tighten_bounds`).
    """

    def __init__(self, name: str, prog: CanonicalProgram, sig_game: np.ndarray,
                 w_cost: Mapping[int, float] | None = None, u_terms: Sequence[tuple[int, int, float]] = (),
                 signal_box: tuple[np.ndarray, np.ndarray] | None = None,
                 signal_labels: Sequence[str] | None = None,
                 sigma_cost: Mapping[int, float] | None = None) -> None:
        self.name = name
        self.prog = prog
        self.solver_s = 0.0          # seconds inside Clarabel of the bound-tightening solves
        check_reformulable(name, prog)
        n, m = prog.n, prog.A.shape[0]
        sig_game = np.asarray(sig_game, dtype=int)
        Qs, Bs = sp.csc_matrix(prog.Qs), sp.csc_matrix(prog.Bs)
        qnorm = np.asarray(abs(Qs).sum(axis=0)).ravel() if prog.k else np.zeros(0)
        bnorm = np.asarray(abs(Bs).sum(axis=0)).ravel() if prog.k and Bs.nnz else np.zeros(prog.k)
        self.J = np.flatnonzero(qnorm > 0)                            # program signal positions in q(σ)
        self.K = np.flatnonzero(bnorm > 0)                            # program signal positions in b(σ)
        self.u_terms = list(u_terms)
        self.labels = list(signal_labels) if signal_labels is not None else [f"σ[{j}]" for j in range(prog.k)]
        local = ({int(sig_game[j]) for j in self.J} | {int(sig_game[j]) for j in self.K}
                 | {g for g, _, _ in self.u_terms})
        self.local = np.array(sorted(local), dtype=int)               # game indices of σ_loc
        pos = {g: k for k, g in enumerate(self.local)}
        self.J_loc = np.array([pos[int(sig_game[j])] for j in self.J], dtype=int)
        self.K_loc = np.array([pos[int(sig_game[j])] for j in self.K], dtype=int)
        self.U_loc = np.array([pos[g] for g, _, _ in self.u_terms], dtype=int)
        self.U_col = np.array([c for _, c, _ in self.u_terms], dtype=int)
        S, nJ, nU, nK = self.local.size, self.J.size, len(self.u_terms), self.K.size
        self.n, self.m, self.S, self.nJ, self.nU, self.nK = n, m, S, nJ, nU, nK
        self.iz = n
        self.isig = n + m
        self.iw = n + m + S
        self.iu = n + m + S + nJ
        self.it = n + m + S + nJ + nU
        self.N = n + m + S + nJ + nU + nK
        self.QJ = Qs[:, self.J].T.tocsr() if nJ else sp.csr_matrix((0, n))   # v = QJ x
        self.BK = Bs[:, self.K].T.tocsr() if nK else sp.csr_matrix((0, m))   # r = BK z
        if signal_box is None:
            self.sig_box = (np.full(S, -np.inf), np.full(S, np.inf))
        else:
            self.sig_box = (np.asarray(signal_box[0], dtype=float)[self.local],
                            np.asarray(signal_box[1], dtype=float)[self.local])
        self.cost = np.zeros(self.N)
        for j, c in (w_cost or {}).items():
            k = int(np.flatnonzero(self.J == j)[0])
            self.cost[self.iw + k] += c
        for l, (_, _, c) in enumerate(self.u_terms):
            self.cost[self.iu + l] += c
        for j, c in (sigma_cost or {}).items():
            k = int(np.flatnonzero(self.J == j)[0])
            self.cost[self.isig + int(self.J_loc[k])] += c
        self._exact = self._exact_rows()
        A0, b0, cones0 = self._exact.stack(self.N)
        coo = A0.tocoo()
        self._exact_coo = (coo.row, coo.col, coo.data, b0, cones0, A0.shape[0])
        self._box_pattern = self._make_box_pattern()
        self.lp_bounds = self._conic_bounds()
        self.bounds0: tuple[np.ndarray, np.ndarray] = (self.lp_bounds[0].copy(), self.lp_bounds[1].copy())
        self.box_v: tuple[np.ndarray, np.ndarray] = (self.lp_bounds[0].copy(), self.lp_bounds[1].copy())

    # -- the exact reformulation (all rows but w = σ∘v, t = σ∘r) ----------------------------
    def _x_rows(self, M: sp.spmatrix) -> sp.csr_matrix:
        M = sp.csr_matrix(M)
        return sp.hstack([M, sp.csr_matrix((M.shape[0], self.N - self.n))], format="csr")

    def _exact_rows(self) -> _Rows:
        prog, n, m, N = self.prog, self.n, self.m, self.N
        d = prog.dims
        rows = _Rows()
        P_sym = sp.csc_matrix(symmetric(prog.P))
        # stationarity: P x + A^T z + Qs σ = -q0
        Qloc = sp.csr_matrix((n, self.S))
        if self.nJ:
            Qloc = sp.csr_matrix(sp.csc_matrix(prog.Qs)[:, self.J] @ _select(self.J_loc, self.S))
        stat = sp.hstack([P_sym, sp.csc_matrix(prog.A).T, Qloc, sp.csr_matrix((n, N - self.iw))], format="csr")
        rows.add(stat, -prog.q0, clarabel.ZeroConeT(n), "stationarity")
        # primal feasibility: A x - Bs σ + s = b0, s in K
        Bloc = sp.csr_matrix((m, self.S))
        if self.nK:
            Bloc = sp.csr_matrix(sp.csc_matrix(prog.Bs)[:, self.K] @ _select(self.K_loc, self.S))
        prim = sp.hstack([sp.csr_matrix(prog.A), sp.csr_matrix((m, m)), -Bloc, sp.csr_matrix((m, N - self.iw))],
                         format="csr")
        offset = 0
        for size, cone in self._cone_sizes():
            rows.add(prim[offset:offset + size], prog.b0[offset:offset + size], cone, "primal")
            offset += size
        # dual feasibility: z in K* (zero cone -> free; nonneg, soc self-dual)
        offset = d.zero
        for size, cone in self._cone_sizes()[1:] if d.zero else self._cone_sizes():
            rows.add(-_select(self.iz + offset + np.arange(size), N), np.zeros(size), cone, "dual")
            offset += size
        # strong duality: x'Px + q0'x + b0'z + 1'w + 1't <= 0
        lin = sp.hstack([sp.csr_matrix(prog.q0[None, :]), sp.csr_matrix(prog.b0[None, :]),
                         sp.csr_matrix((1, self.S)), sp.csr_matrix(np.ones((1, self.nJ))),
                         sp.csr_matrix((1, self.nU)), sp.csr_matrix(np.ones((1, self.nK)))], format="csr")
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

        Together with w = σ_loc[J_loc] ∘ v, t = σ_loc[K_loc] ∘ r (and u = σ ∘ y) these rows
        are exact: they hold iff x is a best response to σ_loc with dual z.
        """
        return self._exact.stack(self.N)

    def duality_slack(self, xi: np.ndarray) -> float:
        """Primal minus dual value ``xᵀPx + q0ᵀx + b0ᵀz + Σ w + Σ t`` at ξ (≤ 0 required; 0 at a best response)."""
        x, z = xi[: self.n], xi[self.iz: self.iz + self.m]
        return float(x @ (self._P_sym @ x) + self.prog.q0 @ x + self.prog.b0 @ z
                     + xi[self.iw: self.iw + self.nJ].sum() + xi[self.it: self.it + self.nK].sum())

    # -- factors and their bounds ---------------------------------------------------------
    def directions(self) -> list[np.ndarray]:
        """(x, z)-space directions (length n + m) of the product factors [v_J, y_U, r_K]."""
        dirs = []
        for k in range(self.nJ):
            e = np.zeros(self.n + self.m)
            e[: self.n] = np.asarray(self.QJ[k].toarray()).ravel()
            dirs.append(e)
        for col in self.U_col:
            e = np.zeros(self.n + self.m)
            e[col] = 1.0
            dirs.append(e)
        for k in range(self.nK):
            e = np.zeros(self.n + self.m)
            e[self.n:] = np.asarray(self.BK[k].toarray()).ravel()
            dirs.append(e)
        return dirs

    @property
    def n_factors(self) -> int:
        return self.nJ + self.nU + self.nK

    def factor_label(self, k: int) -> str:
        """Readable name of factor k (which product it belongs to), for messages."""
        if k < self.nJ:
            j = int(self.J[k])
            return f"v = Qs[:, {j}]ᵀx (the quantity priced by signal {self.labels[j]})"
        if k < self.nJ + self.nU:
            g, col, _ = self.u_terms[k - self.nJ]
            return f"output column x[{col}] (multiplied by game signal entry {g} in the leader's objective)"
        j = int(self.K[k - self.nJ - self.nU])
        return (f"r = Bs[:, {j}]ᵀz (the dual value of the constraint right-hand sides that signal "
                f"{self.labels[j]} moves)")

    def factors(self, x: np.ndarray, z: np.ndarray | None = None) -> np.ndarray:
        """The product factors [v_J, y_U, r_K] at a canonical point x (n,) and dual z (m,).

        ``z`` may be omitted when the follower has no signal in its constraints (nK = 0).
        """
        if z is None:
            if self.nK:
                raise ValueError(f"follower '{self.name}': the factors r = Bs_kᵀz need the dual z")
            r = np.zeros(0)
        else:
            r = self.BK @ np.asarray(z, dtype=float)
        return np.concatenate([self.QJ @ x, np.asarray(x)[self.U_col], r])

    def _conic_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """min / max of each factor over primal and dual feasibility with σ_loc in :attr:`sig_box`.

        The program is over (x, z, σ_loc) and keeps every exact row but strong duality (the
        only one with products). ±inf where unbounded (or not solved); a follower without a
        feasible point in the box raises :class:`ReformulationError`.
        """
        dirs = self.directions()
        lo, hi = np.full(len(dirs), -np.inf), np.full(len(dirs), np.inf)
        if not dirs:
            return lo, hi
        nv = self.iw
        A, b, cones = [], [], []
        for Ai, bi, cone, label in zip(self._exact.A, self._exact.b, self._exact.cones, self._exact.labels):
            if label != "strong_duality":
                A.append(sp.csr_matrix(Ai)[:, :nv])
                b.append(bi)
                cones.append(cone)
        slo, shi = self.sig_box
        box_rows, box_b = [], []
        for sign, bound in ((1.0, shi), (-1.0, slo)):
            idx = np.flatnonzero(np.isfinite(bound))
            if idx.size:
                box_rows.append(sign * _select(self.isig + idx, nv))
                box_b.append(sign * bound[idx])
        if box_rows:
            A.append(sp.vstack(box_rows, format="csr"))
            b.append(np.concatenate(box_b))
            cones.append(clarabel.NonnegativeConeT(int(sum(r.shape[0] for r in box_rows))))
        A_all, b_all, P0 = sp.vstack(A, format="csc"), np.concatenate(b), sp.csc_matrix((nv, nv))
        solver = new_solver(P0, np.zeros(nv), A_all, b_all, cones, BASE_SETTINGS)
        for k, dvec in enumerate(dirs):
            q = np.zeros(nv)
            q[: self.n + self.m] = dvec
            for sign, out in ((1.0, lo), (-1.0, hi)):
                solver.update(q=sign * q)
                found = solve_conic(P0, sign * q, A_all, b_all, cones, BASE_SETTINGS, solver=solver)
                if found.status == "infeasible":
                    raise ReformulationError(f"follower '{self.name}' has no feasible point with its signals in "
                                             "their box (primal or dual infeasible)")
                if found.ok:
                    out[k] = sign * min(float(found.raw.obj_val), float(found.raw.obj_val_dual))
        return lo, hi

    def open_factors(self) -> list[int]:
        """Factors whose initial bounds are not finite yet (to be completed by the caller)."""
        lo, hi = self.bounds0
        return [k for k in range(self.n_factors) if not (np.isfinite(lo[k]) and np.isfinite(hi[k]))]

    def set_initial_bounds(self, lo: np.ndarray, hi: np.ndarray) -> None:
        """Replace the initial factor bounds (e.g. by bounds over the KKT set, valid by construction)."""
        self.bounds0 = (np.asarray(lo, dtype=float).copy(), np.asarray(hi, dtype=float).copy())
        self.box_v = (self.bounds0[0].copy(), self.bounds0[1].copy())

    def require_finite_bounds(self) -> None:
        """Raise :class:`ReformulationError` naming the first factor without finite bounds."""
        for k in self.open_factors():
            raise ReformulationError(f"follower '{self.name}': {self.factor_label(k)} is unbounded over the "
                                     "bilevel-feasible set; McCormick envelopes need finite bounds")

    def reset_bounds(self) -> None:
        """Factor bounds back to the initial bounds."""
        self.box_v = (self.bounds0[0].copy(), self.bounds0[1].copy())

    def tighten_bounds(self, sig_lo: np.ndarray, sig_hi: np.ndarray) -> int:
        """One OBBT sweep: min / max of every factor over this follower's relaxation on the σ_loc box.

        Returns the number of failed sub-solves (their old bound is kept, which is valid).
        """
        dirs = self.directions()
        if not dirs:
            return 0
        A, b, cones = self.system(sig_lo, sig_hi)
        P0 = sp.csc_matrix((self.N, self.N))
        solver = new_solver(P0, np.zeros(self.N), A, b, cones, BASE_SETTINGS)
        lo, hi = self.box_v[0].copy(), self.box_v[1].copy()
        failures = 0
        for k, dvec in enumerate(dirs):
            q = np.zeros(self.N)
            q[: self.n + self.m] = dvec
            for sign in (1.0, -1.0):
                solver.update(q=sign * q)
                found = solve_conic(P0, sign * q, A, b, cones, BASE_SETTINGS, solver=solver)
                self.solver_s += found.solve_time
                if not found.ok:
                    failures += 1
                    continue
                # the weaker of the primal and dual objectives, less a margin: stays a valid bound
                value = sign * min(float(found.raw.obj_val), float(found.raw.obj_val_dual))
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
        """McCormick rows of w, u and t, bounds of v / y / r and of σ_loc, as COO triplets + rhs.

        Rows per product: the four envelope rows of :func:`gamecore.relaxations.envelope_rows`
        (signal s as x, factor f as y), then f ≤ yU and −f ≤ −yL (all ``≤``, nonnegative
        slack); products ordered w, u, t; then σ_loc ≤ hi and −σ_loc ≤ −lo. The sparsity
        pattern is fixed; only values change with the box, so rows/cols are computed once and
        values are vectorised per call.
        """
        vlo, vhi = self.box_v
        if not (np.isfinite(vlo).all() and np.isfinite(vhi).all()):
            self.require_finite_bounds()
        rows, cols, kinds, _ = self._box_pattern
        # per product: signal box (xL, xU) and factor box (yL, yU), products ordered w, u, t
        sloc = self.product_signals()
        xL, xU = sig_lo[sloc], sig_hi[sloc]
        yL, yU = vlo, vhi
        coef_s, coef_env, rhs = envelope_rows(xL, xU, yL, yU)
        coef_f = np.concatenate([coef_env, np.ones_like(xL)[None, :], -np.ones_like(xL)[None, :]])
        vals = np.empty(rows.size)
        # kinds: 0 = factor entry (value = coef_f[g][r] * V value), 1 = signal entry, 2 = product, 3 = box
        fv, g, r = self._box_values
        mask = kinds == 0
        vals[mask] = coef_f[g[mask], r[mask]] * fv[mask]
        mask = kinds == 1
        vals[mask] = coef_s[g[mask], r[mask]]
        mask = kinds == 2
        vals[mask] = W_SIGN[g[mask]]
        mask = kinds == 3
        vals[mask] = np.where(g[mask] == 0, 1.0, -1.0)
        b = np.concatenate([rhs.ravel(), yU, -yL, sig_hi, -sig_lo])
        return rows, cols, vals, b

    def product_signals(self) -> np.ndarray:
        """σ_loc position of each product, ordered w, u, t."""
        return np.concatenate([self.J_loc, self.U_loc, self.K_loc]).astype(int)

    def _make_box_pattern(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Rows/cols of the box block (relative row numbers) and what each entry's value is."""
        # factor rows over the (x, z) columns of ξ: v = QJ x, y = x[U_col], r = BK z
        E = sp.csr_matrix((np.ones(self.nU), (np.arange(self.nU), self.U_col)), shape=(self.nU, self.n))
        V = sp.coo_matrix(sp.bmat([[self.QJ, sp.csr_matrix((self.nJ, self.m))],
                                   [E, sp.csr_matrix((self.nU, self.m))],
                                   [sp.csr_matrix((self.nK, self.n)), self.BK]]))
        nprod = self.n_factors
        sloc = self.product_signals()
        prod = np.concatenate([self.iw + np.arange(self.nJ), self.iu + np.arange(self.nU),
                               self.it + np.arange(self.nK)]).astype(int)
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
        def cat(parts, dt=int):
            return np.concatenate(parts).astype(dt) if parts else np.zeros(0, dt)
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
        if sig_lo is None:
            A, b, cones = self.exact_system()
        else:
            assert sig_hi is not None, "violations: sig_lo and sig_hi are given together"
            A, b, cones = self.system(sig_lo, sig_hi)
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
        """ξ (N,) of (x, z) at game signals ``sigma_game`` with exact products w = σ∘v, u = σ∘y, t = σ∘r."""
        xi = np.zeros(self.N)
        x, z = np.asarray(x, dtype=float), np.asarray(z, dtype=float)
        xi[: self.n], xi[self.iz: self.iz + self.m] = x, z
        sig = np.asarray(sigma_game, dtype=float)[self.local]
        xi[self.isig: self.isig + self.S] = sig
        xi[self.iw: self.N] = sig[self.product_signals()] * self.factors(x, z)
        return xi

    def sigma(self, xi: np.ndarray) -> np.ndarray:
        """σ_loc part of ξ."""
        return xi[self.isig: self.isig + self.S]

    def products(self, xi: np.ndarray, sigma_game: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(relaxed products [w, u, t] of ξ, exact products σ·[v, y, r]) at game signals ``sigma_game``."""
        factors = self.factors(xi[: self.n], xi[self.iz: self.iz + self.m])
        sig = np.asarray(sigma_game, dtype=float)[self.local[self.product_signals()]]
        return xi[self.iw: self.N].copy(), sig * factors

    def cost_value(self, xi: np.ndarray) -> float:
        """The leader's bilinear terms on this follower, ``cost · ξ`` (minimisation form)."""
        return float(self.cost @ xi)



#: seconds per SOS1 MIP of :func:`complete_bounds`
FACTOR_MIP_TIME_S = 30.0


def complete_bounds(game: Game, relaxations: Sequence[FollowerRelaxation | None],
                    time_limit: float = FACTOR_MIP_TIME_S) -> int:
    """Finite initial bounds for every product factor: conic bounds, then bounds over the KKT set.

    Where a factor's bound over its follower's primal and dual feasible sets
    (:attr:`FollowerRelaxation.lp_bounds`) is infinite — a dual value r = Bs_kᵀz, whose
    dual feasible set is unbounded, or a quantity bounded only by optimality (consumers with
    ``d ≥ 0`` only) — it is replaced by min / max of the factor over the KKT conditions of
    its follower with σ in the declared box (:meth:`gamecore.kkt.KKTModel.expression_bounds`,
    one SOS1 MIP per open side; with a single follower the leader's constraints are
    included), the dual restricted to its minimum-norm element. These bounds hold at every
    bilevel-feasible point lifted by that dual, so the McCormick relaxation built on them
    cuts no bilevel-feasible point.

    Args:
        game: the game the relaxations belong to (follower i ↔ ``relaxations[i]``).
        relaxations: one per follower (None: skipped).
        time_limit: seconds per MIP.

    Returns:
        the number of MIPs solved.

    Raises:
        ReformulationError: naming the follower and factor when a bound stays infinite
            (unbounded over the bilevel-feasible set, or not proven within the time limit),
            when the follower needs the KKT bounds but is outside their scope (second-order
            cones), or when its KKT set is empty (no bilevel-feasible point).
    """
    from gamecore.kkt import AffineExpression, KKTModel

    model: KKTModel | None = None
    solved = 0
    for i, rel in enumerate(relaxations):
        if rel is None:
            continue
        open_ = rel.open_factors()
        if not open_:
            continue
        if model is None:
            try:
                model = KKTModel(game)
            except StrategyError as err:
                raise ReformulationError(f"follower '{rel.name}': {rel.factor_label(open_[0])} is unbounded over its "
                                         "feasible set, and its bounds over the KKT conditions cannot be computed "
                                         f"({err}); McCormick envelopes need finite bounds") from None
        lo, hi = rel.bounds0[0].copy(), rel.bounds0[1].copy()
        dirs = rel.directions()
        exprs, sides = [], []
        for k in open_:
            exprs.append(AffineExpression(i, x=dirs[k][: rel.n], z=dirs[k][rel.n:]))
            sides.append("both" if not np.isfinite(lo[k]) and not np.isfinite(hi[k])
                         else "lower" if not np.isfinite(lo[k]) else "upper")
        found = model.expression_bounds(exprs, time_limit=time_limit, followers=[i], sides=sides)
        solved += sum(2 if s == "both" else 1 for s in sides)
        for k, bound, side in zip(open_, found, sides):
            statuses = {bound.lower_status, bound.upper_status} - {"skipped"}
            if "infeasible" in statuses:
                raise ReformulationError(f"follower '{rel.name}': its KKT conditions have no solution with the "
                                         "signals in their box: the bilevel problem is infeasible")
            if side != "upper" and np.isfinite(bound.lower):
                lo[k] = bound.lower
            if side != "lower" and np.isfinite(bound.upper):
                hi[k] = bound.upper
            if not (np.isfinite(lo[k]) and np.isfinite(hi[k])):
                status = bound.lower_status if not np.isfinite(lo[k]) else bound.upper_status
                if status in ("unbounded", "infeasible_or_unbounded"):
                    raise ReformulationError(f"follower '{rel.name}': {rel.factor_label(k)} is unbounded over the "
                                             "bilevel-feasible set; McCormick envelopes need finite bounds")
                raise ReformulationError(f"follower '{rel.name}': no finite bound on {rel.factor_label(k)} could be "
                                         f"proven over the bilevel-feasible set (SCIP: {status}, time limit "
                                         f"{time_limit:g} s per MIP); McCormick envelopes need finite bounds")
        rel.set_initial_bounds(lo, np.maximum(hi, lo))
    return solved
