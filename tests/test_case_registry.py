"""The case registry: engine boundary (cases load lazily), the ``gamecore.cases`` entry-point
group (single specs and family providers), case-specific parameters (``make_case(name,
**params)``, ``gamecore cases``, ``gamecore solve --param``).

Third-party cases are simulated with a module written to a temporary directory and entry
points added to what the registry's ``entry_points`` returns (no installed plug-in involved).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator
from importlib.metadata import EntryPoint, entry_points
from pathlib import Path

import pytest
from typer.testing import CliRunner

import gamecore
from _plugins import add_entry_points
import gamecore.registry
from gamecore import cli
from gamecore.case import Case, CaseParam, CaseSpec, Reference
from gamecore.errors import PluginWarning

GROUP = "gamecore.cases"
BUILTIN_CASES = {"analytic-market", "analytic-stackelberg", "cies", "county", "ieh", "p2p-dnr", "ries"}

PLUGIN = '''
from gamecore.case import CaseParam, CaseSpec
from gamecore.cases import analytic_market

CALLS = []


def check_scale(case, value):
    if not isinstance(value, (int, float)) or not value > 0:
        raise ValueError(f"case '{case}': scale must be a number > 0, got {value!r}")
    return float(value)


def build(agents=2, periods=2, seed=0, max_memory_gb=None, scale=1.0):
    CALLS.append({"agents": agents, "periods": periods, "seed": seed, "scale": scale})
    return analytic_market.build(agents, periods, seed, max_memory_gb)


SPEC = CaseSpec("toy", build, "a third-party case", "market", 2, 3,
                params=(CaseParam("scale", 1.0, "a scale (> 0)", parse=float, check=check_scale),))


def family():
    return [CaseSpec("fam/one", build, "member one", "market", 2, 2),
            CaseSpec("fam/two", build, "member two", "market", 3, 2),
            CaseSpec("elsewhere", build, "not a member of fam", "market", 2, 2)]
'''


pytestmark = pytest.mark.usefixtures("fresh_plugin_warnings")


@pytest.fixture
def plugin(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """The module of :data:`PLUGIN`, registered as ``toy`` (one spec), ``fam`` (a family) and
    ``toy-alias`` (the same spec under another name)."""
    (tmp_path / "gamecore_toy_cases.py").write_text(textwrap.dedent(PLUGIN))
    monkeypatch.syspath_prepend(str(tmp_path))
    extra = [EntryPoint("toy", "gamecore_toy_cases:SPEC", GROUP), EntryPoint("fam", "gamecore_toy_cases:family", GROUP),
             EntryPoint("toy-alias", "gamecore_toy_cases:SPEC", GROUP)]
    add_entry_points(monkeypatch, *extra)
    import gamecore_toy_cases  # type: ignore[import-not-found]

    yield gamecore_toy_cases
    sys.modules.pop("gamecore_toy_cases", None)



def _loaded_after(*statements: str) -> list[list[str]]:
    """In a fresh interpreter: after each statement in turn, the loaded modules whose name
    contains ``cases`` or ``energy`` (the issue's import check)."""
    show = "print([m for m in sys.modules if 'cases' in m or 'energy' in m])"
    code = "import sys\n" + "".join(f"{s}\n{show}\n" for s in statements)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, check=True).stdout
    return [eval(line) for line in out.strip().splitlines()]


# ------------------------------------------------------------------------ engine boundary
def test_importing_the_engine_loads_no_case_and_make_case_only_the_requested_one() -> None:
    strategy, package, registry, built = _loaded_after(
        "import gamecore.strategy", "import gamecore", "import gamecore.registry",
        "gamecore.make_case('analytic-market', agents=2, periods=2)")
    assert strategy == package == registry == []
    assert "gamecore.cases.analytic_market" in built
    assert not [m for m in built if "ieh" in m or "energy" in m or "bilevel" in m], built


def test_case_classes_live_in_the_engine_and_are_re_exported() -> None:
    from gamecore.cases import base

    assert base.Case is Case is gamecore.Case and base.Reference is Reference is gamecore.Reference
    assert base.CaseSpec is CaseSpec and gamecore.cases.CaseParam is CaseParam
    assert gamecore.make_case is gamecore.cases.make_case
    assert gamecore.cases.ieh.CAP_MARGIN == 1.2          # case modules stay reachable as attributes


# ----------------------------------------------------------------------- the registry
def test_builtin_cases_are_entry_points_and_keep_their_order() -> None:
    declared = {ep.name for ep in entry_points(group=GROUP)}
    assert BUILTIN_CASES | {"bilevel"} <= declared
    names = list(gamecore.CASES)
    assert names[:7] == ["analytic-market", "analytic-stackelberg", "cies", "county", "ieh", "p2p-dnr", "ries"]
    bilevel = [n for n in names if n.startswith("bilevel/")]
    assert len(bilevel) == len(gamecore.cases.bilevel.PROBLEMS) == 103 and names[7:] == bilevel
    assert all(gamecore.CASES[n].kind == "stackelberg" for n in bilevel)
    assert list(gamecore.available_cases()) == names


def test_unknown_case_lists_the_available_ones() -> None:
    with pytest.raises(gamecore.UnknownCaseError, match="unknown case 'nope'; available: analytic-market") as err:
        gamecore.make_case("nope")
    assert isinstance(err.value, KeyError) and "ieh" in str(err.value)
    with pytest.raises(gamecore.UnknownCaseError, match="unknown case 'bilevel/Nope'"):
        gamecore.make_case("bilevel/Nope")


def test_a_family_member_is_built_without_loading_other_entry_points() -> None:
    case = gamecore.make_case("bilevel/Bard1984a")
    assert case.name == "bilevel/Bard1984a" and case.reference is not None
    assert case.reference.objective == pytest.approx(gamecore.cases.bilevel.PROBLEMS["Bard1984a"].f_star)


# --------------------------------------------------------------------- case parameters
def test_unknown_parameter_lists_the_valid_ones() -> None:
    with pytest.raises(ValueError, match=r"case 'ieh': unknown parameter 'capacity'; valid parameters: cap_margin"):
        gamecore.make_case("ieh", agents=2, capacity=3.0)
    with pytest.raises(ValueError, match=r"case 'analytic-market': unknown parameter 'scale'; it takes no parameters"):
        gamecore.make_case("analytic-market", agents=2, scale=3.0)


@pytest.mark.parametrize("value", [1.0, 0.5, -2, float("nan"), float("inf"), "big", True, None])
def test_bad_ieh_cap_margin_is_refused_naming_it(value: object) -> None:
    with pytest.raises(ValueError, match=r"case 'ieh': cap_margin must be a finite number > 1"):
        gamecore.make_case("ieh", agents=2, cap_margin=value)


def test_ieh_cap_margin_scales_the_calibrated_transformer() -> None:
    default = gamecore.make_case("ieh", agents=2, periods=24, seed=1)
    wider = gamecore.make_case("ieh", agents=2, periods=24, seed=1, cap_margin=1.5)
    assert default.params["cap_margin"] == 1.2 and wider.params["cap_margin"] == 1.5
    ratio = wider.params["scenario"].transformer_cap / default.params["scenario"].transformer_cap
    assert ratio == pytest.approx(1.5 / 1.2, rel=1e-9)
    assert wider.rolling.scenario.transformer_cap == wider.params["scenario"].transformer_cap


def test_size_checks_stay_with_case_arguments() -> None:
    with pytest.raises(ValueError, match="case 'ieh': agents must be an integer >= 1"):
        gamecore.make_case("ieh", agents=0, cap_margin=1.5)


def test_spec_parses_and_resolves_parameters() -> None:
    spec = gamecore.cases.case_spec("ieh")
    assert [p.name for p in spec.params] == ["cap_margin"]
    assert spec.resolve_params({}) == {"cap_margin": 1.2}
    assert spec.resolve_params(spec.parse_params({"cap_margin": "1.75"})) == {"cap_margin": 1.75}
    with pytest.raises(ValueError, match=r"parameter cap_margin='x' could not be parsed"):
        spec.parse_params({"cap_margin": "x"})
    with pytest.raises(ValueError, match="valid parameters: cap_margin"):
        spec.parse_params({"margin": "2"})


# ------------------------------------------------------------------- third-party cases
def test_third_party_case_and_family_are_registered(plugin: object, monkeypatch: pytest.MonkeyPatch) -> None:
    add_entry_points(monkeypatch, EntryPoint("ieh", "gamecore_toy_cases:SPEC", GROUP))     # shadows a built-in
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        registry = gamecore.available_cases()
        again = gamecore.available_cases()
    assert list(registry) == list(again)
    assert {"toy", "toy-alias", "fam/one", "fam/two"} <= set(registry)
    assert "elsewhere" not in registry and "fam" not in registry
    assert registry["toy-alias"].name == "toy-alias" and registry["toy"].params[0].name == "scale"
    assert registry["ieh"].summary.startswith("energy hubs")                    # the built-in wins
    messages = [str(w.message) for w in caught if issubclass(w.category, PluginWarning)]
    assert len(messages) == 3, messages                                           # each once
    assert any("'toy-alias'" in m and "registered as 'toy-alias'" in m for m in messages)
    assert any("'elsewhere'" in m and "'fam/<member>'" in m for m in messages)
    assert any("'ieh' = gamecore_toy_cases:SPEC shadows the built-in" in m for m in messages)


def test_third_party_case_parameters_are_validated_by_the_case(plugin: object) -> None:
    case = gamecore.make_case("toy", seed=2, scale=3)
    assert case.game.n_followers == 2 and plugin.CALLS[-1] == {"agents": 2, "periods": 3, "seed": 2, "scale": 3.0}
    with pytest.warns(PluginWarning, match="'elsewhere'"):
        gamecore.make_case("fam/two")
    assert plugin.CALLS[-1] == {"agents": 3, "periods": 2, "seed": 0, "scale": 1.0}
    with pytest.raises(ValueError, match="scale must be a number > 0"):
        gamecore.make_case("toy", scale=-1)
    with pytest.raises(ValueError, match="unknown parameter 'size'; valid parameters: scale"):
        gamecore.make_case("toy", size=1)


# -------------------------------------------------------------------------------- CLI
def test_cli_cases_lists_parameters_and_explains_them() -> None:
    runner = CliRunner()
    res = runner.invoke(cli.app, ["cases"])
    assert res.exit_code == 0, res.output
    lines = res.stdout.splitlines()
    assert lines[0].split()[:6] == ["name", "kind", "agents", "periods", "parameters", "summary"]
    rows = {line.split()[0]: line.split() for line in lines[2:]}
    assert rows["ieh"][1:5] == ["market", "15", "24", "cap_margin=1.2"]
    assert rows["analytic-market"][4] == "-"
    res = runner.invoke(cli.app, ["cases", "ieh"])
    assert res.exit_code == 0 and "--param cap_margin=... (default 1.2): transformer limit" in res.stdout
    res = runner.invoke(cli.app, ["cases", "nope"])
    assert res.exit_code == 2 and "unknown case 'nope'" in res.output


def test_cli_param_reaches_the_case(plugin: object) -> None:
    runner = CliRunner()
    res = runner.invoke(cli.app, ["solve", "toy", "-s", "bisection", "--agents", "3", "--seed", "1",
                                  "--param", "scale=2.5", "--json"])
    assert res.exit_code == 0, res.output
    assert plugin.CALLS[-1] == {"agents": 3, "periods": 3, "seed": 1, "scale": 2.5}
    data = json.loads(res.stdout)
    assert data["case"] == "analytic-market" and data["agents"] == 3 and data["periods"] == 3


@pytest.mark.parametrize("args,message", [
    (["--param", "scale"], "--param expects key=value, got 'scale'"),
    (["--param", "scale=1", "-P", "scale=2"], "--param scale given twice"),
    (["--param", "size=1"], "unknown parameter 'size'; valid parameters: scale"),
    (["--param", "scale=abc"], "parameter scale='abc' could not be parsed"),
    (["--param", "scale=-1"], "scale must be a number > 0"),
])
def test_cli_bad_param_is_a_usage_error(plugin: object, args: list[str], message: str) -> None:
    res = CliRunner().invoke(cli.app, ["solve", "toy", "-s", "bisection", *args])
    assert res.exit_code == 2 and message in res.output, res.output
    assert plugin.CALLS == []                                     # refused before the case is built
