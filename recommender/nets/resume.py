"""Resume states of interrupted training runs: what the `Trainer` writes after every epoch so that a run killed by
Ctrl-C or a worker restart goes on from its last finished epoch instead of starting over.

A training run may hold several `Trainer` stages (the ranker fits SCID, then the two-tower's pre-training, then its
fine-tuning); each stage has its own file, `stage-<i>.pt`, numbered in the order the stages start. A stage's file
holds everything the next epoch depends on: weights, optimizer and scheduler state, the epoch count, the best state
and the early-stopping counter, the log so far and every random generator the batches draw from. Restoring all of
it makes the resumed run continue exactly as the uninterrupted one would have (bit for bit on CPU).

Django-free: the caller (`recommender.services.training`) decides where the directory lives and when to clear it.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch

logger = logging.getLogger(__name__)


class ResumeStore:
    """One training run's resume states, a file per `Trainer` stage, under `directory`."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)

    def path(self, stage: int) -> Path:
        return self.directory / f"stage-{stage}.pt"

    def load(self, stage: int) -> dict[str, Any] | None:
        """The saved state of `stage`, or None when there is none (or it cannot be read: then training starts
        that stage over, which is always correct, only slower)."""
        path = self.path(stage)
        if not path.is_file():
            return None
        try:
            return torch.load(path, map_location="cpu", weights_only=True)
        except Exception as error:  # a torn or foreign file must never stop training
            logger.warning("ignoring the unreadable resume state %s: %s", path, error)
            return None

    def save(self, stage: int, state: dict[str, Any]) -> None:
        """Written to a temporary file and renamed: a kill during the write leaves the previous epoch's state."""
        self.directory.mkdir(parents=True, exist_ok=True)
        path = self.path(stage)
        temporary = path.with_suffix(f".tmp{os.getpid()}")
        torch.save(state, temporary)
        os.replace(temporary, path)

    def exists(self) -> bool:
        return any(self.directory.glob("stage-*.pt")) if self.directory.is_dir() else False

    def clear(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def rng_state(generator: np.random.Generator | None) -> dict[str, Any]:
    """Every random source a training epoch may draw from: torch (CPU and CUDA), Python's `random` and the
    model's numpy generator."""
    return {
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if torch.cuda.is_available() else [],
        "python": random.getstate(),
        "numpy": generator.bit_generator.state if generator is not None else None,
    }


def rng_restore(state: dict[str, Any], generator: np.random.Generator | None) -> None:
    torch.set_rng_state(state["torch"])
    if state.get("cuda") and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])
    version, internal, gauss = state["python"]
    random.setstate((version, tuple(internal), gauss))  # torch.load gives lists back for tuples
    if generator is not None and state.get("numpy") is not None:
        generator.bit_generator.state = state["numpy"]
