"""Optimistic selection: the leader-best point of the followers' optimal sets at fixed signals.

In the optimistic Stackelberg notion a follower with several optimal responses picks the one
best for the leader. At fixed signals σ this is one convex program over all followers::

    minimize    F(σ, Σ_i y_i)                       (the leader's first objective, min form)
    subject to  x_i ∈ X_i(σ)                         (follower i's feasible set)
                P_i x_i = P_i x_i*,  q_i(σ)ᵀ x_i ≤ q_i(σ)ᵀ x_i* + δ_i     (x_i optimal)
                leader constraints (σ, Σ_i y_i)

where x_i* is any optimal response. The optimality rows are exact, not a level-set
relaxation: for a convex quadratic ½xᵀPx + qᵀx over a convex set, the optimal set is
``{x feasible : P x = P x*, qᵀx = qᵀx*}`` (along a segment between two optima the objective
is constant, so P(x − x*) = 0 and then qᵀ(x − x*) = 0). So the leader can gain only O(δ)
from the tolerance δ that absorbs solver error, not O(√δ) as from ``J_i(x) ≤ φ_i + δ``.

Used by the certificate (``optimistic_gap``) and by strategies that report optimistic
responses. For strategies that evaluate many signal vectors, the same rows serve a cheaper
per-follower selection in the follower's own canonical form (:func:`select_in_optimal_set`,
run in the pool's workers by :meth:`FollowerPool.respond_many_tied`), with the leader's
objective as seen by that follower given by :class:`LeaderModel` (:class:`TieBreak`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from gamecore.assembly import AssembledProgram, ConicProgram
from gamecore.canonical import CanonicalProgram, Response, cone_violation, symmetric
from gamecore.errors import GameDefinitionError
from gamecore.game import Game
from gamecore.upper_level import cost_outputs

#: relative tolerance of the optimality rows (absorbs the follower solver's error)
FACE_TOL = 1e-7


@dataclass
class OptimisticSelection:
    """Result of :func:`optimistic_selection`.

    Attributes:
        value: the leader's first objective (minimisation form) at the selection; None if
            not computed.
        responses: the selected responses (canonical ``x`` kept), follower order.
        status: ``"optimal"``, or why it was not computed (``"infeasible"``, ``"unsupported: ..."``).
        signals: the signal vector (game layout) the value is at: the given one with the
            leader's own entries (:attr:`gamecore.game.Game.leader_only`) at their leader-best
            values; None if not computed.
    """

    value: float | None
    responses: list[Response] | None
    status: str
    signals: np.ndarray | None = None


def follower_rows(prog: CanonicalProgram, x: cp.Variable, rhs: np.ndarray | cp.Expression) -> list[cp.Constraint]:
    """``A x + s = rhs, s ∈ K`` as cvxpy constraints (zero, nonnegative and second-order cones).

    ``rhs`` is ``b(σ)`` at fixed signals (array) or an affine cvxpy expression of signal
    variables (e.g. ``b0 + Bs @ σ``).
    """
    A = sp.csr_matrix(prog.A)
    d = prog.dims
    rows: list[cp.Constraint] = []
    start = 0
    if d.zero:
        rows.append(A[start:start + d.zero] @ x == rhs[start:start + d.zero])
        start += d.zero
    if d.nonneg:
        rows.append(A[start:start + d.nonneg] @ x <= rhs[start:start + d.nonneg])
        start += d.nonneg
    for size in d.soc:
        r = rhs[start:start + size] - A[start:start + size] @ x
        rows.append(cp.SOC(r[0], r[1:]))
        start += size
    return rows


@dataclass
class _OptimalSetBlocks:
    """The optimality rows of the module docstring at one point: ``|Pu x − target| ≤ slack`` (the
    rows of P that are not empty; ``Pu`` None for an LP) and ``q(σ)ᵀx ≤ level``."""

    Pu: sp.csr_matrix | None
    target: np.ndarray
    slack: float
    q: np.ndarray
    level: float


def _used_rows(prog: CanonicalProgram) -> sp.csr_matrix | None:
    """The non-empty rows of the symmetric P (None for an LP), computed once per program."""
    def build() -> sp.csr_matrix | None:
        P = symmetric(prog.P)
        used = np.flatnonzero(np.diff(P.indptr) > 0)
        return P[used] if used.size else None
    return prog.memo("optimal_set.P_rows", build)


def _optimal_set_blocks(prog: CanonicalProgram, sigma: np.ndarray, x_star: np.ndarray,
                        tol: float = FACE_TOL) -> _OptimalSetBlocks:
    """The one definition of the optimality rows, used by :func:`optimistic_selection` and
    :func:`select_in_optimal_set` (canonical rows)."""
    Pu = _used_rows(prog)
    q = prog.q(sigma)
    target, slack = np.zeros(0), 0.0
    if Pu is not None:
        target = Pu @ x_star
        slack = tol * max(1.0, float(np.abs(target).max()))
    level = float(q @ x_star)
    bound = level + tol * max(1.0, abs(prog.objective_at(x_star, sigma)), abs(level))
    return _OptimalSetBlocks(Pu, target, slack, q, bound)


def _supported(game: Game) -> str | None:
    for f in game.followers:
        d = f.program.dims
        if d.exp or d.psd or d.p3d:
            return f"follower '{f.name}' has exponential/PSD/power cones"
    if not game.leader.objectives:
        return "the leader has no objective"
    return None


def _own_bilinear(game: Game) -> str | None:
    """Why the leader's own entries cannot be chosen by a convex program together with the
    followers' responses (a bilinear term pricing follower outputs with one of them), or None."""
    if not game.has_leader_only:
        return None
    for obj in game.leader.objectives:
        for term in obj.bilinear:
            if game.leader_only[game.layout.slices[term.signal]].any():
                return (f"bilinear term '{term.signal}' x '{term.output}' of objective '{obj.name}' prices follower "
                        f"outputs with the leader's own signal '{term.signal}' (not convex jointly)")
    return None


def optimistic_selection(game: Game, signal_vector: np.ndarray, best: Sequence[Response],
                         objective: int = 0) -> OptimisticSelection:
    """The leader-best selection from the followers' optimal sets at ``signal_vector``.

    One convex program assembled from the followers' canonical data and the leader's
    compiled program (:meth:`gamecore.game.Game.leader_program`), solved by Clarabel
    directly (:class:`gamecore.assembly.ConicProgram`; nothing is recompiled per call).
    The leader's own signal entries (:attr:`gamecore.game.Game.leader_only`: no follower
    sees them) are chosen in the same program, within their declared box: at fixed signals
    the followers see, the leader picks its own decisions and the followers' tie-breaking
    together (both are the leader's choice in the optimistic reading).

    Args:
        game: a game whose leader has an objective.
        signal_vector: final signals (game layout).
        best: an optimal response per follower at these signals, with canonical ``x``.
        objective: which leader objective to optimise (index; several objectives have no
            single optimistic selection, the first is the convention).
    """
    reason = _supported(game) or _own_bilinear(game)
    if reason is None and any(r.x is None or not r.ok for r in best):
        reason = "a follower's optimal response is missing"
    if reason is not None:
        return OptimisticSelection(None, None, f"unsupported: {reason}")
    try:
        leader = game.leader_program(objective)
    except GameDefinitionError as err:
        return OptimisticSelection(None, None, f"unsupported: {err}")
    layout = game.layout
    sigma = np.clip(np.asarray(signal_vector, dtype=float), layout.lower(), layout.upper())
    obj = game.leader.objectives[objective]
    problem = ConicProgram()
    cols = []
    for i, f in enumerate(game.followers):
        prog = f.program
        sig_i = game.follower_signals(i, sigma)
        block = problem.variables(prog.n)
        cols.append(block)
        problem.add_program_rows(block, prog, sig_i)
        rows = _optimal_set_blocks(prog, sig_i, np.asarray(best[i].x))
        if rows.Pu is not None:
            problem.add_rows([(block, rows.Pu)], rows.target + rows.slack, "nonneg")
            problem.add_rows([(block, -rows.Pu)], rows.slack - rows.target, "nonneg")
        problem.add_rows([(block, rows.q[None, :])], [rows.level], "nonneg")
    for term in obj.bilinear:           # σ is fixed: each bilinear term is linear in the outputs
        price = sigma[layout.slices[term.signal]]
        for i in game.senders(term.output, term.followers):
            out_cols = game.followers[i].program.outputs[term.output][0]
            problem.add_objective(cols[i][out_cols], q=leader.sign * term.weight * price)
    own = game.leader_only if game.has_leader_only else None
    w = problem.add_leader(leader, game, cols, sigma_value=sigma, free=own)
    solution = problem.solve()
    if solution.x is None:
        return OptimisticSelection(None, None, solution.status)
    if own is not None:
        sigma = sigma.copy()
        sigma[own] = np.clip(solution.x[w[leader.sigma_cols[own]]], layout.lower()[own], layout.upper()[own])
    responses = []
    for i, f in enumerate(game.followers):
        x = solution.x[cols[i]]
        sig_i = game.follower_signals(i, sigma)
        responses.append(Response("optimal", f.program.outputs_of(x), f.program.objective_at(x, sig_i), 0.0, 0, x))
    value_at = float(game.leader_objectives(layout.unpack(sigma), responses)[objective])
    return OptimisticSelection(value_at, responses, "optimal", sigma)


def leader_recourse(game: Game, signal_vector: np.ndarray, responses: Sequence[Response],
                    objective: int = 0) -> OptimisticSelection:
    """The leader's own entries (:attr:`gamecore.game.Game.leader_only`) at their best for fixed responses.

    ``minimize F(σ, Σ_i y_i)`` over the leader-only entries of σ within their declared box,
    subject to the leader's constraints, with the entries the followers see and the
    responses fixed: one convex program (the compiled leader program with the aggregates
    fixed; a bilinear term on a leader-only signal is linear here). This is the true
    leader objective at the signals the followers see when the leader's own decisions (e.g.
    its dispatch) are not part of what it announces. Returns the completed signal vector in
    ``signals`` and its objective value (minimisation form, evaluated by the game); ``value``
    None with ``status`` ``"infeasible"`` when no own decisions meet the leader's
    constraints at these responses. A game without leader-only entries returns the point
    itself with its value.
    """
    layout = game.layout
    sigma = np.clip(np.asarray(signal_vector, dtype=float), layout.lower(), layout.upper())
    if any(not r.ok for r in responses):
        return OptimisticSelection(None, None, "a follower's optimal response is missing")
    if not game.has_leader_only:
        value = float(game.leader_objectives(layout.unpack(sigma), responses)[objective])
        return OptimisticSelection(value, list(responses), "optimal", sigma)
    try:
        leader = game.leader_program(objective)
    except GameDefinitionError as err:
        return OptimisticSelection(None, None, f"unsupported: {err}")
    aggregates = game.aggregates(responses)
    own = np.flatnonzero(game.leader_only)
    obj = game.leader.objectives[objective]
    if _own_bilinear(game) is None:
        # the program is the same at every point but for the fixed entries and the aggregates
        # (its right-hand side): assembled once per game
        cached = game.memo(("leader_recourse", objective), lambda: _recourse_program(game, objective))
        b = cached.program.b.copy()
        if "sigma" in cached.program.rows:         # absent when no follower sees any signal
            b[cached.program.rows["sigma"]] = sigma[~game.leader_only]
        for o in leader.agg_cols:
            b[cached.program.rows[f"agg:{o}"]] = np.ravel(aggregates[o])
        solution = cached.program.solve(b)
        w = cached.w
    else:
        problem = ConicProgram()
        w = problem.add_leader(leader, game, sigma_value=sigma, free=game.leader_only,
                               aggregate_values={o: aggregates[o] for o in leader.agg_cols})
        for term in obj.bilinear:           # the aggregates are fixed: linear in the leader's own entries
            sl = layout.slices[term.signal]
            entries = np.arange(sl.start, sl.stop)
            mine = game.leader_only[entries]
            if mine.any():
                per_follower = {f.name: r.outputs for f, r in zip(game.followers, responses)}
                quantity = obj.bilinear_quantity(term, aggregates, per_follower)
                shape = layout.signals[term.signal].shape
                # d/dσ Σ σ·quantity (broadcast as LeaderObjective.value does), on the signal's shape
                grad = np.broadcast_to(quantity, np.broadcast_shapes(shape, quantity.shape))
                grad = grad.reshape(-1, *shape).sum(axis=0) if grad.shape != shape else grad
                quantity = np.ravel(grad) if shape else np.array([float(np.sum(quantity))])
                problem.add_objective(w[leader.sigma_cols[entries[mine]]],
                                      q=leader.sign * term.weight * quantity[mine])
        solution = problem.solve()
    if solution.x is None:
        return OptimisticSelection(None, None, solution.status)
    sigma = sigma.copy()
    sigma[own] = np.clip(solution.x[w[leader.sigma_cols[own]]], layout.lower()[own], layout.upper()[own])
    value = float(game.leader_objectives(layout.unpack(sigma), responses)[objective])
    return OptimisticSelection(value, list(responses), "optimal", sigma)


@dataclass(frozen=True)
class _Recourse:
    """The recourse program of :func:`leader_recourse` assembled once (placeholder right-hand side)
    and the columns ``w`` of the leader's block in it."""

    program: AssembledProgram
    w: np.ndarray


def _recourse_program(game: Game, objective: int) -> _Recourse:
    leader = game.leader_program(objective)
    problem = ConicProgram()
    zeros = {o: np.zeros(cols.size) for o, cols in leader.agg_cols.items()}
    w = problem.add_leader(leader, game, sigma_value=game.layout.midpoint(), free=game.leader_only,
                           aggregate_values=zeros)
    return _Recourse(problem.assemble(), w)


# ------------------------------------------------------------------------------------------
# Cheap per-follower tie-breaking (for strategies that evaluate many signal vectors)
# ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class TieBreak:
    """What a follower minimises over its optimal set: ``½ yᵀ H y + cᵀ y``.

    ``y`` is the follower's outputs, flattened in ``program.outputs`` order (each output in C
    order): the leader's objective (or a model of it) as seen by this follower. ``H`` is a
    dense PSD (n_out, n_out) matrix, or None (linear).
    """

    c: np.ndarray
    H: np.ndarray | None = None

    @property
    def floats(self) -> int:
        """Floats carried when sent to a worker."""
        return int(self.c.size + (self.H.size if self.H is not None else 0))


def output_columns(prog: CanonicalProgram) -> np.ndarray:
    """Columns of ``x`` holding the program's outputs, in ``program.outputs`` order (the ``y`` of
    :class:`TieBreak`)."""
    cols = [c for c, _ in prog.outputs.values()]
    return np.concatenate(cols).astype(int) if cols else np.zeros(0, dtype=int)


def outputs_unique(prog: CanonicalProgram) -> bool:
    """True when the outputs are the same at every optimal point, for every signal vector.

    Any two optimal points differ by a direction v with ``P v = 0`` (module docstring) and
    ``A_eq v = 0``; an output column j cannot change along such directions when the unit
    vector e_j lies in the row space of ``[P; A_eq]`` (checked by least squares, one output
    column at a time). A sufficient condition: False may still be unique (e.g. an LP whose
    optimum is a vertex), which costs a tie-break solve but is never wrong; a strictly convex
    follower (P positive definite on the variables its outputs depend on) gives True.
    """
    from scipy.sparse.linalg import lsqr

    P = symmetric(prog.P)
    M = sp.vstack([P, sp.csr_matrix(prog.A)[: prog.dims.zero]], format="csr")
    if M.nnz == 0:
        return output_columns(prog).size == 0
    MT = sp.csr_matrix(M.T)
    for j in output_columns(prog):
        e = np.zeros(prog.n)
        e[j] = 1.0
        sol = lsqr(MT, e, atol=1e-13, btol=1e-13, iter_lim=20 * prog.n + 100)[0]
        if np.abs(e - MT @ sol).max() > 1e-8:
            return False
    return True


@dataclass
class _TieData:
    """Per-program data of :func:`select_in_optimal_set`, built once: the constraint matrix with the
    optimality rows stacked below (the q(σ) row dense, its entries updated per call) and the
    upper-triangle pattern of the outputs' Hessian block."""

    A: sp.csc_matrix
    q_slots: np.ndarray        # positions in A.data of the q row, by column
    cols: np.ndarray           # output columns
    P_indptr: np.ndarray       # csc pattern of the outputs' upper-triangle block
    P_indices: np.ndarray
    H_index: np.ndarray        # entry of H (flat) for each stored P entry


def _tie_data(prog: CanonicalProgram) -> _TieData:
    def build() -> _TieData:
        n = prog.n
        Pu = _used_rows(prog)
        blocks = [sp.csr_matrix(prog.A)] + ([Pu, -Pu] if Pu is not None else [])
        dense_q = sp.csr_matrix((np.ones(n), (np.zeros(n, dtype=int), np.arange(n))), shape=(1, n))
        A = sp.vstack(blocks + [dense_q], format="csc")
        A.sort_indices()
        last = A.shape[0] - 1
        slots = np.empty(n, dtype=int)
        for c in range(n):
            lo, hi = A.indptr[c], A.indptr[c + 1]
            slots[c] = lo + int(np.flatnonzero(A.indices[lo:hi] == last)[0])
        cols = output_columns(prog)
        rows_H, cols_H = np.meshgrid(np.arange(cols.size), np.arange(cols.size), indexing="ij")
        upper = cols[rows_H] <= cols[cols_H]
        ri, ci = rows_H[upper], cols_H[upper]
        pattern = sp.csc_matrix((ri * cols.size + ci + 1.0, (cols[ri], cols[ci])), shape=(n, n))
        pattern.sort_indices()
        return _TieData(A, slots, cols, pattern.indptr, pattern.indices, (pattern.data - 1).astype(int))
    return prog.memo("optimal_set.tie_data", build)


def select_in_optimal_set(prog: CanonicalProgram, sigma: np.ndarray, x_star: np.ndarray,
                          tie: TieBreak, tol: float = FACE_TOL) -> tuple[str, np.ndarray | None, float, int]:
    """Minimise ``tie`` over the follower's optimal set through ``x_star`` at signals ``sigma``.

    One Clarabel program in the follower's canonical form: its feasible set plus the rows of
    :func:`_optimal_set_blocks` as ``Pu x ≤ target + slack``, ``−Pu x ≤ −(target − slack)``,
    ``q(σ)ᵀx ≤ level`` (exact, see the module docstring), objective ``½ yᵀHy + cᵀy`` on the
    output columns. Returns ``(status, x or None, seconds, iterations)``.
    """
    sigma = np.asarray(sigma, dtype=float)
    data = _tie_data(prog)
    n = prog.n
    blocks = _optimal_set_blocks(prog, sigma, np.asarray(x_star, dtype=float), tol)
    A = data.A.copy()
    A.data[data.q_slots] = blocks.q
    h_parts = [blocks.target + blocks.slack, -(blocks.target - blocks.slack)] if blocks.Pu is not None else []
    h = np.concatenate(h_parts + [np.array([blocks.level])])
    q = np.zeros(n)
    q[data.cols] = np.asarray(tie.c, dtype=float).ravel()
    if tie.H is not None:
        values = np.asarray(tie.H, dtype=float).ravel()[data.H_index]
        P = sp.csc_matrix((values, data.P_indices, data.P_indptr), shape=(n, n))
    else:
        P = sp.csc_matrix((n, n))
    return prog.solve_restricted(sigma, P, q, A, h)


class LeaderModel:
    """One leader objective (minimisation form) and the leader's constraints, fast to evaluate
    at many points, with the tie-break objectives they induce on the followers.

    Exact mode (``exact=True``): the objective's ``cost`` and the leader constraints are
    the game's compiled leader program (:meth:`~gamecore.game.Game.leader_program`) over z = (σ, a), a the
    aggregated outputs; when every auxiliary variable cvxpy introduces is fixed by equality
    rows, they are eliminated and the cost becomes the explicit quadratic
    ``½ zᵀQz + rᵀz + f0`` and the constraints explicit conic rows ``h − G z ∈ K`` (checked
    against cvxpy at random points). Bilinear terms are evaluated as
    :meth:`~gamecore.leader.LeaderObjective.value` does. Otherwise (e.g. a cost with ``abs``
    or a norm) the model falls back to the game's own evaluation (``exact=False``).

    Tie-break objective of follower i (:meth:`tie_breaks`): F as a function of y_i with the
    other followers' outputs at a reference point — in exact mode the second-order model
    ``½ y_iᵀ H_i y_i + c_iᵀ y_i`` with ``H_i`` the cost's Hessian block of i's outputs and
    ``c_i = ∇_{y_i} F(σ, a_ref) − H_i y_i,ref``. It equals F up to a constant (the selection is
    the leader-best point of i's optimal set) when F is linear in the outputs, or quadratic
    and the other followers' reference outputs are their actual responses (always for one
    follower). Otherwise it is a model: in fallback mode the linearisation of F at the
    reference aggregate (central differences, H = 0).
    """

    def __init__(self, game: Game, objective: int = 0, *, check_points: int = 2, seed: int = 0) -> None:
        self.game = game
        self.objective = objective
        obj = game.leader.objectives[objective]
        self.sign = 1.0 if obj.sense == "min" else -1.0
        self._bilinear = replace(obj, cost=None)
        self._obj = obj
        self.outputs = sorted(game.output_shapes)
        sizes = [int(np.prod(game.output_shapes[o], dtype=int)) for o in self.outputs]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(int)
        self.agg_slices = {o: slice(int(starts[k]), int(starts[k + 1])) for k, o in enumerate(self.outputs)}
        self.n_sigma = game.layout.size
        self.n_agg = int(starts[-1])
        # follower i's outputs (program order) -> positions in the aggregate vector
        self._agg_index = []
        for f in game.followers:
            idx = [np.arange(self.agg_slices[o].start, self.agg_slices[o].stop) for o in f.program.outputs]
            self._agg_index.append(np.concatenate(idx).astype(int) if idx else np.zeros(0, dtype=int))
        self._cost_entries: np.ndarray | None = None      # aggregate entries the cost depends on
        self.reason = ""
        self.exact = False
        try:
            self.exact = self._compile(check_points, seed)
        except Exception as err:  # noqa: BLE001 - any failure means: use the game's evaluation
            self.reason = f"{type(err).__name__}: {err}"
            self.exact = False

    # ------------------------------------------------------------------ compilation
    def _compile(self, check_points: int, seed: int) -> bool:
        game = self.game
        layout = game.layout
        compiled = game.leader_program(self.objective)     # compiled once per game, shared with kkt
        prog = compiled.program
        d = prog.dims
        if d.exp or d.psd or d.p3d:
            self.reason = "exponential/PSD/power cones"
            return False
        # z = (σ, a): column of the program per entry of z, or −1 (an output the cost and
        # constraints do not use has no column: its entries do not move F)
        zc = np.full(self.n_sigma + self.n_agg, -1, dtype=int)
        zc[: self.n_sigma] = compiled.sigma_cols
        for o, cols in compiled.agg_cols.items():
            sl = self.agg_slices[o]
            zc[self.n_sigma + sl.start: self.n_sigma + sl.stop] = cols
        present = np.flatnonzero(zc >= 0)
        n, N = prog.n, zc.size
        uc = np.setdiff1d(np.arange(n), zc[present])
        if n > 3000 or n * prog.A.shape[0] > 2e7:
            self.reason = f"{n} canonical variables, {prog.A.shape[0]} rows (too many to eliminate densely)"
            return False
        A = sp.csr_matrix(prog.A).toarray()
        A_eq, b_eq = A[: d.zero], prog.b0[: d.zero]
        E = np.zeros((n, N))
        E[zc[present], present] = 1.0
        e0 = np.zeros(n)
        if uc.size:
            A_u = A_eq[:, uc]
            if A_u.shape[0] < uc.size or np.linalg.matrix_rank(A_u) < uc.size:
                self.reason = "auxiliary variables not fixed by equality rows (epigraph form)"
                return False
            pinv = np.linalg.pinv(A_u)
            E[uc] = -pinv @ A_eq @ E
            e0[uc] = pinv @ b_eq
        P_full = symmetric(prog.P).toarray()
        self.Q = E.T @ P_full @ E
        self.Q = 0.5 * (self.Q + self.Q.T)
        self.r = E.T @ (P_full @ e0 + prog.q0)
        self.f0 = float(0.5 * e0 @ P_full @ e0 + prog.q0 @ e0 + prog.d0)
        # constraint rows h − G z ∈ K; equality rows identically satisfied (auxiliary definitions) dropped
        G, h = A @ E, prog.b0 - A @ e0
        scale = 1e-10 * max(1.0, float(np.abs(A).max(initial=0.0)), float(np.abs(prog.b0).max(initial=0.0)))
        keep_eq = np.flatnonzero((np.abs(G[: d.zero]).max(axis=1, initial=0.0) > scale) | (np.abs(h[: d.zero]) > scale))
        rows = np.concatenate([keep_eq, np.arange(d.zero, A.shape[0])]).astype(int)
        self.G, self.h = G[rows], h[rows]
        self.n_zero, self.n_nonneg, self.soc = int(keep_eq.size), int(d.nonneg), tuple(d.soc)
        # check against the objective's own (cvxpy) evaluation at random points
        cost_only = replace(self._obj, bilinear=())
        rng = np.random.default_rng(seed)
        lo, hi = layout.lower(), layout.upper()
        for _ in range(check_points):
            boxed = np.isfinite(lo) & np.isfinite(hi)
            s = np.where(boxed, lo + rng.random(lo.size) * np.where(boxed, hi - lo, 0.0), rng.normal(size=lo.size))
            a = rng.normal(size=self.n_agg) * 3.0
            aggregates = {o: a[self.agg_slices[o]].reshape(game.output_shapes[o]) for o in self.outputs}
            want = cost_only.minimized(layout.unpack(s), aggregates)
            got = self._cost(np.concatenate([s, a]))
            if not abs(got - want) <= 1e-8 * max(1.0, abs(want)):
                self.reason = f"compiled cost differs from cvxpy's value ({got!r} vs {want!r})"
                return False
        return True

    # ------------------------------------------------------------------ evaluation
    def _cost(self, z: np.ndarray) -> float:
        return float(0.5 * z @ self.Q @ z + self.r @ z + self.f0)

    def aggregate_vector(self, responses: Sequence[Response]) -> np.ndarray:
        """Σ_i y_i over followers, flat, in :attr:`outputs` order."""
        a = np.zeros(self.n_agg)
        for i, r in enumerate(responses):
            if self._agg_index[i].size:
                a[self._agg_index[i]] += np.concatenate([np.ravel(r.outputs[o])
                                                         for o in self.game.followers[i].program.outputs])
        return a

    def value(self, signal_vector: np.ndarray, responses: Sequence[Response]) -> float:
        """The objective (minimisation form) at the given responses."""
        if not self.exact:
            return float(self.game.leader_objectives(self.game.layout.unpack(signal_vector), responses)[self.objective])
        game = self.game
        signals = game.layout.unpack(signal_vector)
        aggregates = game.aggregates(responses)
        per_follower = {f.name: responses[i].outputs for i, f in enumerate(game.followers)}
        bilinear = self._bilinear.minimized(signals, aggregates, per_follower) if self._bilinear.bilinear else 0.0
        z = np.concatenate([np.asarray(signal_vector, float), self.aggregate_vector(responses)])
        return bilinear + self._cost(z)

    def violation(self, signal_vector: np.ndarray, responses: Sequence[Response]) -> float:
        """Relative violation of the leader's constraints (0 if feasible or without any; inf on NaN).

        Exact mode: the largest cone violation of ``h − G z`` over ``max(1, ‖h‖∞)`` (the
        measure of :meth:`CanonicalProgram.infeasibility`); otherwise the game's measure.
        """
        if not self.game.has_leader_constraints:
            return 0.0
        if not self.exact:
            return self.game.leader_violation(signal_vector, responses)
        z = np.concatenate([np.asarray(signal_vector, float), self.aggregate_vector(responses)])
        if not np.isfinite(z).all():
            return float("inf")
        worst = cone_violation(self.h - self.G @ z, self.n_zero, self.n_nonneg, self.soc)
        return worst / max(1.0, float(np.abs(self.h).max(initial=0.0)))

    def signal_constraints(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The leader's linear constraints on the signals alone, ``C σ ≤ d`` (rows flagged in
        ``equality`` hold with ``=``): shapes (r, layout.size), (r,), (r,). Empty without leader
        constraints, outside exact mode, or when every constraint involves follower outputs."""
        n = self.n_sigma
        if not (self.exact and self.game.has_leader_constraints):
            return np.zeros((0, n)), np.zeros(0), np.zeros(0, dtype=bool)
        linear = self.n_zero + self.n_nonneg
        rows = [r for r in range(linear) if not np.any(self.G[r, n:])]
        return (self.G[rows, :n].copy(), self.h[rows].copy(),
                np.array([r < self.n_zero for r in rows], dtype=bool))

    # ------------------------------------------------------------------ tie-breaking
    def _bilinear_gradient(self, i: int, signals: dict[str, np.ndarray]) -> np.ndarray:
        """∂(bilinear terms, min form)/∂y_i, flat in program order."""
        game = self.game
        prog = game.followers[i].program
        parts = {o: np.zeros(int(np.prod(shape, dtype=int))) for o, (_, shape) in prog.outputs.items()}
        for term in self._obj.bilinear:
            if term.output not in parts or i not in game.senders(term.output, term.followers):
                continue
            s = np.asarray(signals[term.signal], dtype=float).ravel()
            size = parts[term.output].size
            g = s if s.size == size else (np.full(size, s.sum()) if size == 1 else np.full(size, s[0]))
            parts[term.output] += self.sign * term.weight * g
        return np.concatenate(list(parts.values())) if parts else np.zeros(0)

    def _cost_gradient(self, sigma: np.ndarray, a: np.ndarray) -> np.ndarray:
        """∇_a cost(σ, a) (min form): exact in exact mode, central differences otherwise."""
        if self.exact:
            z = np.concatenate([sigma, a])
            return (self.Q[self.n_sigma:] @ z) + self.r[self.n_sigma:]
        if self._obj.cost is None:
            return np.zeros(self.n_agg)
        game = self.game
        signals = game.layout.unpack(sigma)

        def at(vec: np.ndarray) -> float:      # the cost (min form) from the game's expression built once
            aggregates = {o: vec[self.agg_slices[o]].reshape(game.output_shapes[o]) for o in self.outputs}
            return self.sign * game.cost_value(self.objective, signals, aggregates)

        grad = np.zeros(self.n_agg)
        if self._cost_entries is None:      # only the outputs the cost uses can move it
            used = cost_outputs(self._obj, self.game.layout, self.game.output_shapes, self.game.leader.name)
            self._cost_entries = np.concatenate(
                [np.arange(self.agg_slices[o].start, self.agg_slices[o].stop) for o in used] or [np.zeros(0, int)])
        for j in map(int, self._cost_entries):
            h = 1e-6 * max(1.0, abs(a[j]))
            up, down = a.copy(), a.copy()
            up[j] += h
            down[j] -= h
            grad[j] = (at(up) - at(down)) / (2 * h)
        return grad

    def tie_breaks(self, signal_vector: np.ndarray, followers: Sequence[int],
                   reference: Sequence[Mapping[str, np.ndarray] | None] | None = None) -> list[TieBreak | None]:
        """One :class:`TieBreak` per follower in the game (None where not in ``followers`` or where
        the leader is indifferent to that follower's outputs).

        Args:
            signal_vector: the signals (game layout) the followers respond to.
            followers: indices of the followers to tie-break.
            reference: per follower (game order) outputs at a reference point (None: zero),
                the "other followers" of the model (class docstring).
        """
        sigma = np.asarray(signal_vector, dtype=float)
        game = self.game
        signals = game.layout.unpack(sigma)
        ref_y = []
        a_ref = np.zeros(self.n_agg)
        for i, f in enumerate(game.followers):
            outs = reference[i] if reference is not None else None
            y = (np.concatenate([np.ravel(outs[o]) for o in f.program.outputs]) if outs is not None and
                 self._agg_index[i].size else np.zeros(self._agg_index[i].size))
            ref_y.append(y)
            a_ref[self._agg_index[i]] += y
        tied = set(followers)
        need_cost = self._obj.cost is not None and tied
        grad_a = self._cost_gradient(sigma, a_ref) if need_cost else np.zeros(self.n_agg)
        out: list[TieBreak | None] = []
        for i in range(game.n_followers):
            if i not in tied or self._agg_index[i].size == 0:
                out.append(None)
                continue
            idx = self._agg_index[i]
            c = self._bilinear_gradient(i, signals) + grad_a[idx]
            H = None
            if self.exact:
                block = self.Q[self.n_sigma + idx][:, self.n_sigma + idx]
                if np.any(block):
                    H = block
                    c = c - H @ ref_y[i]
            if not np.any(c) and H is None:
                out.append(None)
                continue
            out.append(TieBreak(c, H))
        return out
