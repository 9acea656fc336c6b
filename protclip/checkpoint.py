"""Checkpoints: our folders (exact resume) and the released ProtCLIP ``model.safetensors``.

**Our checkpoint folder** (``<output>/checkpoints/step-000123/``):

* ``model.safetensors`` — every tensor of :class:`~protbench.protclip.model.ProtCLIP`
  (frozen text encoder included, so a folder is self-contained);
* ``protclip_config.json`` — the :class:`ProtCLIPConfig`, including the protein
  encoder's kind (``protein_encoder``) and settings (for UniRep the sha256 of the
  published npz it started from); loading builds that encoder without reading any
  pretrained file (``from_checkpoint=True``) and fills every tensor from the folder;
* ``training_state.pt`` — optimizer and LR-scheduler state, step, early-stopping
  state and the torch / numpy / python RNG states, stored as tensors and plain
  Python data only and read back with ``torch.load(weights_only=True)``
  (:func:`safe_torch_load`): a planted or tampered file cannot run code, it is
  refused with an error naming the file.

Resuming restores all of it; the data order and every mask are functions of
(seed, step), so the next step's loss is bit-identical on CPU to an
uninterrupted run.

**Released weights** (Zenodo record 15245588: ``model.safetensors`` +
``config.json`` of the official ``FSTForPretrain``): :func:`map_released_state`
renames its parameters onto ours (:data:`RELEASED_RENAMES`), takes component 0
of the 2-element ``local_logit_scale`` (the only one the released loss uses)
and drops what we do not have (:data:`RELEASED_DROPPED`: the unused
``local_cross_attention`` / ``predictor`` / ``mmp_*`` heads, the poolers, the
per-layer rotary frequency buffers, and ESM's learned position table, which
transformers 4.35 — the version that wrote the released file — created even
for rotary ESM-2 although nothing reads it). ESM's contact head is carried over.
``tests/fixtures/protclip_official_param_names.txt`` lists the official names
(tiny configuration) the mapping is tested against.
"""
from __future__ import annotations

import json
import pickle
import random
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

from .config import ProtCLIPConfig

ZENODO = "https://zenodo.org/records/15245588"
MODEL_FILE, CONFIG_FILE, STATE_FILE = "model.safetensors", "protclip_config.json", "training_state.pt"
TRAINING_FILE = "training.json"     # how these weights were trained (written by `protbench pretrain`)

# released prefix -> our prefix (first match wins)
RELEASED_RENAMES: tuple[tuple[str, str], ...] = (
    ("protein_model.", "protein_model."),
    ("text_model.", "text_model."),
    ("protein_projection.", "protein_projection."),
    ("text_projection.", "text_projection."),
    ("mlm_head.", "mlm_head."),
    ("decoder.", "bsr_decoder."),
    ("t2p_mlm_head.", "bsr_head."),
    ("proto_bank.prototype.", "prototypes."),
)
RELEASED_DROPPED = re.compile(
    r"^(local_cross_attention\.|predictor\.|mmp_protein_head\.|mmp_text_head\.|fusion_model\.|"
    r"protein_model\.pooler\.|text_model\.pooler\.|"
    r".*position_ids$|.*token_type_ids$|.*rotary_embeddings\.inv_freq$)")
# transformers < 4.53 built this table for rotary ESM too (never read); dropped when the protein encoder is rotary
UNUSED_ROTARY_POSITIONS = "protein_model.embeddings.position_embeddings.weight"


def map_released_state(state: dict[str, torch.Tensor], protein_rotary: bool = True
                       ) -> tuple[dict[str, torch.Tensor], list[str]]:
    """``(our state dict, dropped names)`` from a released ``FSTForPretrain`` state dict.

    ``protein_rotary``: the protein encoder uses rotary positions (ESM-2), so its
    learned position table, if the file has one, is unused and dropped.
    Unknown names raise ``KeyError`` naming them (a different architecture).
    """
    out: dict[str, torch.Tensor] = {}
    dropped, unknown = [], []
    for name, t in state.items():
        if name == "logit_scale":
            out["logit_scale"] = t.reshape(())
        elif name == "local_logit_scale":
            out["local_logit_scale"] = t.reshape(-1)[0].clone()
        elif RELEASED_DROPPED.match(name) or (protein_rotary and name == UNUSED_ROTARY_POSITIONS):
            dropped.append(name)
        else:
            for old, new in RELEASED_RENAMES:
                if name.startswith(old):
                    out[new + name[len(old):]] = t
                    break
            else:
                unknown.append(name)
    if unknown:
        raise KeyError(f"released checkpoint has parameters this mapping does not know: {unknown[:8]}"
                       f"{' ...' if len(unknown) > 8 else ''}; is it an FSTForPretrain checkpoint?")
    return out, dropped


def released_config(cfg: ProtCLIPConfig) -> dict[str, Any]:
    """The released ``config.json`` layout (``FSTConfig``) for ``cfg``'s architecture (ESM-2 encoders only)."""
    from .protein_encoders.esm2 import esm_config_dict

    if cfg.protein_encoder != "esm2":
        raise ValueError(f"the released FSTForPretrain config.json describes an ESM-2 protein encoder, not "
                         f"{cfg.protein_encoder!r}; save our own protclip_config.json instead")
    out = {"architectures": ["FSTForPretrain"], "model_type": "FST", "fusion_batch_norm": True,
           "fusion_num_heads": 8, "fusion_num_layers": 1, "local_contrast": int(cfg.enabled("pda")),
           "local_pool": "avg", "mlp_num_layers": 2, "mmp": 0, "t2p_mlm": int(cfg.enabled("bsr"))}
    out.update(cfg.extra)
    pcfg = esm_config_dict(cfg)
    tcfg = dict(cfg.text_model_config or {})
    out.update({
        "protein_model_config": pcfg, "text_model_config": tcfg, "projection_dim": cfg.projection_dim,
        "proto_num": cfg.proto_num, "proto_dim": cfg.proto_dim, "logit_scale_init": cfg.logit_scale_init,
        "local_logit_scale_init": cfg.local_logit_scale_init,
        "protein_mask_probability": cfg.protein_mask_probability,
        "text_mask_probability": cfg.text_mask_probability,
        "hidden_sizes": [pcfg["hidden_size"], tcfg.get("hidden_size"), cfg.projection_dim],
    })
    return out


def load_state_into(model: torch.nn.Module, state: dict[str, torch.Tensor], source: str,
                    allow_missing: tuple[str, ...] = ()) -> None:
    """Copy ``state`` into ``model`` (dtype cast to the model's), failing on missing / unexpected / mis-shaped names."""
    own = model.state_dict()
    missing = [k for k in own if k not in state and not k.startswith(allow_missing)
               and not k.endswith(("position_ids", "inv_freq"))]
    unexpected = [k for k in state if k not in own]
    shapes = [f"{k}: {tuple(state[k].shape)} vs {tuple(own[k].shape)}" for k in state
              if k in own and tuple(state[k].shape) != tuple(own[k].shape)]
    if missing or unexpected or shapes:
        raise ValueError(f"{source}: weights do not fit this ProtCLIP config: missing {missing[:6]}, "
                         f"unexpected {unexpected[:6]}, shape mismatches {shapes[:6]}")
    with torch.no_grad():
        for k, t in state.items():
            own[k].copy_(t.to(own[k].dtype))


def load_released(weights: str | Path, config: str | Path | None = None, text_tokenizer: str | None = None,
                  device: str = "cpu"):
    """A :class:`ProtCLIP` from the released ``model.safetensors`` (+ its ``config.json`` beside it)."""
    from safetensors.torch import load_file

    from .model import ProtCLIP

    weights = Path(weights)
    config = Path(config) if config else weights.with_name("config.json")
    for p, what in ((weights, "model.safetensors"), (config, "config.json")):
        if not p.is_file():
            raise FileNotFoundError(f"released ProtCLIP {what} not found at {p}; download model.safetensors and "
                                    f"config.json from Zenodo record 15245588 ({ZENODO})")
    cfg = ProtCLIPConfig.load(config)
    cfg.text_tokenizer = text_tokenizer or "none"
    model = ProtCLIP(cfg)
    rotary = model.protein_model.config.position_embedding_type == "rotary"
    state, _ = map_released_state(load_file(str(weights)), protein_rotary=rotary)
    load_state_into(model, state, str(weights), allow_missing=())
    return model.to(device).eval()


# -- our checkpoints -------------------------------------------------------------------------------
class UnsafeFileError(ValueError):
    """A file that ``torch.load(weights_only=True)`` refuses: it holds more than tensors and plain data."""


def safe_torch_load(path: str | Path, what: str, fix: str) -> Any:
    """``torch.load(path, weights_only=True)``: tensors, dicts, lists, tuples, numbers, strings, None only.

    A file holding anything else (a pickled object whose ``__reduce__`` would run
    code, numpy arrays, custom classes) raises :class:`UnsafeFileError` naming
    ``path``, what it was loaded as, and ``fix``; nothing in it is executed.
    """
    path = Path(path)
    try:
        return torch.load(path, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        why = next((ln.strip() for ln in str(exc).splitlines() if "unsupported" in ln.lower()
                    or "not an allowed global" in ln.lower()), "it is not a plain tensor file")
        raise UnsafeFileError(
            f"{path}: refusing to load this {what}: it contains objects other than tensors and plain Python data, "
            f"so loading it could run arbitrary code ({why}). Nothing from it was executed. {fix}") from None
    except (RuntimeError, EOFError, KeyError, ValueError) as exc:
        raise UnsafeFileError(f"{path}: cannot read this {what} as a torch tensor file ({type(exc).__name__}: "
                              f"{str(exc).splitlines()[0] if str(exc) else ''}). {fix}") from None


def rng_state() -> dict[str, Any]:
    """The torch (CPU and CUDA), numpy and python RNG states as tensors and plain data (``weights_only``-loadable)."""
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    out: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": {"kind": str(kind), "keys": torch.from_numpy(np.asarray(keys, dtype=np.int64)), "pos": int(pos),
                  "has_gauss": int(has_gauss), "cached_gaussian": float(cached)},
        "python": {"version": int(version), "state": torch.tensor(internal, dtype=torch.int64),
                   "gauss_next": None if gauss_next is None else float(gauss_next)},
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out["cuda"] = torch.cuda.get_rng_state_all()
    return out


def set_rng_state(s: dict[str, Any]) -> None:
    torch.set_rng_state(s["torch"])
    n = s["numpy"]
    np.random.set_state((n["kind"], n["keys"].numpy().astype(np.uint32), n["pos"], n["has_gauss"],
                         n["cached_gaussian"]))
    p = s["python"]
    random.setstate((p["version"], tuple(int(x) for x in p["state"].tolist()), p["gauss_next"]))
    if "cuda" in s and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(s["cuda"])


def save_model(model, folder: str | Path, training: dict[str, Any] | None = None) -> Path:
    """``model.safetensors`` + ``protclip_config.json`` (+ ``training.json`` when ``training`` is given) into
    ``folder`` (created)."""
    from safetensors.torch import save_file

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    save_file(state, str(folder / MODEL_FILE))
    model.cfg.save(folder / CONFIG_FILE)
    if training is not None:
        write_json(folder / TRAINING_FILE, training)
    return folder


def read_training(folder: str | Path) -> dict[str, Any] | None:
    """The ``training.json`` of a checkpoint folder (None when absent: released weights, older checkpoints).

    Plain JSON, never executed; a file that is not a JSON object raises ``ValueError`` naming it."""
    path = complete_copy(folder) / TRAINING_FILE
    if not path.is_file():
        return None
    try:
        d = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path}: not valid JSON ({exc}); delete it or copy it again from the run's checkpoint") \
            from exc
    if not isinstance(d, dict):
        raise ValueError(f"{path}: expected a JSON object describing the training run, got {type(d).__name__}")
    return d


def _staging(folder: Path) -> tuple[Path, Path]:
    """The sibling folders a replacement is written to (``.tmp``) and the old copy is parked in (``.old``)."""
    return folder.with_name(folder.name + ".tmp"), folder.with_name(folder.name + ".old")


def recover_folder(folder: str | Path) -> None:
    """Finish or undo a replacement of ``folder`` that a kill interrupted (see :func:`replace_folder`).

    ``.old`` exists only after ``.tmp`` was completely written, so when ``folder`` itself is missing the
    ``.tmp`` copy is complete and becomes ``folder`` (or, were it gone too, ``.old`` goes back); a ``.tmp``
    without ``.old`` may be partial and is dropped."""
    folder = Path(folder)
    tmp, old = _staging(folder)
    if old.exists():
        if not folder.exists():
            (tmp if tmp.exists() else old).rename(folder)
        if old.exists():
            shutil.rmtree(old)
    if tmp.exists():
        shutil.rmtree(tmp)


def complete_copy(folder: str | Path) -> Path:
    """The folder a reader should load for ``folder``, without changing anything on disk.

    After a kill between :func:`replace_folder`'s renames, ``folder`` is missing and its complete copy is
    ``.tmp`` (the new one; complete whenever ``.old`` exists) or else ``.old``. Readers (``protbench run
    --weights``) use this instead of repairing, so they never race a trainer that is mid-swap; the next
    ``protbench pretrain`` or :func:`recover_folder` finishes the swap."""
    folder = Path(folder)
    tmp, old = _staging(folder)
    if folder.exists() or not old.exists():
        return folder
    return tmp if tmp.exists() else old


def replace_folder(folder: str | Path, write) -> Path:
    """Write a new ``folder`` with ``write(path)`` into ``folder.tmp``, then swap it in by renames, so a kill at
    any moment leaves either the old complete folder or the new one (:func:`recover_folder` finishes the swap)."""
    folder = Path(folder)
    recover_folder(folder)
    tmp, old = _staging(folder)
    write(tmp)
    if folder.exists():
        folder.rename(old)
    tmp.rename(folder)
    if old.exists():
        shutil.rmtree(old)
    return folder


def save_best(model, folder: str | Path, training: dict[str, Any] | None = None) -> Path:
    """:func:`save_model` into ``folder`` by :func:`replace_folder`: the previous best survives a kill mid-write."""
    return replace_folder(folder, lambda tmp: save_model(model, tmp, training))


def save_checkpoint(folder: str | Path, model, optimizer, scheduler, step: int, extra: dict[str, Any],
                    training: dict[str, Any] | None = None) -> Path:
    """A full training checkpoint, written by :func:`replace_folder` (a kill never leaves half a folder)."""
    def write(tmp: Path) -> None:
        save_model(model, tmp, training)
        torch.save({"optimizer": optimizer.state_dict(), "scheduler": scheduler.state_dict(), "step": step,
                    "rng": rng_state(), **extra}, tmp / STATE_FILE)
    return replace_folder(folder, write)


def load_model(folder: str | Path, device: str = "cpu", **cfg_overrides: Any):
    """A :class:`ProtCLIP` from one of our checkpoint folders (or a folder holding the released files)."""
    from safetensors.torch import load_file

    from .model import ProtCLIP

    folder = complete_copy(folder)
    if folder.is_file() and folder.suffix == ".safetensors":
        return load_released(folder, text_tokenizer=cfg_overrides.get("text_tokenizer"), device=device)
    if not (folder / CONFIG_FILE).is_file():
        if (folder / "config.json").is_file() and (folder / MODEL_FILE).is_file():
            return load_released(folder / MODEL_FILE, folder / "config.json",
                                 cfg_overrides.get("text_tokenizer"), device)
        raise FileNotFoundError(
            f"no ProtCLIP checkpoint in {folder}: expected {CONFIG_FILE} + {MODEL_FILE} (from `protbench pretrain`) "
            f"or the released config.json + model.safetensors (Zenodo record 15245588, {ZENODO})")
    cfg = ProtCLIPConfig.load(folder / CONFIG_FILE)
    for k, v in cfg_overrides.items():
        if v is not None:
            setattr(cfg, k, v)
    model = ProtCLIP(cfg, from_checkpoint=True)
    load_state_into(model, load_file(str(folder / MODEL_FILE)), str(folder / MODEL_FILE), allow_missing=())
    return model.to(device).eval()


def latest_checkpoint(output_dir: str | Path) -> Path | None:
    """The highest ``step-*`` folder under ``output_dir/checkpoints`` (None when there is none)."""
    root = Path(output_dir) / "checkpoints"
    for p in root.glob("step-*.old"):
        recover_folder(p.with_name(p.name[:-len(".old")]))
    found = sorted(p for p in root.glob("step-*") if p.is_dir() and not p.name.endswith((".tmp", ".old"))
                   and (p / STATE_FILE).is_file())
    return found[-1] if found else None


RUN_OUTPUTS = ("checkpoints", "best", "best.old", "best.tmp", "summary.json", "log.jsonl")


def clear_run(output_dir: str | Path) -> list[str]:
    """Remove what an earlier pretraining run left in ``output_dir`` (its checkpoints, best model, summary and
    log) before a fresh run writes there: left in place, a kill of the new run followed by a resume would
    continue the old run's latest checkpoint, and pruning would keep the old run's higher steps. Other files
    (data, reports a user put there) stay. Returns the names removed."""
    root, removed = Path(output_dir), []
    for name in RUN_OUTPUTS:
        p = root / name
        if p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)
        elif p.exists() or p.is_symlink():
            p.unlink()
        else:
            continue
        removed.append(name)
    return removed


def load_training_state(folder: str | Path) -> dict[str, Any]:
    """The ``training_state.pt`` of a checkpoint folder, loaded with ``weights_only=True`` (never runs code)."""
    path = Path(folder) / STATE_FILE
    st = safe_torch_load(path, "training state",
                         "Resume only from checkpoints written by this version of `protbench pretrain` that you "
                         "trust; otherwise start over with `--fresh` (or another --output-dir). Do not load it with "
                         "weights_only=False.")
    if not isinstance(st, dict) or not {"optimizer", "scheduler", "step", "rng"} <= set(st):
        raise UnsafeFileError(f"{path}: not a protbench training state (expected a dict with optimizer, "
                              f"scheduler, step, rng); start over with `--fresh`")
    return st


def prune_checkpoints(output_dir: str | Path, keep: int) -> None:
    root = Path(output_dir) / "checkpoints"
    found = sorted(p for p in root.glob("step-*") if p.is_dir() and not p.name.endswith((".tmp", ".old")))
    for p in found[:-keep] if keep > 0 else []:
        shutil.rmtree(p)


def write_json(path: str | Path, obj: Any) -> None:
    Path(path).write_text(json.dumps(obj, indent=2, sort_keys=True, default=str))
