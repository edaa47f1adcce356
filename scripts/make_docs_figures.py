"""Render the phantom figures of ``docs/phantom.md`` into ``docs/img/``.

Usage (from the repository root)::

    python scripts/make_docs_figures.py [--out docs/img] [--dpi 100]

Figures (motivating case: right superior gluteal nerve lesion, 90 days, seed 0, 1.5 T):

* ``phantom_axial_t1.png`` / ``phantom_axial_stir.png``: axial T1 and STIR at four levels
  (iliac wing; SI joint / greater sciatic notch; acetabular roof; femoral head / greater
  trochanter) on the default protocol grid (0.9 x 0.9 x 4 mm), radiological convention;
* ``phantom_axial_labels.png``: the label map at the same levels (muscle outlines);
* ``phantom_coronal_stir.png``: a coronal STIR through the hip joints from the isotropic preset.

Each sequence has one locked window for all levels (the contralateral, normal gluteus
maximus at a fixed grey, ``viz.window_from_reference``), so the brightening of the right
Gmed/Gmin/TFL on STIR is visible and comparable across levels. The PNGs are written as
8-bit palette images to stay small.
"""

# ruff: noqa: T201 - a command-line script reports on stdout
from __future__ import annotations

import argparse
import io as _io
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from mri_teach import anatomy, datasets, orientation, phantom, viz  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
LEVELS = (
    ("iliac_wing", "iliac wing"),
    ("sciatic_notch", "SI joint / greater sciatic notch"),
    ("acetabular_roof", "acetabular roof"),
    ("femoral_head", "femoral head / greater trochanter"),
)


def _values(table: dict[int, str], structure: str, side: str | None = None) -> list[int]:
    out = []
    for value, name in table.items():
        s, sd = anatomy.parse_name(name)
        if s == structure and (side is None or sd == side):
            out.append(value)
    return out


def _z_extent(labels: np.ndarray, values: list[int]) -> tuple[int, int]:
    mask = np.isin(labels, values)
    ks = np.flatnonzero(mask.any(axis=(0, 1)))
    if ks.size == 0:
        msg = f"labels {values} are empty"
        raise RuntimeError(msg)
    return int(ks.min()), int(ks.max())


def level_indices(labels: np.ndarray, table: dict[int, str], affine: np.ndarray) -> dict:
    """Axial slice index of each teaching level, from the label map (not hard-coded).

    * iliac wing: 75 % of the way from the femoral-head apex to the top of the ilium;
    * SI joint / greater sciatic notch: the slice with the largest piriformis area (it
      passes through the notch, domain.md 5.2);
    * acetabular roof: 6 mm above the femoral-head apex;
    * femoral head / greater trochanter: 18 mm below the femoral-head apex.
    """
    dz = orientation.voxel_sizes(affine)[2]
    femur = _values(table, "femur")
    ilium = _values(table, "ilium")
    fh_top = _z_extent(labels, femur)[1]
    il_top = _z_extent(labels, ilium)[1]
    piri = np.isin(labels, _values(table, "piriformis")).sum(axis=(0, 1))
    n = labels.shape[2]
    clip = lambda k: int(np.clip(round(k), 0, n - 1))  # noqa: E731
    return {
        "iliac_wing": clip(fh_top + 0.75 * (il_top - fh_top)),
        "sciatic_notch": clip(int(np.argmax(piri))) if piri.any() else clip(
            fh_top + 0.45 * (il_top - fh_top)),
        "acetabular_roof": clip(fh_top + 6.0 / dz),
        "femoral_head": clip(fh_top - 18.0 / dz),
    }


def _body_box(labels: np.ndarray, margin: int = 6) -> tuple[slice, slice]:
    body = labels.any(axis=2)
    ii = np.flatnonzero(body.any(axis=1))
    jj = np.flatnonzero(body.any(axis=0))
    return (slice(max(ii.min() - margin, 0), min(ii.max() + margin + 1, labels.shape[0])),
            slice(max(jj.min() - margin, 0), min(jj.max() + margin + 1, labels.shape[1])))


def _crop(ax, box_i: slice, box_j: slice, inverted: bool) -> None:
    lo_i, hi_i = box_i.start - 0.5, box_i.stop - 0.5
    ax.set_xlim((hi_i, lo_i) if inverted else (lo_i, hi_i))
    ax.set_ylim(box_j.start - 0.5, box_j.stop - 0.5)


def _reference_window(image: np.ndarray, labels: np.ndarray, table, side: str) -> viz.Window:
    ref = np.isin(labels, _values(table, "gluteus_maximus", anatomy.opposite_side(side)))
    return viz.window_from_reference(image, ref, gray=0.35)


def _save_small(fig, path: Path, dpi: int, colors: int = 64) -> int:
    """Save `fig` as an 8-bit palette PNG; return its size in bytes."""
    from PIL import Image

    buf = _io.BytesIO()
    fig.savefig(buf, dpi=dpi, format="png", facecolor=fig.get_facecolor())
    plt.close(fig)
    buf.seek(0)
    img = Image.open(buf).convert("RGB")
    img = img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE)
    path.parent.mkdir(parents=True, exist_ok=True)
    img.save(path, optimize=True)
    return path.stat().st_size


def axial_levels_figure(image, labels, table, affine, levels, window, title, *,
                        outlines=False):
    vox = orientation.voxel_sizes(affine)
    box_i, box_j = _body_box(labels)
    fig, grid = plt.subplots(2, 2, figsize=(9.0, 7.4), facecolor="black")
    axes = grid.ravel()
    for ax, (key, text) in zip(axes, LEVELS, strict=True):
        k = levels[key]
        if outlines:
            viz.show_plane(ax, image, "axial", k, window, voxel_size_mm=vox, markers=True)
            viz.draw_label_outlines(ax, labels[:, :, k], table, linewidth=0.9)
        else:
            viz.show_plane(ax, image, "axial", k, window, voxel_size_mm=vox, markers=True)
        _crop(ax, box_i, box_j, orientation.screen_x_inverted("axial"))
        z = float(orientation.voxel_to_world(affine, [0, 0, k])[2])
        ax.set_title(f"{text} (z = {z:.0f} mm)", color="white", fontsize=10)
        ax.set_axis_off()
    viz.add_scale_bar(axes[-1], vox[0], 50)
    fig.suptitle(title, color="white", fontsize=12)
    fig.subplots_adjust(left=0.005, right=0.995, bottom=0.005, top=0.91, wspace=0.02,
                        hspace=0.08)
    return fig


def coronal_figure(case, side: str, title: str):
    vox = orientation.voxel_sizes(case.affine)
    labels = np.asarray(case.labels)
    table = case.label_table
    femur = np.isin(labels, _values(table, "femur"))
    # coronal plane through the femoral heads: mean j of the femur voxels in the top 30 mm
    k_top = _z_extent(labels, _values(table, "femur"))[1]
    top = femur[:, :, max(k_top - int(30 / vox[2]), 0): k_top + 1]
    j = int(round(np.argwhere(top)[:, 1].mean()))
    window = _reference_window(np.asarray(case.stir), labels, table, side)
    fig, ax = plt.subplots(figsize=(6.4, 6.0), facecolor="black")
    viz.show_plane(ax, np.asarray(case.stir), "coronal", j, window, voxel_size_mm=vox)
    body = labels[:, j, :] > 0
    ii = np.flatnonzero(body.any(axis=1))
    kk = np.flatnonzero(body.any(axis=0))
    inv = orientation.screen_x_inverted("coronal")
    lo, hi = ii.min() - 6.5, ii.max() + 6.5
    ax.set_xlim((hi, lo) if inv else (lo, hi))
    ax.set_ylim(kk.min() - 0.5, kk.max() + 0.5)
    viz.add_scale_bar(ax, vox[0], 50)
    y = float(orientation.voxel_to_world(case.affine, [0, j, 0])[1])
    ax.set_title(f"{title}\ncoronal STIR through the hip joints (y = {y:.0f} mm)",
                 color="white", fontsize=10)
    ax.set_axis_off()
    fig.subplots_adjust(left=0.01, right=0.99, bottom=0.01, top=0.90)
    return fig


def print_tables() -> None:
    """Print the Markdown tables of docs/phantom.md from the current code (no figures)."""
    from mri_teach import physics

    print("| tissue | PD | T1 1.5 T | T2 1.5 T | T1 3 T | T2 3 T | FF | source |")
    print("|---|---|---|---|---|---|---|---|")
    for name, t15 in physics.TISSUES[1.5].items():
        t3 = physics.TISSUES[3.0][name]
        print(f"| {name} | {t15.pd:g} | {t15.t1_ms:g} | {t15.t2_ms:g} | {t3.t1_ms:g} | "
              f"{t3.t2_ms:g} | {t15.ff:g} | {t15.source} |")
    print()
    print("| day | time stage | water T2 + (ms) | T1 factor | FF | volume factor |")
    print("|---|---|---|---|---|---|")
    for d in (7, 14, 21, 30, 60, 90, 180, 365, 540):
        st = physics.denervation_state(d)
        print(f"| {d} | {physics.time_stage(d)} | {st.dt2_ms:.1f} | {st.t1_factor:.3f} | "
              f"{st.ff:.2f} | {st.volume_factor:.2f} |")
    print()
    print("| sample | days | muscle | STIR ratio | T1 ratio | volume ratio |")
    print("|---|---|---|---|---|---|")
    for name in ("sgn_acute", "sgn_subacute", "sgn_chronic", "abductor_tendon_tear"):
        truth = datasets.make_sample(name).truth
        for muscle in ("gluteus_medius", "gluteus_minimus", "tensor_fasciae_latae"):
            m = truth["muscles"][anatomy.label_name(muscle, truth["side"])]
            print(f"| {name} | {truth['days']:g} | {anatomy.MUSCLES[muscle].abbrev} | "
                  f"{m['stir_ratio']:.2f} | {m['t1_ratio']:.2f} | {m['volume_ratio']:.2f} |")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "img")
    parser.add_argument("--dpi", type=int, default=85)
    parser.add_argument("--tables", action="store_true",
                        help="print the Markdown tables of docs/phantom.md instead")
    args = parser.parse_args(argv)
    if args.tables:
        print_tables()
        return 0
    sample = datasets.SAMPLES["sgn_subacute"]
    side = sample.params["side"]
    case = datasets.make_sample("sgn_subacute")
    labels = np.asarray(case.labels)
    table = case.label_table
    levels = level_indices(labels, table, case.affine)
    title = "Synthetic pelvis, right superior gluteal nerve lesion, day 90 (1.5 T)"
    written = {}
    t1 = np.asarray(case.t1)
    fig = axial_levels_figure(t1, labels, table, case.affine, levels,
                              _reference_window(t1, labels, table, side), title + ": T1")
    written["phantom_axial_t1.png"] = _save_small(fig, args.out / "phantom_axial_t1.png",
                                                  args.dpi)
    # STIR on the T1 grid (the default protocol writes both on one grid)
    stir = np.asarray(case.stir)
    if stir.shape != t1.shape:
        stir = orientation.resample_to_grid(stir, case.stir_affine, t1.shape, case.affine)
    fig = axial_levels_figure(stir, labels, table, case.affine, levels,
                              _reference_window(stir, labels, table, side), title + ": STIR")
    written["phantom_axial_stir.png"] = _save_small(fig, args.out / "phantom_axial_stir.png",
                                                    args.dpi)
    fig = axial_levels_figure(t1, labels, table, case.affine, levels,
                              _reference_window(t1, labels, table, side),
                              "Label map (muscle outlines) on T1", outlines=True)
    written["phantom_axial_labels.png"] = _save_small(
        fig, args.out / "phantom_axial_labels.png", args.dpi, colors=128)
    iso = phantom.make_case(**{**sample.params, "preset": "isotropic"})
    fig = coronal_figure(iso, side, title)
    written["phantom_coronal_stir.png"] = _save_small(
        fig, args.out / "phantom_coronal_stir.png", args.dpi)
    for name, size in written.items():
        print(f"{args.out / name}: {size / 1024:.0f} KB")
    print("levels (axial index):", levels)
    return 0


if __name__ == "__main__":
    sys.exit(main())
