import numpy as np
import pytest
from skimage.draw import polygon2mask

from mri_teach import roi
from mri_teach._validation import InputError
from mri_teach.orientation import plane_slice


@pytest.mark.parametrize(
    "verts",
    [
        [(0.5, 0.5), (3.5, 0.5), (3.5, 3.5), (0.5, 3.5)],  # half-integer square
        [(1, 1), (3, 1), (3, 3), (1, 3)],  # centres on the edge
        [(0.5, 0.5), (4.5, 0.5), (0.5, 4.5)],  # triangle
        [(1, 0), (6, 2), (2, 4)],  # asymmetric triangle: catches an x/y swap
        [(0.2, 1.3), (5.7, 1.1), (5.2, 2.9), (0.9, 3.3)],
    ],
)
def test_polygon_matches_skimage_polygon2mask(verts):
    shape = (8, 6)  # not square: a swapped (row, col) order would fail
    ours = roi.polygon_to_mask(verts, shape)
    ref = polygon2mask(shape, np.asarray(verts, float))  # row = our x, col = our y
    np.testing.assert_array_equal(ours, ref)
    assert ours.any()


def test_polygon_x_is_first_axis():
    # a polygon long in x and thin in y must produce a mask long along axis 0
    m = roi.polygon_to_mask([(0.5, 0.5), (6.5, 0.5), (6.5, 1.5), (0.5, 1.5)], (8, 4))
    assert m.sum() == 6
    assert m[1:7, 1].all() and m[:, 1].sum() == 6 and m[1, :].sum() == 1


def test_polygon_pixel_centre_convention():
    # the square [0.6, 2.4] contains centres 1 and 2 only; [0.4, 2.6] also
    assert roi.polygon_to_mask([(0.6, 0.6), (2.4, 0.6), (2.4, 2.4), (0.6, 2.4)], (4, 4)).sum() == 4
    m = roi.polygon_to_mask([(1.4, 1.4), (1.6, 1.4), (1.6, 1.6), (1.4, 1.6)], (4, 4))
    assert m.sum() == 0  # no centre inside a tiny square between centres


def test_polygon_outside_and_clipped():
    assert roi.polygon_to_mask([(10, 10), (12, 10), (12, 12)], (5, 5)).sum() == 0
    m = roi.polygon_to_mask([(-5, -5), (2, -5), (2, 2), (-5, 2)], (5, 5))
    assert m.sum() == 9 and m[:3, :3].all()


def test_polygon_area_close_to_geometric_area(rng):
    # invariant: pixel count approximates the polygon area on a larger shape
    for _ in range(5):
        c = rng.uniform(30, 70, 2)
        r = rng.uniform(10, 25)
        t = np.linspace(0, 2 * np.pi, 60, endpoint=False)
        v = np.c_[c[0] + r * np.cos(t), c[1] + r * np.sin(t)]
        x, y = v[:, 0], v[:, 1]
        area = 0.5 * abs(np.dot(x, np.roll(y, 1)) - np.dot(y, np.roll(x, 1)))
        n = roi.polygon_to_mask(v, (100, 100)).sum()
        assert abs(n - area) < 2 * np.pi * r * 0.6


def test_polygon_bad_vertices():
    with pytest.raises(InputError, match="vertices"):
        roi.polygon_to_mask([(0, 0), (1, 1)], (4, 4))
    with pytest.raises(InputError, match="NaN"):
        roi.polygon_to_mask([(0, 0), (1, np.nan), (2, 2)], (4, 4))
    with pytest.raises(InputError, match="shape2d"):
        roi.polygon_to_mask([(0, 0), (1, 1), (2, 0)], (4,))


def test_ellipse_counts_and_rotation():
    m = roi.ellipse_to_mask((5, 5), (3, 1), (11, 11))
    assert m[2:9, 5].all() and not m[5, 7] and m[5, 6]
    rot = roi.ellipse_to_mask((5, 5), (3, 1), (11, 11), angle_deg=90)
    np.testing.assert_array_equal(rot, m.T)
    # a circle of radius r has about pi r^2 pixels
    n = roi.ellipse_to_mask((50, 50), (20, 20), (101, 101)).sum()
    assert abs(n - np.pi * 400) < 60


def test_brush_union_of_discs():
    m = roi.brush_to_mask([(2, 2), (8, 2), (8, 8)], 1.0, (12, 12))
    assert m[2:9, 2].all() and m[8, 2:9].all()
    assert m[2, 3] and not m[2, 4]  # 1 voxel radius
    assert not m[5, 5]
    # one point = one disc
    d = roi.brush_to_mask([(5, 5)], 2.0, (11, 11))
    np.testing.assert_array_equal(d, roi.ellipse_to_mask((5, 5), (2, 2), (11, 11)))


@pytest.mark.parametrize("plane", ["axial", "coronal", "sagittal"])
def test_plane_to_volume_round_trip(plane, rng):
    shape = (6, 5, 4)
    vol = np.zeros(shape)
    from mri_teach.orientation import plane_axes

    axis, xa, ya = plane_axes(plane)
    m2 = rng.random((shape[xa], shape[ya])) > 0.5
    m3 = roi.plane_to_volume(m2, plane, 2, shape)
    assert m3.sum() == m2.sum()
    np.testing.assert_array_equal(plane_slice(m3, plane, 2), m2)
    assert vol.shape == m3.shape


def test_plane_to_volume_errors():
    with pytest.raises(InputError, match="does not match"):
        roi.plane_to_volume(np.ones((3, 3), bool), "axial", 0, (4, 3, 2))
    with pytest.raises(InputError, match="outside"):
        roi.plane_to_volume(np.ones((4, 3), bool), "axial", 5, (4, 3, 2))


def test_roi_record_kinds():
    shape = (8, 8, 3)
    e = roi.Roi("gluteus_medius_left", "axial", 1, "ellipse", ((4, 4), (2, 2)))
    b = roi.Roi("gluteus_medius_left", "coronal", 3, "brush", ((1, 1), (5, 1)), radius_vox=0.5)
    assert e.to_volume(shape)[:, :, 1].sum() == roi.ellipse_to_mask((4, 4), (2, 2), (8, 8)).sum()
    vb = b.to_volume(shape)
    assert vb[:, 3, :].sum() == 5 and vb.sum() == 5
    with pytest.raises(InputError):
        roi.Roi("x", "axial", 0, "blob").mask2d((3, 3))


def test_labels_from_masks_and_label_to_mask():
    a = np.zeros((3, 3), bool)
    a[0] = True
    lab = roi.labels_from_masks({5: a}, (3, 3))
    assert lab.dtype == np.int32 and (lab == 5).sum() == 3
    np.testing.assert_array_equal(roi.label_to_mask(lab, 5), a)
