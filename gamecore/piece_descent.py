"""Local descent over the followers' complementarity pieces: an exact local polish for LP/QP followers.

Around a signal vector ``σ`` every follower's optimal point has a pattern of tight inequality
rows. Fixing that pattern (tight rows: equality with a free non-negative dual; the others:
slack ≥ 0 with a zero dual) turns the optimistic bilevel problem into one convex program
over the *piece* — signals, followers' points and duals together
(:meth:`gamecore.kkt.KKTModel.piece_optimum`; the leader's bilinear terms linearised by
strong duality). ``σ`` lies in its own piece, so the piece's optimum is at least as good;
where it lands on the piece's boundary, the pattern there opens the neighbouring piece. The
descent repeats — respond at the incumbent (one pool call), read the pattern, solve the
piece, evaluate the candidate exactly (one more pool call) — until a piece gives no
improvement: a local optimum of the bilevel problem in the sense of pieces (finitely many,
each visited at most once since the value strictly falls). At a degenerate point (a tight row
whose dual is 0, known from the last piece's duals) two pieces meet: the one holding the row
tight and the one letting it go slack; the descent tries the first, then the second.

It needs what ``kkt`` needs (:func:`gamecore.kkt.kkt_applicable`) plus convex pieces
(:meth:`gamecore.kkt.KKTModel.piece_convex`); it is local — a global method (the GA) chooses
the start. Each iteration runs through the solve's driver as the loop ``name``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import scipy.sparse as sp

from gamecore.driver import MaxIter, Rule
from gamecore.game import Game
from gamecore.kkt import KKTModel, kkt_applicable
from gamecore.strategy import SolveContext

#: a row is tight when its slack is at most this (relative to 1 + |b|)
TIGHT = 1e-7


def _model(game: Game) -> KKTModel:
    """The game's KKT model (its first objective), built once per game."""
    return game.memo(("piece-descent", "kkt-model"), lambda: KKTModel(game))


def descent_applicable(game: Game) -> str | None:
    """Why :func:`piece_descent` cannot run on ``game`` (None: it can)."""
    reason = kkt_applicable(game)
    if reason is not None:
        return reason
    if not _model(game).piece_convex():
        return "a bilinear term is not linearised by strong duality (its pieces are not convex)"
    return None


def _degenerate_released(pattern: list[np.ndarray], game: Game, zs: list[np.ndarray]) -> list[np.ndarray]:
    """``pattern`` with the tight rows whose dual (``zs``, all rows) is ≈ 0 let go slack."""
    out = []
    for mask, z, f in zip(pattern, zs, game.followers):
        d = f.program.dims
        dual = np.asarray(z[d.zero:d.zero + d.nonneg])
        out.append(mask & (dual > TIGHT * max(1.0, float(np.abs(dual).max(initial=0.0)))))
    return out


def tight_rows(game: Game, signal_vector: np.ndarray, xs: list[np.ndarray]) -> list[np.ndarray]:
    """Per follower, the mask of its inequality rows tight at its point ``xs[i]`` (slack ≤ :data:`TIGHT`)."""
    masks = []
    for i, f in enumerate(game.followers):
        prog = f.program
        d = prog.dims
        rows = slice(d.zero, d.zero + d.nonneg)
        sigma = game.follower_signals(i, signal_vector)
        slack = prog.b0[rows] + sp.csr_matrix(prog.Bs)[rows] @ sigma - sp.csr_matrix(prog.A)[rows] @ xs[i]
        masks.append(np.asarray(slack <= TIGHT * (1.0 + np.abs(prog.b0[rows])), dtype=bool))
    return masks


def piece_descent(ctx: SolveContext, game: Game, starts: list[np.ndarray],
                  evaluate: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], *, name: str = "piece-descent",
                  max_iter: int = 300) -> tuple[np.ndarray, float, str, list[dict[str, Any]], bool]:
    """Descend over pieces from each of ``starts`` in turn on ``game``'s first objective (module docstring).

    A candidate is accepted only when the exact optimistic selection at it
    (:func:`gamecore.optimistic.optimistic_selection`, the leader's constraints included) exists:
    a piece's optimum sits on a boundary where followers are often indifferent, and the
    point is worth its value only if the leader can select responses there that meet its
    constraints.

    Args:
        ctx: the solve's context (its pool answers ``game``'s followers: ``game`` shares them,
            e.g. a weighted sum of the solved game's objectives, :mod:`gamecore.scalarise`).
        game: the single-objective game whose objective is minimised.
        starts: full signal vectors, tried in order (infeasible ones are skipped).
        evaluate: exact value and feasibility of a batch of signal vectors (``(values, feasible)``).
        max_iter: iterations (pieces) at most, over all starts: one loop ``name`` of the driver.

    Returns:
        ``(best signals, best value, why the last start stopped, history rows, whether every start
        ended by the descent's own rule)``; the value is inf when no start was feasible. Each
        row's ``pool_calls`` counts the pool calls the step made itself (those of ``evaluate`` are
        the caller's to count).
    """
    from gamecore.optimistic import optimistic_selection

    model = _model(game)
    state: dict[str, Any] = {"queue": [np.asarray(x, dtype=float).copy() for x in starts], "x": None, "value": np.inf,
                             "duals": None, "best_x": np.asarray(starts[0], dtype=float).copy(), "best": np.inf,
                             "why": "no feasible start", "done": False}
    #: every piece solved so far: its optimum (signals, exact value, duals), None when it has none
    #: usable (unsolvable, infeasible, or no optimistic selection there); shared by the starts
    pieces: dict[bytes, tuple[np.ndarray, float, list[np.ndarray]] | None] = {}

    def key(pattern: list[np.ndarray]) -> bytes:
        return b"".join(np.packbits(m).tobytes() for m in pattern)

    def next_start() -> None:
        while state["queue"]:
            x = state["queue"].pop(0)
            values, ok = evaluate(x[None, :])
            if ok[0] and np.isfinite(values[0]):
                state["x"], state["value"], state["duals"] = x, float(values[0]), None
                return
        state["x"], state["done"] = None, True

    def finish_start(why: str) -> None:
        state["why"] = why
        if state["value"] < state["best"]:
            state["best_x"], state["best"] = state["x"], state["value"]
        next_start()

    def step(it: int) -> dict[str, Any]:
        if state["x"] is None:
            next_start()
            if state["done"]:
                return {"phase": name, "best_objective": state["best"], "moved": False, "pieces_solved": 0,
                        "pool_calls": 0}
        x = state["x"]
        responses = ctx.pool.respond(x, keep_x=True)
        calls = 1
        tight = tight_rows(game, x, [np.asarray(r.x) for r in responses])
        patterns = [tight] + ([_degenerate_released(tight, game, state["duals"])] if state["duals"] is not None else [])
        moved, solved = False, 0
        for pattern in patterns:
            if key(pattern) not in pieces:
                solved += 1
                pieces[key(pattern)] = None
                found = model.piece_optimum(pattern, x)
                if found is not None:
                    cand = ctx.project(found[0])
                    v, feasible = evaluate(cand[None, :])
                    if feasible[0]:
                        calls += 1
                        if optimistic_selection(game, cand, ctx.pool.respond(cand, keep_x=True)).value is not None:
                            pieces[key(pattern)] = (cand, float(v[0]), found[3])
            best_here = pieces[key(pattern)]
            if best_here is not None and best_here[1] < state["value"] - 1e-12 * max(1.0, abs(state["value"])):
                state["x"], state["value"], state["duals"] = best_here
                moved = True
                break
        if not moved:
            finish_start("no piece at the incumbent holds a better point")
        here = state["x"] if state["x"] is not None else state["best_x"]
        return {"phase": name, "best_objective": min(state["best"], state["value"]), "moved": moved,
                "pieces_solved": solved, "pool_calls": calls, "signals": here.copy()}

    loop = ctx.driver.run(name, step, until=[Rule(lambda _: bool(state["done"]), "every start descended"),
                                             MaxIter(max_iter)])
    if not state["done"] and state["x"] is not None and state["value"] < state["best"]:
        state["best_x"], state["best"] = state["x"], state["value"]
    why = state["why"] if state["done"] else loop.reason
    return state["best_x"], float(state["best"]), why, list(loop.history), bool(state["done"])
