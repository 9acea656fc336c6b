"""fair-esm ``.pt`` checkpoints (ESM-2, ESM-1b) → transformers ``EsmModel`` weights.

A fair-esm file is a pickled dict: ``model`` (state dict, names prefixed ``encoder.sentence_encoder.`` or
``encoder.``) and the architecture in ``cfg["model"]`` (ESM-2: ``encoder_layers``, ``encoder_embed_dim``,
``encoder_attention_heads``, ``token_dropout``) or ``args`` (ESM-1b, ``arch == "roberta_large"``: ``layers``,
``embed_dim``, ``ffn_embed_dim``, ``attention_heads``, ``max_positions``). ESM-2 has rotary positions and no
embedding layer norm; ESM-1b has learned absolute positions (``padding_idx + 1 + position``) and a layer norm
after the embeddings. Both normalise the last layer (``emb_layer_norm_after``) — transformers' ``EsmModel``
matches either through its config.

Loading uses ``torch.load(weights_only=True)`` with ``argparse.Namespace`` allow-listed (the container of
``args``/``cfg`` in the released files). A file that needs anything else unpickled is refused: nothing read
from a checkpoint is ever executed (convert such a file to safetensors or a transformers folder on a machine
you trust). The language-model and contact heads are dropped: the suite only uses the encoder.
"""
from __future__ import annotations

import argparse
import contextlib
import pickle
import re
from pathlib import Path
from typing import Any, Mapping

import torch

from protbench.commands.options import UsageError

# Released ESM-2 checkpoints: (layers, width) -> attention heads, used when a file carries no config.
_ESM2_HEADS = {(6, 320): 20, (12, 480): 20, (30, 640): 20, (33, 1280): 20, (36, 2560): 40, (48, 5120): 40}
FAIR_ESM_URL = "https://dl.fbaipublicfiles.com/fair-esm/models/{name}.pt"

_LAYER_MAP = {
    "self_attn.q_proj": "attention.self.query",
    "self_attn.k_proj": "attention.self.key",
    "self_attn.v_proj": "attention.self.value",
    "self_attn.out_proj": "attention.output.dense",
    "self_attn_layer_norm": "attention.LayerNorm",
    "fc1": "intermediate.dense",
    "fc2": "output.dense",
    "final_layer_norm": "LayerNorm",
}
_TOP_MAP = {
    "embed_tokens.weight": "embeddings.word_embeddings.weight",
    "embed_positions.weight": "embeddings.position_embeddings.weight",
    "emb_layer_norm_before.weight": "embeddings.layer_norm.weight",
    "emb_layer_norm_before.bias": "embeddings.layer_norm.bias",
    "emb_layer_norm_after.weight": "encoder.emb_layer_norm_after.weight",
    "emb_layer_norm_after.bias": "encoder.emb_layer_norm_after.bias",
}
_DROPPED = re.compile(r"^(lm_head\.|contact_head\.|embed_out)|\.rot_emb\.inv_freq$")


class CheckpointError(UsageError):
    """A weights file or folder that cannot be read, mapped or trusted to be the architecture asked for; the
    message names the file and the problem (a ValueError; exit 2 on the command line)."""


@contextlib.contextmanager
def refusing_pickles(folder: Path):
    """Around a transformers ``from_pretrained`` of ``folder``: a ``pytorch_model.bin`` that needs more than
    tensors unpickled (transformers loads it with ``weights_only=True``, so nothing in it runs) is refused with
    our message naming the file, instead of transformers' advice to load it unsafely."""
    try:
        yield
    except Exception as exc:
        text = f"{type(exc).__name__}: {exc}"
        if isinstance(exc, pickle.UnpicklingError) or "weights_only" in text or "Unpickl" in text:
            files = [p for p in sorted(Path(folder).glob("*.bin"))] or [Path(folder)]
            raise CheckpointError(
                f"{files[0]}: refused — it needs more than tensors to be unpickled, and protbench never executes "
                f"code from a weights file (nothing in it was run). Use model.safetensors, or the file as "
                f"released") from None
        raise


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The pickled dict of a fair-esm ``.pt`` file, loaded safely (see module docstring)."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"fair-esm checkpoint {path} not found; download it, e.g. "
            f"{FAIR_ESM_URL.format(name='esm2_t33_650M_UR50D')} or "
            f"{FAIR_ESM_URL.format(name='esm1b_t33_650M_UR50S')}")
    try:
        with torch.serialization.safe_globals([argparse.Namespace]):
            return torch.load(path, map_location="cpu", weights_only=True)
    except Exception as exc:  # UnpicklingError for objects outside the allow-list
        raise CheckpointError(
            f"{path}: refused — it needs more than tensors, numbers and argparse.Namespace to be unpickled "
            f"({type(exc).__name__}: {exc}), and protbench never executes code from a checkpoint. Use the "
            f"released fair-esm file as downloaded, or a transformers folder / safetensors file of the weights."
        ) from exc


def _get(obj: Any, key: str, default: Any = None) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(key, default)
    return getattr(obj, key, default)


def strip_prefixes(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """Names without fair-esm's ``encoder.sentence_encoder.`` / ``encoder.`` prefixes."""
    pattern = re.compile(r"^(encoder\.sentence_encoder\.|encoder\.)")
    return {pattern.sub("", k): v for k, v in state.items()}


def convert_state_dict(state: Mapping[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """fair-esm encoder names (prefixes stripped) → ``EsmModel`` names; heads dropped; unknown names fail."""
    out: dict[str, torch.Tensor] = {}
    unknown = []
    for name, t in state.items():
        if _DROPPED.search(name):
            continue
        if name in _TOP_MAP:
            out[_TOP_MAP[name]] = t
            continue
        m = re.match(r"^layers\.(\d+)\.(.+)\.(weight|bias)$", name)
        if m and m.group(2) in _LAYER_MAP:
            out[f"encoder.layer.{m.group(1)}.{_LAYER_MAP[m.group(2)]}.{m.group(3)}"] = t
            continue
        unknown.append(name)
    if unknown:
        raise CheckpointError(f"unexpected tensors in the fair-esm state dict: {sorted(unknown)[:8]}")
    return out


def esm_config_from_checkpoint(data: Mapping[str, Any], state: Mapping[str, torch.Tensor], path: Path):
    """A transformers ``EsmConfig`` for an ESM-2 (``cfg``) or ESM-1b (``args``) checkpoint."""
    from transformers import EsmConfig

    layers = len({k.split(".")[1] for k in state if k.startswith("layers.")})
    vocab, dim = state["embed_tokens.weight"].shape
    ffn = state["layers.0.fc1.weight"].shape[0]
    common = dict(vocab_size=int(vocab), hidden_size=int(dim), num_hidden_layers=layers, intermediate_size=int(ffn),
                  hidden_act="gelu", layer_norm_eps=1e-5, pad_token_id=1, mask_token_id=32,
                  hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    args = data.get("args")
    if args is not None and _get(args, "arch") == "roberta_large":      # ESM-1b
        heads = int(_get(args, "attention_heads"))
        return EsmConfig(num_attention_heads=heads, position_embedding_type="absolute",
                         max_position_embeddings=int(state["embed_positions.weight"].shape[0]),
                         emb_layer_norm_before="emb_layer_norm_before.weight" in state,
                         token_dropout=bool(_get(args, "token_dropout", True)), **common)
    if args is not None:
        raise CheckpointError(f"{path}: fair-esm architecture {_get(args, 'arch')!r} is not supported "
                              f"(ESM-2 and ESM-1b are)")
    cfg = _get(data.get("cfg") or {}, "model")
    heads = _get(cfg, "encoder_attention_heads") if cfg is not None else None
    if heads is None:
        heads = _ESM2_HEADS.get((layers, int(dim)))
        if heads is None:
            raise CheckpointError(f"{path}: no cfg with encoder_attention_heads and ({layers} layers, {dim}-d) is "
                                  f"not a released ESM-2 size")
    token_dropout = bool(_get(cfg, "token_dropout", True)) if cfg is not None else True
    return EsmConfig(num_attention_heads=int(heads), position_embedding_type="rotary", max_position_embeddings=1026,
                     emb_layer_norm_before=False, token_dropout=token_dropout, **common)


def esm_module_from_fair_esm(path: str | Path, attn: str = "sdpa"):
    """A transformers ``EsmModel`` (no pooling layer) holding the encoder weights of a fair-esm ``.pt`` file."""
    from transformers import EsmModel

    path = Path(path)
    data = read_checkpoint(path)
    if not isinstance(data, Mapping) or "model" not in data:
        raise CheckpointError(f"{path}: not a fair-esm checkpoint (expected a dict with a 'model' state dict)")
    state = strip_prefixes(data["model"])
    cfg = esm_config_from_checkpoint(data, state, path)
    cfg._attn_implementation = attn
    if cfg.position_embedding_type == "absolute":   # ESM-1b: fair-esm zeroes the mask embedding (token dropout)
        state["embed_tokens.weight"] = state["embed_tokens.weight"].clone()
        state["embed_tokens.weight"][cfg.mask_token_id].zero_()
    model = EsmModel(cfg, add_pooling_layer=False)
    mapped = convert_state_dict(state)
    missing, unexpected = model.load_state_dict(mapped, strict=False)
    missing = [k for k in missing if not k.startswith("contact_head.") and not k.endswith("inv_freq")]
    if missing or unexpected:
        raise CheckpointError(f"{path}: weights do not fit the architecture; missing {missing[:8]}, "
                              f"unexpected {list(unexpected)[:8]}")
    return model
