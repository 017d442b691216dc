"""Offline training and evaluation of registered recommenders, and the model-version registry they write.

`model_evaluate` fits models on the train part of a data set and scores them under one protocol (the
`evaluate` command); `model_train` fits one model on the database's events, saves its checkpoint, registers a
`ModelVersion`, decides the serving slots it contends for (`surface_choices`) and activates it when it wins one (a
model of no slot: when it beats the best baseline on its primary metric) (the `train` command);
`model_version_activate` makes a version the one served under its name.
"""

from __future__ import annotations

import dataclasses
import math
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import transaction

from jobs.models import BackgroundJob, JobKind
from jobs.services import job_finish, job_progress, job_tracked
from marketplace.errors import ApplicationError
from marketplace.models import MODEL_VECTOR_COLUMNS
from recommender.base import Recommender
from recommender.data import ACTION_CODE, Dataset
from recommender.evaluation.pages import CANDIDATE_MODES
from recommender.evaluation.protocols import PROTOCOLS, evaluate_model
from recommender.evaluation.report import dataset_sizes, write_report
from recommender.evaluation.scoring import DEFAULT_KS, Progress
from recommender.evaluation.split import time_split_dataset
from recommender.models import ModelVersion
from recommender.nets.resume import ResumeStore
from recommender.nets.training import TrainingHooks, TrainingProgress, training_session
from recommender.registry import create_recommender, registered_names, registry_entry
from recommender.services.surface_choices import SlotDecision, slot_decisions_make, surface_choices_store
from recommender.services.training_jobs import (
    RESUME_DIR,
    data_fingerprint,
    resume_store_for,
    training_progress_reporter,
    training_resume_clear,
    training_window_pin,
    training_window_pinned,
)
from recommender.serving.slots import slots_of_model

DATA_EMPTY = "The database has no events to {action} on; create data first (seed_demo, import_merrec, ...)."
FILE_MISSING = "{path}: no such file."
FILE_FORMAT_UNKNOWN = "Unknown file format {format!r}; expected one of: yoochoose, rees46."
MODEL_UNKNOWN = "Unknown recommender {name!r}; known: {known}."
PROTOCOL_UNKNOWN = "Unknown protocol {protocol!r}; expected one of: " + ", ".join(PROTOCOLS) + "."
CANDIDATES_UNKNOWN = "Unknown candidate set {candidates!r}; expected one of: " + ", ".join(CANDIDATE_MODES) + "."
EVALUATION_FAILED = "Cannot evaluate {name} with the {protocol} protocol: {reason}"
TRAINING_PARAMETER_UNKNOWN = "Unknown training parameter(s) {names}; the shared ones are: {known}."
VERSION_NO_CHECKPOINT = "Version #{pk} of {name} has no checkpoint (evaluation only); train it to serve it."
NO_IMPRESSIONS = (
    "The ctr protocol needs impressions with click labels in the test period; {dataset} has none "
    "(session files never do)."
)
DEFAULT_TEST_FRACTION = 0.2


# -- data --------------------------------------------------------------------------------------------------------
@dataclass
class EvaluationData:
    """A train / test pair and how it was made, for reports and version rows."""

    name: str  # "db" or the session file's name
    train: Dataset
    test: Dataset
    split_time: float | None = None  # unix seconds, for a database time split
    notes: list[str] = field(default_factory=list)
    until: datetime | None = None  # the end of the database events read: a resumed training reads the same ones

    def sizes(self) -> dict[str, dict[str, int]]:
        return {"train": dataset_sizes(self.train), "test": dataset_sizes(self.test)}


def evaluation_data_from_db(
    *, test_days: float | None = None, action: str = "evaluate", until: datetime | None = None
) -> EvaluationData:
    """The database's events before `until` (default: now) split by time: test = the last `test_days` days, else
    the last 20% of the span. The train part's unit features are counted as of the split, so it sees nothing of
    the test period."""
    from recommender.dataset_db import dataset_from_db, unit_features_from_db

    dataset = dataset_from_db(name="db", until=until)
    if until is not None and len(dataset.events):  # unit features as of the same day as the interrupted run's
        last = datetime.fromtimestamp(float(dataset.events.timestamp.max()), tz=UTC)
        dataset.unit_features = unit_features_from_db(as_of=last + timedelta(days=1))
    if len(dataset.events) == 0:
        raise ApplicationError(DATA_EMPTY.format(action=action))
    try:
        train, test, split = time_split_dataset(dataset, test_fraction=DEFAULT_TEST_FRACTION, test_days=test_days)
    except ValueError as error:
        raise ApplicationError(f"Cannot split the database's events by time: {error}") from error
    train.unit_features = unit_features_from_db(as_of=datetime.fromtimestamp(split, tz=UTC))
    rule = f"last {test_days:g} days" if test_days is not None else f"last {DEFAULT_TEST_FRACTION:.0%} of the span"
    split_text = datetime.fromtimestamp(split, tz=UTC).isoformat(timespec="seconds")
    notes = [f"time split at {split_text} ({rule} is test)"]
    if until is not None:
        notes.append(f"events before {until.isoformat(timespec='seconds')}, the window of an interrupted training")
    # the window's end: just after the last event read (events logged from now on are later)
    end = until or datetime.fromtimestamp(float(dataset.events.timestamp.max()), tz=UTC) + timedelta(microseconds=1)
    return EvaluationData(name="db", train=train, test=test, split_time=split, notes=notes, until=end)


def _dataset_name(train_path: Path) -> str:
    """'yoochoose_100k_train' -> 'yoochoose_100k'."""
    return re.sub(r"[_.-]?train([_.-].*)?$", "", train_path.stem) or train_path.stem


def evaluation_data_from_files(*, train_path: str | Path, test_path: str | Path, file_format: str) -> EvaluationData:
    """Two session files (YooChoose TSV or REES46 CSV); bad rows are skipped and counted in the notes."""
    from recommender.session_files import load_session_file

    if file_format not in ("yoochoose", "rees46"):
        raise ApplicationError(FILE_FORMAT_UNKNOWN.format(format=file_format))
    paths = {"train": Path(train_path), "test": Path(test_path)}
    for path in paths.values():
        if not path.is_file():
            raise ApplicationError(FILE_MISSING.format(path=path))
    parts: dict[str, Dataset] = {}
    notes = []
    for part, path in paths.items():
        try:
            parts[part], report = load_session_file(path, file_format)
        except ValueError as error:
            raise ApplicationError(f"{path}: {error}") from error
        if report.rows_loaded == 0:
            raise ApplicationError(f"{path}: no readable {file_format} rows ({report.bad_rows} bad).")
        notes.append(f"{part}: {path.name}, {report.rows_loaded:,} rows loaded, {report.bad_rows:,} bad rows skipped")
    return EvaluationData(name=_dataset_name(paths["train"]), train=parts["train"], test=parts["test"], notes=notes)


# -- models ------------------------------------------------------------------------------------------------------
def recommender_names_resolve(*, names: list[str]) -> list[str]:
    """Registry names in the given order, `all` expanded (baselines first); unknown names are an error."""
    known = registered_names()
    resolved: list[str] = []
    for name in names:
        if name == "all":
            resolved += registered_names("baseline") + [n for n in known if n not in registered_names("baseline")]
        elif name in known:
            resolved.append(name)
        else:
            raise ApplicationError(MODEL_UNKNOWN.format(name=name, known=", ".join(known)))
    return list(dict.fromkeys(resolved))


def training_overrides(*, name: str, training: dict[str, Any] | None) -> tuple[dict[str, Any], list[str]]:
    """The shared training parameters of `training` (None values left out) that `name`'s config has, and a note
    per parameter it lacks (baselines count, they do not train). Unknown parameter names are an error."""
    from recommender.nets.training import TRAINING_PARAMETERS

    wanted = {k: v for k, v in (training or {}).items() if v is not None}
    unknown = sorted(set(wanted) - set(TRAINING_PARAMETERS))
    if unknown:
        raise ApplicationError(TRAINING_PARAMETER_UNKNOWN.format(
            names=", ".join(unknown), known=", ".join(TRAINING_PARAMETERS)))
    fields = {f.name for f in dataclasses.fields(registry_entry(name).cls.config_class)}
    applied = {k: v for k, v in wanted.items() if k in fields}
    notes = [f"{name} has no {k} setting; --{k.replace('_', '-')} ignored" for k in wanted if k not in fields]
    return applied, notes


def training_summary(name: str, fit_log: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """(metrics to record: epochs run and why training stopped, report notes): loud when the time cap bound,
    since then the result depends on the machine's load rather than on the data."""
    from recommender.nets.training import STOPPED_BY_TIME_CAP

    if "stopped_by" not in fit_log:
        return {}, []
    summary = {"epochs_run": fit_log.get("epochs_run"), "stopped_by": fit_log["stopped_by"]}
    best = f", best epoch {fit_log['best_epoch']}" if fit_log.get("best_epoch") else ""
    notes = [f"{name}: {fit_log.get('epochs_run')} of {fit_log.get('max_epochs')} epochs, stopped by "
             f"{fit_log['stopped_by']}{best}"]
    if fit_log["stopped_by"] == STOPPED_BY_TIME_CAP:
        notes.append(f"WARNING: {name} was stopped by its {fit_log.get('time_cap_seconds')} s time cap; its metrics "
                     "depend on how busy the machine was")
    return summary, notes


def _json_safe(value: Any) -> Any:
    """numpy scalars / arrays, tuples and NaN made JSON-friendly (NaN and inf become None)."""
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, np.ndarray):
        return _json_safe(value.tolist())
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


def _model_config(model: Recommender) -> dict[str, Any]:
    config = model.config
    return _json_safe(dataclasses.asdict(config)) if dataclasses.is_dataclass(config) else {}


def _evaluate_one(
    *, name: str, model: Recommender, data: EvaluationData, protocol: str, max_sessions: int | None,
    candidates: str, progress: Progress | None,
) -> dict[str, Any]:
    try:
        return evaluate_model(model, data.train, data.test, protocol=protocol, ks=DEFAULT_KS,
                              max_sessions=max_sessions, candidates=candidates, progress=progress)
    except ValueError as error:
        raise ApplicationError(EVALUATION_FAILED.format(name=name, protocol=protocol, reason=error)) from error


def _check_protocol(protocol: str, candidates: str, data: EvaluationData) -> None:
    """Fail before any fitting when the protocol cannot run on this data."""
    if protocol not in PROTOCOLS:
        raise ApplicationError(PROTOCOL_UNKNOWN.format(protocol=protocol))
    if candidates not in CANDIDATE_MODES:
        raise ApplicationError(CANDIDATES_UNKNOWN.format(candidates=candidates))
    events = data.test.events
    if protocol == "ctr" and not ((events.action == ACTION_CODE["impression"]) & (events.item >= 0)).any():
        raise ApplicationError(NO_IMPRESSIONS.format(dataset=data.name))


def _fit(model: Recommender, data: EvaluationData) -> tuple[dict[str, Any], float]:
    started = time.perf_counter()
    log = model.fit(data.train)
    return _json_safe(log or {}), round(time.perf_counter() - started, 3)


def _fit_reported(
    model: Recommender, data: EvaluationData, *, job: BackgroundJob, resume: ResumeStore | None = None,
    on_epoch: Callable[[TrainingProgress], None] | None = None,
) -> tuple[dict[str, Any], float, list[str]]:
    """`_fit` with its epochs reported to `job` (the status page) and, with `resume`, a resume state saved per
    epoch and continued from. Returns the fit log, the seconds and the stages resumed ('name: N epochs')."""
    hooks = TrainingHooks(on_progress=training_progress_reporter(job, also=on_epoch), resume=resume)
    with training_session(hooks) as session:
        fit_log, fit_seconds = _fit(model, data)
    return fit_log, fit_seconds, session.resumed


def _data_window(model: Recommender, data: EvaluationData) -> dict[str, Any]:
    window = dict(model.data_window or {})
    if data.split_time is not None:
        window["test_start"] = data.split_time
    window["test_events"] = len(data.test.events)
    return _json_safe(window)


@dataclass
class EvaluationRun:
    result: dict[str, Any]  # what write_report takes: dataset, protocol, models, sizes, seconds, notes
    paths: dict[str, Path]
    versions: dict[str, ModelVersion]
    training_notes: list[str] = field(default_factory=list)  # epochs run, why training stopped, ignored settings


def model_evaluate(
    *,
    names: list[str],
    data: EvaluationData,
    protocol: str,
    out_dir: str | Path,
    max_sessions: int | None = None,
    candidates: str = "active",
    record: bool = True,
    training: dict[str, Any] | None = None,
    progress: Progress | None = None,
) -> EvaluationRun:
    """Fit each model on `data.train`, score it on `data.test` under `protocol`, write metrics.json /
    report.md / recall_at_k.png to `out_dir`, and (with `record`) store one inactive, checkpoint-less
    `ModelVersion` per model holding `{protocol: metrics}`. `training` sets shared training parameters
    (`epochs`, `lr`, ...) of every model that has them."""
    names = recommender_names_resolve(names=names)
    _check_protocol(protocol, candidates, data)
    started = time.perf_counter()
    results: dict[str, dict[str, Any]] = {}
    models: dict[str, Recommender] = {}
    training_notes: list[str] = []
    for name in names:
        config, notes = training_overrides(name=name, training=training)
        model = create_recommender(name, config)
        with job_tracked(kind=JobKind.TRAINING, name=name, message=f"evaluate: {protocol} on {data.name}") as job:
            fit_log, fit_seconds, _ = _fit_reported(model, data, job=job)
            job_progress(job=job, force=True, stage="evaluating", eta=None)
            metrics = _evaluate_one(name=name, model=model, data=data, protocol=protocol, max_sessions=max_sessions,
                                    candidates=candidates, progress=progress)
        metrics["fit_seconds"] = fit_seconds
        summary, summary_notes = training_summary(name, fit_log)
        metrics.update(summary)
        training_notes += notes + summary_notes
        results[name] = _json_safe(metrics)
        models[name] = model
    notes = list(data.notes) + training_notes
    if protocol in ("vip", "home"):
        notes.append(f"candidates: {candidates}")
    if max_sessions is not None:
        notes.append(f"at most {max_sessions:,} test sessions")
    result = {
        "dataset": data.name,
        "protocol": protocol,
        "models": results,
        "sizes": data.sizes(),
        "seconds": time.perf_counter() - started,
        "notes": notes,
    }
    paths = write_report(out_dir, result)
    if protocol == "ctr":  # IU4Rec's Table 2: splits and RelaImpr against DIN, for the models that score impressions
        from recommender.evaluation.ctr_splits import ctr_report_write

        paths.update(ctr_report_write(out_dir, models, data.train, data.test, split_time=data.split_time))
    versions: dict[str, ModelVersion] = {}
    if record:
        with transaction.atomic():
            for name, metrics in results.items():
                versions[name] = ModelVersion.objects.create(
                    name=name,
                    config=_model_config(models[name]),
                    data_window=_data_window(models[name], data),
                    metrics={protocol: metrics},
                    dataset=data.name[:120],
                )
    return EvaluationRun(result=result, paths=paths, versions=versions, training_notes=training_notes)


# -- training ----------------------------------------------------------------------------------------------------
@dataclass
class TrainResult:
    name: str
    version: ModelVersion
    protocol: str
    metric: str
    value: float | None
    baselines: dict[str, float | None]  # the other baselines' value of the same metric on the same split
    best_baseline: str | None
    activated: bool
    forced: bool
    checkpoint: Path
    fit_seconds: float
    notes: list[str] = field(default_factory=list)
    slots: list[SlotDecision] = field(default_factory=list)  # the serving slots it contended for

    @property
    def won_slots(self) -> list[str]:  # the slots it serves from now on (every one of them when forced)
        return [decision.slot for decision in self.slots if decision.winner == self.name]

    @property
    def best_baseline_value(self) -> float | None:
        return self.baselines.get(self.best_baseline) if self.best_baseline else None

    @property
    def beats_baselines(self) -> bool:
        best = self.best_baseline_value
        if self.value is None:
            return False
        return best is None or self.value > best


def _checkpoint_path(out_dir: Path, name: str) -> Path:
    stamp = datetime.now(tz=UTC).strftime("%Y%m%d-%H%M%S-%f")
    return out_dir / name / f"{name}-{stamp}.pt"


def _stored_path(path: Path) -> str:
    """Relative to RECOMMENDER_ARTIFACTS_DIR when inside it (as ModelVersion.checkpoint documents), else absolute."""
    root = Path(settings.RECOMMENDER_ARTIFACTS_DIR).resolve()
    path = path.resolve()
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def baseline_metrics(
    *, data: EvaluationData, protocol: str, metric: str, exclude: str | None = None, max_sessions: int | None = None,
    cache: dict[tuple, dict[str, Any]] | None = None, progress: Progress | None = None,
    names: tuple[str, ...] | None = None,
) -> dict[str, float | None]:
    """Each baseline's (or `names`') `metric` under `protocol` on `data` (fitted here; `cache` keeps results)."""
    cache = {} if cache is None else cache
    values: dict[str, float | None] = {}
    for name in names if names is not None else registered_names("baseline"):
        if name == exclude:
            continue
        key = (name, protocol, max_sessions)
        if key not in cache:
            model = create_recommender(name)
            _fit(model, data)
            cache[key] = _evaluate_one(name=name, model=model, data=data, protocol=protocol, max_sessions=max_sessions,
                                       candidates="active", progress=progress)
        value = cache[key].get(metric)
        values[name] = None if value is None else float(value)
    return values


def model_train(
    *,
    name: str,
    force: bool = False,
    epochs: int | None = None,
    training: dict[str, Any] | None = None,
    out_dir: str | Path | None = None,
    test_days: float | None = None,
    max_sessions: int | None = None,
    data: EvaluationData | None = None,
    baseline_cache: dict[tuple, dict[str, Any]] | None = None,
    progress: Progress | None = None,
    resume: bool = True,
    on_epoch: Callable[[TrainingProgress], None] | None = None,
    vectors_backfill: Callable[[str], None],
) -> TrainResult:
    """Train `name` on the database's events before the time split, evaluate it on its primary protocol,
    save the checkpoint under `out_dir` (default RECOMMENDER_ARTIFACTS_DIR) with metrics.json / report.md,
    register a `ModelVersion`, and decide the serving slots it contends for (`recommender.serving.slots`): on each
    slot's protocol, the model against the slot's baselines on the same split; the winner (ties: the baseline)
    serves the slot, stored as its `SurfaceChoice`. The version is activated when it wins a slot (a model of no
    slot: when it beats every other baseline on the primary metric), or with `force` (winning all its slots,
    recorded as forced). `epochs` and `training` set shared training parameters (`epochs`, `lr`, ...); a
    parameter the model lacks is noted. `max_sessions` caps the test sessions (request groups for ctr) of every
    evaluation. Pass `data` / `baseline_cache` to share them across several models.

    The run is a background job on the status page (epoch, metric so far, ETA). With `resume`, a state is saved
    under `<out_dir>/resume/` after every epoch, and a run interrupted by Ctrl-C or a killed worker goes on from
    its last epoch when the same model is trained again on the same data (the window of events it read is pinned
    until it finishes); `on_epoch` sees every progress report. `vectors_backfill`: as `model_version_activate`."""
    (name,) = recommender_names_resolve(names=[name])
    entry = registry_entry(name)
    protocol, metric = entry.cls.primary_protocol, entry.cls.primary_metric
    out = Path(out_dir) if out_dir is not None else Path(settings.RECOMMENDER_ARTIFACTS_DIR)
    config, notes = training_overrides(name=name, training={**(training or {}), "epochs": epochs}
                                       if epochs is not None else training)
    model = create_recommender(name, config)
    store = None
    if not resume:  # start over: what an interrupted run left must not be resumed by a later run either
        training_resume_clear(out_dir=out, name=name)
    elif entry.kind != "baseline":  # baselines fit in seconds and have no epochs
        given = data
        data, store = _resumable_data(name=name, model=model, data=data, out=out, test_days=test_days)
        if data is not given:  # the interrupted run's events: baselines shared with other models do not apply
            baseline_cache = None
        if data.until is not None:
            training_window_pin(out_dir=out, name=name, until=data.until)
    data = data or evaluation_data_from_db(test_days=test_days, action="train")
    _check_protocol(protocol, "active", data)
    with job_tracked(kind=JobKind.TRAINING, name=name, message=f"{protocol} {metric} on {data.name}") as job:
        fit_log, fit_seconds, resumed = _fit_reported(model, data, job=job, resume=store, on_epoch=on_epoch)
        notes += [f"resumed from an interrupted run ({stage})" for stage in resumed]
        job_progress(job=job, force=True, stage="evaluating against the baselines", eta=None)
        result = _train_result(
            name=name, model=model, data=data, protocol=protocol, metric=metric, force=force, out=out,
            fit_log=fit_log, fit_seconds=fit_seconds, notes=notes, max_sessions=max_sessions,
            baseline_cache=baseline_cache, progress=progress, vectors_backfill=vectors_backfill,
        )
        verdict = "active" if result.activated else "not active"
        job_finish(job=job, message=f"version #{result.version.pk}: {metric} {_format(result.value)}, {verdict}")
    if store is not None:
        training_resume_clear(out_dir=out, name=name)
    return result


def _resumable_data(
    *, name: str, model: Recommender, data: EvaluationData | None, out: Path, test_days: float | None,
) -> tuple[EvaluationData, ResumeStore]:
    """The data to train on and the run's resume store: the events an interrupted run of `name` read (its pinned
    window) when its resume state fits them, else `data` (or the database's events now)."""
    config = _model_config(model)
    pinned = training_window_pinned(out_dir=out, names=[name])
    if pinned is not None and (data is None or data.until != pinned):
        earlier = evaluation_data_from_db(test_days=test_days, action="train", until=pinned)
        store = ResumeStore(out / RESUME_DIR / name / data_fingerprint(name=name, config=config, train=earlier.train))
        if store.exists():
            return earlier, store
    data = data or evaluation_data_from_db(test_days=test_days, action="train")
    return data, resume_store_for(out_dir=out, name=name,
                                  fingerprint=data_fingerprint(name=name, config=config, train=data.train))


def _format(value: float | None) -> str:
    return "-" if value is None else f"{value:.4f}"


def _train_result(
    *, name: str, model: Recommender, data: EvaluationData, protocol: str, metric: str, force: bool, out: Path,
    fit_log: dict[str, Any], fit_seconds: float, notes: list[str], max_sessions: int | None,
    baseline_cache: dict[tuple, dict[str, Any]] | None, progress: Progress | None,
    vectors_backfill: Callable[[str], None],
) -> TrainResult:
    """Evaluate the fitted model and the baselines, save the checkpoint and report, register the version, decide
    its serving slots and maybe activate it."""
    metrics = _evaluate_one(name=name, model=model, data=data, protocol=protocol, max_sessions=max_sessions,
                            candidates="active", progress=progress)
    metrics["fit_seconds"] = fit_seconds
    summary, summary_notes = training_summary(name, fit_log)
    metrics.update(summary)
    notes += summary_notes
    metrics = _json_safe(metrics)
    baseline_cache = {} if baseline_cache is None else baseline_cache
    baselines = baseline_metrics(data=data, protocol=protocol, metric=metric, exclude=name, max_sessions=max_sessions,
                                 cache=baseline_cache, progress=progress)
    protocol_metrics = {protocol: metrics}
    values_by_slot = _slot_values(name=name, model=model, data=data, protocol_metrics=protocol_metrics,
                                  max_sessions=max_sessions, baseline_cache=baseline_cache, progress=progress,
                                  notes=notes)
    decisions = slot_decisions_make(name=name, values_by_slot=values_by_slot, force=force)
    scored = {n: v for n, v in baselines.items() if v is not None}
    best = max(scored, key=lambda n: scored[n]) if scored else None
    value = metrics.get(metric)

    checkpoint = model.save(_checkpoint_path(out, name))
    write_report(checkpoint.parent / checkpoint.stem, {
        "dataset": data.name, "protocol": protocol, "models": {name: metrics},
        "sizes": data.sizes(), "notes": data.notes + notes,
    })
    comparison = {
        "protocol": protocol, "metric": metric, "value": value,
        "best_baseline": best, "best_baseline_value": scored.get(best) if best else None,
        "baselines": baselines, "forced": force, "max_sessions": max_sessions,
    }
    with transaction.atomic():
        version = ModelVersion.objects.create(
            name=name,
            checkpoint=_stored_path(checkpoint),
            config=_model_config(model),
            data_window=_data_window(model, data),
            metrics={**protocol_metrics, "training": fit_log, "comparison": comparison,
                     "slots": {decision.slot: decision.as_json() for decision in decisions}},
            dataset=data.name[:120],
        )
    result = TrainResult(
        name=name, version=version, protocol=protocol, metric=metric,
        value=None if value is None else float(value), baselines=baselines, best_baseline=best,
        activated=False, forced=force, checkpoint=checkpoint, fit_seconds=fit_seconds, notes=notes, slots=decisions,
    )
    with transaction.atomic():  # a model chosen for a slot is served from the same commit on
        surface_choices_store(decisions=decisions, version=version, dataset=data.name,
                              data_window=version.data_window)
        if force or (result.won_slots if decisions else result.beats_baselines):
            result.version = model_version_activate(version_id=version.pk, vectors_backfill=vectors_backfill)
            result.activated = True
    return result


def _slot_values(
    *, name: str, model: Recommender, data: EvaluationData, protocol_metrics: dict[str, dict[str, Any]],
    max_sessions: int | None, baseline_cache: dict[tuple, dict[str, Any]], progress: Progress | None,
    notes: list[str],
) -> dict[str, dict[str, float | None]]:
    """{slot: {contender: value}} of the slots `name` contends for: the model on each slot's protocol (once each:
    `protocol_metrics` gains them; one it cannot run on gives None, noted), the slot's baselines on the same split."""
    values_by_slot: dict[str, dict[str, float | None]] = {}
    for slot in slots_of_model(name):
        if slot.protocol not in protocol_metrics:
            try:
                protocol_metrics[slot.protocol] = _json_safe(_evaluate_one(
                    name=name, model=model, data=data, protocol=slot.protocol, max_sessions=max_sessions,
                    candidates="active", progress=progress))
            except ApplicationError as error:
                notes.append(f"{slot.name}: {error.message}")
                protocol_metrics[slot.protocol] = {}
        value = protocol_metrics[slot.protocol].get(slot.metric)
        values = baseline_metrics(data=data, protocol=slot.protocol, metric=slot.metric, names=slot.baselines,
                                  max_sessions=max_sessions, cache=baseline_cache, progress=progress)
        values_by_slot[slot.name] = {**values, name: None if value is None else float(value)}
    return values_by_slot


# -- the registry ------------------------------------------------------------------------------------------------
def model_version_activate(*, version_id: int, vectors_backfill: Callable[[str], None]) -> ModelVersion:
    """Serve this version under its name: the previously active one (if any) is deactivated in the same
    transaction. Versions without a checkpoint (evaluation runs) cannot be served. A model with item vectors gets
    them recomputed by `vectors_backfill(name)` (`recommender.tasks.item_vectors_backfill_request`, which enqueues
    the backfill on commit; services never import tasks)."""
    with transaction.atomic():
        version = ModelVersion.objects.select_for_update().get(pk=version_id)
        if not version.checkpoint:
            raise ApplicationError(VERSION_NO_CHECKPOINT.format(pk=version.pk, name=version.name))
        # Lock every version of this name so two activations cannot both win the one-active constraint.
        list(ModelVersion.objects.select_for_update().filter(name=version.name).values_list("pk", flat=True))
        ModelVersion.objects.filter(name=version.name, is_active=True).exclude(pk=version.pk).update(is_active=False)
        if not version.is_active:
            version.is_active = True
            version.save(update_fields=["is_active"])
        _serving_refresh(version.name, vectors_backfill)
    return version


def _serving_refresh(name: str, vectors_backfill: Callable[[str], None]) -> None:
    """A newly active model needs its item vectors in pgvector before it can retrieve (after commit)."""
    from recommender.serving.loading import served_models_forget

    served_models_forget()
    if name in MODEL_VECTOR_COLUMNS:
        vectors_backfill(name)
