"""Rasteriser of the synthetic pelvis (private to :mod:`mri_teach.phantom`).

:class:`Painter` turns the structures of :mod:`mri_teach._phantom_geometry` (signed
distance-like fields in world mm) into up to three structure indices and partial-volume
fractions per voxel on a RAS grid. Smooth fields are evaluated on a coarser in-plane grid
and interpolated; z partial volume comes from sub-slices.
"""

from __future__ import annotations

import math

import numpy as np

from mri_teach._phantom_geometry import _REF_BODY, BODY_SHAPE, Body, Noise, _body_scales

# --------------------------------------------------------------------------- rasteriser

SKIN_MM = 1.8  # [U] epidermis + dermis as seen at 1 mm
MUSCLE_BED_MM = 90.0  # depth of the gluteal stack: the envelope grows with muscle bulk [U]


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


def _coarse_index(n, f):
    idx = np.arange(0, n, f)
    if idx[-1] != n - 1:
        idx = np.append(idx, n - 1)
    return idx


def _lin_weights_at(ia, n):
    pos = np.arange(n, dtype=np.float32)
    j = np.clip(np.searchsorted(ia, pos, side="right") - 1, 0, len(ia) - 2)
    w = np.clip((pos - ia[j]) / np.maximum(ia[j + 1] - ia[j], 1), 0.0, 1.0)
    return j, w.astype(np.float32)


def _upsample_at(c, ia, ja, n, m):
    """Bilinear interpolation of samples at rows `ia`/cols `ja` (may start < 0) to (n, m)."""
    if len(ia) == 1 and len(ja) == 1:
        return np.full((n, m), float(c[0, 0]), np.float32)
    if len(ja) > 1:
        j0, wj = _lin_weights_at(ja, m)
        c = c[:, j0] * (1 - wj) + c[:, j0 + 1] * wj
    else:
        c = np.repeat(c, m, axis=1)
    if len(ia) > 1:
        i0, wi = _lin_weights_at(ia, n)
        return c[i0] * (1 - wi)[:, None] + c[i0 + 1] * wi[:, None]
    return np.repeat(c, n, axis=0)


class Painter:
    """Rasterise structures on a RAS grid with partial volume (up to 3 per voxel)."""

    def __init__(self, structures, body: Body, rng: np.random.Generator):
        self.structures = structures
        self.body = body
        self.sz, self.sxy, self.bulk = _body_scales(body)
        self.body_noise = Noise.make(rng, n=6, wl_min=30.0, wl_max=140.0)
        self.body_detail = Noise.make(rng, n=5, wl_min=8.0, wl_max=20.0)
        self.fat_noise = Noise.make(rng, n=6, wl_min=40.0, wl_max=160.0)
        self.bowel_noise = Noise.make(rng, n=8, wl_min=32.0, wl_max=70.0)
        self.gas_noise = Noise.make(rng, n=6, wl_min=15.0, wl_max=35.0)
        self.fat_scale = float(rng.uniform(0.9, 1.1))
        self.coarse = 1
        self._cache = {}

    # body-level fields on a full slice ---------------------------------------------
    def _body_fields(self, X, Y, z):
        s = self.sxy
        zr = z / self.sz
        d = BODY_SHAPE.sdf(X / s, Y / s, zr)
        if d is None:
            d = np.full(X.shape, -100.0, dtype=np.float32)
        ax = np.abs(X)
        d = (d * s + 2.4 * self.body_noise(ax, Y, z) + 0.6 * self.body_noise(X, Y, z + 50.0)
             + 0.5 * self.body_detail(X, Y, z))
        # natal (intergluteal) cleft: a narrow posterior midline crease at the hip levels
        depth = float(np.interp(zr, [-95, -60, 0, 30, 55], [30, 50, 45, 25, 0])) * s
        if depth > 0:
            y_top = float(self._posterior_y(zr)) * s + depth
            hw = 0.9 + 0.025 * np.maximum(y_top - Y, 0.0)  # skin on skin: a thin crease
            cleft = np.minimum(y_top - Y, hw - ax)
            d = np.minimum(d, -cleft)
        yc = -15.0 * s
        th = np.arctan2(Y - yc, X)
        sin = np.sin(th)
        post = np.maximum(-sin, 0.0) ** 1.3
        b = self.body
        buttock = np.interp(zr, [-90, -60, 80, 115], [0.6, 1.0, 1.0, 0.3])
        # the lower back (midline, upper levels) carries less fat than the buttocks
        buttock = buttock * (1.0 - 0.5 * np.exp(-((X / 45.0) ** 2)) * float(zr > 85))
        ant = np.maximum(sin, 0.0) ** 2 * np.interp(zr, [-20, 40, 152], [0.2, 0.7, 1.0])
        t = (b.subcut_mm + b.subcut_post_mm * post * buttock + b.abdomen_mm * ant)
        # the skin of a body with more fat (or muscle) than the reference sits further out, so
        # the deep fascia - and the muscles it bounds - keep the reference shape
        r = _REF_BODY
        t_ref = (r.subcut_mm + r.subcut_post_mm * post * buttock + r.abdomen_mm * ant)
        d = d + (t - t_ref) + MUSCLE_BED_MM * (self.bulk - 1.0)
        t = t * self.fat_scale * (1.0 + 0.14 * self.fat_noise(ax, Y, z)
                                  + 0.04 * self.fat_noise(X, Y, z + 80.0))
        return d.astype(np.float32), t.astype(np.float32)

    def _body_fields_fast(self, X, Y, z):
        f = self.coarse
        if f == 1:
            return self._body_fields(X, Y, z)
        ia, ja = _coarse_index(X.shape[0], f), _coarse_index(Y.shape[1], f)
        d, t = self._body_fields(X[ia], Y[:, ja], z)
        n, m = X.shape[0], Y.shape[1]
        return (_upsample_at(d, ia, ja, n, m).astype(np.float32),
                _upsample_at(t, ia, ja, n, m).astype(np.float32))

    @staticmethod
    def _posterior_y(zr: float) -> float:
        """Posterior skin y (authored frame) of the trunk at level `zr`."""
        p = BODY_SHAPE.parts[0].params(min(max(zr, -62.0), 152.0))
        return p[1] - p[4]

    def _abdominal_wall(self, X, Y, z, inner):
        zr = z / self.sz
        lat = float(np.interp(zr, [-20, 20, 55, 85, 152], [30, 55, 75, 160, 175])) * self.sxy
        thick = float(np.interp(zr, [-25, -5, 40, 152], [0, 7, 9, 11]))
        if thick <= 0:
            return None
        w = _smoothstep((lat - np.abs(X)) / 25.0) * _smoothstep((Y + 30.0 * self.sxy) / 25.0)
        return np.minimum(inner, thick * w - inner - 0.01)

    # rasterise ----------------------------------------------------------------------
    def paint(self, shape, affine):
        nx, ny, nz = shape
        dx, dy, dz = (float(np.linalg.norm(affine[:3, i])) for i in range(3))
        x0, y0, z0 = affine[:3, 3]
        xs = (x0 + dx * np.arange(nx)).astype(np.float32)
        ys = (y0 + dy * np.arange(ny)).astype(np.float32)
        X, Y = xs[:, None], ys[None, :]
        h = 0.5 * (dx + dy)
        # smooth fields are evaluated on a coarser in-plane grid (<= 2.8 mm; the shapes are
        # smooth on that scale, so bilinear interpolation of the sdf keeps sharp 1 mm edges)
        self.coarse = int(max(1, math.floor(2.8 / h)))
        nsub = int(min(3, max(1, round(dz / (2.0 * h)))))
        offs = (np.arange(nsub) + 0.5) / nsub - 0.5
        idx = np.zeros((3, nx, ny, nz), dtype=np.uint8)
        frac = np.zeros((3, nx, ny, nz), dtype=np.float16)
        for k in range(nz):
            zc = z0 + dz * k
            zsub = [zc + o * dz for o in offs]
            fields = [self._body_fields_fast(X, Y, z) for z in zsub]
            sidx = np.zeros((3, nx, ny), dtype=np.uint8)
            sfrac = np.zeros((3, nx, ny), dtype=np.float32)
            used = np.zeros((nx, ny), dtype=np.uint8)
            rem = np.ones((nx, ny), dtype=np.float32)
            self._cache = {}
            for si, st in enumerate(self.structures):
                win = self._window(st, xs, ys, zsub[0] - dz / nsub, zsub[-1] + dz / nsub, h)
                if win is None:
                    continue
                sl = (slice(win[0], win[1]), slice(win[2], win[3]))
                if st.shape is not None:
                    sl = self._crop(st, X[sl[0]], Y[:, sl[1]], zsub, win, h)
                    if sl is None:
                        continue
                cov = None
                for zi, (z, (bd, ts)) in enumerate(zip(zsub, fields, strict=False)):
                    d = self._sdf(st, X[sl[0]], Y[:, sl[1]], z, bd[sl], ts[sl], (zi, win))
                    if d is None:
                        continue
                    c = np.clip(0.5 + d / h, 0.0, 1.0)
                    cov = c if cov is None else cov + c
                if cov is None:
                    continue
                if nsub > 1:
                    cov /= nsub
                f = cov * rem[sl]
                m = f > 2e-3
                if not m.any():
                    continue
                u = used[sl]
                for j in range(3):
                    sel = m & (u == j)
                    sidx[j][sl][sel] = si + 1
                    sfrac[j][sl][sel] = f[sel]
                sel = m & (u >= 3)
                if sel.any():
                    sfrac[2][sl][sel] += f[sel]
                u[m] = np.minimum(u[m] + 1, 3)
                rem[sl] -= f
            idx[..., k] = sidx
            frac[..., k] = sfrac
        self._cache = {}
        return idx, frac

    def _window(self, st, xs, ys, z0, z1, h):
        if st.special is not None and st.shape is None:
            return (0, len(xs), 0, len(ys))
        s = self.sxy
        bb = st.shape.bbox(z0 / self.sz, z1 / self.sz)
        if bb is None:
            return None
        m = 2.5 * st.noise_amp + 2 * h + 2.0
        umin, umax, ymin, ymax = bb[0] * s, bb[1] * s, bb[2] * s - m, bb[3] * s + m
        if st.side < 0:
            umin, umax = -umax, -umin
        umin, umax = umin - m, umax + m
        i0, i1 = np.searchsorted(xs, [umin, umax])
        j0, j1 = np.searchsorted(ys, [ymin, ymax])
        if i1 <= i0 or j1 <= j0:
            return None
        return (int(i0), int(i1), int(j0), int(j1))

    def _sdf(self, st, X, Y, z, bd, ts, key=None):
        sp = st.special
        if sp == "skin":
            return np.minimum(bd, SKIN_MM - bd)
        if sp == "subcut_fat":
            return bd
        inner = bd - ts
        if sp == "deep_fat":
            return inner
        if sp == "abdominal_wall":
            d = self._abdominal_wall(X, Y, z, inner)
            return None if d is None else d + st.noise_amp * self.body_detail(X, Y, z)
        d = self._fine(st, X, Y, key)
        if d is None:
            return None
        d = d + st.offset
        if sp == "bowel":
            zr = z / self.sz
            bn = self._bowel(X, Y, z, key)
            # loops: curvy tubes along the zero crossings of smooth noise
            d = np.minimum(d, np.minimum(10.0 * (0.62 - np.abs(bn)), (zr - 22.0) * 2))
        elif sp == "bowel_gas":
            zr = z / self.sz
            bn = self._bowel(X, Y, z, key)
            g = np.minimum(6.0 * (self.gas_noise(X, Y, z) - 1.2), 9.0 * (0.2 - np.abs(bn)))
            d = np.minimum(np.minimum(d, g), (zr - 40.0) * 2)
        if st.clip_inner:
            d = np.minimum(d, inner)
        return d

    def _coarse_raw(self, st, Xw, Yw, z, key):
        """Coarse shape sdf (+ noise) on the window, cached for structures sharing a shape."""
        ck = ("raw", id(st.shape), st.side, key)
        if ck in self._cache:
            return self._cache[ck]
        s = self.sxy
        f = self.coarse
        ia, ja = _coarse_index(Xw.shape[0], f), _coarse_index(Yw.shape[1], f)
        Xc, Yc = Xw[ia], Yw[:, ja]
        uc = Xc if st.side >= 0 else -Xc
        d = st.shape.sdf(uc / s, Yc / s, z / self.sz)
        if d is not None:
            d = d * s
            if st.noise_amp:
                # mirrored noise (u) so both sides share a shape, plus a little asymmetry
                d = d + st.noise_amp * (0.8 * st.noise(uc, Yc, z) + 0.25 * st.detail(uc, Yc, z))
            d = np.broadcast_to(d, (len(ia), len(ja)))
        out = (d, ia, ja)
        self._cache[ck] = out
        return out

    def _crop(self, st, Xw, Yw, zsub, win, h):
        """Shrink the window to where the structure (or its halo) can have coverage."""
        margin = 2.0 * h * self.coarse + max(st.offset, 0.0) + 1.0
        r0 = c0 = None
        for zi, z in enumerate(zsub):
            d, ia, ja = self._coarse_raw(st, Xw, Yw, z, (zi, win))
            if d is None:
                continue
            m = d > -margin
            rows = np.flatnonzero(m.any(axis=1))
            if rows.size == 0:
                continue
            cols = np.flatnonzero(m.any(axis=0))
            a0, a1 = int(ia[max(rows[0] - 1, 0)]), int(ia[min(rows[-1] + 1, len(ia) - 1)])
            b0, b1 = int(ja[max(cols[0] - 1, 0)]), int(ja[min(cols[-1] + 1, len(ja) - 1)])
            if r0 is None:
                r0, r1, c0, c1 = a0, a1, b0, b1
            else:
                r0, r1, c0, c1 = min(r0, a0), max(r1, a1), min(c0, b0), max(c1, b1)
        if r0 is None:
            return None
        self._crop_box = (win, r0, c0)
        return (slice(win[0] + r0, win[0] + r1 + 1), slice(win[2] + c0, win[2] + c1 + 1))

    def _fine(self, st, X, Y, key):
        """The cached coarse sdf interpolated onto the (cropped) fine window."""
        zi, win = key
        d, ia, ja = self._cache[("raw", id(st.shape), st.side, key)]
        if d is None:
            return None
        _, r0, c0 = self._crop_box
        n, m = X.shape[0], Y.shape[1]
        if self.coarse == 1:
            return d[r0:r0 + n, c0:c0 + m]
        # coarse samples covering rows r0..r0+n-1 / cols c0..c0+m-1
        a0 = max(int(np.searchsorted(ia, r0, side="right")) - 1, 0)
        a1 = min(int(np.searchsorted(ia, r0 + n - 1, side="left")), len(ia) - 1)
        b0 = max(int(np.searchsorted(ja, c0, side="right")) - 1, 0)
        b1 = min(int(np.searchsorted(ja, c0 + m - 1, side="left")), len(ja) - 1)
        sub = d[a0:a1 + 1, b0:b1 + 1]
        return _upsample_at(sub, ia[a0:a1 + 1] - r0, ja[b0:b1 + 1] - c0, n, m)

    def _bowel(self, X, Y, z, key):
        ck = ("bowel", key)
        if ck not in self._cache:
            self._cache[ck] = self.bowel_noise(X, Y, z)
        return self._cache[ck]
