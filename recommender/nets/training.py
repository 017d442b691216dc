"""The one training loop every net plugs into: epochs, early stopping, best-state restore, progress, seeding.

RecBole's split (models define the loss and the batches, one `Trainer` runs the epochs) and nanoGPT's (the model
file holds no training loop). A model's `fit` prepares its samples, builds its optimizer and hands the `Trainer`
three callables: the batches of an epoch, the loss of a batch, and a validation that returns named metrics.

Training length never depends on how busy the machine is: the number of epochs is chosen by early stopping on a
validation split that each model carves from its *training* data by time (the latest sessions / impressions /
windows), never from the test data. `time_cap_seconds` is only a safety net against a runaway job: when it binds,
the `Trainer` logs a WARNING and the fit log says `stopped_by="time_cap"`, because metrics of such a run depend on
the machine's load.

A caller that wants to watch or resume training opens a `training_session(TrainingHooks(...))` around
`model.fit(...)`: every `Trainer` started inside it reports its progress (epoch, metric, ETA) to `on_progress` and,
with a `ResumeStore`, saves a resume state after each epoch and continues from it when the same run starts again.
The nets need not know: their `fit` signatures stay as they are, and they stay free of Django.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import math
import random
import time
from collections.abc import Callable, Iterable, Iterator, Sized
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn

from recommender.nets.resume import ResumeStore, rng_restore, rng_state

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


@dataclass
class TrainingProgress:
    """Where a `Trainer` stands, for progress reports (a status page, a log)."""

    stage: str  # the Trainer's name: the model, or the model and its stage ("... pre-training")
    epoch: int  # 1-based epoch running, or just finished when `epoch_done`
    epochs: int  # most epochs (early stopping may end sooner)
    step: int  # optimizer steps done in this epoch
    steps: int | None  # steps in this epoch, when the batches have a length
    seconds: float  # since the stage started, earlier runs of a resumed stage included
    epoch_done: bool = False
    metrics: dict[str, float] = field(default_factory=dict)  # the last finished epoch's losses and metrics
    monitor: str | None = None  # the validation metric early stopping watches
    best: float | None = None  # its best value so far
    eta_seconds: float | None = None  # at the current pace, to the last epoch (early stopping may end sooner)
    resumed_from: int | None = None  # the epochs a resumed stage had already run


@dataclass
class TrainingHooks:
    """What a caller hands every `Trainer` started inside `training_session`."""

    on_progress: Callable[[TrainingProgress], None] | None = None  # every step (throttle there) and epoch end
    resume: ResumeStore | None = None  # saves a state per epoch, and continues from it


class TrainingSession:
    """Numbers the `Trainer` stages of one run in the order they start, so each resumes from its own file."""

    def __init__(self, hooks: TrainingHooks) -> None:
        self.hooks = hooks
        self.stages = 0
        self.resumed: list[str] = []  # "stage: epochs" of the stages that went on from a saved state

    def next_stage(self) -> int:
        self.stages += 1
        return self.stages - 1


_session: ContextVar[TrainingSession | None] = ContextVar("training_session", default=None)


@contextmanager
def training_session(hooks: TrainingHooks) -> Iterator[TrainingSession]:
    """Every `Trainer.fit` inside reports to `hooks` (and resumes from `hooks.resume`)."""
    session = TrainingSession(hooks)
    token = _session.set(session)
    try:
        yield session
    finally:
        _session.reset(token)


def _plain(value: Any) -> Any:
    """numpy scalars as Python numbers: resume states are read back with `weights_only=True`."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value.item() if isinstance(value, np.generic) else value


Batches = Callable[[int], Iterable[Any]]  # epoch (0-based) -> that epoch's batches, in training order
Loss = Callable[[Any], "torch.Tensor | tuple[torch.Tensor, dict[str, float]]"]  # batch -> loss (+ named parts)
Validate = Callable[[], "dict[str, float] | None"]  # named validation metrics, None when there is nothing to validate


class Trainer:
    """Runs epochs of optimizer steps, validates after each, stops early and restores the best weights.

    `loss(batch)` returns the loss to minimise, or `(loss, parts)` where `parts` are named floats averaged per
    epoch into the log (e.g. one loss per sample kind). `validate()` runs in whatever mode it sets; the module is
    put back in train mode before the next epoch and left in eval mode at the end.

    `rng` is the numpy generator the batches (and negatives) are drawn from: a resumed run restores it with the
    other random states, so it draws the very batches the uninterrupted run would have.
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
        rng: np.random.Generator | None = None,  # what `batches` draws from, saved and restored on resume
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
        self.rng = rng

    def _step(self, loss: torch.Tensor) -> None:
        self.optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if self.grad_clip is not None:
            nn.utils.clip_grad_norm_(self.module.parameters(), self.grad_clip)
        self.optimizer.step()
        if self.scheduler is not None:
            self.scheduler.step()

    def fit(self, batches: Batches, loss: Loss, validate: Validate | None = None) -> FitLog:
        session = _session.get()
        stage = session.next_stage() if session is not None else 0
        hooks = session.hooks if session is not None else TrainingHooks()
        store = hooks.resume
        device = next((str(p.device) for p in self.module.parameters()), "cpu")
        log = FitLog(max_epochs=self.epochs, time_cap_seconds=self.time_cap_seconds, device=device,
                     monitor=self.monitor.key if self.monitor and validate else None)
        best_state: dict[str, torch.Tensor] | None = None
        stale = 0
        saved = store.load(stage) if store is not None else None
        if saved is not None and not self._fits(saved):
            logger.warning("%s: the resume state does not fit this model (its code changed?); starting over", self.name)
            saved = None
        if saved is not None:
            log, best_state, stale = self._restore(saved, log)
            if session is not None:
                session.resumed.append(f"{self.name}: {log.epochs_run} epochs")
            if saved["finished"]:  # a stage that had ended before the interruption is not run again
                logger.info("%s: finished before the interruption (%d epochs), restored", self.name, log.epochs_run)
                self.module.eval()
                return log
            logger.info("%s: resuming after epoch %d of %d", self.name, log.epochs_run, self.epochs)
        resumed_from = log.epochs_run if saved is not None else None
        started = time.perf_counter() - log.seconds  # a resumed stage's time cap and ETA count the earlier run
        for epoch in range(log.epochs_run, self.epochs):
            self.module.train()
            sums: dict[str, float] = {}
            counts: dict[str, int] = {}
            capped = False
            epoch_batches = batches(epoch)
            steps = len(epoch_batches) if isinstance(epoch_batches, Sized) else None
            for step, batch in enumerate(epoch_batches, start=1):
                value = loss(batch)
                tensor, parts = value if isinstance(value, tuple) else (value, {})
                self._step(tensor)
                for key, part in {"loss": float(tensor.detach()), **parts}.items():
                    sums[key] = sums.get(key, 0.0) + float(part)
                    counts[key] = counts.get(key, 0) + 1
                if hooks.on_progress is not None:
                    hooks.on_progress(self._progress(log, epoch + 1, step, steps, started, resumed_from))
                if time.perf_counter() - started > self.time_cap_seconds:
                    capped = True  # checked per step: one huge epoch cannot run past the cap either
                    break
            record: dict[str, Any] = {"epoch": epoch + 1, **{k: sums[k] / counts[k] for k in sums}}
            metrics = validate() if validate is not None else None
            record.update(metrics or {})
            record["seconds"] = round(time.perf_counter() - started, 1)
            log.epochs.append(_plain(record))
            log.epochs_run = epoch + 1
            improved = False
            if metrics is not None and self.monitor is not None and self.monitor.key in metrics:
                monitored = float(metrics[self.monitor.key])
                if math.isfinite(monitored) and self.monitor.improves(monitored, log.best_valid):
                    improved, stale = True, 0
                    log.best_valid, log.best_epoch = monitored, epoch + 1
                    best_state = copy.deepcopy(self.module.state_dict())
                else:
                    stale += 1
            self._report(record, improved)
            stop = None
            if capped:
                stop = STOPPED_BY_TIME_CAP
                logger.warning(
                    "%s: training stopped by the %.0f s time cap after %d of %d epochs (%s); its metrics depend on "
                    "the machine's load. Raise time_cap_seconds or train on fewer samples.",
                    self.name, self.time_cap_seconds, epoch + 1, self.epochs,
                    "mid-epoch" if counts else "before a step",
                )  # fmt: skip
            elif metrics is not None and self.monitor is not None and stale >= self.patience:
                stop = STOPPED_BY_EARLY_STOPPING
            log.seconds = time.perf_counter() - started
            if store is not None and stop is None and epoch + 1 < self.epochs:
                store.save(stage, self._state(log, best_state, stale, finished=False))
            if hooks.on_progress is not None:  # after the save: a Ctrl-C raised here loses nothing
                hooks.on_progress(self._progress(log, epoch + 1, steps or 0, steps, started, resumed_from,
                                                 epoch_done=True))
            if stop is not None:
                log.stopped_by = stop
                break
        if best_state is not None:
            self.module.load_state_dict(best_state)
        self.module.eval()
        log.seconds = time.perf_counter() - started
        if store is not None:  # the weights kept: a later stage's interruption does not run this one again
            store.save(stage, self._state(log, None, stale, finished=True))
        return log

    def _state(self, log: FitLog, best_state: dict[str, torch.Tensor] | None, stale: int, *,
               finished: bool) -> dict[str, Any]:
        """What the next epoch depends on (a finished stage needs only its kept weights, log and random states)."""
        return {
            "finished": finished,
            "module": self.module.state_dict(),
            "optimizer": None if finished else self.optimizer.state_dict(),
            "scheduler": None if finished or self.scheduler is None else self.scheduler.state_dict(),
            "best_state": best_state,
            "stale": stale,
            "log": _plain(dataclasses.asdict(log)),
            "rng": rng_state(self.rng),
        }

    def _fits(self, saved: dict[str, Any]) -> bool:
        """Checked before anything is restored: same weights (names and shapes) and optimizer groups."""
        try:
            mine = self.module.state_dict()
            theirs = saved["module"]
            if mine.keys() != theirs.keys() or any(mine[k].shape != theirs[k].shape for k in mine):
                return False
            if saved["optimizer"] is not None:
                groups = [len(g["params"]) for g in self.optimizer.param_groups]
                return groups == [len(g["params"]) for g in saved["optimizer"]["param_groups"]]
            return True
        except (KeyError, TypeError, AttributeError):
            return False

    def _restore(self, saved: dict[str, Any], fresh: FitLog) -> tuple[FitLog, dict[str, torch.Tensor] | None, int]:
        device = fresh.device
        self.module.load_state_dict(saved["module"])
        if saved["optimizer"] is not None:
            self.optimizer.load_state_dict(saved["optimizer"])  # moves the moments to the parameters' device
        if saved["scheduler"] is not None and self.scheduler is not None:
            self.scheduler.load_state_dict(saved["scheduler"])
        rng_restore(saved["rng"], self.rng)
        log = FitLog(**saved["log"])
        log.device = device
        best = saved["best_state"]
        if best is not None:
            best = {k: v.to(device) for k, v in best.items()}
        return log, best, int(saved["stale"])

    def _progress(self, log: FitLog, epoch: int, step: int, steps: int | None, started: float,
                  resumed_from: int | None, epoch_done: bool = False) -> TrainingProgress:
        seconds = time.perf_counter() - started
        eta = None
        if epoch_done and log.epochs_run:
            eta = seconds / log.epochs_run * (self.epochs - log.epochs_run)
        elif steps and step:  # this epoch's pace so far, for this epoch's rest and the epochs after it
            per_epoch = (seconds - (log.epochs[-1]["seconds"] if log.epochs else 0.0)) * steps / step
            eta = per_epoch * (self.epochs - epoch + 1 - step / steps)
        return TrainingProgress(
            stage=self.name, epoch=epoch, epochs=self.epochs, step=step, steps=steps, seconds=seconds,
            epoch_done=epoch_done, metrics=dict(log.epochs[-1]) if log.epochs else {},
            monitor=log.monitor, best=log.best_valid, eta_seconds=eta, resumed_from=resumed_from,
        )

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
