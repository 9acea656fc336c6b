"""Hugging Face model ids users already know, mapped onto the registered architectures.

``--model facebook/esm2_t6_8M_UR50D`` runs the ``esm2-8m`` entry with the weights of that repository taken
from the local Hugging Face cache (``$HF_HUB_CACHE``, default ``~/.cache/huggingface/hub``), offline; with
``--weights PATH`` the given copy is used instead. Results are recorded under the Hugging Face id.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

# Hugging Face repository -> registered model name
HF_IDS: dict[str, str] = {
    "facebook/esm2_t6_8M_UR50D": "esm2-8m",
    "facebook/esm2_t12_35M_UR50D": "esm2-35m",
    "facebook/esm2_t30_150M_UR50D": "esm2-150m",
    "facebook/esm2_t33_650M_UR50D": "esm2-650m",
    "facebook/esm2_t36_3B_UR50D": "esm2-3b",
    "facebook/esm1b_t33_650M_UR50S": "esm1b",
    "Rostlab/prot_bert": "protbert",
    "zjunlp/OntoProtein": "ontoprotein",
}


def known(hf_id: str) -> str | None:
    """The canonical spelling of ``hf_id`` if protbench knows it (case-insensitive), else None."""
    by_lower = {k.lower(): k for k in HF_IDS}
    return by_lower.get(hf_id.lower())


def local_snapshot(hf_id: str) -> Path:
    """The folder of ``hf_id`` in the local Hugging Face cache; FileNotFoundError saying how to get it."""
    from huggingface_hub import constants, snapshot_download
    from huggingface_hub.errors import LocalEntryNotFoundError

    try:
        return Path(snapshot_download(hf_id, local_files_only=True))
    except (LocalEntryNotFoundError, FileNotFoundError, OSError) as exc:
        cache = Path(constants.HF_HUB_CACHE) / f"models--{hf_id.replace('/', '--')}"
        raise FileNotFoundError(
            f"{hf_id} is not in the local Hugging Face cache ({cache}). On a machine with internet run "
            f"`huggingface-cli download {hf_id}` (it fills that folder; copy it here, or set HF_HUB_CACHE), or "
            f"download the repository anywhere and pass --weights FOLDER. ({type(exc).__name__})") from None


def resolve(hf_id: str, options: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """``(registered name, model options)`` for a Hugging Face id: the weights folder from ``options`` or the
    local cache, and ``name`` so results are recorded under the id."""
    canonical = known(hf_id)
    if canonical is None:
        raise KeyError(hf_id)
    opts = dict(options)
    if not opts.get("weights"):
        opts["weights"] = str(local_snapshot(canonical))
    opts.setdefault("name", canonical)
    return HF_IDS[canonical], opts
