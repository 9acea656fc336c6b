"""Multi-process data parallel helpers (``torchrun`` + ``torch.distributed``).

Launch: ``torchrun --nproc_per_node N -m protbench.cli pretrain ...`` (or
``torchrun ... $(which protbench) pretrain ...``). The process group uses
``gloo`` on CPU and ``nccl`` on CUDA. Every rank builds the same *global*
batch (same data order, same masks, seeded by step) and keeps its slice of
rows, so N processes × b rows reproduce one process × N·b rows:

* GC gathers the projected features *with gradients* (``gather_with_grad``), so
  negatives span the global batch and every rank computes the same global loss;
* token-level terms divide by the global label counts and are multiplied by N,
  so DDP's gradient averaging yields the gradient of the global-batch loss.
"""
from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist


@dataclass(frozen=True)
class World:
    rank: int = 0
    size: int = 1
    local_rank: int = 0

    @property
    def main(self) -> bool:
        return self.rank == 0


def init(device: str = "cpu") -> World:
    """Join the process group when launched by torchrun (``WORLD_SIZE`` > 1); otherwise a world of one."""
    size = int(os.environ.get("WORLD_SIZE", "1"))
    if size <= 1:
        return World()
    if not dist.is_initialized():
        backend = "nccl" if device.startswith("cuda") else "gloo"
        dist.init_process_group(backend=backend)
    return World(dist.get_rank(), dist.get_world_size(), int(os.environ.get("LOCAL_RANK", "0")))


def active() -> bool:
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def gather_with_grad(x: torch.Tensor) -> torch.Tensor:
    """Concatenate ``x`` ``(b, D)`` from every rank in rank order → ``(N·b, D)``; gradients flow back to each rank."""
    if not active():
        return x
    from torch.distributed.nn.functional import all_gather

    return torch.cat(all_gather(x.contiguous()), dim=0)


def all_reduce_sum(x: torch.Tensor) -> torch.Tensor:
    if active():
        x = x.clone()
        dist.all_reduce(x, op=dist.ReduceOp.SUM)
    return x


def barrier() -> None:
    if active():
        dist.barrier()


def shutdown() -> None:
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()
