"""Save the initial (step-0) model of a pretraining run: the random-init control of ``results/pretraining``.

``ProtCLIP(model_config(cfg))`` is seeded by the run's config, so this rebuilds exactly the weights the run
started from (the frozen text encoder included).

    python -m protbench.protclip.initial RUN_DIR OUT_DIR
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from .checkpoint import save_model
from .train import PretrainConfig, model_config


def save_initial(run_dir: str | Path, out: str | Path) -> Path:
    """Rebuild the step-0 model from ``RUN_DIR/pretrain_config.json`` and save it into ``out``."""
    from .model import ProtCLIP

    path = Path(run_dir) / "pretrain_config.json"
    try:
        fields = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise SystemExit(f"{path}: cannot read the run's config ({exc}); give a `protbench pretrain` output folder")
    known = set(PretrainConfig.__dataclass_fields__)
    cfg = PretrainConfig(**{k: v for k, v in fields.items() if k in known})
    return save_model(ProtCLIP(model_config(cfg)).eval(), out)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("run_dir", type=Path)
    ap.add_argument("out", type=Path)
    args = ap.parse_args(argv)
    print(save_initial(args.run_dir, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
