"""Tests of the phantom's compiled kernels and of the level-vectorised geometry.

The rasteriser evaluates shapes for many z levels at once and refines the coarse fields in
numba; these tests check both against the plain definitions they replace.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from mri_teach import _phantom_geometry as G
from mri_teach import _phantom_kernels as K
from mri_teach import phantom


def _shapes():
    """Every distinct shape of the pelvis and of the body outline, nested parts included."""
    rng = np.random.default_rng(3)
    out, seen = [], set()

    def walk(name, shape):
        if shape is None or id(shape) in seen:
            return
        seen.add(id(shape))
        out.append((name, shape))
        for i, part in enumerate(getattr(shape, "parts", ())):
            walk(f"{name}.{i}", part)
        if hasattr(shape, "part"):
            walk(f"{name}.mirror", shape.part)

    for st in G.pelvis_structures(G.BODIES["female"], rng):
        walk(st.name, st.shape)
    walk("body", G.BODY_SHAPE)
    return out


def test_the_shape_corpus_covers_every_primitive():
    kinds = {type(shape).__name__ for _, shape in _shapes()}
    assert {"Blob", "Band", "Layer", "Tube", "Ball", "Union", "Mirror"} <= kinds


@pytest.mark.parametrize(("name", "shape"), _shapes(), ids=[n for n, _ in _shapes()])
def test_sdf_for_many_levels_equals_one_level_at_a_time(name, shape):
    """sdf(u, y, z[:, None, None]) row r == sdf(u, y, z[r]) (or <= 0 where absent)."""
    zs = np.linspace(-90.0, 155.0, 23)
    u = np.linspace(-30.0, 170.0, 17, dtype=np.float32)[None, :, None]
    y = np.linspace(-130.0, 90.0, 13, dtype=np.float32)[None, None, :]
    many = shape.sdf(u, y, zs.reshape(-1, 1, 1))
    found = 0
    for r, z in enumerate(zs):
        one = shape.sdf(u[0], y[0], float(z))
        if one is None:
            if many is not None:
                assert np.all(np.broadcast_to(many, (len(zs), 17, 13))[r] <= 0)
            continue
        found += 1
        row = np.broadcast_to(many, (len(zs), 17, 13))[r]
        np.testing.assert_allclose(row, np.broadcast_to(one, row.shape), atol=2e-3, rtol=1e-5)
    assert found > 0


def test_interp_keys_vector_matches_scalar_and_passes_through_keys():
    zs = np.array([-10.0, 0.0, 25.0, 60.0])
    vals = np.array([[1.0, 5.0], [2.0, 3.0], [7.0, -1.0], [0.0, 4.0]])
    q = np.array([-20.0, -10.0, -3.0, 0.0, 12.5, 25.0, 59.0, 60.0, 61.0])
    rows, ok = G._interp_keys_v(zs, vals, q)
    np.testing.assert_array_equal(ok, (q >= -10) & (q <= 60))
    for z, r, o in zip(q, rows, ok, strict=True):
        one = G._interp_keys(zs, vals, float(z))
        assert (one is None) == (not o)
        if o:
            np.testing.assert_allclose(r, one)
    # Catmull-Rom interpolates: the keys themselves come back exactly
    rk, _ = G._interp_keys_v(zs, vals, zs)
    np.testing.assert_allclose(rk, vals, atol=1e-12)


def test_noise_separable_equals_direct_sum_of_waves():
    rng = np.random.default_rng(0)
    n = G.Noise.make(rng, n=5)
    x = np.linspace(-100, 100, 11, dtype=np.float32)[None, :, None]
    y = np.linspace(-80, 80, 7, dtype=np.float32)[None, None, :]
    z = np.array([-40.0, 0.0, 35.0], np.float32)[:, None, None]
    got = n(x, y, z)
    want = sum(a * np.sin(k[0] * x + k[1] * y + k[2] * z + ph)
               for k, ph, a in zip(n.k, n.phase, n.amp, strict=True))
    np.testing.assert_allclose(got, want, atol=2e-5)


def _compose_one(field_planes, nsub=1, f=1, h=1.0, clip=False):
    """Run compose on one MODE_SHAPE structure given per-sub-slice coarse planes."""
    nz = len(field_planes) // nsub
    ncx, ncy = field_planes[0].shape
    nx, ny = (ncx - 1) * f, (ncy - 1) * f
    ng = nz * nsub
    table = np.full((1, ng, 5), -1, np.int64)
    chunks, pos = [], 0
    for g, pl in enumerate(field_planes):
        table[0, g] = (pos, 0, ncx, 0, ncy)
        chunks.append(pl.astype(np.float32).ravel())
        pos += pl.size
    bd = np.full((ng, ncx, ncy), 50.0, np.float32)
    ts = np.zeros_like(bd)
    idx = np.zeros((3, nx, ny, nz), np.uint8)
    frac = np.zeros((3, nx, ny, nz), np.float32)
    K.compose(nx, ny, nz, nsub, f, np.float32(h), np.float32(1.8), bd, ts,
              np.array([K.MODE_SHAPE]), np.array([clip]), table, np.concatenate(chunks),
              idx, frac)
    return idx, frac


def test_compose_partial_volume_of_a_plane_is_exact():
    """A planar sdf d = x0 - x gives coverage clip(0.5 + d / h) per voxel, interpolated
    exactly from a coarse grid (bilinear reproduces linear fields)."""
    f, h = 3, 0.9
    ncx, ncy = 9, 5
    xi = np.arange(ncx) * f * h  # node positions (voxel a * f)
    plane = (10.3 - xi)[:, None] * np.ones((1, ncy))
    idx, frac = _compose_one([plane], f=f, h=h)
    x = np.arange((ncx - 1) * f) * h
    want = np.clip(0.5 + (10.3 - x) / h, 0, 1)
    got = frac[0, :, 0, 0]
    np.testing.assert_allclose(got[want > 2e-3], want[want > 2e-3], atol=1e-5)
    assert np.all(idx[0, want > 2e-3, :, 0] == 1)
    assert np.all(frac[0, want <= 2e-3, :, 0] == 0)


def test_compose_stacks_in_priority_order_and_conserves_volume():
    rng = np.random.default_rng(1)
    nx = ny = 24
    nz, nsub = 2, 2
    ns = 5
    table = np.full((ns, nz * nsub, 5), -1, np.int64)
    chunks, pos = [], 0
    for s in range(ns):
        for g in range(nz * nsub):
            c = rng.uniform(4, 20, 2)
            ii, jj = np.mgrid[0:nx + 1, 0:ny + 1]
            pl = (rng.uniform(3, 8) - np.hypot(ii - c[0], jj - c[1])).astype(np.float32)
            table[s, g] = (pos, 0, nx + 1, 0, ny + 1)
            chunks.append(pl.ravel())
            pos += pl.size
    bd = np.full((nz * nsub, nx + 1, ny + 1), 50.0, np.float32)
    idx = np.zeros((3, nx, ny, nz), np.uint8)
    frac = np.zeros((3, nx, ny, nz), np.float32)
    K.compose(nx, ny, nz, nsub, 1, np.float32(1.0), np.float32(1.8), bd, np.zeros_like(bd),
              np.zeros(ns, np.int64), np.zeros(ns, bool), table, np.concatenate(chunks),
              idx, frac)
    tot = frac.sum(0)
    assert tot.max() <= 1.0 + 1e-5 and tot.min() >= 0
    # structure 1 (first in priority) gets exactly its own coverage wherever it is present
    buf = np.concatenate(chunks)
    for k in range(nz):
        cov = np.zeros((nx, ny))
        for zi in range(nsub):
            e = table[0, k * nsub + zi]
            pl = buf[e[0]:e[0] + (nx + 1) * (ny + 1)].reshape(nx + 1, ny + 1)[:nx, :ny]
            cov += np.clip(0.5 + pl, 0, 1)
        cov /= nsub
        has = cov > 2e-3
        np.testing.assert_allclose(frac[0, :, :, k][has], cov[has], atol=1e-5)
        assert np.all(idx[0, :, :, k][has] == 1)
    # later slots never hold an earlier structure than the slot before
    both = (idx[0] > 0) & (idx[1] > 0)
    assert np.all(idx[1][both] > idx[0][both])


def test_dominant_labels_matches_reference():
    rng = np.random.default_rng(2)
    idx = rng.integers(0, 6, (3, 10, 9, 7)).astype(np.uint8)
    frac = rng.dirichlet([1, 1, 1, 0.5], (10, 9, 7))[..., :3].transpose(3, 0, 1, 2)
    frac = frac.astype(np.float16)
    lab_value = np.array([0, 4, 4, 9, 12, 30], np.int16)
    got = phantom._dominant_labels(idx, frac, lab_value)
    lv = lab_value[idx]
    fr = frac.astype(np.float32)
    want = np.zeros(got.shape, np.int16)
    for i, j, k in np.ndindex(got.shape):
        if fr[:, i, j, k].sum() < 0.5:
            continue
        score = {}
        for q in range(3):
            score[lv[q, i, j, k]] = score.get(lv[q, i, j, k], 0.0) + fr[q, i, j, k]
        want[i, j, k] = max(score, key=lambda v: score[v])
    agree = got == want
    # ties between equal sums are resolved by slot order; allow only exact ties to differ
    assert agree.mean() > 0.99


def test_trilinear_matches_map_coordinates():
    rng = np.random.default_rng(4)
    g = rng.standard_normal((6, 7, 5)).astype(np.float32)
    pos = [np.clip(np.linspace(-0.3, n - 0.7, m), 0, n - 1) for n, m in ((6, 13), (7, 9), (5, 11))]
    args = []
    for p, n in zip(pos, g.shape, strict=True):
        i0 = np.minimum(np.floor(p).astype(np.intp), n - 2)
        args += [i0, (p - i0).astype(np.float32)]
    got = K.trilinear(g, *args)
    coords = np.meshgrid(*pos, indexing="ij")
    want = ndimage.map_coordinates(g, coords, order=1)
    np.testing.assert_allclose(got, want, atol=1e-5)
