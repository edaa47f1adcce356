"""Tests for mri_teach.orientation: RAS reorientation, display convention, affines, resampling."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from _orientation_helpers import store

from mri_teach import orientation as ori
from mri_teach.orientation import OrientationError

SHAPE_RAS = (7, 6, 5)  # distinct lengths so a wrong transpose changes the shape
VOXEL_MM = (0.8, 1.1, 3.0)
MARKER = (6, 3, 2)  # high i = patient right
PERMS = list(itertools.permutations(range(3)))
FLIPS = list(itertools.product((1, -1), repeat=3))
CASES = [(p, f) for p in PERMS for f in FLIPS]


def ras_volume():
    data = np.zeros(SHAPE_RAS, np.float32)
    data[MARKER] = 10.0
    data[0, 0, 0] = 1.0  # a second, asymmetric landmark (left posterior inferior corner)
    affine = np.diag([*VOXEL_MM, 1.0])
    affine[:3, 3] = [-2.4, -3.3, -6.0]
    return data, affine


def marker_display_x(data, plane, index, marker_xy):
    """Screen x (pixels) of `marker_xy` and of the axes centre, drawn as viz will draw it."""
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    ax.imshow(ori.plane_slice(data, plane, index).T, origin="lower", cmap="gray")
    if ori.screen_x_inverted(plane):
        ax.invert_xaxis()
    fig.canvas.draw()
    x_marker = ax.transData.transform(marker_xy)[0]
    x_centre = ax.transAxes.transform((0.5, 0.5))[0]
    return x_marker, x_centre


def test_48_cases_are_distinct():
    assert len(CASES) == 48
    _, aff = ras_volume()
    codes = {store(np.zeros(SHAPE_RAS), aff, p, f)[2] for p, f in CASES}
    assert len(codes) == 48


@pytest.mark.parametrize(("perm", "flips"), CASES)
def test_to_ras_recovers_every_orientation(perm, flips):
    data, affine = ras_volume()
    stored, stored_aff, codes = store(data, affine, perm, flips)
    assert ori.axcodes(stored_aff) == codes
    out, out_aff = ori.to_ras(stored, stored_aff)
    assert out.shape == SHAPE_RAS
    np.testing.assert_array_equal(out, data)
    np.testing.assert_allclose(out_aff, affine, atol=1e-12)
    assert ori.axcodes(out_aff) == ("R", "A", "S")
    ijk = np.argwhere(out == 10.0)[0]
    assert ijk[0] == SHAPE_RAS[0] - 1
    assert ori.voxel_to_world(out_aff, ijk)[0] > 0  # patient right is +x
    assert ori.voxel_sizes(stored_aff) == tuple(VOXEL_MM[r] for r in perm)


def test_to_ras_returns_view_and_keeps_4th_axis():
    _, affine = ras_volume()
    data4 = np.arange(np.prod(SHAPE_RAS) * 2, dtype=float).reshape(*SHAPE_RAS, 2)
    stored, stored_aff, _ = store(data4[..., 0], affine, (2, 0, 1), (-1, 1, -1))
    stacked = np.stack([stored, stored + 1], axis=-1)
    out, _ = ori.to_ras(stacked, stored_aff)
    assert out.shape == (*SHAPE_RAS, 2)
    assert np.shares_memory(out, stacked)
    np.testing.assert_array_equal(out[..., 1] - out[..., 0], 1)


def test_to_ras_identity_for_ras():
    data, affine = ras_volume()
    out, out_aff = ori.to_ras(data, affine)
    assert out is data
    np.testing.assert_array_equal(out_aff, affine)


def test_to_ras_rejects_2d():
    with pytest.raises(OrientationError, match="at least 3 dimensions"):
        ori.to_ras(np.zeros((3, 3)), np.eye(4))


@pytest.mark.parametrize("plane", ["axial", "coronal"])
def test_marker_at_patient_right_is_on_screen_left(plane):
    # the full 48-case version through files is in test_io.py; here the display contract
    data, _ = ras_volume()
    slice_axis, xa, ya = ori.plane_axes(plane)
    x, centre = marker_display_x(data, plane, MARKER[slice_axis], (MARKER[xa], MARKER[ya]))
    assert x < centre
    assert ori.display_labels(plane)["left"] == "R"


def test_neurological_display_puts_right_on_screen_right():
    import matplotlib.pyplot as plt

    data, _ = ras_volume()
    fig, ax = plt.subplots()
    ax.imshow(ori.plane_slice(data, "axial", MARKER[2]).T, origin="lower")
    if ori.screen_x_inverted("axial", neurological=True):
        ax.invert_xaxis()
    fig.canvas.draw()
    assert ax.transData.transform(MARKER[:2])[0] > ax.transAxes.transform((0.5, 0.5))[0]


# ---- affine checks -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("affine", "match"),
    [
        (np.diag([1.0, 0.0, 1.0, 1.0]), "singular"),
        (np.array([[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1.0]]), "singular"),
        (np.diag([1.0, np.nan, 1.0, 1.0]), "NaN or infinite"),
        (np.diag([1.0, 1.0, np.inf, 1.0]), "NaN or infinite"),
        (np.eye(3), "4x4"),
        (np.array([[1, 0, 0, 0], [0, 1, 0, 0], [0, 0, 1, 0], [1, 0, 0, 1.0]]), "last row"),
    ],
)
def test_check_affine_rejects(affine, match):
    with pytest.raises(OrientationError, match=match):
        ori.check_affine(affine)


def test_orientation_error_is_value_error():
    with pytest.raises(ValueError):  # noqa: PT011 - the builtin base is the contract
        ori.axcodes(np.zeros((4, 4)))


def test_check_affine_accepts_oblique_and_returns_float():
    aff = rotation_affine(20.0, axis=0)
    out = ori.check_affine(aff.tolist())
    assert out.dtype == np.float64
    np.testing.assert_allclose(out, aff)


# ---- voxel <-> world ------------------------------------------------------------------------


def rotation_affine(deg, axis=2, zooms=(0.9, 1.2, 4.0), shift=(-50.0, 20.0, 7.0)):
    c, s = np.cos(np.radians(deg)), np.sin(np.radians(deg))
    rot = np.eye(3)
    a, b = [i for i in range(3) if i != axis]
    rot[a, a], rot[a, b], rot[b, a], rot[b, b] = c, -s, s, c
    aff = np.eye(4)
    aff[:3, :3] = rot @ np.diag(zooms)
    aff[:3, 3] = shift
    return aff


def test_world_voxel_round_trip(rng):
    aff = rotation_affine(17.0, axis=1)
    ijk = rng.uniform(-5, 50, size=(20, 3))
    xyz = ori.voxel_to_world(aff, ijk)
    assert xyz.shape == (20, 3)
    np.testing.assert_allclose(ori.world_to_voxel(aff, xyz), ijk, atol=1e-9)
    single = ori.voxel_to_world(aff, ijk[3])
    assert single.shape == (3,)
    np.testing.assert_allclose(single, xyz[3])
    # distances in mm follow the voxel sizes
    step = ori.voxel_to_world(aff, [0, 0, 1]) - ori.voxel_to_world(aff, [0, 0, 0])
    assert np.linalg.norm(step) == pytest.approx(4.0)


def test_points_shape_checked():
    with pytest.raises(OrientationError, match=r"shape \(3,\) or \(N, 3\)"):
        ori.voxel_to_world(np.eye(4), [1, 2])


def test_voxel_sizes_of_oblique_affine():
    assert ori.voxel_sizes(rotation_affine(33.0)) == pytest.approx((0.9, 1.2, 4.0))


def test_obliquity():
    assert ori.obliquity_deg(np.diag([-1.0, 1.0, 2.0, 1.0])) == 0.0
    assert ori.obliquity_deg(rotation_affine(7.5, axis=0)) == pytest.approx(7.5)
    # an axis swap is not oblique
    swap = np.array([[0, 1, 0, 0], [1, 0, 0, 0], [0, 0, 1, 0], [0, 0, 0, 1.0]])
    assert ori.obliquity_deg(swap) == 0.0


# ---- resampling -----------------------------------------------------------------------------

COEF = np.array([0.7, -1.3, 2.1])


def ramp_on(shape, affine, const=5.0):
    """A linear function of world position sampled on a grid."""
    ijk = np.indices(shape).reshape(3, -1).T
    xyz = ori.voxel_to_world(affine, ijk)
    return (xyz @ COEF + const).reshape(shape).astype(np.float32)


def inside_mask(shape, src_shape, src_affine, dst_affine, margin=0.0):
    ijk = np.indices(shape).reshape(3, -1).T
    src_ijk = ori.world_to_voxel(src_affine, ori.voxel_to_world(dst_affine, ijk))
    hi = np.array(src_shape) - 1
    ok = np.all((src_ijk >= -margin) & (src_ijk <= hi + margin), axis=1)
    return ok.reshape(shape), src_ijk


@pytest.mark.parametrize(
    "src_affine",
    [
        np.diag([1.0, 1.0, 4.0, 1.0]),  # thick slices
        rotation_affine(12.0, axis=0, zooms=(1.1, 1.1, 3.0), shift=(0.5, -1.0, 1.0)),
        np.diag([-1.5, -1.5, 2.0, 1.0]) @ np.array(  # LPS with shifted origin
            [[1, 0, 0, -20], [0, 1, 0, -18], [0, 0, 1, 0], [0, 0, 0, 1.0]]),
    ],
)
def test_resample_linear_ramp_is_exact(src_affine):
    dst_shape, dst_aff = (20, 18, 16), np.eye(4)
    src_shape = (15, 20, 7)
    src = ramp_on(src_shape, src_affine)
    out = ori.resample_to_grid(src, src_affine, dst_shape, dst_aff)
    assert out.dtype == np.float32 and out.shape == dst_shape
    strict, _ = inside_mask(dst_shape, src_shape, src_affine, dst_aff)
    assert strict.sum() > 100
    expected = ramp_on(dst_shape, dst_aff)
    np.testing.assert_allclose(out[strict], expected[strict], rtol=1e-4, atol=1e-3)
    # exactly half a voxel out is a tie; just inside is valid, just outside is missing
    outer, _ = inside_mask(dst_shape, src_shape, src_affine, dst_aff, margin=0.5 + 1e-6)
    inner, _ = inside_mask(dst_shape, src_shape, src_affine, dst_aff, margin=0.5 - 1e-6)
    assert np.all(np.isnan(out[~outer]))
    assert not np.any(np.isnan(out[inner]))
    assert (~outer).sum() > 100


def test_resample_half_voxel_edge_and_nan_outside():
    src = np.arange(4.0)[:, None, None] * np.ones((4, 3, 3))
    for shift, expected in [(-0.4, 0.0), (-0.6, np.nan), (3.4, 3.0), (3.6, np.nan)]:
        dst = np.eye(4)
        dst[0, 3] = shift
        got = ori.resample_to_grid(src, np.eye(4), (1, 3, 3), dst)[0, 1, 1]
        np.testing.assert_equal(got, expected)


def test_resample_identity_is_exact(rng):
    data = rng.normal(size=(6, 5, 4)).astype(np.float32)
    aff = rotation_affine(25.0)
    out = ori.resample_to_grid(data, aff, data.shape, aff)
    np.testing.assert_allclose(out, data, rtol=1e-6)


def test_resample_labels_nearest_keeps_values(rng):
    labels = rng.integers(0, 5, size=(8, 8, 8)).astype(np.int16)
    src = np.diag([2.0, 2.0, 2.0, 1.0])
    dst = np.diag([1.0, 1.0, 1.0, 1.0])
    out = ori.resample_to_grid(labels, src, (20, 16, 16), dst, order=0)
    assert out.dtype == np.int16
    assert set(np.unique(out)) <= set(np.unique(labels)) | {0}
    # voxel (2, 2, 2) of the fine grid is world (2, 2, 2) = coarse voxel (1, 1, 1)
    assert out[2, 2, 2] == labels[1, 1, 1]
    assert np.all(out[16:] == 0)  # beyond the coarse field of view -> background


def test_resample_nan_stays_missing():
    data = np.ones((5, 5, 5), np.float32)
    data[2, 2, 2] = np.nan
    out1 = ori.resample_to_grid(data, np.eye(4), data.shape, np.eye(4))
    assert np.isnan(out1[2, 2, 2]) and np.isfinite(out1[0, 0, 0])
    out3 = ori.resample_to_grid(data, np.eye(4), data.shape, np.eye(4), order=3)
    assert np.isnan(out3[2, 2, 2]) and np.isfinite(out3[0, 0, 0])
    assert np.nansum(np.isnan(out3)) < 30  # missing data does not spread over the volume


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [({"order": 7}, "order"), ({"order": 1.5}, "order"), ({"dst_shape": (3, 3)}, "dst_shape")],
)
def test_resample_rejects_bad_arguments(kwargs, match):
    args = {"dst_shape": (3, 3, 3), **kwargs}
    with pytest.raises(OrientationError, match=match):
        ori.resample_to_grid(np.zeros((3, 3, 3)), np.eye(4), args.pop("dst_shape"),
                             np.eye(4), **args)
