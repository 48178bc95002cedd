"""Seed 001 tariffs (gamecore.energy.tariffs) and the gas-storage convenience (storage.gas_storage)."""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest

from gamecore.energy import SEED001_FIT, SEED001_TOU, Storage, gas_storage, seed001_fit, seed001_tou, storage_model
from gamecore.energy.tariffs import period_labels


def test_tou_and_fit_24_hour_vectors():
    tou, fit = seed001_tou(), seed001_fit()
    assert tou.shape == fit.shape == (24,)
    # index t = hour t+1 of the table: valley 1–6 and 23–24, flat 7–10 and 15–18, peak 11–14 and 19–22
    expected_tou = [0.40] * 6 + [0.75] * 4 + [1.20] * 4 + [0.75] * 4 + [1.20] * 4 + [0.40] * 2
    expected_fit = [0.25] * 6 + [0.45] * 4 + [0.65] * 4 + [0.45] * 4 + [0.65] * 4 + [0.25] * 2
    np.testing.assert_allclose(tou, expected_tou)
    np.testing.assert_allclose(fit, expected_fit)
    assert np.all(fit < tou)
    labels = period_labels()
    assert labels.count("peak") == labels.count("flat") == labels.count("valley") == 8
    assert labels[10] == "peak" and labels[22] == "valley" and labels[6] == "flat"
    tou[0] = 99.0                                            # a fresh copy each call
    assert seed001_tou()[0] == pytest.approx(0.40)


def test_tariff_profile_resampling():
    quarter = SEED001_TOU.profile(96, 0.25)
    assert quarter[40] == pytest.approx(1.20)                  # 10:00–10:15 is in hour 11
    assert quarter[39] == pytest.approx(0.75)
    np.testing.assert_allclose(SEED001_FIT.profile(4, 1.0, start_hour=22), [0.25, 0.25, 0.25, 0.25])


def test_period_labels_validation():
    with pytest.raises(ValueError, match="hours \\[24\\] have no period"):
        period_labels({"a": ((1, 23),)})
    with pytest.raises(ValueError, match="both"):
        period_labels({"a": ((1, 24),), "b": ((3, 3),)})


def test_gas_storage_is_a_lossless_full_range_storage():
    store = gas_storage(1000.0, 100.0, 100.0)
    assert isinstance(store, Storage)
    assert (store.soc_min, store.soc_max, store.eta_c, store.eta_d) == (0.0, 1.0, 1.0, 1.0)
    m = storage_model(store, 2)
    buy = cp.Variable(2, nonneg=True)
    demand = np.array([50.0, 50.0])
    problem = cp.Problem(cp.Minimize(np.array([1.0, 3.0]) @ buy), m.constraints + [buy == demand + m.net_draw])
    problem.solve(solver=cp.HIGHS)
    np.testing.assert_allclose(buy.value, [100.0, 0.0], atol=1e-7)    # inject 50 cheap, withdraw 50 later
    assert problem.value == pytest.approx(100.0)
    with pytest.raises(ValueError, match="Storage 'gs': capacity"):
        gas_storage(0.0, 1.0, 1.0, name="gs")
