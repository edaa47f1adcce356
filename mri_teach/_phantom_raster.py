"""Rasteriser of the synthetic pelvis (private to :mod:`mri_teach.phantom`).

:class:`Painter` turns the structures of :mod:`mri_teach._phantom_geometry` (signed
distance-like fields in world mm) into up to three structure indices and partial-volume
fractions per voxel on a RAS grid. Smooth fields are evaluated on a coarser in-plane grid
and refined to the voxel grid by the compiled compositor
(:func:`mri_teach._phantom_kernels.compose`); z partial volume comes from sub-slices.
"""

from __future__ import annotations

import math

import numpy as np

from mri_teach._phantom_geometry import _REF_BODY, BODY_SHAPE, Body, Noise, _body_scales

# --------------------------------------------------------------------------- rasteriser

SKIN_MM = 1.8  # [U] epidermis + dermis as seen at 1 mm
MUSCLE_BED_MM = 90.0  # depth of the gluteal stack: the envelope grows with muscle bulk [U]
BOWEL_LOOP_MM = 32.0  # [U] spacing of small-bowel loops (one cell per loop)
BOWEL_Z_STRETCH = 1.3  # [U] loops run longer cranio-caudally than across
BOWEL_FAT_MM = 1.6  # [U] mesenteric fat between adjacent loops
BOWEL_WALL_MM = 3.0  # [U] bowel wall around fluid/gas content
SLAB = 8  # slices whose structure fields are evaluated in one numpy call


def _smoothstep(x):
    x = np.clip(x, 0.0, 1.0)
    return x * x * (3 - 2 * x)


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
        # warp of the bowel-loop cells, derived from the bowel field (no new draws)
        bn = self.bowel_noise
        self.loop_warp = Noise(bn.k[:, [1, 2, 0]] * 1.2, bn.phase + 1.9, bn.amp)
        self._tree = None
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

    @staticmethod
    def _posterior_y(zr: float) -> float:
        """Posterior skin y (authored frame) of the trunk at level `zr`."""
        p = BODY_SHAPE.parts[0].params(min(max(zr, -62.0), 152.0))
        return p[1] - p[4]

    def _abdominal_wall(self, X, Y, z):
        """Thickness field W of the anterior abdominal wall (inside: 0 < inner < W) at the
        levels `z` (broadcasting), and which levels have a wall."""
        zr = np.asarray(z, dtype=np.float32) / self.sz
        lat = np.interp(zr, [-20, 20, 55, 85, 152], [30, 55, 75, 160, 175]) * self.sxy
        thick = np.interp(zr, [-25, -5, 40, 152], [0, 7, 9, 11])
        w = _smoothstep((lat - np.abs(X)) / 25.0) * _smoothstep((Y + 30.0 * self.sxy) / 25.0)
        return (thick * w - 0.01).astype(np.float32), np.ravel(thick) > 0

    # rasterise ----------------------------------------------------------------------
    def paint(self, shape, affine):
        from mri_teach import _phantom_kernels as K  # numba: compiled once, cached on disk

        nx, ny, nz = shape
        dx, dy, dz = (float(np.linalg.norm(affine[:3, i])) for i in range(3))
        x0, y0, z0 = affine[:3, 3]
        h = 0.5 * (dx + dy)
        # smooth fields are evaluated on a coarser in-plane grid (<= 2.8 mm; the shapes are
        # smooth on that scale, so bilinear interpolation of the sdf keeps sharp 1 mm edges)
        f = self.coarse = int(max(1, math.floor(2.8 / h)))
        nsub = int(min(3, max(1, round(dz / (2.0 * h)))))
        offs = (np.arange(nsub) + 0.5) / nsub - 0.5
        # one coarse grid for the whole volume: node a is voxel a * f (the last node may lie
        # just outside the grid, so every voxel has a cell)
        ncx, ncy = (nx - 1) // f + 2, (ny - 1) // f + 2
        xc = (x0 + dx * f * np.arange(ncx)).astype(np.float32)
        yc = (y0 + dy * f * np.arange(ncy)).astype(np.float32)
        Xc, Yc = xc[:, None], yc[None, :]
        ns, ng = len(self.structures), nz * nsub
        by_special = {"skin": K.MODE_SKIN, "subcut_fat": K.MODE_SUBCUT,
                      "deep_fat": K.MODE_DEEP, "abdominal_wall": K.MODE_WALL}
        modes = np.array([by_special.get(st.special, K.MODE_SHAPE) for st in self.structures],
                         dtype=np.int64)
        clip = np.array([bool(st.clip_inner) for st in self.structures])
        table = np.full((ns, ng, 5), -1, dtype=np.int64)
        bd_c = np.empty((ng, ncx, ncy), np.float32)
        ts_c = np.empty((ng, ncx, ncy), np.float32)
        for g in range(ng):
            bd_c[g], ts_c[g] = self._body_fields(Xc, Yc, z0 + dz * (g // nsub + offs[g % nsub]))
        # structures are evaluated for blocks of slices at once (all sub-slice levels of the
        # block broadcast along a leading axis), then cropped per sub-slice
        chunks, pos = [], 0
        for kb in range(0, nz, SLAB):
            gs = np.arange(kb * nsub, min(kb + SLAB, nz) * nsub)
            zs = z0 + dz * (gs // nsub + offs[gs % nsub])
            self._cache = {}
            for si, st in enumerate(self.structures):
                if st.shape is None and st.special != "abdominal_wall":
                    table[si, gs] = (0, 0, ncx, 0, ncy)
                    continue
                win = self._window(st, xc, yc, zs[0] - dz / nsub, zs[-1] + dz / nsub, h)
                if win is None:
                    continue
                got = self._coarse_field(st, Xc, Yc, zs, gs, win, h)
                if got is None:
                    continue
                for g, planes, a0, b0 in got:
                    table[si, g] = (pos, a0, planes.shape[1], b0, planes.shape[2])
                    chunks.append(planes.ravel())
                    pos += planes.size
        self._cache = {}
        buf = np.concatenate(chunks) if chunks else np.zeros(1, np.float32)
        idx = np.zeros((3, nx, ny, nz), dtype=np.uint8)
        frac = np.zeros((3, nx, ny, nz), dtype=np.float32)
        K.compose(nx, ny, nz, nsub, f, np.float32(h), np.float32(SKIN_MM), bd_c, ts_c,
                  modes, clip, table, buf.astype(np.float32, copy=False), idx, frac)
        return idx, frac.astype(np.float16)

    def _window(self, st, xc, yc, z0, z1, h):
        """Coarse-node rectangle (i0, i1, j0, j1) that can hold the structure in [z0, z1]."""
        if st.shape is None:
            return (0, len(xc), 0, len(yc))
        s = self.sxy
        bb = st.shape.bbox(z0 / self.sz, z1 / self.sz)
        if bb is None:
            return None
        m = 2.5 * st.noise_amp + 2 * h + 2.0
        umin, umax, ymin, ymax = bb[0] * s, bb[1] * s, bb[2] * s - m, bb[3] * s + m
        if st.side < 0:
            umin, umax = -umax, -umin
        umin, umax = umin - m, umax + m
        i0, i1 = np.searchsorted(xc, [umin, umax])
        j0, j1 = np.searchsorted(yc, [ymin, ymax])
        i0, j0 = max(int(i0) - 1, 0), max(int(j0) - 1, 0)
        i1, j1 = min(int(i1) + 1, len(xc)), min(int(j1) + 1, len(yc))
        if i1 - i0 < 2 or j1 - j0 < 2:
            return None
        return (i0, i1, j0, j1)

    def _coarse_field(self, st, Xc, Yc, zs, gs, win, h):
        """The structure's coarse field(s) at levels `zs` (sub-slices `gs`), cropped.

        Returns ``[(g, planes, a0, b0), ...]`` for the sub-slices where it can have
        coverage, or None.
        """
        i0, i1, j0, j1 = win
        X, Y = Xc[None, i0:i1], Yc[None, :, j0:j1]
        z3 = zs.reshape(-1, 1, 1)
        full = (len(zs), i1 - i0, j1 - j0)
        if st.special == "abdominal_wall":
            wall, ok = self._abdominal_wall(X, Y, z3)
            if not ok.any():
                return None
            n = st.noise_amp * self.body_detail(X, Y, z3)
            planes = np.stack([np.broadcast_to(wall, full), np.broadcast_to(n, full)], axis=1)
            return [(g, planes[r].astype(np.float32), i0, j0)
                    for r, g in enumerate(gs) if ok[r]]
        d = self._coarse_raw(st, X, Y, z3, win)
        if d is None:
            return None
        d = d + st.offset
        zr = z3 / self.sz
        if st.special in ("bowel", "bowel_fluid", "bowel_gas"):
            # packed loops: organic Voronoi cells; their edges are the mesenteric fat
            core = self._bowel_cells(X, Y, z3, win, d)
            # the lowest loops rest on the bladder dome / pelvic floor fat: an undulating
            # floor, not a plane
            floor = zr - 22.0 - 10.0 * self._bowel(X, Y, z3, win)
            if st.special == "bowel":
                d = np.minimum(d, np.minimum(core, floor * 2))
            elif st.special == "bowel_fluid":
                # fluid-filled lumen inside the wall of some loops
                fl = self._bowel(X, Y, z3, win)
                d = np.minimum(np.minimum(d, core - BOWEL_WALL_MM),
                               np.minimum(6.0 * (fl - 0.25), (floor - 4.0) * 2))
            else:
                # gas in a few loops, upper levels only
                gas = np.minimum(6.0 * (self.gas_noise(X, Y, z3) - 0.9), core - BOWEL_WALL_MM)
                d = np.minimum(np.minimum(d, gas), (floor - 18.0) * 2)
        d = np.broadcast_to(d, full)
        # keep, per sub-slice, the cells whose corners can reach coverage (+ one cell)
        m = d > -(2.0 * h * self.coarse + 1.0)
        rows, cols = m.any(axis=2), m.any(axis=1)
        out = []
        for r, g in enumerate(gs):
            ri, ci = np.flatnonzero(rows[r]), np.flatnonzero(cols[r])
            if ri.size == 0:
                continue
            r0, r1 = max(ri[0] - 1, 0), min(ri[-1] + 2, full[1])
            c0, c1 = max(ci[0] - 1, 0), min(ci[-1] + 2, full[2])
            planes = np.ascontiguousarray(d[r, r0:r1, c0:c1], dtype=np.float32)[None]
            out.append((g, planes, i0 + int(r0), j0 + int(c0)))
        return out or None

    def _coarse_raw(self, st, X, Y, z, key):
        """Shape sdf (+ noise) on the coarse window, cached for structures sharing a shape."""
        ck = ("raw", id(st.shape), st.side, key)
        if ck in self._cache:
            return self._cache[ck]
        s = self.sxy
        u = X if st.side >= 0 else -X
        d = st.shape.sdf(u / s, Y / s, z / self.sz)
        if d is not None:
            d = d * s
            if st.noise_amp:
                # mirrored noise (u) so both sides share a shape, plus a little asymmetry
                d = d + st.noise_amp * (0.8 * st.noise(u, Y, z) + 0.25 * st.detail(u, Y, z))
        self._cache[ck] = d
        return d

    def _bowel(self, X, Y, z, key):
        ck = ("bowel", key)
        if ck not in self._cache:
            self._cache[ck] = self.bowel_noise(X, Y, z)
        return self._cache[ck]

    def _bowel_cells(self, X, Y, z, key, cavity):
        """Signed distance (mm, > 0 inside) to the fat between bowel loops.

        Loops are the cells of a 3D Voronoi partition of jittered seeds (one loop per
        ~24 mm, elongated along z) with warped coordinates, so cell walls are curved; the
        half-gap to the nearest other seed is the distance to the cell wall.
        """
        ck = ("cells", key)
        if ck in self._cache:
            return self._cache[ck]
        shape = np.broadcast_shapes(X.shape, Y.shape, z.shape)
        out = np.full(shape, -20.0, np.float32)
        m = np.broadcast_to(cavity, shape) > -10.0
        if m.any():
            xx, yy, zz = (np.broadcast_to(a, shape)[m] for a in (X, Y, z))
            wx = 6.0 * self.loop_warp(xx, yy, zz)
            wy = 6.0 * self.loop_warp(yy + 31.0, xx, zz)
            wz = 8.0 * self.loop_warp(zz - 17.0, yy, xx)
            pts = np.column_stack([xx + wx, yy + wy, (zz + wz) / BOWEL_Z_STRETCH])
            dd, _ = self._loop_tree().query(pts, k=2)
            bn = np.clip(self.bowel_noise(xx, yy, zz), -1.0, 1.0)
            gap = BOWEL_FAT_MM * (1.0 + 0.6 * bn)  # fat between loops, thicker in places
            out[m] = 0.5 * (dd[:, 1] - dd[:, 0]) - 0.5 * gap
        self._cache[ck] = out
        return out

    def _loop_tree(self):
        if self._tree is None:
            from scipy.spatial import cKDTree

            # seeds from the bowel field's phases: an individual's own, without drawing from
            # the shared generator (which would change every later random field)
            rng = np.random.default_rng(np.frombuffer(self.bowel_noise.phase.tobytes(),
                                                      np.uint32))
            step = BOWEL_LOOP_MM
            gx = np.arange(-160.0, 160.0 + step, step)
            gy = np.arange(-130.0, 110.0 + step, step)
            gz = np.arange(-80.0, 260.0, step) / BOWEL_Z_STRETCH
            P = np.stack(np.meshgrid(gx, gy, gz, indexing="ij"), -1).reshape(-1, 3)
            P = P + rng.uniform(-0.4, 0.4, P.shape) * np.array([step, step,
                                                                step / BOWEL_Z_STRETCH])
            self._tree = cKDTree(P)
        return self._tree
