"""Class descriptions for zero-shot classification, as ProtST serves them.

ProtST's zero-shot subcellular localization reads one TSV per prompt set (columns ``id``, ``name``,
``description``; tab-separated, fields with commas in double quotes) from
DeepGraphLearning/ProtST @ e80ab338cc9b7ad81428bea94e42e0a4d07dd7b6, ``data/zero_shot_classification/``:
``subloc_name.tsv`` (plain names), ``subloc_language.tsv`` ("A protein locating at ...") and
``subloc_template.tsv`` (UniProt's "SUBCELLULAR LOCATION: ..." wording). The ids are torchdrug's
``SubcellularLocalization`` class ids, the same integers as PEER's ``localization`` column that ``subloc``
and ``subloc-partial`` read. ProtST's README at db53a76ed2430eb66dd9c8134ace99fd60980fb3 ("command fix:
right prompt for zero-shot classification"; the TSVs are unchanged there) runs ``subloc_template.tsv`` with
the ``name`` field, our default; before that commit it named ``subloc_name.tsv``. Its script joins several
fields with a space. Texts below are the TSV cells as a CSV reader returns them (quotes
removed, trailing spaces kept). ProtST ships no such file for binary localization (its
``zero_shot_classification`` folder holds subloc and reaction only), so ``binloc`` has none.
"""
from __future__ import annotations

from ..kinds import ClassTexts

PROTST = ("DeepGraphLearning/ProtST @ e80ab338cc9b7ad81428bea94e42e0a4d07dd7b6, "
          "data/zero_shot_classification/subloc_{name,language,template}.tsv (Apache-2.0)")

_NAME = (
    ("Cell membrane", "Apical, apicolateral, basal, basolateral, lateral, cell membrane, cell projection"),
    ("Cytoplasm", "Cytoplasm (cytosol and cytoskeleton)"),
    ("Endoplasmic reticulum (ER)", "ER membrane and lumen, microsome, rough ER, smooth ER, Sarcoplasmic reticulum"),
    ("Golgi apparatus", "Golgi apparatus membrane and lumen"),
    ("Lysosome/Vacuole", "Contractile, lytic and protein storage vacuole, vacuole lumen and membrane, lysosome "
                         "lumen and membrane"),
    ("Mitochondrion", "Envelope, inner and outer membrane, matrix, intermembrane space"),
    ("Nucleus", "Envelope, inner and outer membrane, matrix, lamina, chromosome, nucleus speckle"),
    ("Peroxisome ", "Peroxisome matrix and membrane"),
    ("Plastid", "Plastid membrane, stroma and thylakoid"),
    ("Extracellular ", "Extracellular"),
)

_LANGUAGE = (
    ("A protein locating at Cell membrane", "A protein locating at Apical or apicolateral or basal or basolateral "
                                            "or lateral or cell membrane or cell projection"),
    ("A protein locating at Cytoplasm", "A protein locating at Cytoplasm (cytosol and cytoskeleton)"),
    ("A protein locating at Endoplasmic reticulum (ER)", "A protein locating at ER membrane and lumen or microsome "
                                                         "or rough ER or smooth ER or Sarcoplasmic reticulum"),
    ("A protein locating at Golgi apparatus", "A protein locating at Golgi apparatus membrane or lumen"),
    ("A protein locating at Lysosome/Vacuole", "A protein locating at Contractile or lytic and protein storage "
                                               "vacuole or vacuole lumen and membrane or lysosome lumen and membrane"),
    ("A protein locating at Mitochondrion", "A protein locating at Envelope or inner and outer membrane or matrix "
                                            "or intermembrane space"),
    ("A protein locating at Nucleus", "A protein locating at Envelope or inner and outer membrane or matrix or "
                                      "lamina or chromosome or nucleus speckle"),
    ("A protein locating at Peroxisome ", "A protein locating at Peroxisome matrix and membrane"),
    ("A protein locating at Plastid", "A protein locating at Plastid membrane or stroma and thylakoid"),
    ("A protein locating at Extracellular ", "A protein locating at Extracellular"),
)

_TEMPLATE = (
    ("SUBCELLULAR LOCATION: Cell membrane.", "SUBCELLULAR LOCATION: Apical; apicolateral; basal; basolateral; "
                                             "lateral; cell membrane; cell projection."),
    ("SUBCELLULAR LOCATION: Cytoplasm.", "SUBCELLULAR LOCATION: Cytoplasm (cytosol and cytoskeleton)."),
    ("SUBCELLULAR LOCATION: Endoplasmic reticulum (ER).", "SUBCELLULAR LOCATION: ER membrane and lumen; "
                                                          "microsome; rough ER; smooth ER; Sarcoplasmic reticulum."),
    ("SUBCELLULAR LOCATION: Golgi apparatus.", "SUBCELLULAR LOCATION: Golgi apparatus membrane and lumen."),
    ("SUBCELLULAR LOCATION: Lysosome/Vacuole.", "SUBCELLULAR LOCATION: Contractile; lytic and protein storage "
                                                "vacuole; vacuole lumen and membrane; lysosome lumen and membrane."),
    ("SUBCELLULAR LOCATION: Mitochondrion.", "SUBCELLULAR LOCATION: Envelope; inner and outer membrane; matrix; "
                                             "intermembrane space."),
    ("SUBCELLULAR LOCATION: Nucleus.", "SUBCELLULAR LOCATION: Envelope; inner and outer membrane; matrix; lamina; "
                                       "chromosome; nucleus speckle."),
    ("SUBCELLULAR LOCATION: Peroxisome. ", "SUBCELLULAR LOCATION: Peroxisome matrix and membrane."),
    ("SUBCELLULAR LOCATION: Plastid.", "SUBCELLULAR LOCATION: Plastid membrane; stroma and thylakoid."),
    ("SUBCELLULAR LOCATION: Extracellular. ", "SUBCELLULAR LOCATION: Extracellular."),
)

SUBLOC = ClassTexts(prompts={"name": _NAME, "language": _LANGUAGE, "template": _TEMPLATE}, source=PROTST)
