"""Cross-modal family: the upstream files (PrimeKG on Harvard Dataverse, BioBridge's protein sequences).

PrimeKG (doi:10.7910/DVN/IXA7BM): Dataverse ingests uploaded CSVs as tabular data and by default serves the
tab-separated archival copy (listed as ``nodes.tab``, ``drug_features.tab``, ``disease_features.tab``), so
every URL asks for ``?format=original``. The file ids are those of the dataset's listing (6180620 kg.csv,
6180617 nodes, 6180619 drug_features, 6180618 disease_features; also used by PrimeKG's downstream loaders).
No checksum is published outside the listing: with network the fetcher reads each file's id, md5 (of the
original upload) and size from the listing (``dataverse=``) before downloading.

BioBridge's ``data/Processed/protein.csv`` is a Git LFS file: the repository holds a 133-byte pointer
(``oid sha256:b828055e…``, ``size 11745993``); the media endpoint serves the real bytes.
"""
from __future__ import annotations

from protbench.spec import DataSource

PRIMEKG_DOI = "doi:10.7910/DVN/IXA7BM"
_DV = "https://dataverse.harvard.edu/api/access/datafile/"
_NO_HASH = ("no checksum is published outside Harvard Dataverse's dataset listing, which was not reachable "
            "while this task was written; online, the fetcher takes the md5 and size of the original upload "
            "from the listing (doi:10.7910/DVN/IXA7BM) and checks the download against them")
_LICENSE = "CC BY 4.0 (PrimeKG)"
KG = DataSource("kg.csv", _DV + "6180620?format=original", unverified=_NO_HASH, dataverse=PRIMEKG_DOI,
                description="PrimeKG kg.csv (Harvard Dataverse file 6180620), ~8.1M directed edge rows",
                license=_LICENSE)
NODES = DataSource("nodes.csv", _DV + "6180617?format=original", unverified=_NO_HASH, dataverse=PRIMEKG_DOI,
                   description="PrimeKG nodes.csv (Harvard Dataverse file 6180617, ingested: listed as nodes.tab)",
                   license=_LICENSE)
DRUG_FEATURES = DataSource("drug_features.csv", _DV + "6180619?format=original", unverified=_NO_HASH,
                           dataverse=PRIMEKG_DOI,
                           description="PrimeKG drug_features.csv (drug descriptions; Harvard Dataverse file "
                                       "6180619, ingested: listed as drug_features.tab)", license=_LICENSE)
DISEASE_FEATURES = DataSource("disease_features.csv", _DV + "6180618?format=original", unverified=_NO_HASH,
                              dataverse=PRIMEKG_DOI,
                              description="PrimeKG disease_features.csv (disease definitions; Harvard Dataverse "
                                          "file 6180618, ingested: listed as disease_features.tab)",
                              license=_LICENSE)
BIOBRIDGE_COMMIT = "f446ad2a21df6cf0b55a93b6f588bfdecf52c773"
PROTEINS = DataSource("protein.csv", "https://media.githubusercontent.com/media/RyanWangZf/BioBridge/"
                      f"{BIOBRIDGE_COMMIT}/data/Processed/protein.csv",
                      sha256="b828055ebac94878b2e87e70f1a4fc55c2f21e30456405716078655607fb6f31", size=11745993,
                      description="BioBridge processed protein nodes with sequences (data/Processed/protein.csv, a "
                                  "Git LFS file: sha256 and size from its LFS pointer)",
                      license="MIT (BioBridge)")
