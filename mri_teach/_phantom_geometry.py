# ruff: noqa: E501  (coordinate tables of the anatomy read best one key level per line)
"""Geometry of the synthetic pelvis (private to :mod:`mri_teach.phantom`).

Every structure is a signed distance-like field ``sdf(x, y, z)`` in world millimetres (RAS:
+x = patient right, +y = anterior, +z = superior; positive inside). Shapes are authored for
the patient's RIGHT side in a lateral coordinate ``u = x`` and mirrored (``u = -x``) for the
left, with small seeded asymmetry. z = 0 is the level of the femoral-head centres, y = 0
their antero-posterior position. Primitives:

* :class:`Blob` - superellipse cross-sections at key z levels (smoothly interpolated in z),
* :class:`Band` - a polyline with per-vertex half-widths at key levels (plates, sheets),
* :class:`Layer` - a muscle stacked on one side of a band ("bed"), e.g. gluteus minimus on
  the outer iliac table, gluteus medius on minimus, gluteus maximus on medius,
* :class:`Tube` - a chain of tapered 3D capsules (piriformis, nerves, vessels, tendons),
* :class:`Ball` - a sphere (femoral head).

Each structure's field is perturbed by seeded low-frequency 3D noise so edges are organic.
Relations follow ``../shared/domain.md`` 5.1-5.2; sizes 5.3.
"""

from __future__ import annotations

import abc
import math
from dataclasses import dataclass, field

import numpy as np

# --------------------------------------------------------------------------- interpolation


#: sdf value of "absent at this level" (far outside every structure)
NEG = -1.0e3


def _interp_keys_v(zs: np.ndarray, values: np.ndarray, z: np.ndarray):
    """Smooth (Catmull-Rom through the keys) interpolation of parameter rows at levels `z`.

    Returns ``(rows, ok)``: one row per level (shape ``(len(z), ncol)``) and whether the
    level lies within the keys (rows outside are meaningless).
    """
    z = np.asarray(z, dtype=float).ravel()
    ok = (z >= zs[0]) & (z <= zs[-1])
    n = len(zs)
    if n == 1:
        return np.repeat(values[:1], len(z), axis=0), ok
    i = np.clip(np.searchsorted(zs, z, side="right") - 1, 0, n - 2)
    z0, z1 = zs[i], zs[i + 1]
    dz01 = z1 - z0
    t = np.where(dz01 > 0, (z - z0) / np.where(dz01 > 0, dz01, 1.0), 0.0)[:, None]
    p1, p2 = values[i], values[i + 1]
    has_prev, has_next = (i > 0)[:, None], (i + 2 < n)[:, None]
    p0 = np.where(has_prev, values[np.maximum(i - 1, 0)], p1 - (p2 - p1))
    p3 = np.where(has_next, values[np.minimum(i + 2, n - 1)], p2 + (p2 - p1))
    # non-uniform spacing: scale tangents by the interval length
    dzp = np.where(i > 0, z0 - zs[np.maximum(i - 1, 0)], dz01)[:, None]
    dzn = np.where(i + 2 < n, zs[np.minimum(i + 2, n - 1)] - z1, dz01)[:, None]
    d = dz01[:, None]
    m1 = (p2 - p0) / (d + dzp) * d
    m2 = (p3 - p1) / (d + dzn) * d
    t2, t3 = t * t, t * t * t
    rows = ((2 * t3 - 3 * t2 + 1) * p1 + (t3 - 2 * t2 + t) * m1
            + (-2 * t3 + 3 * t2) * p2 + (t3 - t2) * m2)
    return rows, ok


def _interp_keys(zs: np.ndarray, values: np.ndarray, z: float) -> np.ndarray | None:
    """:func:`_interp_keys_v` at one level, or None outside the keys."""
    rows, ok = _interp_keys_v(zs, values, np.array([z], dtype=float))
    return rows[0] if ok[0] else None


def _levels(z):
    """(levels as a 1D float array, function shaping a per-level vector to broadcast)."""
    zv = np.asarray(z, dtype=float).ravel()
    zshape = np.shape(z)

    def col(a):
        return np.asarray(a, dtype=np.float32).reshape(zshape)

    return zv, col


def _absent(d, ok, col):
    """Put :data:`NEG` in the levels where the shape does not exist."""
    if ok.all():
        return d
    return np.where(col(ok) > 0, d, np.float32(NEG))


def _zsamples(z0: float, z1: float) -> np.ndarray:
    """Levels at which a bounding box over [z0, z1] is sampled (<= 8 mm apart)."""
    return np.linspace(z0, z1, max(3, int((z1 - z0) / 8.0) + 2))


@dataclass
class Noise:
    """Smooth 3D noise: a sum of random plane waves (unit-ish amplitude)."""

    k: np.ndarray  # (n, 3) wave vectors in rad/mm
    phase: np.ndarray
    amp: np.ndarray

    @classmethod
    def make(cls, rng: np.random.Generator, *, n: int = 6, wl_min: float = 18.0,
             wl_max: float = 80.0) -> Noise:
        d = rng.standard_normal((n, 3))
        d /= np.linalg.norm(d, axis=1, keepdims=True)
        wl = np.exp(rng.uniform(math.log(wl_min), math.log(wl_max), n))
        amp = (wl / wl_max) ** 0.7
        amp /= math.sqrt(float(np.sum(amp**2)) / 2.0)
        return cls(d * (2 * math.pi / wl)[:, None], rng.uniform(0, 2 * math.pi, n), amp)

    def __call__(self, x, y, z):
        x = np.asarray(x, dtype=np.float32)
        y = np.asarray(y, dtype=np.float32)
        z = np.asarray(z, dtype=np.float32)
        shape = np.broadcast_shapes(x.shape, y.shape, z.shape)
        out = np.zeros(shape, dtype=np.float32)
        sep = x.size < out.size  # sin(A + B) = sin A cos B + cos A sin B on the factors
        for (kx, ky, kz), ph, a in zip(self.k, self.phase, self.amp, strict=False):
            kx, ky, kz, ph, a = (np.float32(v) for v in (kx, ky, kz, ph, a))
            if sep:
                A = kx * x
                B = ky * y + (kz * z + ph)
                out += (a * np.sin(A)) * np.cos(B)
                out += (a * np.cos(A)) * np.sin(B)
            else:
                out += a * np.sin(kx * x + ky * y + (kz * z + ph))
        return out


# --------------------------------------------------------------------------- primitives


class Shape(abc.ABC):
    """Base class: ``sdf(u, y, z)`` in the structure's own frame (u = lateral for sided)."""

    @abc.abstractmethod
    def sdf(self, u, y, z):
        """Signed distance (mm, positive inside) at the points ``(u, y, z)``.

        `z` is one level (a float) or an array of levels broadcasting against `u`, `y`
        (e.g. ``(nz, 1, 1)``); levels where the shape is absent hold :data:`NEG`. None
        when the shape exists at none of the levels.
        """

    @abc.abstractmethod
    def bbox(self, z0: float, z1: float):
        """(umin, umax, ymin, ymax) covering the shape between z0 and z1, or None."""


@dataclass
class Blob(Shape):
    """Superellipse sections ``(z, cu, cy, a, b_ant, b_post, angle_deg, n)`` at key levels."""

    keys: list
    scale: float = 1.0  # in-plane size multiplier (muscle bulk)
    zs: np.ndarray = field(init=False)
    vals: np.ndarray = field(init=False)

    def __post_init__(self):
        k = np.asarray(self.keys, dtype=float)
        if k.shape[1] == 6:  # (z, cu, cy, a, b, ang)
            k = np.column_stack([k[:, :5], k[:, 4], k[:, 5], np.full(len(k), 2.0)])
        k = k[np.argsort(k[:, 0], kind="stable")]
        self.zs, self.vals = k[:, 0], k[:, 1:]

    def params(self, z):
        return _interp_keys(self.zs, self.vals, z)

    def sdf(self, u, y, z):
        zv, col = _levels(z)
        p, ok = _interp_keys_v(self.zs, self.vals, zv)
        if not ok.any():
            return None
        cu, cy, a, bant, bpost, ang, n = (p[:, c] for c in range(7))
        a, bant, bpost = (col(np.maximum(v * self.scale, 0.3)) for v in (a, bant, bpost))
        c, s = col(np.cos(np.radians(ang))), col(np.sin(np.radians(ang)))
        du, dy = u - col(cu), y - col(cy)
        xr = du * c + dy * s
        yr = -du * s + dy * c
        b = np.where(yr >= 0, bant, bpost)
        n = col(np.maximum(n, 1.2))
        rho = (np.abs(xr / a) ** n + np.abs(yr / b) ** n) ** (1.0 / n)
        r = np.sqrt(du * du + dy * dy)
        d = r * (1.0 / np.maximum(rho, 1e-6) - 1.0)
        # cap the ends in z so the structure tapers instead of being cut
        dz = np.minimum(zv - self.zs[0], self.zs[-1] - zv)
        return _absent(np.minimum(d, col(dz * 2.0)), ok, col)

    def bbox(self, z0, z1):
        r, ok = _interp_keys_v(self.zs, self.vals, _zsamples(z0, z1))
        if not ok.any():
            return None
        r = r[ok]
        ext = np.max(r[:, 2:5], axis=1) * self.scale * 1.2 + 4.0
        return (float(np.min(r[:, 0] - ext)), float(np.max(r[:, 0] + ext)),
                float(np.min(r[:, 1] - ext)), float(np.max(r[:, 1] + ext)))


def _polyline_fields(u, y, pts, hw, col):
    """Nearest-segment signed normal distance, half-width there and arc parameter index.

    `pts` (levels, vertices, 2) and `hw` (levels, vertices) hold one polyline per level;
    `col` shapes a per-level vector to broadcast against `u`, `y`.
    """
    best_d = None
    best_sd = best_hw = best_s = None
    for i in range(pts.shape[1] - 1):
        au, ay = col(pts[:, i, 0]), col(pts[:, i, 1])
        eu, ey = col(pts[:, i + 1, 0] - pts[:, i, 0]), col(pts[:, i + 1, 1] - pts[:, i, 1])
        L2 = np.maximum(eu * eu + ey * ey, 1e-9)
        t = np.clip(((u - au) * eu + (y - ay) * ey) / L2, 0.0, 1.0)
        qu, qy = au + t * eu, ay + t * ey
        du, dy = u - qu, y - qy
        d = np.sqrt(du * du + dy * dy)
        cross = eu * dy - ey * du  # > 0 left of the direction
        sd = np.where(cross <= 0, d, -d)  # positive on the right-hand ("outer") side
        h0, h1 = col(hw[:, i]), col(hw[:, i + 1])
        h = h0 + t * (h1 - h0)
        s = i + t
        if best_d is None:
            best_d, best_sd, best_hw, best_s = d, sd, h, s
        else:
            closer = d < best_d
            best_d = np.where(closer, d, best_d)
            best_sd = np.where(closer, sd, best_sd)
            best_hw = np.where(closer, h, best_hw)
            best_s = np.where(closer, s, best_s)
    return best_d, best_sd, best_hw, best_s


@dataclass
class Band(Shape):
    """Polyline ``[(u, y, halfwidth), ...]`` at key levels ``[(z, vertices), ...]``."""

    keys: list
    zs: np.ndarray = field(init=False)
    vals: np.ndarray = field(init=False)
    nv: int = field(init=False)
    order: np.ndarray = field(init=False)

    def __post_init__(self):
        zs = np.asarray([k[0] for k in self.keys], dtype=float)
        self.order = np.argsort(zs, kind="stable")
        self.zs = zs[self.order]
        vals = np.asarray([np.asarray(k[1], dtype=float).ravel() for k in self.keys])
        self.vals = vals[self.order]
        self.nv = len(self.keys[0][1])

    def verts(self, z):
        v = _interp_keys(self.zs, self.vals, z)
        return None if v is None else v.reshape(self.nv, 3)

    def verts_v(self, zv):
        """Vertices at levels `zv`: ``(levels, vertices, 3)`` and the in-range mask."""
        v, ok = _interp_keys_v(self.zs, self.vals, zv)
        return v.reshape(len(v), self.nv, 3), ok

    def sdf(self, u, y, z):
        zv, col = _levels(z)
        v, ok = self.verts_v(zv)
        if not ok.any():
            return None
        d, _, h, _ = _polyline_fields(u, y, v[:, :, :2], np.maximum(v[:, :, 2], 0.0), col)
        dz = np.minimum(zv - self.zs[0], self.zs[-1] - zv)
        return _absent(np.minimum(h - d, col(dz * 2.0)), ok, col)

    def bbox(self, z0, z1):
        v, ok = self.verts_v(_zsamples(z0, z1))
        if not ok.any():
            return None
        v = v[ok].reshape(-1, 3)
        e = float(np.max(v[:, 2])) + 4.0
        return (float(v[:, 0].min() - e), float(v[:, 0].max() + e),
                float(v[:, 1].min() - e), float(v[:, 1].max() + e))


@dataclass
class Layer(Shape):
    """A sheet on one side of a bed :class:`Band`, stacked on deeper layers.

    ``thick`` holds per-bed-key lists of thickness at each bed vertex (mm); ``below`` are
    the deeper layers (their thickness is the inner offset). ``side`` +1 = outer (right-hand
    side of the polyline direction), -1 = inner.
    """

    bed: Band
    thick: list
    below: tuple = ()
    side: int = 1
    scale: float = 1.0
    stack_mm: float = 75.0
    tvals: np.ndarray = field(init=False)
    cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        self.tvals = np.asarray(self.thick, dtype=float)[self.bed.order]

    def thickness(self, z):
        t = _interp_keys(self.bed.zs, self.tvals, z)
        return None if t is None else np.maximum(t, 0.0) * self.scale

    def thickness_v(self, zv):
        """Thickness at each bed vertex for levels `zv` (0 outside the keys) and the mask."""
        t, ok = _interp_keys_v(self.bed.zs, self.tvals, zv)
        return np.where(ok[:, None], np.maximum(t, 0.0) * self.scale, 0.0), ok

    def sdf(self, u, y, z):
        zv, col = _levels(z)
        v, okv = self.bed.verts_v(zv)
        t, okt = self.thickness_v(zv)
        ok = okv & okt & (t.max(axis=1) > 0.05)
        if not ok.any():
            return None
        key = (u.shape, y.shape, float(u.flat[0]), float(y.flat[0]), zv.tobytes())
        hit = self.bed.__dict__.setdefault("_fields", {})
        if key in hit:
            d, sd, h, s = hit[key]
        else:
            hit.clear()
            d, sd, h, s = _polyline_fields(u, y, v[:, :, :2], np.maximum(v[:, :, 2], 0.0),
                                           col)
            hit[key] = (d, sd, h, s)
        i = np.clip(np.floor(s).astype(np.intp), 0, t.shape[1] - 2)
        f = (s - i).astype(np.float32)
        lev = np.arange(len(zv)).reshape(np.shape(z))

        def along(arr):
            a = arr.astype(np.float32)
            return a[lev, i] + f * (a[lev, i + 1] - a[lev, i])

        off = np.zeros_like(d)
        for lay in self.below:
            tb, okb = lay.thickness_v(zv)
            if okb.any():
                off = off + along(tb)
        th = along(t)
        n = sd * self.side - h  # distance from the bed surface on our side
        inner = n - off
        outer = off + th - n
        # thin sheets vanish smoothly where the thickness goes to 0
        return _absent(np.minimum(np.minimum(inner, outer), th * 2.0 - 0.6), ok, col)

    def bbox(self, z0, z1):
        t, ok = self.thickness_v(_zsamples(z0, z1))
        if not ok.any() or float(t.max()) <= 0.05:
            return None
        bb = self.bed.bbox(z0, z1)
        if bb is None:
            return None
        tot = self.stack_mm  # the whole stack shares one window (and one bed evaluation)
        return (bb[0] - tot, bb[1] + tot, bb[2] - tot, bb[3] + tot)


@dataclass
class Tube(Shape):
    """Chain of tapered capsules through 3D points ``[(u, y, z, radius), ...]``."""

    pts: list
    flat: float = 1.0  # in-plane y scaling (<1 flattens antero-posteriorly)
    scale: float = 1.0

    def sdf(self, u, y, z):
        zv, col = _levels(z)
        p = np.asarray(self.pts, dtype=float)
        out = None
        for a, b in zip(p[:-1], p[1:], strict=False):
            zmin, zmax = min(a[2], b[2]) - max(a[3], b[3]), max(a[2], b[2]) + max(a[3], b[3])
            near = (zv >= zmin) & (zv <= zmax)
            if not near.any():
                continue
            e = b[:3] - a[:3]
            L2 = float(e @ e)
            du, dy, dz = u - a[0], (y - a[1]), col(zv - a[2])
            t = np.clip((du * e[0] + dy * e[1] + dz * e[2]) / L2, 0.0, 1.0)
            qu, qy, qz = du - t * e[0], (dy - t * e[1]) / self.flat, dz - t * e[2]
            r = (a[3] + t * (b[3] - a[3])) * self.scale
            d = _absent(r - np.sqrt(qu * qu + qy * qy + qz * qz), near, col)
            out = d if out is None else np.maximum(out, d)
        return out

    def bbox(self, z0, z1):
        p = np.asarray(self.pts, dtype=float)
        sel = []
        for a, b in zip(p[:-1], p[1:], strict=False):
            r = max(a[3], b[3]) * self.scale
            if min(a[2], b[2]) - r <= z1 and max(a[2], b[2]) + r >= z0:
                sel.extend([a, b])
        if not sel:
            return None
        s = np.asarray(sel)
        r = float(s[:, 3].max()) * self.scale / min(self.flat, 1.0) + 3.0
        return (float(s[:, 0].min() - r), float(s[:, 0].max() + r),
                float(s[:, 1].min() - r), float(s[:, 1].max() + r))


@dataclass
class Ball(Shape):
    c: tuple
    r: float

    def sdf(self, u, y, z):
        zv, col = _levels(z)
        near = np.abs(zv - self.c[2]) <= self.r + 2
        if not near.any():
            return None
        dz = col(zv - self.c[2])
        d = self.r - np.sqrt((u - self.c[0]) ** 2 + (y - self.c[1]) ** 2 + dz * dz)
        return _absent(d, near, col)

    def bbox(self, z0, z1):
        if z1 < self.c[2] - self.r - 2 or z0 > self.c[2] + self.r + 2:
            return None
        r = self.r + 2
        return (self.c[0] - r, self.c[0] + r, self.c[1] - r, self.c[1] + r)


@dataclass
class Union(Shape):
    parts: list

    def sdf(self, u, y, z):
        out = None
        for p in self.parts:
            d = p.sdf(u, y, z)
            if d is not None:
                out = d if out is None else np.maximum(out, d)
        return out

    def bbox(self, z0, z1):
        bbs = [b for p in self.parts if (b := p.bbox(z0, z1)) is not None]
        if not bbs:
            return None
        b = np.asarray(bbs)
        return (b[:, 0].min(), b[:, 1].max(), b[:, 2].min(), b[:, 3].max())


@dataclass
class Mirror(Shape):
    """A right-side shape and its mirror image as one midline structure."""

    part: Shape

    def sdf(self, u, y, z):
        a = self.part.sdf(u, y, z)
        b = self.part.sdf(-u, y, z)
        if a is None:
            return b
        return a if b is None else np.maximum(a, b)

    def bbox(self, z0, z1):
        b = self.part.bbox(z0, z1)
        if b is None:
            return None
        m = max(abs(b[0]), abs(b[1]))
        return (-m, m, b[2], b[3])


# --------------------------------------------------------------------------- structures


@dataclass
class Structure:
    """One painted structure: shape, side, tissue, output label and rendering options."""

    name: str
    label: str
    tissue: str
    shape: Shape | None
    side: int = 0  # +1 right, -1 left, 0 midline
    offset: float = 0.0  # added to the sdf (negative = eroded, e.g. marrow inside cortex)
    noise_amp: float = 1.0
    clip_inner: bool = False  # clip to the deep fascia (below subcutaneous fat)
    muscle: str | None = None
    special: str | None = None  # "skin", "deep_fat", "subcut_fat", "abdominal_wall", "bowel"
    noise: Noise | None = None
    detail: Noise | None = None


@dataclass(frozen=True)
class Body:
    """Body preset: size (Handsfield regression inputs, domain.md 5.3) and fat (5.3 ★)."""

    name: str
    sex: str
    height_m: float
    mass_kg: float
    pelvis_width: float  # in-plane skeleton scale relative to the authored female frame
    subcut_mm: float  # lateral/anterior subcutaneous fat
    subcut_post_mm: float  # extra posteriorly (domain.md 5.3: thicker posteriorly)
    abdomen_mm: float  # extra anterior abdominal fat

    @property
    def total_muscle_cm3(self) -> float:
        """Handsfield total lower-limb muscle volume, ``47 h m + 1285`` (domain.md 5.3 [S])."""
        return 47.0 * self.height_m * self.mass_kg + 1285.0


BODIES: dict[str, Body] = {
    b.name: b
    for b in (
        # domain.md 5.3 worked examples: female 1.63 m / 60 kg, male 1.75 m / 75 kg.
        Body("female", "female", 1.63, 60.0, 1.0, 19.0, 14.0, 8.0),
        Body("male", "male", 1.75, 75.0, 0.985, 11.0, 7.0, 6.0),
        Body("female_large", "female", 1.70, 85.0, 1.03, 30.0, 16.0, 18.0),
        Body("male_slim", "male", 1.70, 62.0, 0.96, 9.0, 6.0, 2.0),
    )
}
_REF_BODY = BODIES["female"]

#: Handsfield regression coefficients (b1, b2): V = b1 V_tot + b2 (domain.md 5.3 [S]).
HANDSFIELD = {
    "gluteus_maximus": (0.123, -25.4),
    "gluteus_medius": (0.0478, -16.9),
    "gluteus_minimus": (0.0129, 12.6),
    "tensor_fasciae_latae": (0.0136, -31.5),
    "piriformis": (0.00372, 16.2),
    "iliacus": (0.0248, 0.38),
    "psoas": (0.055, -117.0),
    "obturator_internus": (0.00252, 8.68),
    "obturator_externus": (0.00349, 28.3),
    "quadratus_femoris": (0.00475, -1.45),
}


def handsfield_cm3(muscle: str, body: Body) -> float | None:
    """Expected whole-muscle volume (one side) for `body`, or None if not tabulated."""
    c = HANDSFIELD.get(muscle)
    return None if c is None else c[0] * body.total_muscle_cm3 + c[1]


def _body_scales(body: Body) -> tuple[float, float, float]:
    """(z scale, in-plane skeleton scale, extra muscle bulk scale) relative to the reference."""
    sz = body.height_m / _REF_BODY.height_m
    sxy = body.pelvis_width * (sz ** 0.5)
    vol_ratio = (body.total_muscle_cm3 / _REF_BODY.total_muscle_cm3)
    # muscle cross-section scales with volume / (length scale); in-plane positions already
    # scale by sxy, so the bulk factor is what is left over.
    bulk = math.sqrt(vol_ratio / sz) / sxy
    return sz, sxy, bulk


# Authored coordinates (female reference, right side, mm). z: femoral-head centres = 0.
Z_TOP, Z_BOTTOM = 150.0, -85.0

# Outer gluteal bed: posterior sacrum -> SI joint -> outer iliac table -> ASIS; below the
# wing it runs over the hip capsule to the greater trochanter (a virtual surface, hw 0).
_BED_KEYS = [
    (142, [(10, -108, 0), (42, -90, 0), (72, -84, 3), (104, -62, 5), (126, -30, 6), (134, 0, 5), (130, 25, 3)]),
    (125, [(10, -110, 0), (40, -84, 7), (70, -80, 4.5), (102, -58, 3.5), (123, -26, 3.5), (129, 5, 4), (125, 32, 5)]),
    (105, [(10, -112, 0), (38, -80, 9), (68, -76, 3.5), (100, -53, 2.5), (119, -22, 2.5), (124, 9, 3), (121, 38, 5)]),
    (85, [(10, -114, 0), (39, -76, 11), (69, -69, 4.5), (97, -47, 3), (114, -17, 3), (119, 14, 3.5), (118, 44, 6)]),
    (65, [(12, -114, 0), (45, -84, 0), (72, -58, 0), (88, -40, 5), (106, -14, 5), (112, 14, 5), (108, 38, 7)]),
    (48, [(14, -112, 0), (48, -86, 0), (76, -56, 0), (88, -38, 8), (103, -14, 12), (106, 12, 11), (98, 32, 8)]),
    (30, [(16, -110, 0), (52, -88, 0), (80, -34, 0), (100, -25, 5), (112, -4, 6), (110, 16, 5), (96, 30, 3)]),
    (12, [(18, -108, 0), (55, -88, 0), (84, -36, 0), (106, -24, 0), (116, -4, 0), (112, 16, 0), (98, 28, 0)]),
    (-5, [(20, -106, 0), (60, -88, 0), (90, -44, 0), (114, -32, 0), (146, -14, 0), (148, 8, 0), (134, 22, 0)]),
    (-30, [(25, -100, 0), (60, -86, 0), (92, -64, 0), (120, -44, 0), (150, -20, 0), (154, 4, 0), (148, 20, 0)]),
    (-60, [(40, -92, 0), (70, -84, 0), (100, -68, 0), (126, -46, 0), (150, -22, 0), (154, 0, 0), (150, 15, 0)]),
    (-88, [(55, -85, 0), (80, -78, 0), (108, -62, 0), (132, -42, 0), (150, -22, 0), (155, -2, 0), (152, 12, 0)]),
]
_Z_BED = [k[0] for k in _BED_KEYS]


def _bed_table(rows: dict) -> list:
    """Thickness rows for every bed key (missing keys = 0)."""
    return [rows.get(z, [0] * 7) for z in _Z_BED]


_GMIN = _bed_table({
    105: [0, 0, 0, 3, 4, 4, 0], 85: [0, 0, 0, 7, 10, 9, 4], 65: [0, 0, 0, 9, 12, 11, 5],
    48: [0, 0, 0, 9, 13, 12, 5], 30: [0, 0, 0, 9, 13, 12, 5], 12: [0, 0, 0, 7, 11, 9, 4],
    -5: [0, 0, 0, 4, 6, 4, 0],
})
_GMED = _bed_table({
    142: [0, 0, 4, 9, 11, 9, 3], 125: [0, 0, 11, 21, 25, 21, 9], 105: [0, 0, 14, 27, 31, 26, 10],
    85: [0, 0, 12, 26, 31, 26, 10], 65: [0, 0, 10, 23, 27, 23, 8], 48: [0, 0, 7, 18, 23, 18, 6],
    30: [0, 0, 4, 14, 19, 14, 4], 12: [0, 0, 3, 11, 15, 11, 3], -5: [0, 0, 0, 6, 9, 6, 0],
})
_GMAX = _bed_table({
    125: [8, 8, 4, 0, 0, 0, 0], 105: [20, 26, 22, 10, 0, 0, 0], 85: [26, 34, 34, 24, 8, 0, 0],
    65: [30, 40, 44, 38, 18, 0, 0], 48: [30, 44, 50, 46, 30, 6, 0], 30: [28, 44, 52, 50, 36, 10, 0],
    12: [26, 42, 52, 52, 40, 12, 0], -5: [22, 40, 50, 48, 36, 10, 0], -30: [16, 36, 46, 44, 32, 10, 0],
    -60: [8, 26, 36, 34, 22, 4, 0], -88: [0, 10, 18, 16, 10, 0, 0],
})
_ILIACUS_WING = _bed_table({
    142: [0, 0, 2, 6, 8, 6, 0], 125: [0, 0, 6, 12, 16, 12, 3], 105: [0, 0, 8, 16, 20, 16, 6],
    85: [0, 0, 6, 16, 22, 20, 8], 65: [0, 0, 0, 12, 18, 18, 8], 48: [0, 0, 0, 6, 10, 12, 6],
})


def pelvis_structures(body: Body, rng: np.random.Generator) -> list[Structure]:
    """All structures of the pelvis, in painting priority (first = on top)."""
    sz, sxy, bulk = _body_scales(body)

    def asym():
        return float(1.0 + rng.normal(0.0, 0.012))

    out: list[Structure] = []

    def add(name, label, tissue, shape, side=0, **kw):
        out.append(Structure(name, label, tissue, shape, side, **kw))

    sides = (("right", 1), ("left", -1))

    # --- body envelope, skin ------------------------------------------------------------
    add("skin", "skin", "skin", None, special="skin", noise_amp=0.0)

    # --- bones --------------------------------------------------------------------------
    add("spinal_canal", "spinal_canal", "fluid",
        Blob([(118, 0, -60, 9, 7, 0), (135, 0, -58, 11, 8, 0), (152, 0, -57, 11, 8, 0)]),
        noise_amp=0.3)
    add("sacral_canal", "spinal_canal", "fluid",
        Blob([(70, 0, -97, 5, 3, 0), (95, 0, -86, 8, 4, 0), (112, 0, -74, 10, 5, 0),
              (119, 0, -66, 9, 6, 0)]), noise_amp=0.3)
    bones = []
    for side, sg in sides:
        femur = Union([
            Ball((85.0, 0.0, 0.0), 23.0),
            Tube([(85, 0, 0, 15), (112, -8, -22, 16.5)]),
            Blob([(-2, 124, -14, 11, 12, 20), (-12, 126, -12, 19, 22, 20), (-28, 121, -8, 21, 23, 10),
                  (-42, 115, -5, 17, 17, 0), (-55, 112, -3, 15, 15, 0), (-90, 108, -1, 14, 14, 0)]),
            Blob([(-46, 100, -13, 4, 5, 0), (-56, 97, -18, 10, 9, 30), (-64, 99, -15, 6, 5, 0),
                  (-70, 102, -12, 2, 2, 0)]),
        ])
        bones.append((f"femur_{side}", "yellow_marrow", femur, sg, 1.8))
    for side, sg in sides:
        wing = Band([(z, v[1:]) for z, v in _BED_KEYS if z >= 30])
        acetabulum = Band([
            (26, [(88, -30, 4), (70, -26, 6), (58, -6, 4), (59, 15, 4), (72, 30, 6), (90, 32, 4)]),
            (10, [(90, -30, 6), (70, -28, 7), (57, -5, 3.5), (58, 15, 3.5), (70, 30, 6), (86, 33, 5)]),
            (-8, [(88, -30, 8), (72, -30, 8), (58, -10, 4), (57, 10, 4), (66, 28, 6), (80, 32, 4)]),
            (-14, [(84, -32, 5), (72, -32, 6), (58, -10, 2), (57, 10, 2), (64, 28, 4), (76, 32, 2)]),
        ])
        ischium = Blob([(-8, 74, -36, 9, 8, 20), (-25, 66, -42, 12, 11, 20), (-40, 62, -48, 15, 13, 10),
                        (-52, 60, -50, 13, 10, 0), (-58, 58, -48, 5, 4, 0)])
        pubis = Band([
            (-6, [(74, 28, 5), (50, 42, 5), (22, 52, 5), (6, 55, 4)]),
            (-20, [(70, 25, 7), (48, 40, 7), (22, 50, 8), (5, 54, 6)]),
            (-35, [(62, 20, 5), (45, 32, 6), (22, 44, 8), (5, 48, 6)]),
            (-48, [(58, -30, 4), (48, -6, 5), (30, 24, 5), (10, 38, 4)]),
            (-56, [(58, -36, 1), (50, -14, 2), (36, 14, 2), (18, 30, 1)]),
        ])
        # the body of the ilium above the acetabulum (supra-acetabular bone): a solid column
        # that roofs the femoral head and carries the wing - the acetabular-roof level
        # shows bone from the inner pelvic wall to the outer table (domain.md 5.1)
        roof = Blob([(12, 82, 1, 24, 29, 0), (20, 84, 0, 26, 30, 0), (28, 86, -2, 23, 28, 0),
                     (36, 90, -6, 17, 24, 10), (44, 96, -10, 10, 18, 20), (52, 100, -12, 5, 10, 20)])
        bones.append((f"ilium_{side}", "red_marrow", Union([wing, roof, acetabulum, ischium, pubis]), sg, 1.0))
    sacrum = Blob([(10, 0, -96, 6, 5, 0), (30, 0, -100, 14, 9, 0), (50, 0, -95, 25, 12, 0),
                   (70, 0, -86, 34, 14, 0, ), (90, 0, -75, 38, 16, 0), (108, 0, -66, 37, 18, 0),
                   (116, 0, -60, 30, 16, 0)])
    sacrum.vals[:, -1] = 2.6  # superellipse: squarer alae
    bones.append(("sacrum", "red_marrow", sacrum, 0, 1.2))
    l5 = Union([
        Blob([(124, 0, -36, 25, 19, 0), (140, 0, -38, 26, 19, 0), (152, 0, -40, 26, 19, 0)]),
        Band([(122, [(-20, -58, 4), (0, -74, 4), (20, -58, 4)]),
              (152, [(-20, -60, 5), (0, -76, 5), (20, -60, 5)])]),
        Band([(126, [(0, -72, 4), (0, -92, 3)]), (152, [(0, -74, 5), (0, -96, 4)])]),
    ])
    bones.append(("lumbar_spine", "red_marrow", l5, 0, 1.2))
    disc = Blob([(113, 0, -50, 22, 15, 0), (118, 0, -44, 25, 17, 0), (123, 0, -38, 24, 17, 0)])
    out_disc = ("disc", "lumbar_spine", "bowel", disc)

    for name, tissue, shape, sg, cortex in bones:
        label = name
        add(name, label, tissue, shape, sg, offset=-cortex, noise_amp=0.6)
        add(name + ":cortex", "cortical_bone", "cortical_bone", shape, sg, noise_amp=0.6)
    add(out_disc[0], out_disc[1], out_disc[2], out_disc[3], noise_amp=0.5)

    # --- organs, nerves, vessels --------------------------------------------------------
    fill = float(rng.uniform(0.85, 1.15))
    add("bladder", "bladder", "fluid",
        Blob([(-18, 0, 34, 12, 10, 0), (-8, 0, 38, 28, 20, 0), (10, 0, 40, 44 * fill, 30 * fill, 0),
              (28, 0, 36, 40 * fill, 28 * fill, 0), (45 * fill, 0, 30, 16, 12, 0)]),
        noise_amp=1.2)
    if body.sex == "female":
        # uterus between bladder and rectum, anteverted over the bladder dome; endometrium
        # as a thin central stripe (fluid-like on STIR)
        uterus = Blob([(18, 0, -8, 14, 10, 0), (35, 0, -10, 24, 18, -8), (55, 0, -2, 28, 20, -15),
                       (72, 0, 6, 22, 16, -20), (84, 0, 10, 10, 8, 0)])
        add("endometrium", "uterus", "fluid",
            Blob([(32, 0, -9, 4, 2, -8), (50, 0, -3, 9, 3, -15), (66, 0, 4, 6, 2, -20),
                  (74, 0, 6, 2, 1, 0)]), noise_amp=0.4)
        add("uterus", "uterus", "viscera", uterus, noise_amp=1.2)
    else:
        add("prostate", "prostate", "viscera",
            Blob([(-32, 0, 26, 8, 7, 0), (-22, 0, 24, 17, 14, 0), (-8, 0, 20, 20, 15, 0),
                  (2, 0, 16, 12, 9, 0)]), noise_amp=0.8)
    add("rectum", "bowel", "bowel",
        Blob([(-40, 0, -38, 10, 9, 0), (-10, 0, -55, 15, 14, 0), (25, 0, -70, 17, 15, 0),
              (55, 0, -65, 16, 14, 0)]), noise_amp=1.5)
    for side, sg in sides:
        add(f"sciatic_nerve_{side}", f"sciatic_nerve_{side}", "nerve",
            Tube([(50, -66, 82, 4), (70, -62, 55, 5.5), (82, -62, 25, 6), (82, -64, 0, 6),
                  (80, -62, -30, 6), (82, -62, -60, 5.5), (86, -60, -90, 5.5)], flat=0.6),
            sg, noise_amp=0.3)
        art = [(20, -6, 152, 6), (40, 4, 112, 5), (55, 15, 80, 4.5), (62, 26, 50, 4.5),
               (62, 40, 20, 4.5), (56, 52, -10, 4.5), (58, 50, -60, 4), (62, 46, -90, 3.5)]
        vein = [(u - 9, y - 6, z, r + 1.5) for u, y, z, r in art]
        vein[0] = (10, -14, 152, 8)
        add(f"artery_{side}", f"vessels_{side}", "flow_void", Tube(art), sg, noise_amp=0.2)
        add(f"vein_{side}", f"vessels_{side}", "flow_void", Tube(vein, flat=0.8), sg, noise_amp=0.3)

    # --- muscles (with fascial fat planes) ----------------------------------------------
    bed = Band(_BED_KEYS)
    for side, sg in sides:
        gmin = Layer(bed, _GMIN, scale=bulk * asym())
        gmed = Layer(bed, _GMED, below=(gmin,), scale=bulk * asym())
        gmax = Layer(bed, _GMAX, below=(gmin, gmed), scale=bulk * asym())
        iliacus = Union([Layer(bed, _ILIACUS_WING, side=-1, scale=bulk * asym()),
                         Blob([(62, 98, 28, 12, 10, 30), (45, 92, 28, 13, 10, 30),
                               (30, 88, 31, 12, 10, 20), (15, 86, 36, 11, 9, 10),
                               (-5, 86, 40, 9, 7, 0), (-20, 86, 38, 5, 4, 0)], scale=bulk)])
        b = bulk * asym()
        muscles = [
            ("tensor_fasciae_latae",
             Blob([(82, 116, 46, 6, 5, 110), (66, 121, 42, 12, 8, 115), (40, 127, 34, 18, 10, 110),
                   (10, 134, 24, 19, 11, 105), (-25, 141, 12, 17, 10, 100),
                   (-60, 146, 2, 14, 8, 95), (-90, 148, -4, 12, 7, 95)], scale=b)),
            ("sartorius",
             Blob([(84, 113, 50, 5, 4, 20), (55, 109, 53, 9, 6, 20), (20, 102, 56, 11, 7, 20),
                   (-20, 92, 57, 12, 8, 15), (-60, 80, 54, 13, 8, 10), (-90, 72, 52, 13, 9, 10)],
                  scale=b)),
            ("rectus_femoris",
             Blob([(56, 106, 38, 4, 4, 0), (30, 100, 42, 9, 7, 0), (0, 100, 46, 12, 9, 0),
                   (-40, 104, 42, 16, 11, 0), (-90, 108, 40, 18, 12, 0)], scale=b)),
            ("psoas",
             Blob([(152, 44, -28, 21, 17, 60), (120, 52, -22, 23, 19, 50), (95, 62, -8, 20, 17, 45),
                   (70, 72, 5, 17, 15, 40), (45, 77, 18, 15, 12, 30), (20, 76, 34, 13, 10, 20),
                   (0, 73, 40, 11, 9, 0), (-25, 78, 30, 10, 9, 0), (-48, 90, -4, 7, 6, 0),
                   (-58, 94, -12, 3, 3, 0)], scale=b)),
            ("piriformis",
             Tube([(20, -80, 86, 6.5), (32, -80, 78, 11.5), (55, -70, 62, 14), (80, -52, 42, 12.5),
                   (104, -36, 20, 9.5), (120, -22, 2, 5)], flat=0.8, scale=b)),
            ("obturator_internus",
             Union([
                 Band([(32, [(52, -34, 1.5), (50, -10, 2.5), (52, 14, 1.5)]),
                       (12, [(50, -32, 3), (48, -6, 4), (50, 16, 3)]),
                       (-10, [(48, -34, 4), (46, -8, 5), (48, 14, 3)]),
                       (-26, [(44, -32, 4), (40, -8, 5), (42, 12, 3)]),
                       (-42, [(42, -30, 1.5), (38, -10, 2), (40, 6, 1.5)])]),
                 Tube([(50, -36, -8, 3.5), (66, -54, -9, 3.5), (88, -42, -10, 3.2),
                       (110, -28, -10, 3)], flat=0.8),
             ])),
            ("iliacus", iliacus),
            ("gluteus_minimus", gmin),
            ("gluteus_medius", gmed),
            ("obturator_externus",
             Union([
                 Blob([(-16, 62, 10, 9, 11, 0), (-30, 60, 6, 21, 23, 20), (-44, 57, 4, 23, 21, 20),
                       (-56, 56, 4, 15, 12, 0), (-64, 55, 4, 5, 5, 0)], scale=b),
                 Tube([(68, -6, -30, 7), (88, -18, -26, 6), (108, -24, -18, 4)], flat=0.8),
             ])),
            ("quadratus_femoris",
             Band([(-33, [(70, -48, 2.5), (90, -40, 5), (104, -30, 3.5)]),
                   (-45, [(68, -50, 7), (88, -41, 9.5), (104, -31, 8)]),
                   (-58, [(68, -49, 7), (86, -39, 9.5), (101, -29, 7)]),
                   (-68, [(68, -47, 2), (84, -37, 3), (98, -27, 2)])])),
            ("hamstrings",
             Blob([(-40, 60, -54, 8, 6, 20), (-55, 64, -56, 15, 11, 20), (-70, 70, -54, 19, 14, 20),
                   (-90, 76, -50, 23, 17, 20)], scale=b)),
            ("adductors",
             Blob([(-28, 30, 44, 9, 7, -20), (-42, 40, 30, 20, 18, -30), (-58, 48, 18, 28, 26, -30),
                   (-74, 55, 10, 33, 30, -30), (-90, 60, 5, 35, 32, -30)], scale=b)),
            ("vasti",
             Blob([(-14, 130, -4, 10, 12, 0), (-28, 122, -3, 24, 24, 0), (-45, 114, -1, 30, 30, 0),
                   (-65, 110, 1, 34, 33, 0), (-90, 107, 3, 37, 35, 0)], scale=b)),
            ("gluteus_maximus", gmax),
            ("multifidus",
             Blob([(152, 15, -88, 14, 16, 0), (125, 16, -94, 14, 14, 0), (102, 15, -100, 13, 10, 0),
                   (82, 12, -106, 10, 7, 0), (64, 8, -110, 3, 3, 0)], scale=b)),
            ("erector_spinae",
             Blob([(152, 50, -80, 32, 22, -25), (128, 46, -88, 27, 17, -20),
                   (110, 38, -98, 17, 11, -15), (96, 30, -104, 5, 4, 0)], scale=b)),
        ]
        for mname, shape in muscles:
            lab = f"{mname}_{side}"
            add(lab, lab, "muscle", shape, sg, clip_inner=True, muscle=mname, noise_amp=1.2)
            add("halo:" + lab, "intermuscular_fat", "fat", shape, sg, offset=1.1,
                clip_inner=True, noise_amp=1.2)
        add(f"bursa_{side}", "intermuscular_fat", "fat",
            Blob([(14, 142, -6, 5, 4, 30), (0, 149, -6, 8, 6, 10), (-22, 150, -4, 6, 8, 0),
                  (-34, 146, -4, 3, 5, 0)]), sg, noise_amp=0.5)
    add("abdominal_wall", "abdominal_wall", "muscle", None, special="abdominal_wall",
        noise_amp=1.0)
    # --- cavity contents and fat -------------------------------------------------------
    cavity = Blob([(-42, 0, -10, 16, 18, 0), (-15, 0, -5, 42, 50, 0), (20, 0, -10, 50, 62, 0),
                   (50, 0, -5, 60, 70, 0), (80, 0, 5, 92, 72, 0), (110, 0, 10, 110, 78, 0),
                   (152, 0, 10, 132, 88, 0)])
    add("bowel_gas", "bowel", "air", cavity, special="bowel_gas", noise_amp=2.0)
    add("bowel_fluid", "bowel", "fluid", cavity, special="bowel_fluid", noise_amp=2.0)
    add("bowel", "bowel", "bowel", cavity, special="bowel", noise_amp=2.0)
    add("pelvic_fat", "pelvic_fat", "fat", cavity, noise_amp=2.0)
    add("deep_fat", "intermuscular_fat", "fat", None, special="deep_fat")
    add("subcutaneous_fat", "subcutaneous_fat", "fat", None, special="subcut_fat")

    for s in out:
        s.noise = Noise.make(rng, n=4)
        s.detail = Noise.make(rng, n=3, wl_min=5.0, wl_max=14.0)
    # a halo shares its muscle's noise so the fat plane hugs the muscle surface, and the left
    # structure shares the right one's (mirrored) noise: asymmetry is added explicitly
    by_name = {s.name: s for s in out}
    for s in out:
        partner = by_name.get(s.name.replace("_left", "_right"))
        if partner is not None and partner is not s:
            s.noise, s.detail = partner.noise, partner.detail
    for s in out:
        if s.name.startswith("halo:"):
            m = by_name[s.name[5:]]
            s.noise, s.detail = m.noise, m.detail
        if s.name.endswith(":cortex"):
            m = by_name[s.name[:-7]]
            s.noise, s.detail = m.noise, m.detail
    return out


#: The trunk and thighs (skin surface), female reference.
BODY_SHAPE = Union([
    Blob([(z, 0, yc, a, ba, bp, 0, 2.35) for z, yc, a, ba, bp in (
        (-62, -20, 150, 84, 92), (-50, -20, 163, 92, 105), (-30, -20, 170, 100, 116),
        (0, -20, 172, 104, 121), (30, -18, 170, 102, 123), (60, -15, 166, 100, 121),
        (90, -12, 160, 102, 119), (120, -12, 154, 106, 117), (152, -10, 148, 110, 114),
        # keys beyond the field of view: the trunk continues, so no end cap (a flat plate of
        # skin, fat and abdominal wall) appears in the top slices of any body preset
        (185, -8, 146, 112, 112), (240, -8, 146, 112, 112))]),
    Mirror(Blob([(-140, 86, -4, 78, 76, 86, 0, 2.1), (-92, 88, -6, 80, 78, 90, 0, 2.1), (-60, 90, -12, 81, 82, 102, 0, 2.1),
                 (-30, 90, -15, 75, 80, 100, 0, 2.1), (-10, 88, -15, 60, 60, 70, 0, 2.0)])),
])
