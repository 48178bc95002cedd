"""``kkt`` on every published bilevel test problem of the library (gamecore/cases/bilevel/).

Each problem's ``f_star`` is its independently verified optimum (corrected where the
literature lists a wrong value, see gamecore/cases/bilevel/verified.py); ``kkt`` must reach
it within 1e-6 relative, prove it (``converged``) and be certified against it.
"""

from __future__ import annotations

import pytest

import gamecore
from gamecore.cases.bilevel import PROBLEMS
from gamecore.cases.bilevel.build import build_case


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_kkt_reaches_the_verified_optimum(name: str) -> None:
    problem = PROBLEMS[name]
    result = gamecore.solve(build_case(problem), "kkt", time_limit=60.0, progress=False)
    assert result.status == "converged", result.message
    assert result.objective == pytest.approx(problem.f_star, rel=1e-6, abs=1e-6)
    assert result.certificate.certified, result.certificate.failures()


def test_corrected_problems_keep_the_listed_value() -> None:
    corrected = [p for p in PROBLEMS.values() if p.optimum_status == "corrected"]
    assert len(corrected) >= 10
    for p in corrected:
        assert p.listed_f_star is not None and p.listed_f_star != p.f_star
        assert p.notes.startswith("CORRECTED")


def test_cli_solves_a_library_problem_as_json() -> None:
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-m", "gamecore", "solve", "bilevel/Bard1984a", "--strategy", "kkt",
                          "--json"], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["status"] == "converged" and data["certificate"]["certified"] is True
    assert data["objective"] == pytest.approx(PROBLEMS["Bard1984a"].f_star, rel=1e-9)
