"""Compiled inner loops of the synthetic pelvis (private; numba, imported lazily).

The rasteriser (:mod:`mri_teach._phantom_raster`) evaluates every structure's smooth signed
distance field on a coarse in-plane grid in numpy; :func:`compose` refines those fields to
the voxel grid (bilinear interpolation), turns them into partial-volume coverage averaged
over z sub-slices and stacks the structures in priority order, up to three per voxel. That
per-voxel bookkeeping is what numpy cannot do without dozens of temporaries per structure
and slice, so it is compiled here (``numba.njit``, parallel over slices, cached on disk).
"""

from __future__ import annotations

import numba as nb
import numpy as np

#: "no field here" (outside a structure's window or z range): far outside every structure
NEG = -1.0e3

# structure modes (what the coarse buffer holds)
MODE_SHAPE = 0  # one plane: the structure's sdf (offset and specials included)
MODE_SKIN = 1  # no plane: min(bd, skin - bd) from the body fields
MODE_SUBCUT = 2  # no plane: bd (inside the skin surface)
MODE_DEEP = 3  # no plane: bd - ts (inside the deep fascia)
MODE_WALL = 4  # two planes: W, N -> min(inner, W - inner) + N


@nb.njit(cache=True)
def _accumulate(cov, rem, buf, e, npl, i0, i1, j0, j1, ca, wa, cb, wb, mode, clip, inner,
                bd, skin_mm, h):
    """Add the coverage of one sub-slice to `cov` over the window [i0, i1] x [j0, j1].

    Voxels already filled by higher-priority structures (``rem == 0``) are skipped.
    """
    off, a0, na, b0, nbv = e[0], e[1], e[2], e[3], e[4]
    for i in range(i0, i1 + 1):
        ra = ca[i] - a0
        wi = wa[i]
        ra1 = ra + 1 if wi > 0.0 else ra
        row_ok = mode == MODE_SKIN or mode == MODE_SUBCUT or mode == MODE_DEEP or (
            ra >= 0 and ra1 < na)
        if not row_ok:
            continue
        for j in range(j0, j1 + 1):
            if rem[i, j] <= 0.0:
                continue
            if mode == MODE_SKIN:
                q = bd[i, j]
                d = min(q, skin_mm - q)
            elif mode == MODE_SUBCUT:
                d = bd[i, j]
            elif mode == MODE_DEEP:
                d = inner[i, j]
            else:
                rb = cb[j] - b0
                wj = wb[j]
                rb1 = rb + 1 if wj > 0.0 else rb
                if rb < 0 or rb1 >= nbv:
                    continue
                d = 0.0
                for p in range(npl):
                    o = off + p * na * nbv
                    v00 = buf[o + ra * nbv + rb]
                    v01 = buf[o + ra * nbv + rb1]
                    v10 = buf[o + ra1 * nbv + rb]
                    v11 = buf[o + ra1 * nbv + rb1]
                    top = v00 + wj * (v01 - v00)
                    v = top + wi * (v10 + wj * (v11 - v10) - top)
                    if p == 0:
                        d = v
                    else:  # MODE_WALL: planes W, N -> min(inner, W - inner) + N
                        q = inner[i, j]
                        d = min(q, d - q) + v
                if clip:
                    d = min(d, inner[i, j])
            c = 0.5 + d / h
            if c > 0.0:
                cov[i, j] += min(c, 1.0)


@nb.njit(cache=True, parallel=True)
def compose(nx, ny, nz, nsub, f, h, skin_mm, bd_c, ts_c, modes, clip, table, buf, idx, frac):
    """Paint all structures into `idx` (3, nx, ny, nz) uint8 and `frac` (3, nx, ny, nz).

    ``table[s, g] = (offset, a0, na, b0, nb)``: where structure ``s``'s coarse field of
    sub-slice ``g = k * nsub + zi`` is stored (offset -1 = absent); modes 1-3 need no
    field (offset >= 0 marks the sub-slices they exist in, rectangle = the whole grid).
    Coarse node ``a`` sits on voxel ``a * f``; fields are bilinear between nodes.
    """
    ns = modes.shape[0]
    inv = 1.0 / nsub
    ca = np.arange(nx) // f
    wa = ((np.arange(nx) - ca * f) / f).astype(np.float32)
    cb = np.arange(ny) // f
    wb = ((np.arange(ny) - cb * f) / f).astype(np.float32)
    for k in nb.prange(nz):
        bd = np.empty((nsub, nx, ny), np.float32)
        inner = np.empty((nsub, nx, ny), np.float32)
        for zi in range(nsub):
            g = k * nsub + zi
            for i in range(nx):
                a, wi = ca[i], wa[i]
                for j in range(ny):
                    b, wj = cb[j], wb[j]
                    t0 = bd_c[g, a, b] + wj * (bd_c[g, a, b + 1] - bd_c[g, a, b])
                    t1 = bd_c[g, a + 1, b] + wj * (bd_c[g, a + 1, b + 1] - bd_c[g, a + 1, b])
                    v = t0 + wi * (t1 - t0)
                    u0 = ts_c[g, a, b] + wj * (ts_c[g, a, b + 1] - ts_c[g, a, b])
                    u1 = ts_c[g, a + 1, b] + wj * (ts_c[g, a + 1, b + 1] - ts_c[g, a + 1, b])
                    bd[zi, i, j] = v
                    inner[zi, i, j] = v - (u0 + wi * (u1 - u0))
        used = np.zeros((nx, ny), np.uint8)
        rem = np.ones((nx, ny), np.float32)
        cov = np.zeros((nx, ny), np.float32)
        sidx = np.zeros((3, nx, ny), np.uint8)
        sfrac = np.zeros((3, nx, ny), np.float32)
        for s in range(ns):
            # fine window = union of the sub-slice rectangles
            i0 = nx
            i1 = -1
            j0 = ny
            j1 = -1
            for zi in range(nsub):
                e = table[s, k * nsub + zi]
                if e[0] < 0:
                    continue
                i0 = min(i0, e[1] * f)
                i1 = max(i1, (e[1] + e[2] - 1) * f)
                j0 = min(j0, e[3] * f)
                j1 = max(j1, (e[3] + e[4] - 1) * f)
            if i1 < 0:
                continue
            i0 = max(i0, 0)
            j0 = max(j0, 0)
            i1 = min(i1, nx - 1)
            j1 = min(j1, ny - 1)
            mode = modes[s]
            npl = 2 if mode == MODE_WALL else 1
            for i in range(i0, i1 + 1):
                for j in range(j0, j1 + 1):
                    cov[i, j] = 0.0
            for zi in range(nsub):
                e = table[s, k * nsub + zi]
                if e[0] >= 0:
                    _accumulate(cov, rem, buf, e, npl, i0, i1, j0, j1, ca, wa, cb, wb, mode,
                                clip[s], inner[zi], bd[zi], skin_mm, h)
            for i in range(i0, i1 + 1):
                for j in range(j0, j1 + 1):
                    r = rem[i, j]
                    fr = cov[i, j] * inv * r
                    if fr > 2e-3:
                        u = used[i, j]
                        if u < 3:
                            sidx[u, i, j] = s + 1
                            sfrac[u, i, j] = fr
                            used[i, j] = u + 1
                        else:
                            sfrac[2, i, j] += fr
                    rem[i, j] = r - fr
        for q in range(3):
            for i in range(nx):
                for j in range(ny):
                    idx[q, i, j, k] = sidx[q, i, j]
                    frac[q, i, j, k] = sfrac[q, i, j]
