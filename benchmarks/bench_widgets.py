"""Benchmark: redraw time of the ROI editor (issue 5, item 6).

Agg draw of a 12x6 inch figure at 100 dpi holding two 512x512 panels (T1, STIR) with their
label overlays, the polygon line and the orientation markers: the median of repeated
``fig.canvas.draw()`` calls. Target < 50 ms. Also timed: a slice change (``set_data`` on the
existing artists + draw) and finishing a polygon (rasterise, overlay update, draw), each
without autosave/analysis, and a full edit with the autosave sidecar written.

Run: ``.venv/bin/python benchmarks/bench_widgets.py [--repeats 30]``. Not a test: timings
depend on the machine. In a browser, ipympl adds the PNG encoding and transfer of every
redraw on top of this (no blitting on the web canvas; see docs/widgets.md).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mri_teach.widgets import RoiEditor  # noqa: E402

TARGET_MS = 50.0


def _case(n=512, k=12, seed=0):
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:n, 0:n]
    body = ((xx - n / 2) / (0.45 * n)) ** 2 + ((yy - n / 2) / (0.35 * n)) ** 2 < 1
    t1 = np.where(body, 400.0, 10.0)[..., None] + rng.normal(0, 20, (n, n, k))
    stir = np.where(body, 120.0, 5.0)[..., None] + rng.normal(0, 10, (n, n, k))
    aff = np.diag([0.8, 0.8, 4.0, 1.0])
    aff[:3, 3] = [-0.4 * (n - 1), -0.4 * (n - 1), -2.0 * (k - 1)]
    return t1.astype(np.float32), stir.astype(np.float32), aff


def _median_ms(fn, repeats):
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times), min(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args(argv)
    t1, stir, aff = _case()
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["MRI_TEACH_ROI_DIR"] = tmp
        ed = RoiEditor(t1, stir, affine=aff, analyze=False, autosave=False,
                       figsize=(12, 6), dpi=100)
        # overlays: several ROIs on the shown slice
        for i, (name, x0) in enumerate((("gluteus_medius_right", 300),
                                        ("gluteus_minimus_right", 360),
                                        ("gluteus_medius_left", 120),
                                        ("tensor_fasciae_latae_left", 60))):
            ed.add_polygon(name, [(x0, 200), (x0 + 50, 210), (x0 + 45, 290), (x0 - 5, 280)])
            assert (ed.labels > 0).sum() > 0, i
        canvas = ed.figure.canvas
        w, h = canvas.get_width_height()
        canvas.draw()
        draw_med, draw_min = _median_ms(canvas.draw, args.repeats)

        state = {"k": ed.index}

        def slice_change():
            state["k"] = (state["k"] + 1) % ed.n_slices
            ed.set_slice(state["k"])  # draws once (draw_idle is immediate on Agg)

        slice_med, _ = _median_ms(slice_change, args.repeats)
        image = ed.images[0]

        def finish_polygon():
            ed.add_polygon("gluteus_medius_right", [(280, 150), (340, 160), (330, 240)])

        poly_med, _ = _median_ms(finish_polygon, max(5, args.repeats // 3))
        assert ed.images[0] is image, "artists must be updated in place"

        ed2 = RoiEditor(t1, stir, affine=aff, analyze=False, autosave=True)

        def saved_edit():
            ed2.add_polygon("gluteus_medius_right", [(280, 150), (340, 160), (330, 240)])

        save_med, _ = _median_ms(saved_edit, max(5, args.repeats // 3))
    ok = draw_med < TARGET_MS
    print(f"figure {w}x{h} px, two 512x512 panels + overlays, Agg, {args.repeats} draws")
    print(f"  full redraw      median {draw_med:6.1f} ms  (min {draw_min:.1f})  "
          f"target < {TARGET_MS:.0f} ms: {'OK' if ok else 'MISSED'}")
    print(f"  slice change     median {slice_med:6.1f} ms  (set_data + draw)")
    print(f"  finish polygon   median {poly_med:6.1f} ms  (rasterise + overlay + draw)")
    print(f"  edit + autosave  median {save_med:6.1f} ms  (NIfTI + JSON sidecar, no draw)")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
