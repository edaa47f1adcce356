"""Benchmark the synthetic pelvis: full case cold / warm, one-slice re-simulation, memory.

Run: ``.venv/bin/python benchmarks/bench_phantom.py`` (about half a minute). Targets
(issue 3 item 9), on the 2-core development machine:

* full case (T1 + STIR + labels) on the default grid (0.9 x 0.9 x 4 mm), **cold** (anatomy
  cache cleared, so the anatomy is built): < 2 s;
* the same with the anatomy cached (**warm**): reported;
* re-simulating one axial slice for a new ``days`` value (``phantom.simulate_slice``, the
  interactive slider): < 20 ms;
* peak memory of a cold full case: Python allocations (``tracemalloc``) and the process
  high-water mark (``resource.getrusage`` max RSS).

Exit status 0 when both targets are met, 1 otherwise. Not a test: timings depend on the
machine and on what else runs on it.
"""

from __future__ import annotations

import argparse
import gc
import inspect
import resource
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mri_teach import phantom  # noqa: E402

TARGET_COLD_S = 2.0
TARGET_SLICE_MS = 20.0
CASE = {"cause": "superior_gluteal", "side": "right", "days": 90.0, "field_t": 1.5,
        "preset": "default", "rng": 0}


def clear_anatomy_cache() -> None:
    """Empty the phantom's anatomy cache (whatever form it takes)."""
    for name in ("clear_cache", "clear_anatomy_cache"):
        fn = getattr(phantom, name, None)
        if callable(fn):
            fn()
            return
    for holder in (phantom.build_anatomy, getattr(phantom, "_build_cached", None)):
        fn = getattr(holder, "cache_clear", None)
        if callable(fn):
            fn()
            return
    msg = "phantom has no way to clear its anatomy cache (clear_cache / cache_clear)"
    raise RuntimeError(msg)


def timed(fn, repeats: int) -> list[float]:
    out = []
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        result = fn()
        out.append(time.perf_counter() - t0)
        del result
    return out


def _cold():
    clear_anatomy_cache()
    return phantom.make_case(**CASE)


def _warm():
    return phantom.make_case(**CASE)


def _slice_call(anatomy, k: int, days: float):
    """Call simulate_slice with the keywords it accepts (contract: anatomy, ..., plane, index)."""
    params = inspect.signature(phantom.simulate_slice).parameters
    kwargs = {key: value for key, value in
              {**CASE, "days": days, "plane": "axial", "index": k}.items()
              if key in params and key not in ("preset", "rng")}
    if "rng" in params:
        kwargs["rng"] = 0
    return phantom.simulate_slice(anatomy, **kwargs)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)

    cold = timed(_cold, args.repeats)
    _warm()  # make sure the cache holds this anatomy
    warm = timed(_warm, args.repeats)
    case = _warm()
    shape = np.asarray(case.t1).shape
    voxels = int(np.prod(shape))

    anatomy = phantom.build_anatomy(CASE["preset"], "female", CASE["rng"])
    k = shape[2] // 2
    _slice_call(anatomy, k, 30.0)  # warm-up
    days = np.linspace(0.0, 720.0, 25)
    slice_times = []
    for d in days:
        t0 = time.perf_counter()
        _slice_call(anatomy, k, float(d))
        slice_times.append(time.perf_counter() - t0)

    gc.collect()
    tracemalloc.start()
    _cold()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0  # Linux: KiB

    def ok(flag: bool) -> str:
        return "OK " if flag else "MISS"

    print(f"grid {shape} = {voxels / 1e6:.1f} M voxels, voxel "
          f"{tuple(round(float(v), 2) for v in np.sqrt((case.affine[:3, :3] ** 2).sum(0)))} mm")
    print(f"[{ok(min(cold) < TARGET_COLD_S)}] full case cold : best {min(cold):.2f} s, "
          f"median {np.median(cold):.2f} s (target < {TARGET_COLD_S:g} s)")
    print(f"[info] full case warm : best {min(warm):.2f} s, median {np.median(warm):.2f} s")
    st = np.array(slice_times) * 1e3
    print(f"[{ok(np.median(st) < TARGET_SLICE_MS)}] one axial slice, new days: median "
          f"{np.median(st):.1f} ms, max {st.max():.1f} ms over {len(st)} values "
          f"(target < {TARGET_SLICE_MS:g} ms)")
    print(f"[info] peak Python allocations (tracemalloc, cold case): {peak / 1e6:.0f} MB "
          f"({peak / (voxels * 4):.1f}x one float32 volume)")
    print(f"[info] process max RSS: {rss_mb:.0f} MB")
    met = min(cold) < TARGET_COLD_S and np.median(st) < TARGET_SLICE_MS
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
