"""Reference: the centralized welfare problem of a market game, as one convex program.

All followers' canonical programs and the leader's supply programs are stacked block-
diagonally, payments dropped (prices set to 0: payments cancel between buyers and the
leader), and every coupling balance ``Σ_i y_i[output] − s = 0`` added as equality rows::

    minimize  Σ_i f_i(x_i) + Σ_c C_c(s_c)   s.t.  each agent's constraints,  Σ_i y_i = s_c.

Solved with Clarabel directly. Its optimal value P* bounds every dual value D(p) from
above (weak duality); the duals of the balance rows are the market-clearing prices.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import clarabel
import numpy as np
import scipy.sparse as sp

from gamecore.canonical import CanonicalProgram, Response
from gamecore.errors import GameError
from gamecore.game import SUPPLY, Game
from gamecore.market import require_priced
from gamecore.solver import ONE_SHOT_SETTINGS
from gamecore.solver import solve as solve_conic


@dataclass
class CentralizedSolution:
    """Optimum of the welfare problem.

    Attributes:
        status: gamecore status string (``"optimal"`` ...).
        objective: P*, total welfare cost (objective units).
        signal_vector: the balance duals in the game's signal layout (prices).
        responses: per follower, its part of the optimum (objective evaluated with payments
            at those prices, as the follower would see it).
        supplies: coupling name -> the leader's optimal supply response (output ``"supply"``).
        solve_time: seconds inside Clarabel; wall_s: seconds including stacking.
    """

    status: str
    objective: float
    signal_vector: np.ndarray
    responses: list[Response]
    supplies: dict[str, Response]
    solve_time: float
    wall_s: float
    iterations: int


def prices_outside_box(game: Game, signal_vector: np.ndarray, rtol: float = 1e-6) -> str | None:
    """Where the market-clearing prices leave the leader's signal box, in words (None if nowhere).

    The welfare problem's balance duals are the clearing prices whatever the box; when they
    lie outside it (beyond ``rtol`` relative to ``max(1, |bound|)``), no price in the box
    clears the market, and clipping them gives no equilibrium.
    """
    lower, upper = game.layout.lower(), game.layout.upper()
    slack = rtol * np.maximum(1.0, np.maximum(np.abs(np.where(np.isfinite(lower), lower, 0)),
                                              np.abs(np.where(np.isfinite(upper), upper, 0))))
    parts = []
    for coupling in game.leader.couplings:
        sl = game.layout.slices[coupling.signal]
        p, lo, hi, tol = signal_vector[sl], lower[sl], upper[sl], slack[sl]
        bad = np.flatnonzero((p < lo - tol) | (p > hi + tol))
        if bad.size:
            k = int(bad[np.argmax(np.maximum(lo[bad] - p[bad], p[bad] - hi[bad]))])
            parts.append(f"coupling '{coupling.name}': price '{coupling.signal}' clears at {p[k]:.6g} in entry {k} "
                         f"({bad.size} of {p.size} entries outside the box), outside the leader's box "
                         f"[{lo[k]:.6g}, {hi[k]:.6g}]")
    if not parts:
        return None
    return ("; ".join(parts) + ": no price in the box clears the market (widen the signal box, or bound "
            "the supply so that its marginal cost lies inside it)")


def _zero_price_q(prog: CanonicalProgram) -> tuple[np.ndarray, float]:
    sigma = np.zeros(prog.k)
    return prog.q(sigma), prog.d0


def solve_centralized(game: Game, settings: dict | None = None) -> CentralizedSolution:
    """Solve the welfare problem of a market game (every signal must be a coupling price)."""
    if not game.is_market:
        raise GameError(f"game '{game.name}' has no market coupling: the centralized welfare problem needs one")
    require_priced(game, "the centralized welfare problem")
    start = time.perf_counter()
    programs: list[CanonicalProgram] = [f.program for f in game.followers]
    couplings = list(game.leader.couplings)
    programs += [game.suppliers[c.name] for c in couplings]
    offsets = np.cumsum([0] + [p.n for p in programs])
    n_total = int(offsets[-1])
    P = sp.block_diag([p.P for p in programs], format="csc")
    q = np.zeros(n_total)
    const = 0.0
    for j, prog in enumerate(programs):
        qj, dj = _zero_price_q(prog)
        q[offsets[j]:offsets[j + 1]] = qj
        const += dj
    A_blocks = [sp.block_diag([p.A for p in programs], format="csr")]
    b_parts = [np.concatenate([p.b(np.zeros(p.k)) for p in programs])]
    cones = [c for p in programs for c in p.dims.clarabel_cones()]
    # balance rows: Σ_i y_i − s = 0   (Clarabel: A x + s_slack = b with zero cone)
    balance_rows = []
    for ci, coupling in enumerate(couplings):
        size = game.leader.signal(coupling.signal).size
        rows, cols, vals = [], [], []
        for i in game.senders(coupling.output, coupling.followers):
            out_cols, _ = programs[i].outputs[coupling.output]
            rows.append(np.arange(size)); cols.append(offsets[i] + out_cols); vals.append(np.ones(size))
        sup_index = game.n_followers + ci
        sup_cols, _ = programs[sup_index].outputs[SUPPLY]
        rows.append(np.arange(size)); cols.append(offsets[sup_index] + sup_cols); vals.append(-np.ones(size))
        block = sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                              shape=(size, n_total))
        balance_rows.append(block)
        A_blocks.append(block)
        b_parts.append(np.zeros(size))
        cones.append(clarabel.ZeroConeT(size))
    A = sp.vstack(A_blocks, format="csc")
    b = np.concatenate(b_parts)
    found = solve_conic(P, q, A, b, cones, {**ONE_SHOT_SETTINGS, **(settings or {})})
    sol, status = found.raw, found.status
    wall = time.perf_counter() - start
    if not found.ok:
        raise GameError(f"centralized welfare problem of '{game.name}' is {status}")
    x = np.asarray(sol.x)
    z = np.asarray(sol.z)
    objective = float(sol.obj_val) + const
    signal_vector = np.zeros(game.layout.size)
    row0 = A_blocks[0].shape[0]
    for coupling, block in zip(couplings, balance_rows):
        size = block.shape[0]
        signal_vector[game.layout.slices[coupling.signal]] = z[row0:row0 + size]
        row0 += size
    responses = []
    for i, prog in enumerate(programs[: game.n_followers]):
        xi = x[offsets[i]:offsets[i + 1]]
        sigma = game.follower_signals(i, signal_vector)
        responses.append(Response("optimal", prog.outputs_of(xi), prog.objective_at(xi, sigma), 0.0, 0, xi))
    supplies = {}
    for ci, coupling in enumerate(couplings):
        j = game.n_followers + ci
        xj = x[offsets[j]:offsets[j + 1]]
        price = signal_vector[game.layout.slices[coupling.signal]]
        supplies[coupling.name] = Response("optimal", programs[j].outputs_of(xj), programs[j].objective_at(xj, price),
                                           0.0, 0, xj)
    return CentralizedSolution(status, objective, signal_vector, responses, supplies, float(sol.solve_time), wall,
                               int(sol.iterations))
