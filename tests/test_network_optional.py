"""pandapower is optional (extra ``network``): gamecore imports and runs without it, and the
network package says how to install it.

Its absence is simulated by ``sys.modules["pandapower"] = None`` (import then raises
``ModuleNotFoundError``), so these tests run whether or not it is installed.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from typer.testing import CliRunner

from gamecore import cli
from gamecore.network.data import MissingNetworkDependency, import_pandapower, load_feeder

INSTALL = "pip install -e '.[network]'"


@pytest.fixture
def without_pandapower(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [m for m in sys.modules if m == "pandapower" or m.startswith("pandapower.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "pandapower", None)


def test_import_gamecore_does_not_import_pandapower() -> None:
    code = ("import sys, gamecore, gamecore.cli, gamecore.network; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('pandapower', 'pandera', 'geojson')))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_missing_pandapower_names_the_extra(without_pandapower: None) -> None:
    with pytest.raises(MissingNetworkDependency, match=r"pip install -e '\.\[network\]'") as info:
        load_feeder("ieee33")
    assert isinstance(info.value, ImportError)
    with pytest.raises(MissingNetworkDependency, match="pandapower"):
        import_pandapower("pandapower.networks")


def test_reconfigure_without_pandapower_is_a_usage_error(without_pandapower: None) -> None:
    res = CliRunner().invoke(cli.app, ["reconfigure", "ieee33"])
    assert res.exit_code == 2, res.output
    assert INSTALL in res.stderr and "Traceback" not in res.output


def test_a_broken_pandapower_is_not_reported_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    """An ImportError from inside pandapower (a missing dependency of its own) is shown as is."""
    def broken(name: str, *args: object, **kwargs: object) -> object:
        raise ModuleNotFoundError("No module named 'pandera'", name="pandera")

    monkeypatch.setattr("importlib.import_module", broken)
    with pytest.raises(ModuleNotFoundError, match="pandera") as info:
        import_pandapower()
    assert not isinstance(info.value, MissingNetworkDependency)
