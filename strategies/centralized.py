"""``centralized``: the welfare problem of a market game as one convex program (reference).

Not distributed: the coordinator sees every follower's model. Its prices are the duals of
the coupling balances, so it is the market equilibrium every market strategy must reach.
"""

from __future__ import annotations

from dataclasses import dataclass

from gamecore.centralized import prices_outside_box, solve_centralized
from gamecore.options import option, time_limit_option
from gamecore.strategy import Outcome, SolveContext, Strategy


@dataclass
class CentralizedOptions:
    """``tol``: Clarabel's relative/absolute duality gap and feasibility tolerance for the stacked
    problem (Clarabel's own stopping rule; no ``max_iter``: Clarabel's iteration cap applies).

    1e-10 (tighter than Clarabel's default 1e-8): the objective of a 1000-follower problem is
    accurate at 1e-8, but individual followers' parts are not (best-response gaps ~1e-5).
    """

    tol: float = option(1e-10, doc="Clarabel's gap and feasibility tolerance", gt=0, lt=1)
    time_limit: float | None = time_limit_option()


class Centralized(Strategy[CentralizedOptions]):
    name = "centralized"
    equilibrium = "market"
    summary = "welfare problem solved as one convex program (Clarabel); prices = balance duals"
    Options = CentralizedOptions

    def run(self, ctx: SolveContext) -> Outcome:
        tol = ctx.options.tol
        sol = solve_centralized(ctx.game, {"tol_gap_abs": tol, "tol_gap_rel": tol, "tol_feas": tol})
        ctx.leader_solver_s += sol.solve_time
        outside = prices_outside_box(ctx.game, sol.signal_vector)
        if outside is not None:
            return Outcome("failed", outside, sol.iterations, sol.signal_vector,
                           extra={"centralized_objective": sol.objective})
        return Outcome("converged", f"Clarabel {sol.status} in {sol.iterations} interior-point iterations",
                       sol.iterations, sol.signal_vector, sol.responses, sol.supplies,
                       history=[{"iteration": sol.iterations, "objective": sol.objective}],
                       extra={"centralized_objective": sol.objective})
