"""The plug-in example of docs/writing-a-strategy.md (examples/fixed_step.py) and the plug-in contract.

The example is run on ``analytic-market`` against its closed form, the page's code block is the
example file verbatim (so the page cannot drift from the tested code), and a strategy class that
breaks the contract (no ``max_iter``, ``Options`` not a dataclass, ...) is refused with a
:class:`StrategyError` at construction, not with a raw AttributeError at solve time.
"""

from __future__ import annotations

import importlib.util
import re
import sys
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest

import gamecore
from gamecore import IterativeStrategy, Outcome, SolveContext, Strategy, StrategyError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "fixed_step.py"
PAGE = ROOT / "docs" / "writing-a-strategy.md"


def load_example() -> ModuleType:
    """examples/fixed_step.py as the module ``fixed_step`` (registered: dataclasses need it)."""
    if "fixed_step" in sys.modules:
        return sys.modules["fixed_step"]
    spec = importlib.util.spec_from_file_location("fixed_step", EXAMPLE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fixed_step"] = module
    spec.loader.exec_module(module)
    return module


def test_page_shows_the_tested_example_verbatim() -> None:
    blocks = re.findall(r"```python\n(.*?)```", PAGE.read_text(), flags=re.DOTALL)
    assert EXAMPLE.read_text() in blocks, "docs/writing-a-strategy.md must show examples/fixed_step.py verbatim"


def test_readme_links_the_page() -> None:
    assert "docs/writing-a-strategy.md" in (ROOT / "README.md").read_text()


@pytest.mark.parametrize("agents,periods", [(4, 3), (10, 24)])
def test_fixed_step_example_reaches_the_closed_form(agents: int, periods: int) -> None:
    FixedStep = load_example().FixedStep
    case = gamecore.make_case("analytic-market", agents=agents, periods=periods, seed=3)
    result = FixedStep().solve(case, progress=False)
    assert result.strategy == "fixed-step" and result.equilibrium == "market"
    assert result.status == "converged", result.message
    cert = result.certificate
    assert cert.certified, cert.failures()
    assert cert.coupling_residual <= 1e-6             # the example's own tol, checked by the certificate
    np.testing.assert_allclose(result.signals["price"], case.reference.signals["price"], rtol=1e-4)
    assert abs(result.gap_to_reference) <= 1e-5
    assert len(result.history) == result.iterations and result.history[-1]["residual"] <= 1e-6


def test_fixed_step_example_options() -> None:
    FixedStep = load_example().FixedStep
    case = gamecore.make_case("analytic-market", agents=4, periods=3, seed=3)
    short = FixedStep(max_iter=3).solve(case, progress=False)
    assert short.status == "max_iter" and short.iterations == 3 and "max_iter=3" in short.message
    with pytest.raises(StrategyError, match=r"'fixed-step': option damping must be in \(0, 1\]"):
        FixedStep(damping=1.5)
    with pytest.raises(StrategyError, match="unknown option"):
        FixedStep(alpha=0.1)


def test_what_a_plugin_needs_is_exported() -> None:
    from gamecore import MarketPoint, Status  # noqa: F401
    for name in ("IterativeStrategy", "Strategy", "SolveContext", "Outcome", "MarketPoint", "Status", "Response",
                 "Prox", "StrategyError", "builtin_strategies"):
        assert name in gamecore.__all__ and hasattr(gamecore, name), name
    assert gamecore.MarketPoint is gamecore.strategy.MarketPoint
    assert gamecore.testing.check_strategy is not None          # submodules still load lazily (PEP 562)


# ------------------------------------------------------------------------ contract errors
@dataclass
class _NoBudget:
    tol: float = 1e-6


class _Plain:                     # not a dataclass
    max_iter = 10


class _Iterative(IterativeStrategy[Any]):
    name = "broken"
    equilibrium = "market"
    Options = _NoBudget

    def initialize(self, ctx: SolveContext) -> None: ...
    def step(self, ctx: SolveContext, state: None) -> None: ...
    def converged(self, ctx: SolveContext, state: None) -> bool: return True
    def record(self, ctx: SolveContext, state: None) -> dict[str, Any]: return {}
    def outcome(self, ctx: SolveContext, state: None) -> Outcome: raise NotImplementedError


def test_missing_max_iter_is_a_strategy_error_at_construction() -> None:
    with pytest.raises(StrategyError, match=r"'broken'.*must define max_iter"):
        _Iterative()


@pytest.mark.parametrize("value", [0, -3, 2.5, True, "10"])
def test_invalid_max_iter_is_a_strategy_error_at_construction(value: object) -> None:
    @dataclass
    class Budget:
        max_iter: Any = None

    class Loose(_Iterative):
        Options = Budget

    with pytest.raises(StrategyError, match="max_iter must be an integer >= 1"):
        Loose(max_iter=value)
    with pytest.raises(StrategyError, match="max_iter must be an integer >= 1"):
        Loose()                                    # the default None is no budget either


def test_options_that_are_not_a_dataclass_are_refused() -> None:
    class NotData(_Iterative):
        Options = _Plain

    with pytest.raises(StrategyError, match=r"'broken': Options must be a dataclass type"):
        NotData()


@pytest.mark.parametrize("attribute,value,match", [
    ("name", None, "must set a class attribute name"),
    ("equilibrium", "nash", "equilibrium must be one of"),
    ("Options", None, "Options must be a dataclass type"),
])
def test_class_contract_is_checked_at_construction(attribute: str, value: object, match: str) -> None:
    @dataclass
    class Opts:
        max_iter: int = 5

    class Base(Strategy[Opts]):
        name = "contract"
        equilibrium = "market"
        Options = Opts

        def run(self, ctx: SolveContext) -> Outcome:
            raise NotImplementedError

    Broken = type("Broken", (Base,), {attribute: value})
    with pytest.raises(StrategyError, match=match):
        Broken()
