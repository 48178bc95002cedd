"""Program families vs compiling every follower: the ``ieh`` hub program at several stage lengths.

    .venv/bin/python benchmarks/family_instantiation.py [--hubs 200] [--compiled 20]
        [--horizons 24 12 1] [--out benchmarks/results]

For each stage length H (a stage starting at period 24 − H of the day-ahead data): the seconds
to compile one family (cvxpy canonicalisation of the hub program with structure parameters,
once), the milliseconds per hub to instantiate every hub from it (its numbers, their checks and
the tensor products), and the milliseconds per hub to compile each of ``--compiled`` hubs on its
own (a fresh family per hub: what a stage cost before families), with the ratio of the two, all
in one run. Every instance is checked against its own compile on a random price (objective
within 1e-6 relative) so the speed is not bought with a wrong program.

Writes ``family_instantiation.csv``: ``horizon``, ``hubs``, ``family_compile_s``,
``instantiate_ms_per_hub``, ``compile_ms_per_hub``, ``speedup`` (compile ÷ instantiate per hub),
``max_objective_mismatch`` (relative, over the ``--compiled`` hubs).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd

from gamecore.cases import ieh
from gamecore.cases.ieh.data import make_scenario

W, TAU = ieh.ROLLING_QUADRATIC_WEIGHT, ieh.ROLLING_TIE_WEIGHT


def stage_state(hub: ieh.HubData, start: int) -> ieh.HubState:
    """A state at ``start`` the rest of the day can serve: stores at their initial energy, half of
    what the remaining shiftable rates could deliver still to serve (the rest counted as served)."""

    def served(total: float, rate: object) -> float:
        room = hub.dt * float(np.sum(np.asarray(rate, float)[start:]))
        return max(0.0, total - 0.5 * room)

    return ieh.HubState(start, hub.ees.energy_init, hub.tes.energy_init,
                        served(hub.elec_shift_total, hub.elec_shift_max),
                        served(hub.heat_shift_total, hub.heat_shift_max))


def measure(hubs: int, compiled: int, horizon: int, seed: int = 0) -> dict[str, float]:
    sc = make_scenario(hubs, 24, seed)
    start = sc.periods - horizon
    states = [stage_state(h, start) for h in sc.hubs]
    profiles = [sc.profile(i, start, "day-ahead") for i in range(hubs)]
    programs = ieh.HubPrograms()
    clock = time.perf_counter()
    first = programs.follower(sc.hubs[0], states[0], profiles[0], W, TAU)
    family_s = time.perf_counter() - clock
    clock = time.perf_counter()
    shared = [first] + [programs.follower(h, s, p, W, TAU) for h, s, p in zip(sc.hubs[1:], states[1:], profiles[1:])]
    inst_ms = (time.perf_counter() - clock) / max(1, hubs - 1) * 1e3
    rng = np.random.default_rng(seed)
    clock = time.perf_counter()
    own = [ieh.HubPrograms().follower(h, s, p, W, TAU)
           for h, s, p in zip(sc.hubs[:compiled], states[:compiled], profiles[:compiled])]
    compile_ms = (time.perf_counter() - clock) / compiled * 1e3
    worst = 0.0
    for a, b in zip(shared[:compiled], own):
        price = rng.uniform(0.3, 1.2, horizon)
        va, vb = a.respond({"price": price}).objective, b.respond({"price": price}).objective
        worst = max(worst, abs(va - vb) / max(1.0, abs(vb)))
    return {"horizon": horizon, "hubs": hubs, "family_compile_s": family_s, "instantiate_ms_per_hub": inst_ms,
            "compile_ms_per_hub": compile_ms, "speedup": compile_ms / inst_ms, "max_objective_mismatch": worst}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hubs", type=int, default=200)
    parser.add_argument("--compiled", type=int, default=20, help="hubs compiled one by one for the comparison")
    parser.add_argument("--horizons", type=int, nargs="+", default=[24, 12, 1])
    parser.add_argument("--out", type=Path, default=Path("benchmarks/results"))
    args = parser.parse_args()
    if not 1 <= args.compiled <= args.hubs:
        parser.error("--compiled must be between 1 and --hubs")
    args.out.mkdir(parents=True, exist_ok=True)
    frame = pd.DataFrame([measure(args.hubs, args.compiled, h) for h in args.horizons])
    frame.to_csv(args.out / "family_instantiation.csv", index=False)
    with pd.option_context("display.float_format", "{:.3g}".format, "display.width", 160):
        print(frame.to_string(index=False))


if __name__ == "__main__":
    main()
