"""Tests of mri_teach.physics: signal equations, TI null, time course, noise."""

from __future__ import annotations

import math

import numpy as np
import pytest

from mri_teach import physics as p

FIELDS = (1.5, 3.0)


@pytest.mark.parametrize("field_t", FIELDS)
def test_stir_nulls_fat_at_computed_ti(field_t):
    tis = p.TISSUES[field_t]
    seq = p.stir_sequence(field_t)
    fat = p.tissue_signal(tis["fat"], seq, field_t=field_t)
    muscle = p.tissue_signal(tis["muscle"], seq, field_t=field_t)
    assert fat < 0.05 * muscle
    imperfect = p.stir_sequence(field_t, fat_suppression="imperfect")
    assert p.tissue_signal(tis["fat"], imperfect, field_t=field_t) > 0.2 * muscle


def test_ti_null_closed_form_matches_numeric_zero():
    for t1 in (260.0, 380.0, 1000.0):
        ti = p.ti_null_ms(t1, 4000.0)
        mz = 1 - 2 * math.exp(-ti / t1) + math.exp(-4000.0 / t1)
        assert abs(mz) < 1e-12
    assert p.ti_null_ms(260.0, 1e9) == pytest.approx(260.0 * math.log(2.0))


@pytest.mark.parametrize("field_t", FIELDS)
def test_t1w_fat_muscle_contrast_realistic(field_t):
    tis = p.TISSUES[field_t]
    ratio = (p.tissue_signal(tis["fat"], p.T1W_DEFAULT, field_t=field_t)
             / p.tissue_signal(tis["muscle"], p.T1W_DEFAULT, field_t=field_t))
    assert 2.0 < ratio < 4.0


def test_spin_echo_monotone_in_t1_and_t2():
    s = p.spin_echo(1.0, np.array([500.0, 1000.0, 2000.0]), 40.0, tr_ms=500, te_ms=10)
    assert np.all(np.diff(s) < 0)
    s = p.spin_echo(1.0, 1000.0, np.array([20.0, 40.0, 80.0]), tr_ms=500, te_ms=10)
    assert np.all(np.diff(s) > 0)


def test_mixture_is_linear_in_fat_fraction():
    seq = p.T1W_DEFAULT
    ff = np.linspace(0, 1, 5)
    s = p.mixture_signal(1.0, 1000.0, 35.0, ff, seq)
    assert np.allclose(np.diff(s, 2), 0.0, atol=1e-12)


def test_time_stage_cutoffs():
    assert p.time_stage(0) == "too_early"
    assert p.time_stage(13.9) == "too_early"
    assert p.time_stage(14) == "acute"
    assert p.time_stage(45) == "subacute"
    assert p.time_stage(200) == "chronic"
    cuts = p.StageCuts(acute_below=60.0)
    assert p.time_stage(45, cuts=cuts) == "acute"


def test_denervation_course_shape():
    c = p.DEFAULT_COURSE
    early = p.denervation_state(10)
    assert early.dt2_ms == 0 and early.t1_factor == 1 and early.volume_factor == 1
    days = np.array([20, 30, 60, 90, 180, 540])
    states = [p.denervation_state(d) for d in days]
    dt2 = np.array([s.dt2_ms for s in states])
    ff = np.array([s.ff for s in states])
    vol = np.array([s.volume_factor for s in states])
    assert np.all(np.diff(dt2) > 0) and dt2[-1] <= c.dt2_plateau_ms
    assert 10.0 <= p.denervation_state(90).dt2_ms <= 15.0
    assert np.all(np.diff(ff) >= 0) and ff[0] == pytest.approx(0.09)
    assert np.all(np.diff(vol) <= 0) and vol[-1] < 0.85
    assert max(s.t1_factor for s in states) <= c.t1_factor_plateau + 1e-9


def test_reinnervation_lets_edema_fall_back():
    base = p.denervation_state(365)
    rein = p.denervation_state(365, reinnervation_day=90)
    assert rein.dt2_ms < 0.3 * base.dt2_ms
    assert rein.ff <= base.ff and rein.volume_factor >= base.volume_factor
    # before reinnervation nothing changes
    assert p.denervation_state(60, reinnervation_day=90) == p.denervation_state(60)


def test_course_is_configurable():
    slow = p.DEFAULT_COURSE.with_(dt2_plateau_ms=10.0)
    assert p.denervation_state(400, params=slow).dt2_ms == pytest.approx(10.0, abs=0.1)


def _ratios(days, field_t=1.5):
    tis = p.TISSUES[field_t]
    m = tis["muscle"]
    s = p.denervation_state(days)
    t1w, stir = p.T1W_DEFAULT, p.stir_sequence(field_t)
    out = []
    for seq in (t1w, stir):
        n = p.mixture_signal(1, m.t1_ms, m.t2_ms, 0.09, seq, field_t=field_t)
        a = p.mixture_signal(1, m.t1_ms * s.t1_factor, m.t2_ms + s.dt2_ms, s.ff, seq,
                             field_t=field_t)
        out.append(float(a / n))
    return out


def test_tissue_level_ratios_match_literature_bands():
    t1, stir = _ratios(30)
    assert 0.97 < t1 < 1.05 and 1.2 <= stir <= 1.3
    t1, stir = _ratios(90)
    assert 1.15 <= t1 <= 1.3 and 1.3 <= stir <= 1.4
    t1, _ = _ratios(540)
    assert t1 >= 1.35


def test_rician_noise_background_rayleigh_and_bias():
    rng = np.random.default_rng(1)
    bg = p.add_rician_noise(np.zeros(200_000), 2.0, rng)
    assert bg.min() >= 0
    assert bg.mean() == pytest.approx(2.0 * math.sqrt(math.pi / 2), rel=0.02)
    hi = p.add_rician_noise(np.full(200_000, 100.0), 2.0, rng)
    assert hi.mean() == pytest.approx(100.0, rel=0.01)
    assert hi.std() == pytest.approx(2.0, rel=0.05)
    a = p.add_rician_noise(np.ones(10), 1.0, 5)
    b = p.add_rician_noise(np.ones(10), 1.0, 5)
    assert np.array_equal(a, b)


def test_tissue_table_has_both_fields_and_sources():
    for f in FIELDS:
        for name, t in p.TISSUES[f].items():
            assert 0 <= t.ff <= 1 and t.t1_ms > 0 and t.t2_ms > 0, name
    assert p.TISSUES[3.0]["fat"].t1_ms > p.TISSUES[1.5]["fat"].t1_ms
    assert p.TISSUES[1.5]["cortical_bone"].pd == pytest.approx(0.05)
