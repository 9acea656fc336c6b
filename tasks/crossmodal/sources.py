"""Cross-modal family: the upstream files (PrimeKG on Harvard Dataverse, BioBridge's protein sequences)."""
from __future__ import annotations

from protbench.spec import DataSource

_DV = "https://dataverse.harvard.edu/api/access/datafile/"
_DV_PAGE = "https://dataverse.harvard.edu/dataset.xhtml?persistentId=doi:10.7910/DVN/IXA7BM"
_NO_HASH = "not reachable while this task was written (no network); no checksum could be taken"
KG = DataSource("kg.csv", _DV + "6180620", unverified=_NO_HASH,
                description="PrimeKG kg.csv (Harvard Dataverse file 6180620), ~8.1M directed edge rows",
                license="CC BY 4.0 (PrimeKG)")
NODES = DataSource("nodes.csv", _DV + "6180617", unverified=_NO_HASH,
                   description="PrimeKG nodes.csv (Harvard Dataverse file 6180617)", license="CC BY 4.0 (PrimeKG)")
DRUG_FEATURES = DataSource("drug_features.csv", _DV_PAGE, unverified=_NO_HASH + "; the direct datafile id is "
                           "not known here — download drug_features.csv from the dataset page",
                           description="PrimeKG drug_features.csv (drug descriptions)", license="CC BY 4.0 (PrimeKG)")
DISEASE_FEATURES = DataSource("disease_features.csv", _DV_PAGE, unverified=_NO_HASH + "; the direct datafile id "
                              "is not known here — download disease_features.csv from the dataset page",
                              description="PrimeKG disease_features.csv (disease definitions)",
                              license="CC BY 4.0 (PrimeKG)")
PROTEINS = DataSource("protein.csv", "https://media.githubusercontent.com/media/RyanWangZf/BioBridge/"
                      "refs/heads/main/data/Processed/protein.csv", unverified=_NO_HASH,
                      description="BioBridge processed protein nodes with sequences (data/Processed/protein.csv)",
                      license="MIT (BioBridge)")
