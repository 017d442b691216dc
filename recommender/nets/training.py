"""The one training loop every net plugs into: epochs, early stopping, best-state restore, progress, seeding.

RecBole's split (models define the loss and the batches, one `Trainer` runs the epochs) and nanoGPT's (the model
file holds no training loop). A model's `fit` prepares its samples, builds its optimizer and hands the `Trainer`
three callables: the batches of an epoch, the loss of a batch, and a validation that returns named metrics.

Training length never depends on how busy the machine is: the number of epochs is chosen by early stopping on a
validation split that each model carves from its *training* data by time (the latest sessions / impressions /
windows), never from the test data. `time_cap_seconds` is only a safety net against a runaway job: when it binds,
the `Trainer` logs a WARNING and the fit log says `stopped_by="time_cap"`, because metrics of such a run depend on
the machine's load.
"""

from __future__ import annotations

import copy
import logging
import math
import random
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

logger = logging.getLogger(__name__)

DEFAULT_TIME_CAP_SECONDS = 6 * 3600.0  # a safety net, far above any healthy run on the demo or YooChoose data

# What a run's log says about why it ended.
STOPPED_BY_EPOCHS = "epochs"  # ran every epoch it was given
STOPPED_BY_EARLY_STOPPING = "early_stopping"  # `patience` epochs without a better validation metric
STOPPED_BY_TIME_CAP = "time_cap"  # the safety net bound: results depend on the machine's load


@dataclass
class TrainingConfig:
    """The training parameters every trainable model shares, under these names (`train` / `evaluate` set them).

    Model configs inherit these fields and restate the defaults that suit them.
    """

    epochs: int = 10  # most epochs; early stopping on the validation split usually ends sooner
    lr: float = 1e-3  # optimizer learning rate (peak rate where a model warms up)
    patience: int = 3  # epochs without a better validation metric before stopping
    valid_fraction: float = 0.1  # latest share of the training data (by time) held out for early stopping
    time_cap_seconds: float = DEFAULT_TIME_CAP_SECONDS  # safety net only; a WARNING and stopped_by="time_cap"
    seed: int = 0  # seeds torch, numpy and random: the same data and config give the same model


TRAINING_PARAMETERS: tuple[str, ...] = tuple(f.name for f in TrainingConfig.__dataclass_fields__.values())


def seed_everything(seed: int) -> np.random.Generator:
    """Seed torch (CPU and CUDA), Python's `random` and return a numpy generator: call before building a net."""
    torch.manual_seed(seed)
    random.seed(seed)
    return np.random.default_rng(seed)


@dataclass
class Monitor:
    """The validation metric early stopping watches: a key of `validate()`'s dict, and whether higher is better."""

    key: str
    higher_is_better: bool = True
    min_delta: float = 0.0  # an improvement must beat the best by more than this

    def improves(self, value: float, best: float | None) -> bool:
        if best is None:
            return True
        return value > best + self.min_delta if self.higher_is_better else value < best - self.min_delta


@dataclass
class FitLog:
    """What a `Trainer.fit` did; `as_dict()` is what models return from `fit` (JSON-friendly)."""

    epochs: list[dict[str, Any]] = field(default_factory=list)  # one record per epoch run
    epochs_run: int = 0
    max_epochs: int = 0
    stopped_by: str = STOPPED_BY_EPOCHS
    monitor: str | None = None  # the validation metric early stopping watched, None without validation
    best_epoch: int | None = None  # 1-based epoch whose weights were kept (None: the last epoch's)
    best_valid: float | None = None
    seconds: float = 0.0
    time_cap_seconds: float = DEFAULT_TIME_CAP_SECONDS
    device: str = "cpu"

    def as_dict(self) -> dict[str, Any]:
        return {
            "epochs": self.epochs,
            "epochs_run": self.epochs_run,
            "max_epochs": self.max_epochs,
            "stopped_by": self.stopped_by,
            "monitor": self.monitor,
            "best_epoch": self.best_epoch,
            "best_valid": self.best_valid,
            "seconds": round(self.seconds, 1),
            "time_cap_seconds": self.time_cap_seconds,
            "device": self.device,
        }


Batches = Callable[[int], Iterable[Any]]  # epoch (0-based) -> that epoch's batches, in training order
Loss = Callable[[Any], "torch.Tensor | tuple[torch.Tensor, dict[str, float]]"]  # batch -> loss (+ named parts)
Validate = Callable[[], "dict[str, float] | None"]  # named validation metrics, None when there is nothing to validate


class Trainer:
    """Runs epochs of optimizer steps, validates after each, stops early and restores the best weights.

    `loss(batch)` returns the loss to minimise, or `(loss, parts)` where `parts` are named floats averaged per
    epoch into the log (e.g. one loss per sample kind). `validate()` runs in whatever mode it sets; the module is
    put back in train mode before the next epoch and left in eval mode at the end.
    """

    def __init__(
        self,
        module: nn.Module,
        optimizer: torch.optim.Optimizer,
        *,
        epochs: int,
        patience: int,
        time_cap_seconds: float = DEFAULT_TIME_CAP_SECONDS,
        monitor: Monitor | None = None,
        grad_clip: float | None = None,
        scheduler: Any = None,  # stepped after every optimizer step (e.g. LambdaLR warm-up + decay)
        name: str = "model",
    ) -> None:
        if epochs < 0:
            raise ValueError(f"epochs must be >= 0, got {epochs}")
        if time_cap_seconds <= 0:
            raise ValueError(f"time_cap_seconds must be positive, got {time_cap_seconds}")
        self.module = module
        self.optimizer = optimizer
        self.epochs = epochs
        self.patience = patience
        self.time_cap_seconds = float(time_cap_seconds)
        self.monitor = monitor
        self.grad_clip = grad_clip
        self.scheduler = scheduler
        self.name = name

    def _step(self, loss: torch.Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.grad_clip is not None:
            nn.utils.clip_grad_norm_(self.module.parameters(), self.grad_clip)
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()

    def fit(self, batches: Batches, loss: Loss, validate: Validate | None = None) -> FitLog:
        started = time.perf_counter()
        device = next((str(p.device) for p in self.module.parameters()), "cpu")
        log = FitLog(max_epochs=self.epochs, time_cap_seconds=self.time_cap_seconds, device=device,
                     monitor=self.monitor.key if self.monitor and validate else None)
        best_state: dict[str, torch.Tensor] | None = None
        stale = 0
        for epoch in range(self.epochs):
            self.module.train()
            sums: dict[str, float] = {}
            counts: dict[str, int] = {}
            capped = False
            for batch in batches(epoch):
                value = loss(batch)
                tensor, parts = value if isinstance(value, tuple) else (value, {})
                self._step(tensor)
                for key, part in {"loss": float(tensor.detach()), **parts}.items():
                    sums[key] = sums.get(key, 0.0) + float(part)
                    counts[key] = counts.get(key, 0) + 1
                if time.perf_counter() - started > self.time_cap_seconds:
                    capped = True  # checked per step: one huge epoch cannot run past the cap either
                    break
            record: dict[str, Any] = {"epoch": epoch + 1, **{k: sums[k] / counts[k] for k in sums}}
            metrics = validate() if validate is not None else None
            record.update(metrics or {})
            record["seconds"] = round(time.perf_counter() - started, 1)
            log.epochs.append(record)
            log.epochs_run = epoch + 1
            improved = False
            if metrics is not None and self.monitor is not None and self.monitor.key in metrics:
                value = float(metrics[self.monitor.key])
                if math.isfinite(value) and self.monitor.improves(value, log.best_valid):
                    improved, stale = True, 0
                    log.best_valid, log.best_epoch = value, epoch + 1
                    best_state = copy.deepcopy(self.module.state_dict())
                else:
                    stale += 1
            self._report(record, improved)
            if capped:
                log.stopped_by = STOPPED_BY_TIME_CAP
                logger.warning(
                    "%s: training stopped by the %.0f s time cap after %d of %d epochs (%s); its metrics depend on "
                    "the machine's load. Raise time_cap_seconds or train on fewer samples.",
                    self.name, self.time_cap_seconds, epoch + 1, self.epochs,
                    "mid-epoch" if counts else "before a step",
                )  # fmt: skip
                break
            if metrics is not None and self.monitor is not None and stale >= self.patience:
                log.stopped_by = STOPPED_BY_EARLY_STOPPING
                break
        if best_state is not None:
            self.module.load_state_dict(best_state)
        self.module.eval()
        log.seconds = time.perf_counter() - started
        return log

    def _report(self, record: dict[str, Any], improved: bool) -> None:
        values = ", ".join(f"{k} {v:.4f}" for k, v in record.items() if k not in ("epoch", "seconds")
                           and isinstance(v, float))
        logger.info("%s epoch %d/%d: %s, %.0f s%s", self.name, record["epoch"], self.epochs, values,
                    record["seconds"], " (best)" if improved else "")


def batches_of(index: np.ndarray, size: int) -> list[np.ndarray]:
    """`index` cut into consecutive chunks of `size` (the last one shorter)."""
    return [index[i : i + size] for i in range(0, len(index), size)]


def time_cutoff(timestamps: np.ndarray, valid_fraction: float) -> float | None:
    """The time from which the latest `valid_fraction` of `timestamps` validates; None when nothing is held out."""
    if valid_fraction <= 0 or len(timestamps) == 0:
        return None
    return float(np.quantile(timestamps, 1.0 - valid_fraction))
