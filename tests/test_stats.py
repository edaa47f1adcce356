import math

import numpy as np
import pytest

from mri_teach import stats
from mri_teach._validation import InputError


def test_exact_numbers_small_array():
    img = np.array([1.0, 2.0, 3.0, 4.0, 10.0, 20.0, np.nan, 7.0]).reshape(2, 2, 2)
    lab = np.array([1, 1, 1, 1, 2, 2, 2, 0]).reshape(2, 2, 2)
    s = stats.label_stats(img, lab, voxel_volume_ml=0.027, table={1: "a", 2: "b"})
    a, b = s[1], s[2]
    assert (a.voxels, a.valid, a.mean, a.median) == (4, 4, 2.5, 2.5)
    assert a.sd == pytest.approx(math.sqrt(1.25))
    assert a.p25 == pytest.approx(1.75) and a.p75 == pytest.approx(3.25)
    assert a.volume_ml == pytest.approx(0.108)
    assert (b.voxels, b.valid, b.mean) == (3, 2, 15.0)  # NaN voxel counted in volume only
    assert 0 not in s


def test_matches_naive_per_label_numpy(rng):
    img = rng.normal(100, 15, (20, 18, 9))
    img[rng.random(img.shape) < 0.01] = np.nan
    lab = rng.integers(0, 7, img.shape)
    s = stats.label_stats(img, lab, voxel_volume_ml=0.001)
    assert set(s) == set(range(1, 7))
    for v, r in s.items():
        x = img[lab == v]
        assert r.voxels == x.size
        x = x[np.isfinite(x)]
        assert r.valid == x.size
        assert r.mean == pytest.approx(x.mean())
        assert r.sd == pytest.approx(x.std())
        assert r.median == pytest.approx(np.median(x))
        np.testing.assert_allclose([r.p05, r.p25, r.p75, r.p95], np.percentile(x, [5, 25, 75, 95]))


def test_permuting_voxels_changes_nothing(rng):
    img = rng.normal(50, 5, (10, 10, 4))
    lab = rng.integers(0, 4, img.shape)
    perm = rng.permutation(img.size)
    a = stats.label_stats(img, lab, voxel_volume_ml=1.0)
    b = stats.label_stats(img.ravel()[perm].reshape(img.shape),
                          lab.ravel()[perm].reshape(img.shape), voxel_volume_ml=1.0)
    for v in a:
        assert a[v].mean == pytest.approx(b[v].mean) and a[v].median == b[v].median


def test_table_restricts_and_reports_empty_labels():
    img = np.ones((3, 3, 3))
    lab = np.zeros((3, 3, 3), int)
    lab[0] = 4
    lab[1] = 9  # not in the table: not measured
    s = stats.label_stats(img, lab, voxel_volume_ml=1.0, table={4: "x", 5: "empty"})
    assert set(s) == {4, 5}
    assert s[5].voxels == 0 and math.isnan(s[5].mean)


def test_rim_is_in_plane_and_single_slice_rois_survive():
    lab = np.zeros((9, 9, 3), int)
    lab[2:7, 2:7, 1] = 1  # one slice only, 5 x 5
    lab[0:2, 0:2, :] = 2  # too thin for an interior: rim kept
    img = np.zeros(lab.shape)
    img[3:6, 3:6, 1] = 10.0  # interior bright, rim dark
    s = stats.label_stats(img, lab, voxel_volume_ml=1.0, rim=True)
    assert s[1].voxels == 9 and s[1].mean == 10.0 and s[1].rim_removed
    assert s[2].voxels == 12 and not s[2].rim_removed
    full = stats.label_stats(img, lab, voxel_volume_ml=1.0)
    assert full[1].voxels == 25 and full[1].mean == pytest.approx(90 / 25)


def test_robust_excludes_outliers(rng):
    x = rng.normal(100, 2, 500)
    x[:10] = 400.0  # a vessel
    lab = np.ones((500, 1, 1), int)
    r = stats.label_stats(x.reshape(500, 1, 1), lab, voxel_volume_ml=1.0, robust=True)[1]
    assert r.excluded >= 10
    assert abs(r.robust_mean - 100) < 0.5 and r.mean > 105


def test_bad_inputs():
    with pytest.raises(InputError, match="does not match"):
        stats.label_stats(np.ones((2, 2, 2)), np.ones((2, 2, 1), int), voxel_volume_ml=1)
    with pytest.raises(InputError, match="integer"):
        stats.label_stats(np.ones((2, 2, 2)), np.ones((2, 2, 2)), voxel_volume_ml=1)
    with pytest.raises(InputError):
        stats.label_stats(np.ones((2, 2, 2)), np.ones((2, 2, 2), int), voxel_volume_ml=0)


def test_signal_ratio_scale_invariant(rng):
    a, b = rng.uniform(10, 100, 2)
    for k in (0.01, 3.0, 1000.0):
        assert stats.signal_ratio(k * a, k * b) == pytest.approx(a / b)
    assert math.isnan(stats.signal_ratio(1.0, math.nan))


def test_labels_on_grid_uses_world_coordinates():
    lab = np.zeros((6, 4, 2), np.int16)
    lab[4:, :, :] = 3  # x >= 4 mm
    aff = np.eye(4)
    # the same field of view stored flipped along x (LAS): index 0 is x = 5 mm
    flipped_aff = np.array([[-1.0, 0, 0, 5], [0, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1]])
    out = stats.labels_on_grid(lab, aff, (6, 4, 2), flipped_aff)
    assert out[0, 0, 0] == 3 and out[1, 0, 0] == 3 and out[2, 0, 0] == 0
    # same grid: returned unchanged
    assert stats.labels_on_grid(lab, aff, lab.shape, aff) is lab


def test_matched_volume_ratio_ignores_unmatched_slices():
    lab = np.zeros((10, 4, 6), int)
    lab[0:4, :, 0:6] = 1  # right drawn on 6 slices, 16 voxels each
    lab[6:8, :, 2:4] = 2  # left drawn on 2 slices, 8 voxels each
    ratio, n = stats.matched_volume_ratio(lab, 2, 1)
    assert n == 2 and ratio == pytest.approx(0.5)
    areas = stats.slice_areas(lab)
    assert areas[1].tolist() == [16] * 6
    assert stats.matched_volume_ratio(lab, 1, 5) == (pytest.approx(math.nan, nan_ok=True), 0)


def test_bias_field_removes_lr_shading_and_keeps_lesion():
    shape = (40, 20, 6)
    lab = np.zeros(shape, int)
    lab[2:12, 5:15, :] = 1  # right-side muscle A (low i)
    lab[14:19, 5:15, :] = 2  # right-side muscle B
    lab[21:26, 5:15, :] = 3  # left B
    lab[28:38, 5:15, :] = 4  # left A
    truth = {1: 100.0, 2: 80.0, 3: 80.0, 4: 130.0}  # label 4 "lesion" brighter
    img = np.zeros(shape)
    for v, m in truth.items():
        img[lab == v] = m
    x = np.arange(shape[0])[:, None, None] * np.ones(shape)
    shading = np.exp(0.012 * (x - 20))  # ~ +/- 25 % across the field
    f = stats.bias_field(img * shading, lab, order=2)
    corr = img * shading / f
    means = {v: corr[lab == v].mean() for v in truth}
    assert means[3] / means[2] == pytest.approx(1.0, abs=0.01)  # shading removed
    assert means[4] / means[1] == pytest.approx(1.3, abs=0.02)  # lesion contrast kept
    raw = {v: (img * shading)[lab == v].mean() for v in truth}
    assert abs(raw[3] / raw[2] - 1) > 0.05  # the test would fail without correction


def test_fortran_ordered_data_give_the_same_statistics(rng):
    # NIfTI data arrive Fortran-ordered; the fast path indexes them through the transpose
    img = rng.normal(100, 10, (30, 20, 12)).astype(np.float32)
    lab = rng.integers(0, 5, img.shape).astype(np.int32)
    lab[:4] = 0
    for kw in ({}, {"rim": True, "robust": True}):
        a = stats.label_stats(img, lab, voxel_volume_ml=1.0, **kw)
        b = stats.label_stats(np.asfortranarray(img), np.asfortranarray(lab),
                              voxel_volume_ml=1.0, **kw)
        assert a.keys() == b.keys()
        for v in a:
            da, db = a[v].to_dict(), b[v].to_dict()
            assert da.pop("name") == db.pop("name")
            assert da == pytest.approx(db, rel=1e-9, nan_ok=True)
    assert stats.label_boxes(lab) == stats.label_boxes(np.asfortranarray(lab))
