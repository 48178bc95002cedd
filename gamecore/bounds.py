"""Lower bounds on the leader's optimum, for the certificate's leader regret.

In order of preference:

1. the case's reference (a closed form, or an optimum verified independently);
2. a bound the strategy proved itself, handed over in ``Outcome.extra["leader_bound"]``
   (``kkt``: the branch-and-bound dual bound, valid at any time limit);
3. ``kkt`` run by the certificate, when every follower qualifies and the game has at most
   :data:`KKT_BOUND_MAX_PAIRS` complementarity pairs (time limit :data:`KKT_BOUND_TIME_S`);
   its proven dual bound is valid even when the time limit stops it.

Without any, the leader regret is unchecked and the answer is not certified.
"""

from __future__ import annotations

from typing import Any, Mapping

from gamecore.certificate import LeaderBound
from gamecore.game import Game

#: largest number of follower complementarity pairs for which the certificate runs ``kkt``
KKT_BOUND_MAX_PAIRS = 2000
#: time limit (s) of the certificate's ``kkt`` run
KKT_BOUND_TIME_S = 60.0


def leader_bound(game: Game, reference: Any, extra: Mapping[str, Any] | None = None,
                 max_pairs: int = KKT_BOUND_MAX_PAIRS, time_limit: float = KKT_BOUND_TIME_S) -> LeaderBound | None:
    """The best available lower bound on the leader's first objective (minimisation form), or None.

    Args:
        game: a Stackelberg game.
        reference: the case's :class:`~gamecore.cases.base.Reference` (or None).
        extra: the strategy's ``Outcome.extra``; a ``"leader_bound"`` entry (``{"value",
            "source"}``) there is a bound the strategy proved.
        max_pairs, time_limit: size limit and time limit of the certificate's own ``kkt`` run.
    """
    if reference is not None and getattr(reference, "kind", None) == "stackelberg":
        return LeaderBound(float(reference.objective), f"reference ({reference.source})")
    proven = (extra or {}).get("leader_bound")
    if isinstance(proven, Mapping) and proven.get("value") is not None:
        return LeaderBound(float(proven["value"]), str(proven.get("source", "strategy")))
    from gamecore.kkt import KKTModel, kkt_applicable

    if kkt_applicable(game) is not None:
        return None
    model = KKTModel(game)
    if model.pairs > max_pairs:
        return None
    solution = model.solve(time_limit=time_limit)
    if solution.bound is None:
        return None
    how = "proven optimal" if solution.status == "optimal" else f"{solution.status}: dual bound"
    return LeaderBound(float(solution.bound), f"kkt ({how}, certificate run)")
