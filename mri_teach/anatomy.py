"""Pelvic anatomy as data: structure names, sides, innervation and lesion patterns (layer L1).

Everything here is a lookup table; nothing computes images. The facts come from
``../shared/domain.md``:

* innervation of the muscles in a pelvis/hip field of view: section 3.1;
* superior gluteal nerve branches (TFL = terminal inferior branch): section 3.2;
* pattern -> lesion table used by the inference engine: section 3.5;
* mimics (abductor tendon tear, disuse atrophy, strain): section 9.

Label names follow ``<structure>_<side>`` (``gluteus_medius_right``,
``tensor_fasciae_latae_left``); midline structures have no side (``sacrum``, ``bladder``).
The side of a label always comes from its *name* in a label table, never from whether its
integer value is odd or even (MuscleMap models differ in which parity is left).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = [
    "SIDES",
    "Muscle",
    "MUSCLES",
    "MUSCLE_NAMES",
    "NON_MUSCLE_STRUCTURES",
    "STRUCTURES",
    "NERVE_CAUSES",
    "MIMIC_CAUSES",
    "CAUSES",
    "LESION_MUSCLES",
    "LESION_PARTIAL",
    "CAUSE_INFO",
    "PHANTOM_LABELS",
    "label_name",
    "parse_name",
    "display_name",
    "reference_muscles",
    "opposite_side",
]

SIDES = ("left", "right")


@dataclass(frozen=True)
class Muscle:
    """One muscle of the pelvic field of view and its nerve supply (domain.md 3.1)."""

    name: str
    display: str
    abbrev: str
    nerve: str
    roots: str
    source: str


MUSCLES: dict[str, Muscle] = {
    m.name: m
    for m in (
        Muscle("gluteus_maximus", "gluteus maximus", "Gmax", "inferior_gluteal", "L5-S2",
               "domain.md 3.1 (Wheeless; Radiopaedia; StatPearls)"),
        Muscle("gluteus_medius", "gluteus medius", "Gmed", "superior_gluteal", "L4-S1",
               "domain.md 3.1 (Orthobullets; Wheeless; Gray's)"),
        Muscle("gluteus_minimus", "gluteus minimus", "Gmin", "superior_gluteal", "L4-S1",
               "domain.md 3.1"),
        Muscle("tensor_fasciae_latae", "tensor fasciae latae", "TFL",
               "superior_gluteal (inferior branch, terminal)", "L4-S1",
               "domain.md 3.1-3.2 (TFL is supplied by the terminal inferior branch)"),
        Muscle("piriformis", "piriformis", "Pir", "nerve_to_piriformis (sacral plexus)", "S1-S2",
               "domain.md 3.1"),
        Muscle("obturator_internus", "obturator internus", "OI", "nerve_to_obturator_internus",
               "L5-S2", "domain.md 3.1 (not the obturator nerve)"),
        Muscle("quadratus_femoris", "quadratus femoris", "QF", "nerve_to_quadratus_femoris",
               "L4-S1", "domain.md 3.1"),
        Muscle("obturator_externus", "obturator externus", "OE", "obturator (posterior branch)",
               "L3-L4", "domain.md 3.1"),
        Muscle("iliacus", "iliacus", "Il", "femoral", "L2-L3", "domain.md 3.1"),
        Muscle("psoas", "psoas major", "Ps", "lumbar_plexus (direct branches)", "L1-L3",
               "domain.md 3.1"),
        Muscle("adductors", "adductors", "Add", "obturator", "L2-L4",
               "domain.md 3.1 (adductor magnus hamstring part: tibial division of sciatic)"),
        Muscle("hamstrings", "proximal hamstrings", "Ham", "sciatic (tibial division)", "L5-S2",
               "domain.md 3.1"),
        Muscle("sartorius", "sartorius", "Sar", "femoral", "L2-L3", "domain.md 3.1"),
        Muscle("rectus_femoris", "rectus femoris", "RF", "femoral", "L2-L4", "domain.md 3.1"),
        Muscle("multifidus", "multifidus", "Mf", "dorsal_rami (segmental)", "segmental",
               "domain.md 3.4 (paraspinal involvement localises to the root level)"),
        Muscle("erector_spinae", "erector spinae", "ES", "dorsal_rami (segmental)", "segmental",
               "domain.md 3.4"),
    )
}
MUSCLE_NAMES = tuple(MUSCLES)

NON_MUSCLE_STRUCTURES = (
    "skin",
    "subcutaneous_fat",
    "pelvic_fat",
    "bowel",
    "bladder",
    "cortical_bone",
    "ilium",
    "sacrum",
    "femur",
    "sciatic_nerve",
)
STRUCTURES = MUSCLE_NAMES + NON_MUSCLE_STRUCTURES

# --- lesions -----------------------------------------------------------------------------

NERVE_CAUSES = (
    "none",
    "superior_gluteal",
    "superior_gluteal_inferior_branch",
    "branch_to_tfl",
    "inferior_gluteal",
    "sacral_plexus",
    "sciatic",
    "femoral",
    "obturator",
    "l5_root",
    "s1_root",
)
MIMIC_CAUSES = ("abductor_tendon_tear", "disuse_atrophy", "muscle_strain")
CAUSES = NERVE_CAUSES + MIMIC_CAUSES

#: Muscles whose signal changes with each cause (ipsilateral unless the cause is bilateral).
#: Nerve causes follow the pattern -> lesion table of domain.md 3.5; mimics follow 9(a)-(c).
LESION_MUSCLES: dict[str, frozenset[str]] = {
    "none": frozenset(),
    "superior_gluteal": frozenset({"gluteus_medius", "gluteus_minimus", "tensor_fasciae_latae"}),
    "superior_gluteal_inferior_branch": frozenset(
        {"gluteus_medius", "gluteus_minimus", "tensor_fasciae_latae"}
    ),
    "branch_to_tfl": frozenset({"tensor_fasciae_latae"}),
    "inferior_gluteal": frozenset({"gluteus_maximus"}),
    "sacral_plexus": frozenset(
        {"gluteus_maximus", "gluteus_medius", "gluteus_minimus", "tensor_fasciae_latae",
         "piriformis", "obturator_internus", "quadratus_femoris", "hamstrings"}
    ),
    "sciatic": frozenset({"hamstrings"}),
    "femoral": frozenset({"iliacus", "sartorius", "rectus_femoris"}),
    "obturator": frozenset({"adductors", "obturator_externus"}),
    "l5_root": frozenset(
        {"gluteus_medius", "gluteus_minimus", "tensor_fasciae_latae", "multifidus"}
    ),
    "s1_root": frozenset({"gluteus_maximus", "hamstrings", "piriformis", "multifidus"}),
    # mimics
    "abductor_tendon_tear": frozenset({"gluteus_medius", "gluteus_minimus"}),
    "disuse_atrophy": frozenset(
        {"gluteus_maximus", "gluteus_medius", "gluteus_minimus", "tensor_fasciae_latae",
         "piriformis", "obturator_internus", "quadratus_femoris", "obturator_externus",
         "iliacus", "adductors", "hamstrings", "sartorius", "rectus_femoris"}
    ),
    "muscle_strain": frozenset({"gluteus_medius"}),
}

#: Muscles only partly involved (segmental change) for a cause; domain.md 3.5 row 2:
#: the inferior branch (direct lateral / transgluteal THA) gives anterior/inferior Gmed change.
LESION_PARTIAL: dict[str, frozenset[str]] = {
    "superior_gluteal_inferior_branch": frozenset({"gluteus_medius", "gluteus_minimus"}),
    "muscle_strain": frozenset({"gluteus_medius"}),
}


@dataclass(frozen=True)
class CauseInfo:
    """Teaching text for one cause: where the lesion is and what tells it apart."""

    name: str
    display: str
    kind: str  # "nerve" or "mimic" or "none"
    site: str
    discriminators: str
    bilateral: bool = False


CAUSE_INFO: dict[str, CauseInfo] = {
    c.name: c
    for c in (
        CauseInfo("none", "no lesion", "none", "", ""),
        CauseInfo(
            "superior_gluteal", "superior gluteal nerve", "nerve",
            "leaves the pelvis through the greater sciatic foramen above piriformis "
            "(suprapiriform) and runs between gluteus medius and minimus (domain.md 3.2)",
            "Gmed + Gmin + TFL; Gmax and piriformis spared; no paraspinal change (domain.md 3.5)",
        ),
        CauseInfo(
            "superior_gluteal_inferior_branch", "inferior branch of the superior gluteal nerve",
            "nerve",
            "inferior branch between gluteus medius and minimus, ending in TFL; at risk in the "
            "direct lateral (transgluteal) hip approach (domain.md 3.2)",
            "anterior/inferior (segmental) Gmed + Gmin +/- TFL; post-THA history (domain.md 3.5)",
        ),
        CauseInfo(
            "branch_to_tfl", "branch to tensor fasciae latae", "nerve",
            "terminal inferior branch of the superior gluteal nerve; at risk in the anterior/"
            "anterolateral approach (domain.md 3.2)",
            "isolated TFL (domain.md 3.5)",
        ),
        CauseInfo(
            "inferior_gluteal", "inferior gluteal nerve", "nerve",
            "leaves below piriformis (infrapiriform) with the sciatic nerve; sole supply of "
            "gluteus maximus (domain.md 3.3)",
            "Gmax alone (domain.md 3.5)",
        ),
        CauseInfo(
            "sacral_plexus", "sacral plexus / both gluteal nerves", "nerve",
            "lumbosacral plexus or both gluteal nerves at the greater sciatic notch "
            "(domain.md 3.5)",
            "gluteals + hamstrings + piriformis/OI/QF on one side, paraspinals spared",
        ),
        CauseInfo(
            "sciatic", "sciatic nerve", "nerve",
            "exits below piriformis; distal to the gluteal-nerve take-off (domain.md 3.3)",
            "hamstrings with the gluteals spared (domain.md 3.5)",
        ),
        CauseInfo(
            "femoral", "femoral nerve", "nerve",
            "below the psoas branches (domain.md 3.5)",
            "iliacus + sartorius + rectus femoris; psoas and adductors spared",
        ),
        CauseInfo(
            "obturator", "obturator nerve", "nerve",
            "obturator canal (domain.md 3.5)",
            "adductors + obturator externus; femoral muscles spared; obturator internus has "
            "its own nerve",
        ),
        CauseInfo(
            "l5_root", "L5 root (radiculopathy)", "nerve",
            "L5 nerve root; the dorsal ramus supplies multifidus (domain.md 3.4)",
            "Gmed + Gmin + TFL plus multifidus (paraspinal involvement) (domain.md 3.5, 9(i))",
        ),
        CauseInfo(
            "s1_root", "S1 root (radiculopathy)", "nerve",
            "S1 nerve root (domain.md 3.4)",
            "Gmax + hamstrings +/- piriformis plus multifidus (domain.md 3.5)",
        ),
        CauseInfo(
            "abductor_tendon_tear", "gluteus medius/minimus tendon tear (mimic)", "mimic",
            "tendon at the greater trochanter (domain.md 9(a))",
            "Gmed/Gmin fat with TFL normal or hypertrophied and without edema; fluid at the "
            "trochanter rather than whole-belly edema (domain.md 9(a))",
        ),
        CauseInfo(
            "disuse_atrophy", "disuse atrophy (mimic)", "mimic",
            "no nerve lesion; immobility, osteoarthritis, age (domain.md 9(b))",
            "diffuse fat and volume loss in all muscles of the limb, often bilateral, usually "
            "no edema (domain.md 9(b))",
            bilateral=True,
        ),
        CauseInfo(
            "muscle_strain", "muscle strain (mimic)", "mimic",
            "myotendinous junction of one muscle (domain.md 9(c))",
            "focal feathery edema in one muscle, normal T1, an acute event (domain.md 9(c))",
        ),
    )
}

#: Ipsilateral reference muscles outside each nerve territory, in order of preference
#: (domain.md 2.1: "an ipsilateral muscle of a different, unaffected innervation").
_REFERENCE_PREFERENCE = (
    "iliacus",
    "psoas",
    "gluteus_maximus",
    "obturator_internus",
    "sartorius",
    "gluteus_medius",
    "adductors",
    "hamstrings",
)


def reference_muscles(cause: str) -> tuple[str, ...]:
    """Ipsilateral reference muscles outside the territory of `cause`, best first.

    Examples
    --------
    >>> reference_muscles("superior_gluteal")[:2]
    ('iliacus', 'psoas')
    >>> reference_muscles("femoral")[0]
    'psoas'
    """
    territory = LESION_MUSCLES.get(cause, frozenset())
    return tuple(m for m in _REFERENCE_PREFERENCE if m not in territory)


def opposite_side(side: str) -> str:
    """The other patient side.

    Examples
    --------
    >>> opposite_side("left")
    'right'
    """
    return {"left": "right", "right": "left"}[side]


# --- names -------------------------------------------------------------------------------

_SYNONYMS = {
    "tensor_fascia_latae": "tensor_fasciae_latae",
    "tensor_fasciae_lata": "tensor_fasciae_latae",
    "tfl": "tensor_fasciae_latae",
    "gmed": "gluteus_medius",
    "gmin": "gluteus_minimus",
    "gmax": "gluteus_maximus",
    "psoas_major": "psoas",
    "iliacus_muscle": "iliacus",
    "autochthon": "erector_spinae",
    "erector_spinae_muscle": "erector_spinae",
    "urinary_bladder": "bladder",
    "subcutaneous_fat_tissue": "subcutaneous_fat",
    "gemelli_and_quadratus_femoris": "quadratus_femoris",
    "hamstring": "hamstrings",
    "adductor": "adductors",
}
_SIDE_WORDS = {"left": "left", "l": "left", "lt": "left", "right": "right", "r": "right",
               "rt": "right"}


def label_name(structure: str, side: str | None) -> str:
    """Compose a label name from a structure and a patient side.

    Examples
    --------
    >>> label_name("gluteus_medius", "right")
    'gluteus_medius_right'
    >>> label_name("sacrum", None)
    'sacrum'
    """
    return structure if side is None else f"{structure}_{side}"


def parse_name(name: str) -> tuple[str, str | None]:
    """Split a label name into a normalised structure name and a patient side.

    Accepts ``gluteus_medius_right``, ``Gluteus medius R``, ``right gluteus medius``,
    ``tensor_fascia_latae_left`` (MuscleMap spelling) and TotalSegmentator's names. The
    side is ``None`` when the name carries none.

    Examples
    --------
    >>> parse_name("gluteus_medius_right")
    ('gluteus_medius', 'right')
    >>> parse_name("Tensor fascia latae L")
    ('tensor_fasciae_latae', 'left')
    >>> parse_name("right gluteus minimus")
    ('gluteus_minimus', 'right')
    >>> parse_name("sacrum")
    ('sacrum', None)
    """
    tokens = [t for t in re.split(r"[\s_\-]+", name.strip().lower()) if t]
    side = None
    if tokens and tokens[-1] in _SIDE_WORDS:
        side = _SIDE_WORDS[tokens.pop()]
    elif tokens and tokens[0] in ("left", "right"):
        side = tokens.pop(0)
    structure = "_".join(tokens)
    structure = _SYNONYMS.get(structure, structure)
    return structure, side


def display_name(name: str) -> str:
    """Human-readable name for a label (``gluteus_medius_right`` -> ``right gluteus medius``).

    Examples
    --------
    >>> display_name("tensor_fasciae_latae_left")
    'left tensor fasciae latae'
    >>> display_name("sacrum")
    'sacrum'
    """
    structure, side = parse_name(name)
    text = MUSCLES[structure].display if structure in MUSCLES else structure.replace("_", " ")
    return text if side is None else f"{side} {text}"


def _phantom_labels() -> dict[int, str]:
    # Deliberately not parity-coded: left and right values are assigned in blocks so that any
    # code that guesses sides from odd/even values fails the tests.
    table: dict[int, str] = {}
    value = 1
    for structure in NON_MUSCLE_STRUCTURES:
        if structure in ("ilium", "femur", "sciatic_nerve"):
            continue
        table[value] = structure
        value += 1
    value = 20
    for side in ("right", "left"):
        for structure in (*MUSCLE_NAMES, "ilium", "femur", "sciatic_nerve"):
            table[value] = label_name(structure, side)
            value += 1
    return table


#: Label table of the synthetic pelvis (integer -> name). Sides come from the names.
PHANTOM_LABELS: dict[int, str] = _phantom_labels()
