"""Benchmark: ``load_volume`` vs ``nibabel.load(p).get_fdata()`` on a 512x512x200 int16 .nii.gz.

Run: ``.venv/bin/python benchmarks/bench_io.py`` (about a minute; writes ~100 MB to a temp dir,
removed afterwards). Targets (issue 2): time ratio <= 1.2, peak memory <= 2.5x the float32
volume. Not a test: timings depend on the machine.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import nibabel as nib
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from mri_teach.io import load_volume  # noqa: E402


def make_file(folder: Path, shape) -> Path:
    rng = np.random.default_rng(0)
    # smooth-ish anatomy-like content so gzip behaves like on real scans
    base = np.linspace(0, 1000, shape[0], dtype=np.float32)[:, None, None]
    noise = rng.normal(0, 40, size=shape).astype(np.float32)
    data = (base + noise).astype(np.int16)
    aff = np.diag([-0.8, -0.8, 1.0, 1.0])  # LPS storage, so the loader has to reorient
    path = folder / "bench.nii.gz"
    nib.save(nib.Nifti1Image(data, aff), path)
    return path


def best_of(fns, repeats: int) -> list[float]:
    """Best time of each function, run interleaved so load spikes hit both alike."""
    best = [float("inf")] * len(fns)
    for _ in range(repeats):
        for i, fn in enumerate(fns):
            gc.collect()
            t0 = time.perf_counter()
            out = fn()
            best[i] = min(best[i], time.perf_counter() - t0)
            del out
    return best


def peak_memory(fn) -> int:
    gc.collect()
    tracemalloc.start()
    out = fn()
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del out
    return peak


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", type=int, nargs=3, default=(512, 512, 200))
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    shape = tuple(args.shape)
    with tempfile.TemporaryDirectory() as tmp:
        path = make_file(Path(tmp), shape)
        size_mb = path.stat().st_size / 1e6
        t_ours, t_nib = best_of([lambda: load_volume(path, name="T1"),
                                 lambda: nib.load(path).get_fdata()], args.repeats)
        peak = peak_memory(lambda: load_volume(path, name="T1"))
        peak_nib = peak_memory(lambda: nib.load(path).get_fdata())
    f32 = int(np.prod(shape)) * 4
    ratio = t_ours / t_nib
    mem = peak / f32
    print(f"file: {'x'.join(map(str, shape))} int16 .nii.gz, {size_mb:.0f} MB compressed")
    print(f"load_volume          best of {args.repeats}: {t_ours:.3f} s")
    print(f"nibabel get_fdata()  best of {args.repeats}: {t_nib:.3f} s")
    print(f"time ratio load_volume / get_fdata: {ratio:.2f} (target <= 1.2) "
          f"{'OK' if ratio <= 1.2 else 'MISSED'}")
    print(f"peak memory load_volume: {peak / 1e6:.0f} MB = {mem:.2f}x the float32 volume "
          f"(target <= 2.5x) {'OK' if mem <= 2.5 else 'MISSED'}")
    print(f"peak memory get_fdata:   {peak_nib / 1e6:.0f} MB = {peak_nib / f32:.2f}x")
    return 0 if ratio <= 1.2 and mem <= 2.5 else 1


if __name__ == "__main__":
    raise SystemExit(main())
