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

# structure modes (what the coarse buffer holds)
MODE_SHAPE = 0  # one plane: the structure's sdf (offset and specials included)
MODE_SKIN = 1  # no plane: min(bd, skin - bd) from the body fields
MODE_SUBCUT = 2  # no plane: bd (inside the skin surface)
MODE_DEEP = 3  # no plane: bd - ts (inside the deep fascia)
MODE_WALL = 4  # two planes: W, N -> min(inner, W - inner) + N


@nb.njit(cache=True)
def _accumulate_shape(cov, rem, buf, e, i0, i1, j0, j1, ca, wa, f, clip, inner, h):
    """:func:`_accumulate` for a plain shape field, one coarse cell at a time: a cell whose
    four corners are all outside (or, unclipped, all inside) by more than half a voxel
    has coverage 0 (or 1) throughout, since bilinear values lie between the corners."""
    off, a0, na, b0, nbv = e[0], e[1], e[2], e[3], e[4]
    lo = -0.5 * h
    hi = 0.5 * h
    for i in range(i0, i1 + 1):
        ra = ca[i] - a0
        wi = wa[i]
        ra1 = ra + 1 if wi > 0.0 else ra
        if ra < 0 or ra1 >= na:
            continue
        r0 = off + ra * nbv
        r1 = off + ra1 * nbv
        bstart = max(j0 // f - b0, 0)
        bstop = min(j1 // f - b0, nbv - 1)
        for rb in range(bstart, bstop + 1):
            rb1 = min(rb + 1, nbv - 1)
            top0 = buf[r0 + rb] + wi * (buf[r1 + rb] - buf[r0 + rb])
            top1 = buf[r0 + rb1] + wi * (buf[r1 + rb1] - buf[r0 + rb1])
            jlo = max((rb + b0) * f, j0)
            jhi = min((rb + b0) * f + f - 1, j1)
            if rb1 == rb:  # last node: only its own column (wj = 0) is valid
                jhi = min(jhi, (rb + b0) * f)
            if max(top0, top1) <= lo:
                continue
            if min(top0, top1) >= hi and not clip:
                for j in range(jlo, jhi + 1):
                    if rem[i, j] > 0.0:
                        cov[i, j] += 1.0
                continue
            for j in range(jlo, jhi + 1):
                if rem[i, j] <= 0.0:
                    continue
                wj = (j - (rb + b0) * f) / f
                d = top0 + wj * (top1 - top0)
                if clip:
                    d = min(d, inner[i, j])
                c = 0.5 + d / h
                if c > 0.0:
                    cov[i, j] += min(c, 1.0)


@nb.njit(cache=True)
def _accumulate(cov, rem, buf, e, i0, i1, j0, j1, ca, wa, cb, wb, mode, inner, bd, skin_mm,
                h):
    """Add the coverage of one sub-slice to `cov` over the window [i0, i1] x [j0, j1], for
    the structures made from the body fields (skin, fats) and the abdominal wall (planes
    W, N: ``min(inner, W - inner) + N``); plain shapes go through :func:`_accumulate_shape`.

    Voxels already filled by higher-priority structures (``rem == 0``) are skipped.
    """
    off, a0, na, b0, nbv = e[0], e[1], e[2], e[3], e[4]
    for i in range(i0, i1 + 1):
        ra = ca[i] - a0
        wi = wa[i]
        ra1 = ra + 1 if wi > 0.0 else ra
        if mode == MODE_WALL and (ra < 0 or ra1 >= na):
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
            else:  # MODE_WALL
                rb = cb[j] - b0
                wj = wb[j]
                rb1 = rb + 1 if wj > 0.0 else rb
                if rb < 0 or rb1 >= nbv:
                    continue
                v = np.empty(2, np.float32)
                for p in range(2):
                    o = off + p * na * nbv
                    v00 = buf[o + ra * nbv + rb]
                    v01 = buf[o + ra * nbv + rb1]
                    v10 = buf[o + ra1 * nbv + rb]
                    v11 = buf[o + ra1 * nbv + rb1]
                    top = v00 + wj * (v01 - v00)
                    v[p] = top + wi * (v10 + wj * (v11 - v10) - top)
                q = inner[i, j]
                d = min(q, v[0] - q) + v[1]
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
            for i in range(i0, i1 + 1):
                for j in range(j0, j1 + 1):
                    cov[i, j] = 0.0
            for zi in range(nsub):
                e = table[s, k * nsub + zi]
                if e[0] >= 0 and mode == MODE_SHAPE:
                    _accumulate_shape(cov, rem, buf, e, i0, i1, j0, j1, ca, wa, f, clip[s],
                                      inner[zi], h)
                elif e[0] >= 0:
                    _accumulate(cov, rem, buf, e, i0, i1, j0, j1, ca, wa, cb, wb, mode,
                                inner[zi], bd[zi], skin_mm, h)
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


@nb.njit(cache=True, parallel=True)
def dominant_labels(idx, frac, lab_value):
    """Label of the largest summed fraction per voxel (equal labels across slots merged);
    0 (air) where the voxel is less than half filled. `idx`/`frac` are (3, I, J, K)."""
    _, ni, nj, nk = idx.shape
    out = np.zeros((ni, nj, nk), np.int16)
    for i in nb.prange(ni):
        for j in range(nj):
            for k in range(nk):
                l0 = lab_value[idx[0, i, j, k]]
                l1 = lab_value[idx[1, i, j, k]]
                l2 = lab_value[idx[2, i, j, k]]
                f0 = np.float32(frac[0, i, j, k])
                f1 = np.float32(frac[1, i, j, k])
                f2 = np.float32(frac[2, i, j, k])
                if f0 + f1 + f2 < 0.5:
                    continue
                g1 = f1 + (f2 if l2 == l1 else 0.0)
                g0 = f0 + (f1 if l1 == l0 else 0.0) + (f2 if l2 == l0 else 0.0)
                best = l1 if g1 > g0 else l0
                if f2 > max(g0, g1):
                    best = l2
                out[i, j, k] = best
    return out


@nb.njit(cache=True, parallel=True)
def trilinear(g, i0, wi, j0, wj, k0, wk):
    """Separable linear interpolation of the 3D array `g`: output voxel (a, b, c) blends
    ``g[i0[a]:i0[a]+2, j0[b]:j0[b]+2, k0[c]:k0[c]+2]`` with weights `wi`, `wj`, `wk`."""
    n0, n1, n2 = i0.size, j0.size, k0.size
    out = np.empty((n0, n1, n2), np.float32)
    for a in nb.prange(n0):
        ia, w0 = i0[a], wi[a]
        for b in range(n1):
            jb, w1 = j0[b], wj[b]
            for c in range(n2):
                kc, w2 = k0[c], wk[c]
                v00 = g[ia, jb, kc] + w2 * (g[ia, jb, kc + 1] - g[ia, jb, kc])
                v01 = g[ia, jb + 1, kc] + w2 * (g[ia, jb + 1, kc + 1] - g[ia, jb + 1, kc])
                v10 = g[ia + 1, jb, kc] + w2 * (g[ia + 1, jb, kc + 1] - g[ia + 1, jb, kc])
                v11 = g[ia + 1, jb + 1, kc] + w2 * (g[ia + 1, jb + 1, kc + 1]
                                                    - g[ia + 1, jb + 1, kc])
                v0 = v00 + w1 * (v01 - v00)
                v1 = v10 + w1 * (v11 - v10)
                out[a, b, c] = v0 + w0 * (v1 - v0)
    return out
