"""Tests for the anatomy lookup tables (mri_teach/anatomy.py).

The innervation facts are transcribed here independently from ``../shared/domain.md`` 3.1
(muscles in a pelvis/hip field of view) and 3.5 (pattern -> lesion table), so a wrong entry
in the module fails against the literature table, not against a copy of itself.
"""

from __future__ import annotations

import re

import pytest

from mri_teach import anatomy
from mri_teach.anatomy import (
    CAUSE_INFO,
    CAUSES,
    LESION_MUSCLES,
    LESION_PARTIAL,
    MIMIC_CAUSES,
    MUSCLE_NAMES,
    MUSCLES,
    NERVE_CAUSES,
    PHANTOM_LABELS,
    SIDES,
    STRUCTURES,
    display_name,
    label_name,
    opposite_side,
    parse_name,
    reference_muscles,
)

# --- domain.md 3.1, transcribed (nerve keyword, roots) ------------------------------------
DOMAIN_3_1 = {
    "gluteus_maximus": ("inferior gluteal", "L5-S2"),
    "gluteus_medius": ("superior gluteal", "L4-S1"),
    "gluteus_minimus": ("superior gluteal", "L4-S1"),
    "tensor_fasciae_latae": ("superior gluteal", "L4-S1"),  # inferior branch, terminal
    "piriformis": ("nerve to piriformis", "S1-S2"),
    "obturator_internus": ("nerve to obturator internus", "L5-S2"),
    "quadratus_femoris": ("nerve to quadratus femoris", "L4-S1"),
    "obturator_externus": ("obturator", "L3-L4"),  # posterior branch
    "iliacus": ("femoral", "L2-L3"),
    "psoas": ("lumbar plexus", "L1-L3"),
    "adductors": ("obturator", "L2-L4"),
    "hamstrings": ("sciatic", "L5-S2"),  # tibial division
    "sartorius": ("femoral", "L2-L3"),
    "rectus_femoris": ("femoral", "L2-L4"),
}


def _nerve_words(nerve: str) -> str:
    return nerve.replace("_", " ").lower()


@pytest.mark.parametrize(("muscle", "expected"), sorted(DOMAIN_3_1.items()))
def test_innervation_matches_domain_3_1(muscle, expected):
    nerve, roots = expected
    entry = MUSCLES[muscle]
    assert _nerve_words(entry.nerve).startswith(nerve), (muscle, entry.nerve)
    assert entry.roots == roots
    assert "domain.md 3" in entry.source


def test_obturator_internus_is_not_the_obturator_nerve():
    # domain.md 3.1: obturator internus + superior gemellus -> nerve to obturator internus.
    nerve = _nerve_words(MUSCLES["obturator_internus"].nerve)
    assert not nerve.startswith("obturator")
    assert "obturator_internus" not in LESION_MUSCLES["obturator"]
    assert "obturator_externus" in LESION_MUSCLES["obturator"]


def test_tfl_is_the_terminal_inferior_branch():
    # domain.md 3.2: TFL is supplied by the terminal inferior branch of the SGN.
    assert "inferior branch" in MUSCLES["tensor_fasciae_latae"].nerve
    assert LESION_MUSCLES["branch_to_tfl"] == {"tensor_fasciae_latae"}


@pytest.mark.parametrize("nerve", ["superior_gluteal", "inferior_gluteal", "femoral",
                                   "obturator"])
def test_single_nerve_lesion_equals_its_innervation_territory(nerve):
    """A single-nerve cause affects exactly the muscles whose nerve it is (3.1 == 3.5)."""
    territory = {m for m, (n, _) in DOMAIN_3_1.items() if n == nerve.replace("_", " ")}
    assert territory, nerve
    assert LESION_MUSCLES[nerve] == territory


def test_superior_gluteal_spares_gmax_and_piriformis():
    # domain.md 3.5 row 1: Gmed + Gmin + TFL; Gmax -, piriformis -.
    sgn = LESION_MUSCLES["superior_gluteal"]
    assert sgn == {"gluteus_medius", "gluteus_minimus", "tensor_fasciae_latae"}
    assert "gluteus_maximus" not in sgn and "piriformis" not in sgn


def test_root_lesions_include_multifidus_and_plexus_spares_it():
    # domain.md 3.4-3.5: paraspinal involvement localises to the root; plexus spares it.
    assert "multifidus" in LESION_MUSCLES["l5_root"]
    assert "multifidus" in LESION_MUSCLES["s1_root"]
    for cause in ("sacral_plexus", "superior_gluteal", "inferior_gluteal", "sciatic"):
        assert "multifidus" not in LESION_MUSCLES[cause]
        assert "erector_spinae" not in LESION_MUSCLES[cause]
    assert LESION_MUSCLES["superior_gluteal"] < LESION_MUSCLES["l5_root"]
    assert LESION_MUSCLES["superior_gluteal"] < LESION_MUSCLES["sacral_plexus"]
    assert LESION_MUSCLES["inferior_gluteal"] < LESION_MUSCLES["sacral_plexus"]


def test_femoral_spares_psoas_and_sciatic_spares_gluteals():
    assert "psoas" not in LESION_MUSCLES["femoral"]
    glutes = {"gluteus_maximus", "gluteus_medius", "gluteus_minimus"}
    assert not glutes & LESION_MUSCLES["sciatic"]
    assert "hamstrings" in LESION_MUSCLES["sciatic"]


def test_mimics_follow_section_9():
    # 9(a): Gmed/Gmin fat, TFL normal or hypertrophied -> TFL is not among the lesioned.
    assert LESION_MUSCLES["abductor_tendon_tear"] == {"gluteus_medius", "gluteus_minimus"}
    assert CAUSE_INFO["disuse_atrophy"].bilateral
    assert len(LESION_MUSCLES["muscle_strain"]) == 1
    assert all(CAUSE_INFO[c].kind == "mimic" for c in MIMIC_CAUSES)
    assert all(CAUSE_INFO[c].kind == "nerve" for c in NERVE_CAUSES if c != "none")


def test_tables_are_complete_and_consistent():
    assert set(CAUSES) == set(NERVE_CAUSES) | set(MIMIC_CAUSES)
    assert len(CAUSES) == len(set(CAUSES))
    assert set(LESION_MUSCLES) == set(CAUSES) == set(CAUSE_INFO)
    assert LESION_MUSCLES["none"] == frozenset()
    for cause, muscles in LESION_MUSCLES.items():
        assert muscles <= set(MUSCLE_NAMES), cause
    for cause, partial in LESION_PARTIAL.items():
        assert partial <= LESION_MUSCLES[cause], cause
    assert set(DOMAIN_3_1) <= set(MUSCLE_NAMES)
    assert set(MUSCLE_NAMES) <= set(STRUCTURES)


@pytest.mark.parametrize("cause", CAUSES)
def test_reference_muscles_lie_outside_the_territory(cause):
    refs = reference_muscles(cause)
    assert refs, cause
    assert not set(refs) & LESION_MUSCLES[cause]
    assert len(refs) == len(set(refs))
    assert set(refs) <= set(MUSCLE_NAMES)


def test_reference_muscles_order():
    assert reference_muscles("superior_gluteal")[0] == "iliacus"
    assert reference_muscles("femoral")[0] == "psoas"  # iliacus is femoral
    assert "gluteus_medius" in reference_muscles("inferior_gluteal")


# --- names -------------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("name", "expected"),
    [
        # mri_teach / TotalSegmentator spelling
        ("gluteus_medius_right", ("gluteus_medius", "right")),
        ("gluteus_maximus_left", ("gluteus_maximus", "left")),
        ("gluteus_minimus_right", ("gluteus_minimus", "right")),
        ("autochthon_left", ("erector_spinae", "left")),
        ("urinary_bladder", ("bladder", None)),
        ("sacrum", ("sacrum", None)),
        ("femur_right", ("femur", "right")),
        # MuscleMap model table: "anatomy" + "side" fields, "tensor fascia latae"
        ("tensor fascia latae left", ("tensor_fasciae_latae", "left")),
        ("tensor_fascia_latae_right", ("tensor_fasciae_latae", "right")),
        ("psoas major left", ("psoas", "left")),
        ("gluteus medius right", ("gluteus_medius", "right")),
        ("gemelli and quadratus femoris left", ("quadratus_femoris", "left")),
        # free-text spellings users type
        ("Gluteus medius R", ("gluteus_medius", "right")),
        ("right gluteus minimus", ("gluteus_minimus", "right")),
        ("TFL-L", ("tensor_fasciae_latae", "left")),
        ("  Gmed  rt ", ("gluteus_medius", "right")),
    ],
)
def test_parse_name_spellings(name, expected):
    assert parse_name(name) == expected


@pytest.mark.parametrize("structure", STRUCTURES)
@pytest.mark.parametrize("side", [*SIDES, None])
def test_label_name_round_trips(structure, side):
    assert parse_name(label_name(structure, side)) == (structure, side)


def test_display_name_and_opposite_side():
    assert display_name("gluteus_medius_right") == "right gluteus medius"
    assert display_name("psoas_left") == "left psoas major"
    for side in SIDES:
        assert opposite_side(opposite_side(side)) == side
        assert opposite_side(side) != side
    with pytest.raises(KeyError):
        opposite_side("up")


# --- phantom label table -----------------------------------------------------------------

def test_phantom_labels_have_both_sides_of_every_muscle():
    names = list(PHANTOM_LABELS.values())
    assert len(names) == len(set(names))
    assert 0 not in PHANTOM_LABELS  # 0 is background
    parsed = {parse_name(n) for n in names}
    for muscle in MUSCLE_NAMES:
        for side in SIDES:
            assert (muscle, side) in parsed, (muscle, side)
    for value, name in PHANTOM_LABELS.items():
        assert isinstance(value, int) and 0 < value < 2**15
        assert re.fullmatch(r"[a-z_]+", name), name
        assert parse_name(name)[0] in STRUCTURES, name


def test_phantom_labels_sides_are_not_parity_coded():
    """Any odd/even side rule is wrong for some label, so code must read the names."""
    by_side: dict[str, set[int]] = {"left": set(), "right": set()}
    for value, name in PHANTOM_LABELS.items():
        side = parse_name(name)[1]
        if side is not None:
            by_side[side].add(value % 2)
    assert by_side["left"] == {0, 1}
    assert by_side["right"] == {0, 1}
    # and the partner of a label is not simply value +/- 1
    for muscle in ("gluteus_medius", "gluteus_minimus", "tensor_fasciae_latae"):
        values = {parse_name(n): v for v, n in PHANTOM_LABELS.items()}
        assert abs(values[(muscle, "right")] - values[(muscle, "left")]) > 1


def test_module_exports_exist():
    for name in anatomy.__all__:
        assert hasattr(anatomy, name), name
