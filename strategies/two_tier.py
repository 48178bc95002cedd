"""``two-tier``: the two-tier iteration of a market under a leader with its own model (seed 002).

For a case with an upper level (:attr:`gamecore.case.Case.upper`, a
:class:`gamecore.two_tier.UpperLevel`; ``p2p-dnr``'s DSO), one iteration:

A game or case without an upper level is the degenerate two-tier game: one market clearing by
``market`` (the message says so).

1. the market clears at the followers' current data (charges) with the market strategy
   ``market`` (any registered market strategy: ``centralized`` — the welfare problem, prices =
   its duals — or ``admm`` — bilateral-trade exchange ADMM, distributed), run inside this loop
   (same pool, same driver: its iterations are nested loops);
2. the upper level decides from the followers' outputs (``p2p-dnr``: reconfigures and sets the
   loss charges) and the next data are ``(1 − damping)·old + damping·new``.

Stopping rule: the data (charges) changed by at most ``tol`` (their units, $/kWh for
``p2p-dnr``) and the integer decisions (topology) did not change, with the market cleared
(``converged``) at those data. The answer is the last market clearing (its prices, trades) and
the upper level's decision from it; the followers' data are left at the values of that
clearing, so the engine's certificate (best responses, pair balances, duality gap against the
centralized market) certifies the market equilibrium at the final charges.

On top, independently of the iteration: the upper level's checks of its final decision
(:meth:`~gamecore.two_tier.UpperLevel.check`: radiality, switching limit, AC power flow) —
``converged`` needs them to pass — and, with ``joint_bound=True`` (not ``bound``: that is an
argument of :meth:`gamecore.strategy.Strategy.solve`), its lower bound on the joint
problem (:meth:`~gamecore.two_tier.UpperLevel.bound`) at the market's welfare optimum at the
final charges (the engine's centralized market problem): ``bound_gap`` = (system cost − bound)
/ |system cost|, reported, not required (the two-tier fixed point need not be the joint optimum).

History per iteration: ``charge_change`` (max |Δ data|), ``topology_changes`` (integer
entries changed), ``trade_change`` (max |Δ output| over the coupled outputs, output units),
``loss_kw`` (mean over periods), ``market_iterations``, ``welfare_cost``, ``leader_cost``.
``result.extra``: ``headline`` (the key figures: ``loss_kw``, ``open_lines``, ``welfare``,
``bound_gap``, ``ac_check_loss_kw``...; ``gamecore solve --json`` prints them at the top
level), ``decision`` (the upper level's report), ``check`` (its checks), ``bound`` (value,
source, whether proven, details), ``market_strategy``, ``market_message``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from gamecore.canonical import Response
from gamecore.centralized import solve_centralized
from gamecore.errors import StrategyError
from gamecore.game import Game
from gamecore.options import option, time_limit_option
from gamecore.registry import get_strategy
from gamecore.strategy import IterativeStrategy, Outcome, SolveContext
from gamecore.two_tier import Decision, UpperLevel, data_change


@dataclass
class TwoTierOptions:
    """Options of ``two-tier`` (module docstring).

    ``tol``: the largest change of the upper level's data between two iterations (``p2p-dnr``: the
    network charges, $/kWh) at which the iteration may stop (with the topology unchanged and the
    market cleared); the market strategy keeps its own stopping rule.
    """

    market: str = option("centralized", doc="market strategy clearing each iteration (centralized, admm, "
                                            "admm-exchange, subgradient, ...)")
    market_max_iter: int = option(5000, doc="iteration limit of an iterative market strategy", ge=1)
    market_rho: float = option(0.0, doc="ADMM penalty of an admm market (0 = its automatic choice)", ge=0)
    max_iter: int = option(20, doc="two-tier iterations (market clearing + leader decision)", ge=1)
    tol: float = option(1e-4, doc="largest change of the leader's data (charges) at which the iteration stops",
                        gt=0, unit="$/kWh")
    damping: float = option(1.0, doc="weight of the new data: data ← (1 − damping)·old + damping·new", gt=0, le=1)
    joint_bound: bool = option(True, doc="compute the upper level's lower bound on the joint problem (bound_gap)")
    bound_time_limit: float = option(600.0, doc="wall time of the bound", gt=0, unit="s")
    time_limit: float | None = time_limit_option()


@dataclass
class _State:
    data: dict[str, dict[str, np.ndarray]]
    used: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)
    market: Outcome | None = None
    responses: list[Response] = field(default_factory=list)
    decision: Decision | None = None
    previous: Decision | None = None
    charge_change: float = math.inf
    trade_change: float = math.inf
    market_ok: bool = False


def _set_data(game: Game, data: dict[str, dict[str, np.ndarray]]) -> None:
    for f in game.followers:
        if f.name in data:
            f.set_data(data[f.name])


class TwoTier(IterativeStrategy[TwoTierOptions]):
    name = "two-tier"
    equilibrium = "market"
    summary = "two-tier iteration: market clears at the leader's data, the leader (mixed-integer) decides, repeat"
    Options = TwoTierOptions

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _upper(ctx: SolveContext) -> UpperLevel | None:
        return None if ctx.case is None else ctx.case.upper

    def _market(self, ctx: SolveContext) -> Outcome:
        opts = ctx.options
        overrides: dict[str, Any] = {}
        if opts.market != "centralized":
            overrides["max_iter"] = opts.market_max_iter
        if opts.market_rho > 0:
            overrides["rho"] = opts.market_rho
        inner = get_strategy(opts.market, **overrides)
        if not inner.targets("market"):
            raise StrategyError(f"strategy '{self.name}': market strategy '{opts.market}' does not compute "
                                f"market equilibria")
        sub = SolveContext(ctx.game, ctx.pool, inner.options, ctx.seed, ctx.progress, ctx.driver)
        outcome = inner.run(sub)
        ctx.leader_solver_s += sub.leader_solver_s
        return outcome

    @staticmethod
    def _outputs(game: Game, responses: list[Response]) -> dict[str, dict[str, np.ndarray]]:
        return {f.name: r.outputs for f, r in zip(game.followers, responses)}

    # ------------------------------------------------------------------ iteration
    def initialize(self, ctx: SolveContext) -> _State:
        upper = self._upper(ctx)
        return _State(data={} if upper is None else upper.initial_data())

    def step(self, ctx: SolveContext, state: _State) -> _State:
        upper = self._upper(ctx)
        game = ctx.game
        _set_data(game, state.data)
        state.used = {k: {n: np.array(v) for n, v in d.items()} for k, d in state.data.items()}
        outcome = self._market(ctx)
        responses = outcome.responses if outcome.responses is not None else ctx.respond(outcome.signal_vector)
        old = self._outputs(game, state.responses) if state.responses else None
        state.market, state.responses = outcome, responses
        state.market_ok = outcome.status == "converged"
        if upper is None:  # a market without an upper level: one clearing
            state.charge_change = 0.0
            return state
        outputs = self._outputs(game, responses)
        coupled = {c.output for c in game.leader.couplings}
        state.trade_change = math.inf if old is None else max(
            float(np.max(np.abs(outputs[f][o] - old[f][o]), initial=0.0))
            for f in outputs for o in outputs[f] if o in coupled)
        state.previous, state.decision = state.decision, upper.decide(outputs, ctx.driver.remaining_s)
        new = state.decision.data
        damp = ctx.options.damping
        state.data = {k: {n: (1 - damp) * state.used.get(k, {}).get(n, 0.0) + damp * np.asarray(v, float)
                          for n, v in d.items()} for k, d in new.items()}
        state.charge_change = data_change(new, state.used)
        return state

    @staticmethod
    def _failed(state: _State) -> bool:
        return (state.market is not None and state.market.status == "failed") or \
            (state.decision is not None and state.decision.status == "failed")

    def _topology_changes(self, state: _State) -> int:
        if state.decision is None or state.previous is None:
            return -1
        return int(np.count_nonzero(np.asarray(state.decision.integer) != np.asarray(state.previous.integer)))

    def converged(self, ctx: SolveContext, state: _State) -> bool:
        """The stopping rule (module docstring); also True to stop at once when the market
        clearing or the leader's decision failed (:meth:`outcome` then reports the failure)."""
        if self._upper(ctx) is None or self._failed(state):
            return True
        return (state.market_ok and state.decision is not None and state.decision.status != "failed"
                and state.charge_change <= ctx.options.tol and self._topology_changes(state) == 0)

    def record(self, ctx: SolveContext, state: _State) -> dict[str, Any]:
        decision = state.decision
        assert state.market is not None
        if decision is None:
            return {"market_status": state.market.status, "market_iterations": state.market.iterations}
        loss = decision.report.get("loss_kw", [])
        return {"charge_change": state.charge_change, "topology_changes": self._topology_changes(state),
                "trade_change": state.trade_change, "loss_kw": float(np.mean(loss)) if loss else math.nan,
                "market_status": state.market.status, "market_iterations": state.market.iterations,
                "leader_cost": decision.cost, "leader_status": decision.status,
                "welfare_cost": self._welfare_cost(ctx, state)}

    def _welfare_cost(self, ctx: SolveContext, state: _State) -> float:
        """Σ of the followers' objectives without the coupling payments (they cancel between
        followers) and without what they pay the upper level through its data
        (:meth:`~gamecore.two_tier.UpperLevel.transfers`): the market's welfare cost (money)."""
        game = ctx.game
        total = sum(r.objective for r in state.responses)
        signals = game.layout.unpack(state.market.signal_vector) if state.market is not None else {}
        for c in game.leader.couplings:
            price = np.asarray(signals[c.signal], float)
            for r in state.responses:
                if c.output in r.outputs:
                    total -= float(price @ np.ravel(r.outputs[c.output]))
        upper = self._upper(ctx)
        if upper is not None:
            total -= upper.transfers(state.used, self._outputs(game, state.responses))
        return total

    def outcome(self, ctx: SolveContext, state: _State) -> Outcome:
        upper, game = self._upper(ctx), ctx.game
        decision, market = state.decision, state.market
        assert market is not None
        if upper is None or decision is None:
            return Outcome(market.status, f"no upper level (Case.upper): the market clearing alone by "
                           f"'{ctx.options.market}': {market.message}", 0, market.signal_vector, state.responses,
                           market.supplies, extra={"market_strategy": ctx.options.market})
        _set_data(game, state.used)  # the certificate checks the clearing at the data it was made at
        outputs = self._outputs(game, state.responses)
        check = upper.check(decision, outputs)
        welfare_cost = self._welfare_cost(ctx, state)
        system_cost = welfare_cost + decision.cost
        extra: dict[str, Any] = {"decision": decision.report, "check": {"passed": check.passed,
                                                                          "failures": check.failures, **check.report},
                                 "market_strategy": ctx.options.market, "market_message": market.message}
        bound_gap = math.nan
        if ctx.options.joint_bound:
            central = solve_centralized(game)
            bound = upper.bound(decision, central.objective, min(ctx.options.bound_time_limit, ctx.driver.remaining_s))
            bound_gap = (system_cost - bound.value) / abs(system_cost) if bound.proven else math.nan
            extra["bound"] = {"value": bound.value, "source": bound.source, "proven": bound.proven, **bound.report}
        report = decision.report
        extra["headline"] = {
            "loss_kw": _mean(report.get("loss_kw")),
            "open_lines": (report.get("open_lines") or [[]])[0] if len(report.get("open_lines", [])) == 1
            else report.get("open_lines"),
            "welfare": -welfare_cost, "system_cost": system_cost, "loss_cost": decision.cost,
            "bound_gap": bound_gap,
            "ac_check_loss_kw": _mean(check.report.get("ac_check_loss_kw")),
            "min_voltage_pu": min(report.get("min_voltage_pu") or [math.nan]),
            "max_line_loading": max(report.get("max_line_loading") or [math.nan]),
            "switching_operations": report.get("switching_operations"),
            "leader_status": decision.status,
        }
        problems = []
        if not state.market_ok:
            text = market.message if len(market.message) <= 400 else market.message[:400] + " ..."
            problems.append(f"market clearing {market.status}: {text}")
        if decision.status == "failed":
            problems.append(f"leader decision failed: {decision.message}")
        if not check.passed:
            problems.append("leader checks failed: " + "; ".join(check.failures))
        message = (f"charges changed by {state.charge_change:.2e} (tol {ctx.options.tol:g}), topology changes "
                   f"{self._topology_changes(state)}; leader: {decision.message}")
        if problems:
            failed = decision.status == "failed" or not check.passed or market.status == "failed"
            return Outcome("failed" if failed else "max_iter",
                           "; ".join(problems) + "; " + message, 0, market.signal_vector, state.responses,
                           market.supplies, extra=extra)
        return Outcome("converged", message, 0, market.signal_vector, state.responses, market.supplies, extra=extra)


def _mean(values: list[float] | None) -> float:
    return float(np.mean(values)) if values else math.nan
