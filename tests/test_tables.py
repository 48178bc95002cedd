"""The one table printer (:mod:`gamecore.tables`) and the one JSON sanitiser (:mod:`gamecore.jsonable`)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from gamecore.jsonable import dumps, jsonable
from gamecore.result import Result
from gamecore.tables import Columns, StreamTable, fmt, format_table


# ----------------------------------------------------------------------------- tables
def test_format_table_pads_columns_to_the_widest_cell_and_aligns() -> None:
    text = format_table(("name", "n"), [("a", 1), ("longer", 12345)], right=(False, True))
    assert text.splitlines() == [
        "name        n",
        "------  -----",
        "a           1",
        "longer  12345",
    ]


def test_format_table_left_aligned_by_default_without_trailing_spaces() -> None:
    lines = format_table(("a", "bb"), [("xyz", "1"), ("", "")]).split("\n")
    assert lines == ["a    bb", "---  --", "xyz  1", ""]
    assert all(line == line.rstrip() for line in lines)


def test_format_table_of_no_rows_is_header_and_dashes() -> None:
    assert format_table(("x", "yy"), []) == "x  yy\n-  --"


def test_stream_table_prints_the_header_at_once_and_each_row_as_it_comes() -> None:
    printed: list[str] = []
    table = StreamTable(("strategy", "iter"), (3, 6), printed.append, right=(False, True))
    assert printed == ["strategy    iter", "--------  ------"]  # widths: at least the headers'
    assert table.widths == [8, 6]
    table.row(["ab", "7"])
    assert printed[-1] == "ab             7"
    table.row(["too-long-name", "12"])                        # fixed widths: a long cell pushes its line
    assert printed[-1] == "too-long-name      12"


def test_stream_table_and_format_table_agree_when_given_the_same_widths() -> None:
    rows = [["a", "1.5"], ["bcd", "22"]]
    printed: list[str] = []
    table = StreamTable(("k", "v"), Columns.fitting(("k", "v"), rows).widths, printed.append, right=(False, True))
    for row in rows:
        table.row(row)
    assert "\n".join(printed) == format_table(("k", "v"), rows, right=(False, True))


@pytest.mark.parametrize(("value", "spec", "expected"), [
    (None, ".4g", "n/a"), (float("nan"), ".4g", "n/a"), (np.float64("nan"), ".2e", "n/a"),
    (float("inf"), ".4g", "inf"), (-math.inf, ".3f", "-inf"), (True, ".4g", "True"), (12, ".4g", "12"),
    (np.int64(7), "d", "7"), (np.float32(0.5), ".3f", "0.500"), (1234.5678, ".6g", "1234.57"),
    ("text", ".4g", "text"), (2.5, "", "2.5"),
])
def test_fmt(value: object, spec: str, expected: str) -> None:
    assert fmt(value, spec) == expected


def test_fmt_missing_marker_is_configurable() -> None:
    assert fmt(float("nan"), ".3f", missing="-") == "-"
    assert fmt(None, missing="-") == "-"


# ---------------------------------------------------------------------------- jsonable
def test_non_finite_floats_become_null_python_and_numpy() -> None:
    value = {"a": float("nan"), "b": math.inf, "c": np.float32("-inf"), "d": np.float64(1.5), "e": 2.0}
    assert jsonable(value) == {"a": None, "b": None, "c": None, "d": 1.5, "e": 2.0}
    assert json.loads(dumps(value)) == {"a": None, "b": None, "c": None, "d": 1.5, "e": 2.0}


def test_numpy_scalars_and_arrays_become_python() -> None:
    out = jsonable({"i": np.int32(3), "b": np.bool_(True), "arr": np.array([[1.0, np.nan], [np.inf, 2.0]]),
                    "ints": np.arange(3), "s": np.str_("x")})
    assert out == {"i": 3, "b": True, "arr": [[1.0, None], [None, 2.0]], "ints": [0, 1, 2], "s": "x"}
    assert type(out["i"]) is int and type(out["b"]) is bool and type(out["arr"][0][0]) is float
    assert type(out["ints"][0]) is int and type(out["s"]) is str


def test_containers_keys_and_tuples() -> None:
    assert jsonable({1: (1, 2.0, float("nan")), "x": [{"y": np.float64("nan")}]}) == \
        {"1": [1, 2.0, None], "x": [{"y": None}]}


def test_dumps_is_strict_json_and_stringifies_unknown_objects() -> None:
    text = dumps({"p": object.__new__(_Named), "nan": [np.nan]})
    assert json.loads(text) == {"p": "named", "nan": [None]}
    assert "NaN" not in text and "Infinity" not in text
    with pytest.raises(TypeError):
        dumps({"p": _Named()}, default=None)


class _Named:
    def __str__(self) -> str:
        return "named"


def test_result_to_dict_and_to_json_use_the_sanitiser() -> None:
    result = Result(game="g", strategy="s", equilibrium="market", status="converged", message="ok", iterations=1,
                    signals={"p": np.array([1.0, np.nan])}, objective=float("inf"))
    data = result.to_dict()
    assert data["signals"] == {"p": [1.0, None]} and data["objective"] is None
    assert json.loads(result.to_json())["signals"] == {"p": [1.0, None]}
