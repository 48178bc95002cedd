"""Assemble a convex program from sparse blocks and solve it with Clarabel directly.

Several engine pieces solve one convex program built from the followers' compiled
canonical data plus a few linking rows (the optimistic selection, the polish of ``kkt``).
Going through cvxpy would recompile data that is already in canonical form on every call;
:class:`ConicProgram` instead stacks the blocks into Clarabel's form::

    minimize ½ xᵀPx + qᵀx + c   s.t.   A x + s = b,   s ∈ K = {0} × R₊ × SOC × ...

Usage: reserve variable blocks (:meth:`variables`), add objective terms on blocks
(:meth:`add_objective`) and rows on blocks (:meth:`add_rows`, cone ``"zero"``,
``"nonneg"`` or ``("soc", size)``), then :meth:`solve`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import clarabel
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from gamecore.canonical import CanonicalProgram, symmetric
from gamecore.solver import ONE_SHOT_SETTINGS
from gamecore.solver import solve as solve_conic

if TYPE_CHECKING:
    from gamecore.game import Game
    from gamecore.upper_level import LeaderProgram

Cone = str | tuple[str, int]


@dataclass
class ConicSolution:
    """``status`` (gamecore status string), ``x`` (None unless solved), the objective value and
    the dual objective (a lower bound on the optimum by weak duality, up to solver tolerance)."""

    status: str
    x: np.ndarray | None
    objective: float | None
    solve_time: float = 0.0
    dual_objective: float | None = None


@dataclass
class ConicProgram:
    """A convex program assembled block by block (module docstring)."""

    n: int = 0
    constant: float = 0.0
    _P: list[tuple[np.ndarray, sp.coo_matrix]] = field(default_factory=list)
    _q: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    _rows: dict[str, list[tuple[_Triplets, np.ndarray]]] = field(default_factory=lambda: {"zero": [], "nonneg": []})
    _soc: list[tuple[_Triplets, np.ndarray]] = field(default_factory=list)
    _tags: dict[str, tuple[str, int]] = field(default_factory=dict)

    def variables(self, size: int) -> np.ndarray:
        """Reserve ``size`` new variables; returns their column indices."""
        cols = np.arange(self.n, self.n + int(size))
        self.n += int(size)
        return cols

    def add_objective(self, cols: np.ndarray, P: sp.spmatrix | None = None, q: np.ndarray | None = None) -> None:
        """Add ``½ vᵀPv + qᵀv`` on the block ``v = x[cols]`` (``P`` symmetric, full)."""
        cols = np.asarray(cols, dtype=int)
        if P is not None and sp.csr_matrix(P).nnz:
            self._P.append((cols, sp.coo_matrix(P)))
        if q is not None:
            self._q.append((cols, np.asarray(q, dtype=float).ravel()))

    def add_rows(self, parts: Sequence[tuple[np.ndarray, sp.spmatrix]], b: npt.ArrayLike, cone: Cone,
                 tag: str | None = None) -> None:
        """Rows ``Σ_k M_k x[cols_k] + s = b``, ``s`` in ``cone`` (``"zero"``, ``"nonneg"``, ``("soc", m)``).

        ``tag`` names the rows, so that :meth:`assemble` says where their right-hand side lands
        (a program re-solved for new data changes only those entries of ``b``)."""
        b = np.asarray(b, dtype=float).ravel()
        r, c, v = [], [], []
        for cols, M in parts:
            M = sp.coo_matrix(M)
            if M.shape[0] != b.size:
                raise ValueError(f"row block has {M.shape[0]} rows, right-hand side {b.size}")
            r.append(M.row)
            c.append(np.asarray(cols, dtype=int)[M.col])
            v.append(M.data)
        rows = _Triplets(np.concatenate(r) if r else np.zeros(0, int), np.concatenate(c) if c else np.zeros(0, int),
                         np.concatenate(v) if v else np.zeros(0), b.size)
        if isinstance(cone, tuple):
            if tag is not None:
                self._tags[tag] = ("soc", len(self._soc))
            self._soc.append((rows, b))
        else:
            if tag is not None:
                self._tags[tag] = (cone, len(self._rows[cone]))
            self._rows[cone].append((rows, b))

    def add_clarabel_rows(self, cols: np.ndarray, A: sp.spmatrix, b: np.ndarray, cones: Sequence[Any]) -> None:
        """Rows ``A v + s = b`` on the block ``v = x[cols]`` with Clarabel cone objects (zero,
        nonnegative, second-order) listed in row order."""
        A = sp.csr_matrix(A)
        b = np.asarray(b, dtype=float)
        start = 0
        for cone in cones:
            size = int(cone.dim)
            if isinstance(cone, clarabel.ZeroConeT):
                kind: Cone = "zero"
            elif isinstance(cone, clarabel.NonnegativeConeT):
                kind = "nonneg"
            elif isinstance(cone, clarabel.SecondOrderConeT):
                kind = ("soc", size)
            else:
                raise ValueError(f"unsupported cone {cone!r}")
            self.add_rows([(cols, A[start:start + size])], b[start:start + size], kind)
            start += size

    def add_leader(self, leader: LeaderProgram, game: Game, blocks: Sequence[np.ndarray] | None = None, *,
                   sigma_cols: np.ndarray | None = None, sigma_value: np.ndarray | None = None,
                   free: np.ndarray | None = None,
                   aggregate_values: Mapping[str, np.ndarray] | None = None) -> np.ndarray:
        """The leader's compiled program (:meth:`gamecore.game.Game.leader_program`) on a new block w.

        ``w[σ]`` is tied to the signal columns ``sigma_cols`` (σ a variable) or fixed to
        ``sigma_value`` (rows tagged ``"sigma"``: :meth:`assemble`); with ``free`` (a (layout.size,)
        mask, with ``sigma_value``) the masked entries are not fixed but kept in their declared box
        (the leader's own decisions, e.g. :attr:`gamecore.game.Game.leader_only`).
        ``w[agg_o] = Σ_i x_i[output o]`` over the follower blocks ``blocks`` (one column block per
        follower, in game order, each the follower's canonical x first), or ``= aggregate_values[o]``
        (flat; rows tagged ``"agg:<o>"``) when those are given instead; then the program's own
        rows, its objective and constant. Returns the columns of w.
        """
        w = self.variables(leader.program.n)
        size = leader.sigma_cols.size
        if sigma_cols is not None:
            self.add_rows([(w[leader.sigma_cols], sp.eye(size)), (sigma_cols, -sp.eye(size))], np.zeros(size), "zero")
        else:
            value = np.asarray(sigma_value, dtype=float)
            fixed = np.ones(size, dtype=bool) if free is None else ~np.asarray(free, dtype=bool)
            cols = leader.sigma_cols
            if fixed.any():
                self.add_rows([(w[cols[fixed]], sp.eye(int(fixed.sum())))], value[fixed], "zero", tag="sigma")
            if not fixed.all():
                own = np.flatnonzero(~fixed)
                lo, hi = game.layout.lower()[own], game.layout.upper()[own]
                for bound, sign in ((lo, -1.0), (hi, 1.0)):     # sign·w ≤ sign·bound
                    keep = np.isfinite(bound)
                    if keep.any():
                        self.add_rows([(w[cols[own[keep]]], sign * sp.eye(int(keep.sum())))], sign * bound[keep],
                                      "nonneg")
        for o, cols in leader.agg_cols.items():
            if aggregate_values is not None:
                self.add_rows([(w[cols], sp.eye(cols.size))], np.ravel(aggregate_values[o]).astype(float), "zero",
                              tag=f"agg:{o}")
                continue
            assert blocks is not None, "add_leader needs follower blocks or aggregate values"
            parts = [(w[cols], sp.eye(cols.size))]
            parts += [(blocks[i][f.program.outputs[o][0]], -sp.eye(cols.size))
                      for i, f in enumerate(game.followers) if o in f.output_shapes]
            self.add_rows(parts, np.zeros(cols.size), "zero")
        self.add_program_rows(w, leader.program, np.zeros(0))
        self.add_objective(w, symmetric(leader.program.P), leader.program.q0)
        self.constant += leader.program.d0
        return w

    def add_program_rows(self, cols: np.ndarray, program: CanonicalProgram, sigma: np.ndarray) -> None:
        """A compiled program's own rows ``A x + s = b(σ), s ∈ K`` on the block ``x = x[cols]``."""
        A = sp.csr_matrix(program.A)
        b = program.b(sigma)
        d = program.dims
        start = 0
        if d.zero:
            self.add_rows([(cols, A[:d.zero])], b[:d.zero], "zero")
            start = d.zero
        if d.nonneg:
            self.add_rows([(cols, A[start:start + d.nonneg])], b[start:start + d.nonneg], "nonneg")
            start += d.nonneg
        for size in d.soc:
            self.add_rows([(cols, A[start:start + size])], b[start:start + size], ("soc", size))
            start += size
        if d.exp or d.psd or d.p3d:
            raise ValueError(f"program '{program.name}': exponential/PSD/power cones are not supported here")

    def solve(self, **settings: Any) -> ConicSolution:
        """Solve with Clarabel, once (no retry): :data:`gamecore.solver.ONE_SHOT_SETTINGS` updated by
        ``settings`` (e.g. ``tol_gap_rel=1e-10``)."""
        return self.assemble().solve(**settings)

    def assemble(self) -> AssembledProgram:
        """The program in Clarabel's form, with the positions in ``b`` of every tagged row block."""
        n = self.n
        P = sp.csr_matrix((n, n))
        for cols, M in self._P:
            P = P + sp.csr_matrix((M.data, (cols[M.row], cols[M.col])), shape=(n, n))
        q = np.zeros(n)
        for cols, vec in self._q:
            np.add.at(q, cols, vec)
        parts, rhs, cones = [], [], []
        for kind, make in (("zero", clarabel.ZeroConeT), ("nonneg", clarabel.NonnegativeConeT)):
            if self._rows[kind]:
                block = sp.vstack([t.matrix(n) for t, _ in self._rows[kind]], format="csr")
                parts.append(block)
                rhs.append(np.concatenate([b for _, b in self._rows[kind]]))
                cones.append(make(block.shape[0]))
        for rows, b in self._soc:
            parts.append(rows.matrix(n))
            rhs.append(b)
            cones.append(clarabel.SecondOrderConeT(rows.size))
        A = sp.vstack(parts, format="csc") if parts else sp.csc_matrix((0, n))
        b = np.concatenate(rhs) if rhs else np.zeros(0)
        # where each tagged block's rows land: zero rows, then nonnegative rows, then each SOC
        spans: dict[tuple[str, int], np.ndarray] = {}
        offset = 0
        blocks = [(kind, k, rows) for kind in ("zero", "nonneg") for k, (rows, _) in enumerate(self._rows[kind])]
        blocks += [("soc", k, rows) for k, (rows, _) in enumerate(self._soc)]
        for kind, k, rows in blocks:
            spans[(kind, k)] = np.arange(offset, offset + rows.size)
            offset += rows.size
        tagged = {tag: spans[key] for tag, key in self._tags.items()}
        return AssembledProgram(sp.csc_matrix(sp.triu(P)), q, A, b, cones, self.constant, tagged)


@dataclass
class AssembledProgram:
    """A :class:`ConicProgram` in Clarabel's form: ``P`` (upper triangle), ``q``, ``A``, ``b``,
    ``cones``, the objective's constant, and ``rows[tag]``: the positions in ``b`` of each tagged
    row block (:meth:`ConicProgram.add_rows`). Re-solvable for a new right-hand side."""

    P: sp.csc_matrix
    q: np.ndarray
    A: sp.csc_matrix
    b: np.ndarray
    cones: list[Any]
    constant: float
    rows: dict[str, np.ndarray]

    def solve(self, b: np.ndarray | None = None, **settings: Any) -> ConicSolution:
        """Solve with Clarabel, once (no retry), at the right-hand side ``b`` (default the assembled one)."""
        found = solve_conic(self.P, self.q, self.A, self.b if b is None else b, self.cones,
                            {**ONE_SHOT_SETTINGS, **settings})
        sol, status = found.raw, found.status
        if found.x is None:
            return ConicSolution(status, None, None, float(sol.solve_time))
        return ConicSolution(status, found.x, float(sol.obj_val) + self.constant,
                             float(sol.solve_time), float(sol.obj_val_dual) + self.constant)


@dataclass
class _Triplets:
    """Rows in COO form with global column indices; the width is known only at :meth:`ConicProgram.solve`."""

    row: np.ndarray
    col: np.ndarray
    data: np.ndarray
    size: int

    def matrix(self, n: int) -> sp.csr_matrix:
        return sp.csr_matrix((self.data, (self.row, self.col)), shape=(self.size, n))
