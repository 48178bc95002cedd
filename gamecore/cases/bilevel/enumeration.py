"""Independent exact verifier for small optimistic bilevel problems.

This module re-solves a :class:`~gamecore.cases.bilevel.problem.BilevelProblem` by methods that
share nothing with the product's ``kkt`` strategy (no big-M MILP, no SCIP), so that the
published optima of the test-problem library can be checked independently.

Contract of :func:`verify`
--------------------------
``verify(problem, method="auto" | "bb" | "grid", ...) -> Verification``

* ``"bb"`` — **complementarity branch-and-bound** (``method="complementarity-bb"`` in the
  result). The follower is convex with linear constraints, so its KKT conditions are
  necessary and sufficient; the optimistic bilevel program is therefore *equivalent* (global
  optima) to ``min F`` over the KKT set

      s = b - Ax x - By y >= 0,  λ >= 0,  λ_j s_j = 0  (every follower inequality row,
                                                       finite y bounds included)
      dy + Rᵀx + Q y + Byᵀλ + Eyᵀμ = 0,   Ex x + Ey y = e,
      Gx x + Gy y <= g,   xl <= x <= xu.

  A node fixes some rows *active* (``s_j = 0``) and some *inactive* (``λ_j = 0``); its
  relaxation drops complementarity of the free rows and is a convex QP (an LP when F is
  linear) when F is jointly convex in (x, y). Relaxations are solved with HiGHS (LPs, dual
  simplex via highspy, or scipy's linprog when highspy is missing) or Clarabel (QPs) and give
  lower bounds; nodes are pruned by bound and by
  infeasibility; the branching row is the free row with the largest ``λ_j s_j``. Upper bounds
  come only from *leaves* — every row fixed active or inactive — whose QP is solved exactly:
  each point of a leaf is bilevel feasible, so the incumbent is always an exactly solved
  leaf (the "polish"). Two heuristics propose leaves at every node: the complementarity
  pattern of the relaxation point, and the pattern of the optimistic follower response at the
  relaxation's x. On termination the incumbent is re-verified by solving the follower at x*
  (``f(x*, y*) <= φ(x*) + tol``, KKT stationarity residual) and the optimistic choice over the
  follower's optimal face; the residuals are reported in the message.
  The result is the global optimum up to the gap tolerance (``gap_tol`` relative, default
  1e-9) and the solvers' accuracy (~1e-9). Requires F jointly convex (PSD Hessian of F in
  (x, y)) — or convex after the *strong-duality substitution* of a bilinear term
  ``Hxy = αR`` when x enters the follower only through its objective (toll setting; see
  :class:`_KKT`); otherwise it raises :class:`VerificationError`.

* ``"grid"`` — for ``n_x <= 2`` and a finite leader box. ``Φ(x) = min F(x, y)`` over the
  follower's optimal face (optimistic choice, with the upper-level constraints) is evaluated
  on a uniform grid (``grid_points`` per dimension, default 2001 for n_x = 1 and 101 for
  n_x = 2); the best few distinct grid points are refined by successive zooming (to 1/1000
  of the spacing for n_x = 1, 1/100 for n_x = 2), then evaluated exactly (the follower's answer is
  snapped onto a leaf of its KKT set) and polished on their leaves (exact QP when F is
  convex, a local SLSQP solve on the leaf polyhedron otherwise); only re-verified
  bilevel-feasible points are reported. This is
  **not** a certificate of global optimality: minima narrower than the grid spacing (e.g. an
  isolated point of a discontinuous Φ, or a feasible set thinner than the spacing) can be
  missed. The optimal face is ``{y feasible : U₊ᵀ y = U₊ᵀ y_f, cᵀ y <= cᵀ y_f + ε}`` (``Q =
  U₊ΛU₊ᵀ``, ``c = dy + Rᵀx``, ``y_f`` a follower optimum) — the solution set of a convex QP —
  so the optimistic choice is a convex QP when ``Hyy`` is PSD (or trivial when ``Q`` is PD).

* ``"auto"`` — ``"bb"`` when it applies (F jointly convex, possibly after the substitution),
  else ``"grid"`` when ``n_x <= 2``, else :class:`VerificationError`.

Outcomes are reported in :class:`Verification` ``status``: ``"optimal"``, ``"infeasible"``
(no bilevel-feasible point: ``f_star = +inf``; proven by the B&B, "no feasible grid point"
for the grid method), ``"unbounded"`` (``f_star = -inf``, a leaf
with an unbounded ray of bilevel-feasible points), ``"limit"`` (time or node limit hit:
``f_star`` is the best verified value, ``lower_bound`` the best bound). Nothing runs longer
than ``time_limit`` seconds (checked between solves) or ``node_limit`` nodes / points.

Dependencies: numpy, scipy (SLSQP), highspy (LPs), clarabel (QPs); the only gamecore import is
:mod:`gamecore.cases.bilevel.problem`.
"""

from __future__ import annotations

import heapq
import itertools
import time
from dataclasses import dataclass
from typing import Literal, TypedDict

import clarabel
import numpy as np
from scipy import sparse
from scipy.optimize import linprog, minimize

try:  # HiGHS directly is ~2x faster than through scipy.optimize.linprog (same solver)
    import highspy
    _HAVE_HIGHSPY = True
except ImportError:  # pragma: no cover - scipy's bundled HiGHS is used instead
    _HAVE_HIGHSPY = False

from gamecore.cases.bilevel.problem import BilevelProblem
from gamecore.solver import ONE_SHOT_SETTINGS
from gamecore.solver import solve as clarabel_solve

__all__ = ["Verification", "VerificationError", "verify"]

Method = Literal["auto", "bb", "grid"]
Status = Literal["optimal", "infeasible", "unbounded", "limit"]

#: complementarity / activity tolerance
TOL_COMP = 1e-7


class VerificationError(ValueError):
    """The requested method cannot verify this problem (non-convex F for "bb", n_x > 2 or an
    infinite leader box for "grid", non-convex optimistic choice, ...)."""


@dataclass(frozen=True)
class Verification:
    """Result of :func:`verify`.

    Attributes:
        f_star: optimum of F (minimisation form); ``+inf`` when infeasible, ``-inf`` when
            unbounded; with ``status == "limit"`` the best verified value found (or ``+inf``).
        x, y: a verified optimal (or best found) point; ``None`` when there is none.
        method: ``"complementarity-bb"`` or ``"grid"``.
        nodes_or_points: B&B nodes processed, or follower evaluations of the grid method.
        wall_s: wall-clock seconds.
        message: human-readable summary (status, gap, verification residuals, resolution).
        status: ``"optimal"``, ``"infeasible"``, ``"unbounded"`` or ``"limit"``.
        lower_bound: proven lower bound (B&B); ``nan`` for the grid method.
        resolution: grid spacing per leader dimension (grid method), else ``None``.
    """

    f_star: float
    x: np.ndarray | None
    y: np.ndarray | None
    method: str
    nodes_or_points: int
    wall_s: float
    message: str
    status: Status = "optimal"
    lower_bound: float = float("nan")
    resolution: tuple[float, ...] | None = None


# ============================================================ standard form of the data
@dataclass
class _Std:
    """The problem with every follower inequality (finite y bounds included) as a row."""

    p: BilevelProblem
    nx: int
    ny: int
    A: np.ndarray  # (mr, nx)
    B: np.ndarray  # (mr, ny)
    b: np.ndarray  # (mr,)
    labels: list[str]
    Ex: np.ndarray
    Ey: np.ndarray
    e: np.ndarray
    Gx: np.ndarray
    Gy: np.ndarray
    g: np.ndarray
    H: np.ndarray  # full Hessian of F in (x, y) (projected onto the PSD cone when F is convex)
    f_convex: bool
    q_pd: bool
    hyy_psd: bool
    Q_range: np.ndarray  # U₊ (ny, r): orthonormal basis of range(Q)

    @property
    def mr(self) -> int:
        return self.b.size

    @property
    def nq(self) -> int:
        return self.e.size


def _psd(mat: np.ndarray) -> bool:
    if mat.size == 0:
        return True
    scale = max(1.0, float(np.abs(mat).max()))
    return float(np.linalg.eigvalsh(0.5 * (mat + mat.T)).min()) >= -1e-9 * scale


def _standardize(p: BilevelProblem) -> _Std:
    nx, ny = p.n_x, p.n_y
    A_rows, B_rows, labels = [p.Ax], [p.By], [f"row{j}" for j in range(p.b.size)]
    b_rows: list[np.ndarray | list[float]] = [p.b]
    eye = np.eye(ny)
    for i in range(ny):
        if np.isfinite(p.yu[i]):
            A_rows.append(np.zeros((1, nx))); B_rows.append(eye[i:i + 1]); b_rows.append([p.yu[i]])
            labels.append(f"y{i}<=yu")
        if np.isfinite(p.yl[i]):
            A_rows.append(np.zeros((1, nx))); B_rows.append(-eye[i:i + 1]); b_rows.append([-p.yl[i]])
            labels.append(f"y{i}>=yl")
    A = np.vstack(A_rows) if A_rows else np.zeros((0, nx))
    B = np.vstack(B_rows) if B_rows else np.zeros((0, ny))
    b = np.concatenate([np.asarray(v, float).ravel() for v in b_rows])
    H = np.block([[p.Hxx, p.Hxy], [p.Hxy.T, p.Hyy]])
    f_convex = _psd(H)
    if f_convex and np.any(H):  # clip round-off negative eigenvalues (|.| <= 1e-9 scale) for the QP solvers
        wh, Vh = np.linalg.eigh(0.5 * (H + H.T))
        H = (Vh * np.maximum(wh, 0.0)) @ Vh.T
    qscale = max(1.0, float(np.abs(p.Q).max()))
    w, V = np.linalg.eigh(p.Q)
    Q_range = V[:, w > 1e-9 * qscale]
    return _Std(p=p, nx=nx, ny=ny, A=A, B=B, b=b, labels=labels, Ex=p.Ex, Ey=p.Ey, e=p.e,
                Gx=p.Gx, Gy=p.Gy, g=p.g, H=H, f_convex=f_convex, q_pd=bool(w.min() > 1e-9 * qscale),
                hyy_psd=_psd(p.Hyy), Q_range=Q_range)


# ============================================================ LP / QP oracle
_OPT, _INF, _UNB, _ERR = "optimal", "infeasible", "unbounded", "error"


@dataclass
class _Sol:
    status: str
    z: np.ndarray | None = None
    obj: float = float("nan")
    dual_in: np.ndarray | None = None  # multipliers >= 0 of the inequality rows (QP path)


_HIGHS_BANNER_SHOWN = False


def _new_highs() -> highspy.Highs:
    """A silent HiGHS instance (the one-time start-up banner is sent to /dev/null)."""
    global _HIGHS_BANNER_SHOWN
    if not _HIGHS_BANNER_SHOWN:
        _HIGHS_BANNER_SHOWN = True
        import os
        import sys
        sys.stdout.flush()
        saved = os.dup(1)
        try:
            with open(os.devnull, "w") as null:
                os.dup2(null.fileno(), 1)
                h = highspy.Highs()
                h.setOptionValue("output_flag", False)
                h.setOptionValue("threads", 1)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        return h
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    return h


def _highs_lp(c: np.ndarray, Aeq: np.ndarray, beq: np.ndarray, Ain: np.ndarray, bin_: np.ndarray,
              lb: np.ndarray, ub: np.ndarray) -> tuple[str, np.ndarray | None, float]:
    """min cᵀz s.t. Aeq z = beq, Ain z <= bin, lb <= z <= ub with HiGHS (simplex, tight tolerances)."""
    n = c.size
    if not _HAVE_HIGHSPY:  # pragma: no cover
        bounds = list(zip([None if not np.isfinite(v) else v for v in lb],
                          [None if not np.isfinite(v) else v for v in ub]))
        res = linprog(c, A_ub=Ain if Ain.shape[0] else None, b_ub=bin_ if Ain.shape[0] else None,
                      A_eq=Aeq if Aeq.shape[0] else None, b_eq=beq if Aeq.shape[0] else None,
                      bounds=bounds, method="highs",
                      options={"primal_feasibility_tolerance": 1e-9, "dual_feasibility_tolerance": 1e-9})
        if res.status == 0:
            return _OPT, np.asarray(res.x), float(res.fun)
        return ({2: _INF, 3: _UNB}.get(res.status, _ERR), None, np.nan)
    inf = highspy.kHighsInf
    At = np.vstack([Aeq, Ain]).T if (Aeq.shape[0] + Ain.shape[0]) else np.zeros((n, 0))
    mask = At != 0  # column-wise (CSC) arrays of [Aeq; Ain] without scipy.sparse overhead
    lp = highspy.HighsLp()
    lp.num_col_ = n
    lp.num_row_ = At.shape[1]
    lp.col_cost_ = np.asarray(c, float)
    lp.col_lower_ = np.where(np.isfinite(lb), lb, -inf)
    lp.col_upper_ = np.where(np.isfinite(ub), ub, inf)
    lp.row_lower_ = np.concatenate([beq, np.full(bin_.size, -inf)])
    lp.row_upper_ = np.concatenate([beq, bin_])
    lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
    lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(mask.sum(axis=1))]).astype(np.int32)
    lp.a_matrix_.index_ = np.nonzero(mask)[1].astype(np.int32)
    lp.a_matrix_.value_ = At[mask]
    h = _new_highs()
    h.setOptionValue("primal_feasibility_tolerance", 1e-9)
    h.setOptionValue("dual_feasibility_tolerance", 1e-9)
    h.passModel(lp)
    h.run()
    st = h.getModelStatus()
    M = highspy.HighsModelStatus
    if st == M.kOptimal:
        return _OPT, np.array(h.getSolution().col_value, dtype=float), float(h.getInfo().objective_function_value)
    if st == M.kInfeasible:
        return _INF, None, np.nan
    if st in (M.kUnbounded, M.kUnboundedOrInfeasible):
        return _UNB, None, np.nan
    return _ERR, None, np.nan


def _solve(P: np.ndarray | None, q: np.ndarray, Aeq: np.ndarray, beq: np.ndarray,
           Ain: np.ndarray, bin_: np.ndarray, lb: np.ndarray, ub: np.ndarray,
           tight: bool = False, duals: bool = False) -> _Sol:
    """min ½zᵀPz + qᵀz s.t. Aeq z = beq, Ain z <= bin, lb <= z <= ub (P PSD or None).

    LPs go to HiGHS (simplex: vertex solutions), QPs (and LPs needing duals) to Clarabel.
    "unbounded" is only returned after the feasible set was confirmed non-empty.
    """
    n = q.size
    is_lp = P is None or not np.any(P)
    if is_lp and not duals:
        st, z, obj = _highs_lp(q, Aeq, beq, Ain, bin_, lb, ub)
        if st == _OPT:
            return _Sol(_OPT, z, obj)
        if st in (_INF, _UNB):
            fst, fz, _ = _highs_lp(np.zeros(n), Aeq, beq, Ain, bin_, lb, ub)
            if fst == _OPT:
                return _Sol(_UNB, fz) if st == _UNB else _Sol(_ERR)
            if fst == _INF:
                return _Sol(_INF)
        return _Sol(_ERR)
    # ---- Clarabel: bounds as rows
    fin_lb, fin_ub = np.isfinite(lb), np.isfinite(ub)
    fixed = fin_lb & fin_ub & (np.abs(ub - lb) <= 0)
    eye = np.eye(n)
    Aeq2 = np.vstack([Aeq, eye[fixed]])
    beq2 = np.concatenate([beq, lb[fixed]])
    lo, hi = fin_lb & ~fixed, fin_ub & ~fixed
    Ain2 = np.vstack([Ain, -eye[lo], eye[hi]])
    bin2 = np.concatenate([bin_, -lb[lo], ub[hi]])
    Pm = sparse.csc_matrix((n, n)) if P is None else sparse.csc_matrix(np.triu(0.5 * (P + P.T)))
    Am = sparse.csc_matrix(np.vstack([Aeq2, Ain2]))
    bm = np.concatenate([beq2, bin2])
    cones = []
    if Aeq2.shape[0]:
        cones.append(clarabel.ZeroConeT(Aeq2.shape[0]))
    if Ain2.shape[0]:
        cones.append(clarabel.NonnegativeConeT(Ain2.shape[0]))
    settings = {**ONE_SHOT_SETTINGS, "max_threads": 1, "max_iter": 400,
                "presolve_enable": False}   # no presolve: keeps the dual vector aligned with our rows
    if tight:
        settings.update(tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11, tol_ktratio=1e-9)
    if not cones:  # unconstrained
        Am = sparse.csc_matrix((1, n))
        bm = np.zeros(1)
        cones = [clarabel.NonnegativeConeT(1)]
    sol = clarabel_solve(Pm, q, Am, bm, cones, settings).raw
    name = str(sol.status).split(".")[-1]
    if name in ("Solved", "AlmostSolved"):
        z = np.asarray(sol.x)
        zd = np.asarray(sol.z)
        dual_in = zd[Aeq2.shape[0]:Aeq2.shape[0] + Ain.shape[0]] if duals else None
        obj = float(q @ z + (0.5 * z @ P @ z if P is not None else 0.0))
        return _Sol(_OPT, z, obj, dual_in)
    if name in ("PrimalInfeasible", "AlmostPrimalInfeasible"):
        return _Sol(_INF)
    if name in ("DualInfeasible", "AlmostDualInfeasible"):
        feas = _solve(None, np.zeros(n), Aeq, beq, Ain, bin_, lb, ub)
        if feas.status == _OPT:
            return _Sol(_UNB, feas.z)
        return _Sol(feas.status)
    if not tight:
        return _Sol(_ERR)
    return _solve(P, q, Aeq, beq, Ain, bin_, lb, ub, tight=False, duals=duals)


# ============================================================ follower and optimistic choice
@dataclass
class _Response:
    status: str  # "ok", "follower_infeasible", "follower_unbounded", "upper_infeasible", "error", "unbounded"
    y: np.ndarray | None = None
    F: float = float("inf")
    phi: float = float("nan")


def _follower(d: _Std, x: np.ndarray) -> _Sol:
    """Solve the follower at x (all inequality rows as rows; y otherwise free). For a QP
    follower the row multipliers λ are returned in ``dual_in``."""
    p = d.p
    c = p.dy + p.R.T @ x
    inf = np.full(d.ny, np.inf)
    return _solve(p.Q, c, d.Ey, d.e - d.Ex @ x, d.B, d.b - d.A @ x, -inf, inf, tight=True,
                  duals=bool(np.any(p.Q)))


def _optimistic(d: _Std, x: np.ndarray, exact: bool = False) -> _Response:
    """Φ(x): the follower's optimal value φ(x) and min F(x, ·) over its optimal face and the
    upper-level constraints.

    Without ``exact`` the face is described with small tolerances (``cᵀy <= cᵀy_f + ε``, ε ~
    1e-9 relative) and a QP follower's solution carries the interior-point error (which can
    be ~sqrt(tol) in y when the follower is flat), so Φ(x) is accurate to ~1e-6 only. With
    ``exact`` the answer is *snapped*: the rows active at the chosen y are fixed active, all
    others get λ = 0, and min F(x, ·) is re-solved over that fixed-x leaf of the KKT set
    (every point of which is exactly follower-optimal)."""
    p = d.p
    fol = _follower(d, x)
    if fol.status == _INF:
        return _Response("follower_infeasible")
    if fol.status == _UNB:
        return _Response("follower_unbounded")
    if fol.status != _OPT:
        return _Response("error")
    yf = fol.z
    assert yf is not None  # an optimal solve carries its point
    c = p.dy + p.R.T @ x
    phi = float(c @ yf + 0.5 * yf @ p.Q @ yf)
    g_rhs = d.g - d.Gx @ x
    up_tol = 1e-8 * (1 + np.abs(d.g).max(initial=0.0) + np.abs(d.Gx @ x).max(initial=0.0))
    if d.q_pd:  # unique response
        if exact:
            snapped = _snap(d, x, yf, fol.dual_in, upper=False)
            if snapped is not None:
                yf = snapped.y
                assert yf is not None  # an "ok" response carries its y
        if d.Gy.shape[0] and (d.Gy @ yf - g_rhs).max() > up_tol:
            return _Response("upper_infeasible", phi=phi)
        return _Response("ok", yf, p.leader_value(x, yf), phi)
    if not d.hyy_psd:
        raise VerificationError(
            f"'{p.name}': Hyy is not PSD and the follower's response need not be unique: the "
            "optimistic choice over the follower's optimal face is a non-convex QP")
    lin = float(c @ yf)
    eps = 1e-9 * max(1.0, abs(lin), float(np.abs(c).sum() * np.abs(yf).max(initial=0.0)))
    rows_A = [d.B, c[None, :], d.Gy]
    rows_b = [d.b - d.A @ x, [lin + eps], g_rhs]
    if d.Q_range.shape[1]:
        U = d.Q_range.T
        delta = 1e-9 * max(1.0, float(np.abs(yf).max()))
        rows_A += [U, -U]
        rows_b += [U @ yf + delta, -(U @ yf) + delta]
    Ain = np.vstack(rows_A)
    bin_ = np.concatenate([np.asarray(v, float).ravel() for v in rows_b])
    qy = p.cy + p.Hxy.T @ x
    inf = np.full(d.ny, np.inf)
    Py = p.Hyy if np.any(p.Hyy) else None
    sol = _solve(Py, qy, d.Ey, d.e - d.Ex @ x, Ain, bin_, -inf, inf, tight=True)
    if sol.status == _INF:
        return _Response("upper_infeasible", phi=phi)
    if sol.status == _UNB:
        return _Response("unbounded", sol.z, -np.inf, phi)
    if sol.status != _OPT:
        return _Response("error", phi=phi)
    y = sol.z
    assert y is not None  # an optimal solve carries its point
    out = _Response("ok", y, p.leader_value(x, y), phi)
    if exact:
        snapped = _snap(d, x, y, fol.dual_in, upper=True)
        if snapped is not None and snapped.F <= out.F + 1e-6 * max(1.0, abs(out.F)):
            return snapped
    return out


def _optimistic_or_none(d: _Std, x: np.ndarray, exact: bool = False) -> _Response:
    """:func:`_optimistic`, with status "nonconvex" instead of an exception when the optimistic
    choice is a non-convex QP (used by heuristics and checks that can do without it)."""
    try:
        return _optimistic(d, x, exact=exact)
    except VerificationError:
        return _Response("nonconvex")


def _snap(d: _Std, x: np.ndarray, y: np.ndarray, lam: np.ndarray | None, upper: bool) -> _Response | None:
    """min F(x, ·) over the fixed-x leaf of the KKT set whose active rows are those active at
    y (scaled slack <= TOL_COMP; failing that, also rows whose multiplier λ exceeds the
    slack); the upper-level constraints are included when ``upper``. ``None`` when no such
    leaf is feasible or the solve fails."""
    p = d.p
    ny, mr, nq = d.ny, d.mr, d.nq
    s = (d.b - d.A @ x - d.B @ y) / _row_scale(d)
    patterns = [np.flatnonzero(s <= TOL_COMP)]
    if lam is not None and lam.size == mr:
        alt = np.flatnonzero((s <= TOL_COMP) | (lam / _row_scale(d) > s))
        if alt.size != patterns[0].size:
            patterns.append(alt)
    n = ny + mr + nq
    stat = np.hstack([p.Q, d.B.T, d.Ey.T])
    rows_in = [np.hstack([d.B, np.zeros((mr, mr + nq))])]
    rhs_in = [d.b - d.A @ x]
    if upper:
        rows_in.append(np.hstack([d.Gy, np.zeros((d.g.size, mr + nq))]))
        rhs_in.append(d.g - d.Gx @ x)
    Ain, bin_ = np.vstack(rows_in), np.concatenate(rhs_in)
    P = None
    if np.any(p.Hyy):
        P = np.zeros((n, n))
        P[:ny, :ny] = p.Hyy
    q = np.concatenate([p.cy + p.Hxy.T @ x, np.zeros(mr + nq)])
    for act in patterns:
        Aeq = np.vstack([stat, np.hstack([d.Ey, np.zeros((nq, mr + nq))]),
                         np.hstack([d.B[act], np.zeros((act.size, mr + nq))])])
        beq = np.concatenate([-(p.dy + p.R.T @ x), d.e - d.Ex @ x, (d.b - d.A @ x)[act]])
        lb = np.concatenate([np.full(ny, -np.inf), np.zeros(mr), np.full(nq, -np.inf)])
        ub = np.full(n, np.inf)
        ub[ny + np.setdiff1d(np.arange(mr), act)] = 0.0
        sol = _solve(P, q, Aeq, beq, Ain, bin_, lb, ub, tight=True)
        if sol.status == _OPT:
            assert sol.z is not None  # an optimal solve carries its point
            y2 = sol.z[:ny]
            return _Response("ok", y2, p.leader_value(x, y2), float(p.follower_value(x, y2)))
    return None


def _residuals(d: _Std, x: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Verification residuals of a claimed bilevel-feasible point (all should be ~0):
    leader box and upper-level violations, follower feasibility, the follower's relative
    optimality gap ``(f(x, y) - φ(x)) / max(1, |φ|)`` and the relative KKT stationarity
    residual ``min ‖dy + Rᵀx + Qy + B_Aᵀλ_A + Eyᵀμ‖`` over λ_A >= 0 on the rows active at y
    (the latter catches points that are only ε-optimal for a flat follower)."""
    from scipy.optimize import nnls

    p = d.p
    box = float(max(np.maximum(p.xl - x, 0).max(initial=0), np.maximum(x - p.xu, 0).max(initial=0)))
    upper = float(np.maximum(d.Gx @ x + d.Gy @ y - d.g, 0).max(initial=0.0))
    fol_in = float(np.maximum(d.A @ x + d.B @ y - d.b, 0).max(initial=0.0))
    fol_eq = float(np.abs(d.Ex @ x + d.Ey @ y - d.e).max(initial=0.0))
    grad = p.dy + p.R.T @ x + p.Q @ y
    act = np.flatnonzero((d.b - d.A @ x - d.B @ y) / _row_scale(d) <= TOL_COMP)
    M = np.hstack([d.B[act].T, d.Ey.T, -d.Ey.T])
    if M.shape[1]:
        _, stat_res = nnls(M, -grad)
    else:
        stat_res = float(np.linalg.norm(grad))
    stat_rel = stat_res / max(1.0, float(np.abs(p.dy).max(initial=0) + np.abs(p.R.T @ x).max(initial=0)
                                         + np.abs(p.Q @ y).max(initial=0)))
    fol = _follower(d, x)
    if fol.status != _OPT:
        return {"box": box, "upper": upper, "follower_feas": max(fol_in, fol_eq), "follower_gap": np.inf,
                "stationarity": stat_rel, "phi": np.nan}
    assert fol.z is not None  # an optimal solve carries its point
    phi = float((p.dy + p.R.T @ x) @ fol.z + 0.5 * fol.z @ p.Q @ fol.z)
    gap = p.follower_value(x, y) - phi
    return {"box": box, "upper": upper, "follower_feas": max(fol_in, fol_eq),
            "follower_gap": gap / max(1.0, abs(phi)), "stationarity": stat_rel, "phi": phi}


def _residuals_ok(r: dict[str, float], tol: float = 1e-6) -> bool:
    return max(r["box"], r["upper"], r["follower_feas"], r["follower_gap"], r["stationarity"]) <= tol


# ============================================================ KKT-set programs (relaxations, leaves)
class _KKT:
    """The KKT reformulation in z = (x, y, λ, μ) and its node / leaf programs.

    The objective is F, or — when F is not jointly convex but x enters the follower only
    through its objective (``Ax = 0``, ``Ex = 0``) and ``Hxy = αR`` up to a jointly convex rest
    — the *strong-duality substitution* F̃: on the KKT set, stationarity and complementarity
    give ``xᵀR y = -bᵀλ - eᵀμ - dyᵀy - yᵀQy``, so

        F̃ = cx·x + (cy - α dy)·y - α bᵀλ - α eᵀμ + ½xᵀHxx x + xᵀ(Hxy - αR)y + ½yᵀ(Hyy - 2αQ)y

    equals F on every KKT point (hence on every leaf) and is used when it is convex: a
    relaxation minimises F̃ over a superset of the node's KKT points, so it is still a valid
    lower bound (toll-setting problems, ``F = -tᵀy``, are the typical case)."""

    def __init__(self, d: _Std) -> None:
        self.d = d
        p = d.p
        nx, ny, mr, nq = d.nx, d.ny, d.mr, d.nq
        self.n = n = nx + ny + mr + nq
        self.ix = slice(0, nx)
        self.iy = slice(nx, nx + ny)
        self.il = slice(nx + ny, nx + ny + mr)
        self.im = slice(nx + ny + mr, n)
        # equalities: stationarity, follower equalities
        stat = np.hstack([p.R.T, p.Q, d.B.T, d.Ey.T])
        feq = np.hstack([d.Ex, d.Ey, np.zeros((nq, mr + nq))])
        self.Aeq0 = np.vstack([stat, feq])
        self.beq0 = np.concatenate([-p.dy, d.e])
        self.rows = np.hstack([d.A, d.B, np.zeros((mr, mr + nq))])  # follower rows <= b
        up = np.hstack([d.Gx, d.Gy, np.zeros((d.g.size, mr + nq))])
        self.Ain0 = np.vstack([self.rows, up])
        self.bin0 = np.concatenate([d.b, d.g])
        self.lb = np.concatenate([p.xl, p.yl, np.zeros(mr), np.full(nq, -np.inf)])
        self.ub = np.concatenate([p.xu, p.yu, np.full(mr, np.inf), np.full(nq, np.inf)])
        self.alpha = 0.0
        H = d.H
        q = np.concatenate([p.cx, p.cy, np.zeros(mr + nq)])
        self.convex = d.f_convex
        if not d.f_convex and np.any(p.R) and not np.any(d.A) and not np.any(d.Ex):
            alpha = float(np.sum(p.Hxy * p.R) / np.sum(p.R * p.R))
            Hs = np.block([[p.Hxx, p.Hxy - alpha * p.R], [(p.Hxy - alpha * p.R).T, p.Hyy - 2 * alpha * p.Q]])
            if _psd(Hs):
                w, V = np.linalg.eigh(0.5 * (Hs + Hs.T))
                H = (V * np.maximum(w, 0.0)) @ V.T
                q = np.concatenate([p.cx, p.cy - alpha * p.dy, -alpha * d.b, -alpha * d.e])
                self.alpha, self.convex = alpha, True
        P = np.zeros((n, n))
        P[:nx + ny, :nx + ny] = H
        self.P = P if np.any(P) else None
        self.q = q

    def program(self, active: frozenset[int], inactive: frozenset[int], box: float | None = None
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        act = sorted(active)
        Aeq = np.vstack([self.Aeq0, self.rows[act]]) if act else self.Aeq0
        beq = np.concatenate([self.beq0, self.d.b[act]]) if act else self.beq0
        lb, ub = self.lb.copy(), self.ub.copy()
        if inactive:
            idx = self.il.start + np.array(sorted(inactive), dtype=int)
            ub[idx] = 0.0
        if box is not None:
            lb = np.maximum(lb, -box)
            ub = np.minimum(ub, box)
            lb = np.minimum(lb, ub)
        return Aeq, beq, self.Ain0, self.bin0, lb, ub

    def solve(self, active: frozenset[int], inactive: frozenset[int], tight: bool = False,
              box: float | None = None) -> _Sol:
        Aeq, beq, Ain, bin_, lb, ub = self.program(active, inactive, box)
        return _solve(self.P, self.q, Aeq, beq, Ain, bin_, lb, ub, tight=tight)

    def slack(self, z: np.ndarray) -> np.ndarray:
        return self.d.b - self.d.A @ z[self.ix] - self.d.B @ z[self.iy]


def _row_scale(d: _Std) -> np.ndarray:
    return 1.0 + np.abs(d.b) + np.abs(d.A).sum(axis=1) + np.abs(d.B).sum(axis=1)


# ============================================================ complementarity B&B
class _Incumbent(TypedDict):
    """The B&B incumbent: an exactly solved leaf (``z`` stacks x, y, λ, μ)."""

    val: float
    z: np.ndarray | None
    active: frozenset[int] | None


class _Best(TypedDict):
    """The best point of the grid method so far."""

    F: float
    x: np.ndarray | None
    y: np.ndarray | None


def _bb(d: _Std, time_limit: float, node_limit: int, gap_tol: float, t0: float) -> Verification:
    p = d.p
    K = _KKT(d)
    if not K.convex:
        raise VerificationError(
            f"'{p.name}': F is not jointly convex in (x, y) (Hessian of F not PSD) and no "
            "strong-duality substitution makes it convex: the complementarity B&B relaxations "
            "would be non-convex; use method='grid' (n_x <= 2)")
    mr = d.mr
    rscale = _row_scale(d)
    leaf_cache: dict[frozenset[int], _Sol] = {}
    inc: _Incumbent = {"val": np.inf, "z": None, "active": None}
    notes: list[str] = []

    def gap(val: float) -> float:
        return gap_tol * max(1.0, abs(val))

    def leaf(active: frozenset[int]) -> _Sol:
        """Solve the leaf (active rows s=0, all others λ=0) exactly; update the incumbent."""
        if active in leaf_cache:
            return leaf_cache[active]
        sol = K.solve(active, frozenset(range(mr)) - active, tight=True)
        leaf_cache[active] = sol
        if sol.status == _OPT and sol.obj < inc["val"]:
            inc.update({"val": sol.obj, "z": sol.z, "active": active})
        elif sol.status == _ERR:
            notes.append("a leaf QP failed numerically")
        return sol

    def pattern_from_point(z: np.ndarray, active: frozenset[int], inactive: frozenset[int]) -> frozenset[int]:
        s = K.slack(z) / rscale
        lam = z[K.il]
        out = set(active)
        for j in range(mr):
            if j in active or j in inactive:
                continue
            if s[j] <= max(lam[j], TOL_COMP):
                out.add(j)
        return frozenset(out)

    def follower_pattern(x: np.ndarray) -> frozenset[int] | None:
        r = _optimistic_or_none(d, x)
        if r.status != "ok":
            return None
        s = (d.b - d.A @ x - d.B @ r.y) / rscale
        return frozenset(int(j) for j in np.flatnonzero(s <= TOL_COMP))

    heap: list[tuple[float, int, frozenset[int], frozenset[int]]] = []
    counter = itertools.count()
    heapq.heappush(heap, (-np.inf, next(counter), frozenset(), frozenset()))
    nodes = 0
    limit_hit = ""
    root_status = None
    unbounded_z = None
    failed_leaves = 0  # leaves of the tree whose QP failed numerically: optimality unproven
    while heap:
        bound, _, active, inactive = heapq.heappop(heap)
        if bound >= inc["val"] - gap(inc["val"]):
            continue
        if nodes >= node_limit:
            limit_hit = f"node limit {node_limit}"
            heapq.heappush(heap, (bound, next(counter), active, inactive))
            break
        if time.perf_counter() - t0 > time_limit:
            limit_hit = f"time limit {time_limit:g} s"
            heapq.heappush(heap, (bound, next(counter), active, inactive))
            break
        nodes += 1
        free = [j for j in range(mr) if j not in active and j not in inactive]
        if not free:  # a leaf
            sol = leaf(active)
            if sol.status == _UNB:
                unbounded_z = sol.z
                break
            if sol.status == _ERR:
                failed_leaves += 1
            continue
        sol = K.solve(active, inactive)
        if root_status is None:
            root_status = sol.status
        if sol.status == _INF:
            continue
        if sol.status == _OPT:
            nb = max(bound, sol.obj)
            z = sol.z
        else:  # unbounded relaxation or solver trouble: no bound, get a point in a box to branch
            nb = bound
            zb = K.solve(active, inactive, box=1e6)
            z = zb.z if zb.status == _OPT else None
        if nb >= inc["val"] - gap(inc["val"]):
            continue
        if z is not None:
            lf = leaf(pattern_from_point(z, active, inactive))
            if lf.status == _UNB:
                unbounded_z = lf.z
                break
            fp = follower_pattern(z[K.ix])
            if fp is not None:
                lf = leaf(fp)
                if lf.status == _UNB:
                    unbounded_z = lf.z
                    break
            if nb >= inc["val"] - gap(inc["val"]):
                continue
            s = np.maximum(K.slack(z), 0.0) / rscale
            lam = np.maximum(z[K.il], 0.0)
            score = {j: lam[j] * s[j] for j in free}
            j_br = max(free, key=lambda j: (score[j], min(lam[j], s[j])))
        else:
            j_br = free[0]
        heapq.heappush(heap, (nb, next(counter), active | {j_br}, inactive))
        heapq.heappush(heap, (nb, next(counter), active, inactive | {j_br}))
    wall = time.perf_counter() - t0
    method = "complementarity-bb"
    extra = ("; " + "; ".join(sorted(set(notes)))) if notes else ""
    if unbounded_z is not None:
        x, y = unbounded_z[K.ix], unbounded_z[K.iy]
        return Verification(-np.inf, x, y, method, nodes, wall,
                            f"unbounded: a leaf of the KKT set (every point bilevel feasible) has a ray "
                            f"along which F -> -inf; a feasible point is returned{extra}",
                            status="unbounded", lower_bound=-np.inf)
    open_bounds = [h[0] for h in heap if h[0] < inc["val"] - gap(inc["val"])]
    lower = min(open_bounds) if open_bounds else inc["val"]
    if failed_leaves and not limit_hit:
        limit_hit = (f"{failed_leaves} leaf QP(s) of the tree failed numerically, so optimality is "
                     "not proven")
        lower = -np.inf
    if inc["z"] is None:
        if limit_hit:
            return Verification(np.inf, None, None, method, nodes, wall,
                                f"limit: {limit_hit} reached before a bilevel-feasible point was found; "
                                f"lower bound {lower:.10g}{extra}", status="limit", lower_bound=lower)
        why = ("the root relaxation (KKT set without complementarity, with the upper-level "
               "constraints) is infeasible" if root_status == _INF else
               "every branch of the complementarity tree is infeasible")
        return Verification(np.inf, None, None, method, nodes, wall,
                            f"infeasible: no bilevel-feasible point ({why}){extra}",
                            status="infeasible", lower_bound=np.inf)
    z = inc["z"]
    x, y = z[K.ix].copy(), z[K.iy].copy()
    f_star = p.leader_value(x, y)
    if K.alpha:
        extra += (f"; bilinear term handled by the strong-duality substitution (Hxy = {K.alpha:g}·R + "
                  f"convex rest), |F̃ - F| at the optimum = {abs(float(inc['val']) - f_star):.1e}")
    res = _residuals(d, x, y)
    opt = _optimistic_or_none(d, x, exact=True)
    opt_txt = f"{opt.F - f_star:.1e}" if opt.status == "ok" else f"n/a ({opt.status})"
    ver = (f"verification: box {res['box']:.1e}, upper {res['upper']:.1e}, follower feas "
           f"{res['follower_feas']:.1e}, follower rel. gap {res['follower_gap']:.1e}, KKT stationarity "
           f"{res['stationarity']:.1e}, optimistic Φ(x*) - F* = {opt_txt}")
    ok = _residuals_ok(res)
    act = ", ".join(d.labels[j] for j in sorted(inc["active"] or ())) or "none"
    if limit_hit:
        return Verification(f_star, x, y, method, nodes, wall,
                            f"limit: {limit_hit}; best verified F = {f_star:.12g}, lower bound "
                            f"{lower:.12g}; active follower rows: {act}; {ver}{extra}",
                            status="limit", lower_bound=lower)
    warn = "" if ok else " WARNING: incumbent failed re-verification"
    return Verification(f_star, x, y, method, nodes, wall,
                        f"optimal (global, gap tol {gap_tol:g} rel.): F* = {f_star:.12g}, {nodes} nodes, "
                        f"{len(leaf_cache)} leaves solved; active follower rows: {act}; {ver}{warn}{extra}",
                        status="optimal", lower_bound=min(lower, f_star))


# ============================================================ grid method
def _grid(d: _Std, points: int | None, time_limit: float, point_limit: int, t0: float) -> Verification:
    p = d.p
    if d.nx > 2:
        raise VerificationError(f"'{p.name}': the grid method needs n_x <= 2 (n_x = {d.nx})")
    if not (np.isfinite(p.xl).all() and np.isfinite(p.xu).all()):
        raise VerificationError(f"'{p.name}': the grid method needs a finite leader box xl <= x <= xu")
    if not d.hyy_psd and not d.q_pd:
        raise VerificationError(
            f"'{p.name}': Hyy is not PSD and the follower's response need not be unique: the "
            "optimistic choice over the follower's optimal face is a non-convex QP")
    npts = points if points is not None else (2001 if d.nx == 1 else 101)
    width = p.xu - p.xl
    counter = {"n": 0}
    cache: dict[tuple, _Response] = {}
    limit_hit = [""]

    def Phi(x: np.ndarray, exact: bool = False) -> _Response:
        key = (*np.round(x, 15), exact)
        if key in cache:
            return cache[key]
        counter["n"] += 1
        r = _optimistic(d, x, exact=exact)
        cache[key] = r
        return r

    def out_of_budget() -> bool:
        if counter["n"] >= point_limit:
            limit_hit[0] = f"point limit {point_limit}"
        elif time.perf_counter() - t0 > time_limit:
            limit_hit[0] = f"time limit {time_limit:g} s"
        return bool(limit_hit[0])

    axes = [np.linspace(p.xl[i], p.xu[i], npts) if width[i] > 0 else np.array([p.xl[i]]) for i in range(d.nx)]
    grid = np.array(list(itertools.product(*axes)))
    vals = np.full(len(grid), np.inf)
    for k, x in enumerate(grid):
        if out_of_budget():
            break
        r = Phi(x)
        if r.status == "unbounded":
            return Verification(-np.inf, x, r.y, "grid", counter["n"], time.perf_counter() - t0,
                                "unbounded: the optimistic choice is unbounded below at a grid point",
                                status="unbounded", lower_bound=np.nan)
        if r.status == "ok":
            vals[k] = r.F
    spacing = tuple(float(w / (npts - 1)) if w > 0 else 0.0 for w in width)
    best: _Best = {"F": np.inf, "x": None, "y": None}

    def consider(x: np.ndarray, r: _Response) -> None:
        if r.status == "ok" and r.F < best["F"]:
            assert r.y is not None  # an "ok" response carries its y
            best.update({"F": r.F, "x": x.copy(), "y": r.y.copy()})

    finite = np.flatnonzero(np.isfinite(vals))
    if finite.size == 0:
        msg = (f"infeasible at every grid point ({npts} per dimension): the problem is infeasible or "
               "its feasible set is thinner than the grid spacing")
        if limit_hit[0]:
            msg = f"limit: {limit_hit[0]} before a feasible grid point was found"
        return Verification(np.inf, None, None, "grid", counter["n"], time.perf_counter() - t0, msg,
                            status="limit" if limit_hit[0] else "infeasible", resolution=spacing)
    # ---- refinement: zoom (fast Φ) around the best few distinct grid points, then the exact
    # (snapped) Φ and a polish on the leaf of each zoomed point; the best of these is reported
    order = finite[np.argsort(vals[finite])]
    starts: list[np.ndarray] = []
    for k in order:
        if len(starts) >= (5 if d.nx == 1 else 2):
            break
        if all(np.abs(grid[k] - s_).max() > 2.5 * max(spacing) for s_ in starts):
            starts.append(grid[k])
    # zoom until the spacing has shrunk by `depth` (the leaf polish then finishes exactly)
    sub, shrink, depth = (11, 5.0, 1e3) if d.nx == 1 else (7, 3.0, 1e2)
    zoomed: list[np.ndarray] = []
    for s_ in starts:
        xc, fc = s_.copy(), Phi(s_).F
        h = np.array(spacing, float)
        while np.any(h > np.array(spacing) / depth) and not out_of_budget():
            loc = [np.linspace(max(p.xl[i], xc[i] - h[i]), min(p.xu[i], xc[i] + h[i]), sub)
                   if h[i] > 0 else np.array([xc[i]]) for i in range(d.nx)]
            for x in itertools.product(*loc):
                x = np.array(x)
                r = Phi(x)
                if r.status == "ok" and r.F < fc - 1e-15 * max(1.0, abs(fc)):
                    xc, fc = x, r.F
            h = h / shrink
        zoomed.append(xc)
    how = "exact leaf QP" if _KKT(d).convex else "local SLSQP on the leaf"
    n_polished = 0
    for xc in zoomed:
        r = Phi(xc, exact=True)
        consider(xc, r)
        if r.status == "ok":
            assert r.y is not None  # an "ok" response carries its y
            pol = _leaf_polish(d, xc, r.y)
            if pol is not None:
                n_polished += 1
                consider(pol[1], _Response("ok", pol[2], pol[0]))
    x, y, f_star = best["x"], best["y"], float(best["F"])
    if x is None:  # no candidate survived the exact evaluation: fall back to the best grid value
        k = order[0]
        x, r = grid[k], Phi(grid[k])
        y, f_star = r.y, float(r.F)
    assert y is not None  # x and y are set together (from an "ok" response)
    res = _residuals(d, x, y)
    ver = (f"verification: box {res['box']:.1e}, upper {res['upper']:.1e}, follower feas "
           f"{res['follower_feas']:.1e}, follower rel. gap {res['follower_gap']:.1e}, KKT stationarity "
           f"{res['stationarity']:.1e}")
    status: Status = "limit" if limit_hit[0] else "optimal"
    head = f"limit: {limit_hit[0]}; best value found" if limit_hit[0] else "best value"
    msg = (f"{head} F = {f_star:.12g} on a {'x'.join([str(npts)] * d.nx)} grid (spacing "
           f"{', '.join(f'{s:.3g}' for s in spacing)}), {len(zoomed)} best points zoomed to 1/{depth:g} of "
           f"the spacing and polished on their leaves ({how}, {n_polished} succeeded); "
           f"{counter['n']} follower evaluations; {ver}. Not a global certificate: features narrower "
           "than the grid spacing can be missed")
    if not _residuals_ok(res):
        msg += " WARNING: best point failed re-verification"
    return Verification(f_star, x, y, "grid", counter["n"], time.perf_counter() - t0, msg,
                        status=status, lower_bound=np.nan, resolution=spacing)


def _leaf_polish(d: _Std, x0: np.ndarray, y0: np.ndarray) -> tuple[float, np.ndarray, np.ndarray] | None:
    """Minimise F over the leaf of the KKT set through (x0, y0) (rows active at y0 fixed
    active, the others λ = 0): the exact leaf QP when F is convex, a local SLSQP solve on the
    leaf polyhedron started at (x0, y0) otherwise. Returns ``(F, x, y)`` of a re-verified
    bilevel-feasible point, or ``None``."""
    p = d.p
    K = _KKT(d)
    s = (d.b - d.A @ x0 - d.B @ y0) / _row_scale(d)
    active = frozenset(int(j) for j in np.flatnonzero(s <= TOL_COMP))
    inactive = frozenset(range(d.mr)) - active
    if K.convex:
        sol = K.solve(active, inactive, tight=True)
        if sol.status != _OPT or sol.z is None:
            return None
        z = sol.z
    else:
        Aeq, beq, Ain, bin_, lb, ub = K.program(active, inactive)
        lam0, mu0 = np.zeros(d.mr), np.zeros(d.nq)
        # multipliers at (x0, y0): least squares on the stationarity rows (active rows only)
        act = sorted(active)
        Mat = np.hstack([d.B[act].T, d.Ey.T])
        if Mat.shape[1]:
            sol_ls = np.linalg.lstsq(Mat, -(p.dy + p.R.T @ x0 + p.Q @ y0), rcond=None)[0]
            lam0[act] = np.maximum(sol_ls[:len(act)], 0.0)
            mu0 = sol_ls[len(act):]
        z0 = np.concatenate([x0, y0, lam0, mu0])
        H = K.P if K.P is not None else np.zeros((K.n, K.n))
        q = K.q
        cons = [{"type": "eq", "fun": lambda z: Aeq @ z - beq, "jac": lambda z: Aeq},
                {"type": "ineq", "fun": lambda z: bin_ - Ain @ z, "jac": lambda z: -Ain}]
        bounds = list(zip([None if not np.isfinite(v) else v for v in lb],
                          [None if not np.isfinite(v) else v for v in ub]))
        r = minimize(lambda z: float(q @ z + 0.5 * z @ H @ z), z0, jac=lambda z: q + H @ z,
                     bounds=bounds, constraints=cons, method="SLSQP",
                     options={"ftol": 1e-15, "maxiter": 1000})
        z = r.x
        viol = max(float(np.abs(Aeq @ z - beq).max(initial=0)), float(np.maximum(Ain @ z - bin_, 0).max(initial=0)))
        if viol > 1e-8:
            return None
    x, y = np.clip(z[K.ix], p.xl, p.xu), z[K.iy]
    if not _residuals_ok(_residuals(d, x, y), 1e-8):
        return None
    F = p.leader_value(x, y)
    r = _optimistic_or_none(d, x, exact=True)  # a better optimistic choice at this x (not expected)
    if r.status == "ok" and r.F < F - 1e-9 * max(1.0, abs(F)):
        assert r.y is not None  # an "ok" response carries its y
        return r.F, x, r.y
    return F, x, y


# ============================================================ entry point
def verify(problem: BilevelProblem, method: Method = "auto", *, time_limit: float = 60.0,
           node_limit: int = 200_000, grid_points: int | None = None,
           gap_tol: float = 1e-9) -> Verification:
    """Independently solve the optimistic bilevel ``problem`` (see the module docstring).

    Args:
        problem: the bilevel problem (follower convex, linear constraints).
        method: ``"bb"`` (complementarity branch-and-bound, exact global optimum; F must be
            jointly convex, possibly after the strong-duality substitution), ``"grid"``
            (n_x <= 2, finite leader box; resolution-limited) or ``"auto"`` (bb when it
            applies, else grid when n_x <= 2).
        time_limit: wall-clock budget in seconds (checked between solves).
        node_limit: maximum B&B nodes, or maximum follower evaluations of the grid method.
        grid_points: grid points per leader dimension (default 2001 for n_x = 1, 101 for n_x = 2).
        gap_tol: relative optimality gap of the B&B (pruning tolerance).

    Returns:
        a :class:`Verification`; check ``status`` before using ``f_star``.

    Raises:
        VerificationError: the method does not apply (non-convex F with "bb", or with "auto"
            when n_x > 2; n_x > 2 or an infinite leader box with "grid").
    """
    t0 = time.perf_counter()
    d = _standardize(problem)
    if method == "auto":
        if _KKT(d).convex:
            method = "bb"
        elif d.nx <= 2:
            method = "grid"
        else:
            raise VerificationError(
                f"'{problem.name}': F is not jointly convex (not even after the strong-duality "
                f"substitution) and n_x = {d.nx} > 2: neither the complementarity B&B (needs "
                "convex relaxations) nor the grid method applies")
    if method == "bb":
        return _bb(d, time_limit, node_limit, gap_tol, t0)
    if method == "grid":
        return _grid(d, grid_points, time_limit, node_limit, t0)
    raise ValueError(f"unknown method {method!r} (expected 'auto', 'bb' or 'grid')")
