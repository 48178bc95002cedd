"""``kkt`` — exact optimistic Stackelberg solutions: followers replaced by their KKT conditions.

The Stackelberg analogue of ``centralized``: the reference every other Stackelberg strategy
is measured against (see :mod:`gamecore.kkt` for the model). Followers must be LPs or
convex QPs with linear constraints (any number of them); the leader's cost may be any
convex quadratic / second-order-cone expression and it may have leader constraints. SCIP
(pyscipopt) solves the single-level problem globally with SOS1 complementarity.

Status: ``converged`` only when SCIP proves optimality within ``mip_gap``; a time limit
gives the incumbent with status ``max_iter`` and the proven bound in
``extra["leader_bound"]``; no incumbent gives ``failed`` (``infeasible`` when SCIP proves
the bilevel problem infeasible). The reported follower responses are the leader-best
points of the followers' optimal sets at the final signals, re-solved by Clarabel
(:func:`gamecore.optimistic.optimistic_selection`), so their accuracy is Clarabel's rather
than the MIP's feasibility tolerance; when the incumbent could be polished (its
complementarity piece re-solved exactly, :meth:`gamecore.kkt.KKTModel.polish`) the polished
KKT point itself is reported.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from gamecore.canonical import Response
from gamecore.errors import StrategyError
from gamecore.game import Game
from gamecore.kkt import KKTModel, kkt_applicable
from gamecore.optimistic import optimistic_selection
from gamecore.options import option
from gamecore.result import Status
from gamecore.strategy import Outcome, SolveContext, Strategy


@dataclass
class KKTOptions:
    """Options of ``kkt``. No ``tol``: SCIP stops when the relative gap between incumbent and
    proven bound is within ``mip_gap`` (status ``converged``) or at ``time_limit``.

    ``time_limit`` is a number of seconds, never None: SCIP always runs with a limit.
    """

    time_limit: float = option(300.0, doc="wall time SCIP may spend", gt=0, unit="s")
    mip_gap: float = option(1e-9, doc="relative optimality gap at which SCIP stops (proven optimal within it)",
                            ge=0, lt=1)
    feastol: float = option(1e-7, doc="SCIP's feasibility tolerance", gt=0, lt=1e-3)
    objective: int = option(0, doc="index of the leader objective minimised (one scalar objective per run, "
                                   "e.g. for ε-constraint or weighted-sum points)", ge=0)


class KKT(Strategy[KKTOptions]):
    name = "kkt"
    equilibrium = "stackelberg"
    integer_signals = True    # integer signal entries are integer SCIP variables
    summary = "exact optimistic Stackelberg: KKT single-level model with SOS1 complementarity, solved globally by SCIP"
    Options = KKTOptions

    def check(self, game: Game) -> None:
        super().check(game)
        reason = kkt_applicable(game, self.options.objective)
        if reason is not None:
            raise StrategyError(f"strategy '{self.name}': {reason}")

    def run(self, ctx: SolveContext) -> Outcome:
        opts: KKTOptions = ctx.options
        game = ctx.game
        model = KKTModel(game, opts.objective)
        sol = model.solve(time_limit=opts.time_limit, mip_gap=opts.mip_gap, feastol=opts.feastol)
        ctx.leader_solver_s += sol.solver_s
        extra = {"solver": "SCIP", "scip_status": sol.status, "nodes": sol.nodes, "build_s": sol.build_s,
                 "scip_s": sol.solver_s, "complementarity_pairs": model.pairs, "kkt_objective": sol.objective,
                 "mip_gap": sol.gap, "strong_duality_followers": sol.linearised, "polished": sol.polished}
        if sol.bound is not None:
            source = "kkt (SCIP proven optimal)" if sol.status == "optimal" else f"kkt (SCIP {sol.status}: dual bound)"
            extra["leader_bound"] = {"value": sol.bound, "source": source}
        if sol.signal_vector is None:
            return Outcome("failed", f"SCIP {sol.status}: no bilevel-feasible point found"
                           + (" (the bilevel problem is infeasible)" if sol.status == "infeasible" else ""),
                           sol.nodes, np.full(game.layout.size, np.nan), extra=extra)
        vector = ctx.project(sol.signal_vector)
        if sol.polished:
            responses = [Response("optimal", f.program.outputs_of(x),
                                  f.program.objective_at(x, game.follower_signals(i, vector)), 0.0, 0, x)
                         for i, (f, x) in enumerate(zip(game.followers, sol.xs))]
            extra["responses"] = "polished KKT point (exact on its complementarity piece)"
        else:
            best = ctx.respond(vector)
            selection = optimistic_selection(game, vector, best, opts.objective)
            responses = selection.responses if selection.responses is not None else best
            extra["responses"] = f"optimistic selection at the signals ({selection.status})"
        status: Status = "converged" if sol.status == "optimal" else "max_iter"
        bound = sol.bound if sol.bound is None else format(sol.bound, '.10g')
        message = (f"SCIP {sol.status} after {sol.nodes} nodes, objective {sol.objective:.10g}, bound "
                   f"{bound} ({model.pairs} complementarity pairs)")
        return Outcome(status, message, sol.nodes, vector, responses,
                       history=[{"iteration": sol.nodes, "objective": sol.objective, "bound": sol.bound}], extra=extra)
