"""The shared training loop and the shared training parameters: every registered model accepts `epochs`, `lr`, ...
under those names, trains exactly `epochs` epochs when early stopping does not end it first, and fits, saves,
loads and scores identically on tiny data; the `Trainer` stops early on validation, restores the best weights and
reports a binding time cap loudly; `train` / `evaluate` honour the parameters."""

from __future__ import annotations

import dataclasses
import json
import logging
from datetime import UTC, datetime, timedelta
from io import StringIO

import numpy as np
import pytest
import torch
from django.core.management import call_command
from torch import nn

from recommender.base import Query
from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable
from recommender.nets.iu_boosted.model import IUBoosted
from recommender.nets.mercatran.model import Mercatran
from recommender.nets.mercatran.network import MercatranConfig
from recommender.nets.pwprec.model import PWPRec
from recommender.nets.ranking_two_tower.model import RankingTwoTower
from recommender.nets.ranking_two_tower.network import RankingTwoTowerConfig
from recommender.nets.scid.model import SCID
from recommender.nets.session_gru import SessionGru
from recommender.nets.training import TRAINING_PARAMETERS, Monitor, Trainer, seed_everything
from recommender.ranking.ranker import Ranker, RankerConfig
from recommender.registry import create_recommender, load_recommender, registered_names, registry_entry
from recommender.session_hybrid import SessionHybrid

A = ACTION_CODE
TOPICS = ("shoes", "camera", "guitar", "watch")
# Per model class: the smallest settings that still train every part of the model.
TINY: dict[type, dict] = {
    PWPRec: {"d": 16, "n_layers": 1, "n_heads": 2, "n_interests": 2, "interest_hidden": 16, "categorical_dim": 4,
             "item_blocks": 1, "vip_max_len": 6, "home_max_len": 10, "batch_size": 32, "home_batch_size": 32},
    Mercatran: {"d": 16, "d_ff": 32, "n_heads": 2, "n_blocks": 1, "vocab_size": 400, "max_attribute_tokens": 32,
                "max_title_tokens": 8, "min_sequence_length": 5, "batch_size": 32, "warmup_steps": 2},
    IUBoosted: {"embed_dim": 4, "attention_dim": 8, "heads": 2, "mlp": (16, 8), "batch_size": 64, "min_count": 1,
                "item_min_count": 1},
    SCID: {"hidden": 16, "product_dim": 8, "min_product_count": 1, "batch_size": 16},
    RankingTwoTower: {"dim": 16, "item_blocks": 1, "layers": 1, "heads": 2, "ff_dim": 32, "max_history": 8,
                      "batch_size": 32, "group_batch_size": 8},
    Ranker: {"max_vip_queries": 150, "max_home_queries": 60, "per_source": 10, "min_data_in_leaf": 2, "lambda_l2": 0.0,
             "bags": 2,
             "scid": {"hidden": 16, "product_dim": 8, "min_product_count": 1, "epochs": 1, "batch_size": 32},
             "two_tower": {"dim": 16, "item_blocks": 1, "layers": 1, "heads": 2, "ff_dim": 32, "max_history": 8,
                           "pretrain_samples": 400, "epochs": 1, "batch_size": 64}},
    # No GRU signal here (tests/recommender/test_session_hybrid.py fits it): its scores move with torch's thread
    # count, and on data this tiny a small move can leave the second boosting round without a split.
    SessionHybrid: {"per_source": 10, "min_data_in_leaf": 2, "ranker_fraction": 0.4, "neural": False,
                    "feature_fraction": 1.0},  # a sampled column set can leave no split on tiny data
    SessionGru: {"dim": 8, "batch_size": 32},
}  # fmt: skip


def tiny_market(seed: int = 0, n_users: int = 16, n_items: int = 48, days: int = 8) -> Dataset:
    """Users who browse, like, cart and buy in one favourite topic, every day, interleaved in time; homepage
    impressions with clicks; listings with titles, brands, categories, prices, text vectors and interest units."""
    rng = np.random.default_rng(seed)
    topic = np.arange(n_items) % len(TOPICS)
    product = np.arange(n_items) % 12
    text = np.eye(len(TOPICS))[topic] @ rng.normal(size=(len(TOPICS), 384)) + 0.5 * rng.normal(size=(n_items, 384))
    items = ItemTable(
        item_id=np.arange(100, 100 + n_items, dtype=np.int64),
        category=np.stack([topic + 1, topic + 10, product + 100], axis=1).astype(np.int64),
        brand=(product % 6 + 1).astype(np.int64),
        product=(product + 1).astype(np.int64),
        condition=np.ones(n_items, dtype=np.int64),
        price=np.exp(2 + topic + 0.2 * rng.normal(size=n_items)).astype(np.float32),
        created_at=np.zeros(n_items),
        titles=[f"{TOPICS[t]} {['red', 'blue', 'vintage', 'new'][i % 4]} {i}" for i, t in enumerate(topic)],
        text_vector=(text / np.linalg.norm(text, axis=1, keepdims=True)).astype(np.float32),
        interest_unit=(500 + topic).astype(np.int64),
    )
    rows = []  # user, session, item, action, t, surface, position, request, clicked
    session = request = 0
    for day in range(days):
        for u in range(n_users):
            t = 1e9 + day * 86400.0 + u * 600.0
            session += 1
            request += 1
            liked = np.flatnonzero(topic == u % len(TOPICS))
            shown = rng.choice(n_items, size=5, replace=False)
            for position, item in enumerate(shown):
                clicked = bool(rng.random() < (0.7 if topic[item] == u % len(TOPICS) else 0.05))
                rows.append((u, session, 100 + int(item), A["impression"], t, 1, position, request, clicked))
                if clicked:
                    t += 5.0
                    rows.append((u, session, 100 + int(item), A["item_view"], t, 1, -1, -1, False))
            for item in rng.choice(liked, size=4):
                t += 30.0
                action = A[str(rng.choice(["item_view"] * 6 + ["item_like", "item_add_to_cart_tap", "buy_comp"]))]
                rows.append((u, session, 100 + int(item), action, t, 2, -1, -1, False))
    cols = [np.array(c) for c in zip(*sorted(rows, key=lambda r: r[4]), strict=True)]
    events = EventLog(
        user=cols[0].astype(np.int64), session=cols[1].astype(np.int64), item=cols[2].astype(np.int64),
        action=cols[3].astype(np.int8), timestamp=cols[4].astype(np.float64), surface=cols[5].astype(np.int8),
        position=cols[6].astype(np.int16), request=cols[7].astype(np.int64), clicked=cols[8].astype(bool),
    )  # fmt: skip
    return Dataset(events=events, items=items, name="tiny")


@pytest.fixture(scope="module")
def market() -> Dataset:
    return tiny_market()


def tiny_config(name: str, **overrides: object) -> dict:
    return {**TINY[registry_entry(name).cls], **overrides}


# -- every registered model ------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", registered_names("model"))
def test_every_model_has_the_shared_training_parameters(name):
    fields = {f.name for f in dataclasses.fields(registry_entry(name).cls.config_class)}
    assert set(TRAINING_PARAMETERS) <= fields
    assert {"epochs", "lr", "patience", "valid_fraction", "time_cap_seconds", "seed"} <= set(TRAINING_PARAMETERS)
    # the time cap is a safety net: hours by default, never a training budget
    assert create_recommender(name).config.time_cap_seconds >= 3600


@pytest.mark.parametrize("name", registered_names("model"))
def test_every_model_trains_the_epochs_it_is_given_then_saves_and_loads(name, market, tmp_path):
    # given two epochs, an unreachable patience and a learning rate, under the shared names
    model = create_recommender(name, tiny_config(name, epochs=2, patience=99, lr=0.01))
    # when it trains
    log = model.fit(market)
    # then it ran exactly two epochs (two boosting rounds for the ranker), and said why it stopped
    assert model.config.lr == 0.01
    assert log["epochs_run"] == 2 and log["stopped_by"] == "epochs"
    json.dumps(log, default=float)  # the fit log is stored in ModelVersion.metrics
    # and a checkpoint rebuilds a model that scores exactly alike
    loaded = load_recommender(model.save(tmp_path / f"{name}.pt"))
    assert loaded.config == model.config
    user_events = market.events.select(market.events.user == 1)
    last = float(user_events.timestamp.max())
    candidates = market.items.item_id
    for surface in ("home", "vip"):
        query = Query(user_id=1, history=user_events.item.tolist(), history_actions=user_events.action.tolist(),
                      history_timestamps=user_events.timestamp.tolist(), surface=surface, timestamp=last + 60,
                      current_item=int(user_events.item[-1]) if surface == "vip" else None)
        np.testing.assert_array_equal(model.score(query, candidates), loaded.score(query, candidates))


@pytest.mark.parametrize("name", ["pwprec", "mercatran", "iu_boosted", "scid", "ranking_two_tower"])
def test_nets_validate_on_the_latest_training_data_and_keep_the_best_epoch(name, market):
    model = create_recommender(name, tiny_config(name, epochs=3, patience=99))
    log = model.fit(market)
    assert log["monitor"] is not None and log["best_epoch"] is not None
    values = [record[log["monitor"]] for record in log["epochs"]]
    pick = max if log["monitor"].endswith(("recall@20", "auc")) else min
    assert log["best_valid"] == pick(values) == values[log["best_epoch"] - 1]


def test_the_same_seed_gives_the_same_model(market):
    first = create_recommender("pwprec", tiny_config("pwprec", epochs=1, seed=3))
    second = create_recommender("pwprec", tiny_config("pwprec", epochs=1, seed=3))
    assert first.fit(market)["epochs"][0]["loss"] == second.fit(market)["epochs"][0]["loss"]
    np.testing.assert_array_equal(first.item_vectors(market.items), second.item_vectors(market.items))


# -- old checkpoints -------------------------------------------------------------------------------------------------
def test_a_checkpoint_saved_under_the_old_parameter_names_still_loads(market, tmp_path):
    model = create_recommender("pwprec", tiny_config("pwprec", epochs=1))
    model.fit(market)
    path = model.save(tmp_path / "pwprec.pt")
    checkpoint = torch.load(path, weights_only=False)
    config = checkpoint["config"]
    config["max_epochs"], config["max_train_seconds"] = config.pop("epochs"), 600.0  # as saved before the rename
    del config["time_cap_seconds"]
    torch.save(checkpoint, path)

    loaded = load_recommender(path)

    assert loaded.config.epochs == 1 and loaded.config.time_cap_seconds >= 3600
    query = Query(history=[100, 104], surface="vip")
    np.testing.assert_array_equal(loaded.score(query, market.items.item_id), model.score(query, market.items.item_id))


def test_old_names_of_every_renamed_field_map_to_the_shared_ones():
    from recommender.base import config_from_dict

    mercatran = config_from_dict(MercatranConfig, {"learning_rate": 0.1, "max_train_seconds": 0.0, "epochs": 4})
    assert (mercatran.lr, mercatran.epochs) == (0.1, 4)
    ranker = config_from_dict(RankerConfig, {"num_trees": 7, "learning_rate": 0.2, "early_stopping": 3})
    assert (ranker.epochs, ranker.lr, ranker.patience) == (7, 0.2, 3)
    assert config_from_dict(RankingTwoTowerConfig, {"pretrain_epochs": 5}).epochs == 5


# -- the Trainer ------------------------------------------------------------------------------------------------------
def _fit_toy(validations: list[float] | None, epochs: int, patience: int = 2, **trainer_options: object):
    """A linear model fitted by the Trainer; `validations` are the metrics validate() reports, epoch by epoch.
    Returns (log, the module, its weights after each epoch)."""
    seed_everything(0)
    module = nn.Linear(3, 1)
    x, y = torch.randn(64, 3), torch.randn(64, 1)
    snapshots: list[torch.Tensor] = []

    def validate() -> dict[str, float]:
        snapshots.append(module.weight.detach().clone())
        assert validations is not None
        return {"valid_metric": validations[len(snapshots) - 1]}

    trainer = Trainer(module, torch.optim.SGD(module.parameters(), lr=0.1), epochs=epochs, patience=patience,
                      monitor=Monitor("valid_metric"), **trainer_options)  # type: ignore[arg-type]
    log = trainer.fit(lambda epoch: [slice(i, i + 16) for i in range(0, 64, 16)],
                      lambda rows: ((module(x[rows]) - y[rows]) ** 2).mean(),
                      validate if validations is not None else None)
    return log, module, snapshots


def test_trainer_stops_after_patience_epochs_without_improvement_and_restores_the_best():
    log, module, snapshots = _fit_toy([0.5, 0.7, 0.6, 0.65, 0.9], epochs=5, patience=2)
    assert log.epochs_run == 4 and log.stopped_by == "early_stopping"
    assert log.best_epoch == 2 and log.best_valid == 0.7
    assert torch.equal(module.weight, snapshots[1])  # the weights of epoch 2, not of the last epoch
    assert not module.training


def test_trainer_without_validation_runs_every_epoch_and_keeps_the_last_weights():
    log, _, _ = _fit_toy(None, epochs=3)
    assert log.epochs_run == 3 and log.stopped_by == "epochs" and log.best_epoch is None
    assert [record["epoch"] for record in log.epochs] == [1, 2, 3]
    assert log.epochs[-1]["loss"] < log.epochs[0]["loss"]


def test_trainer_time_cap_is_loud(caplog):
    with caplog.at_level(logging.WARNING, logger="recommender.nets.training"):
        log, _, _ = _fit_toy([0.1] * 10, epochs=10, time_cap_seconds=1e-9)
    assert log.epochs_run == 1 and log.stopped_by == "time_cap"
    assert [r.levelno for r in caplog.records if "time cap" in r.getMessage()] == [logging.WARNING]


def test_trainer_refuses_a_time_cap_that_is_not_positive():
    with pytest.raises(ValueError, match="time_cap_seconds"):
        Trainer(nn.Linear(1, 1), torch.optim.SGD(nn.Linear(1, 1).parameters(), lr=0.1), epochs=1, patience=1,
                time_cap_seconds=0)


# -- the commands -----------------------------------------------------------------------------------------------------
def _run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


@pytest.mark.django_db
def test_train_pwprec_epochs_2_trains_exactly_two_epochs(tmp_path):
    from marketplace.models import EventAction
    from marketplace.services.events import EventInput, events_record
    from recommender.models import ModelVersion
    from tests.factories import ListingFactory, UserFactory

    # given 6 users browsing 10 listings along a loop for 6 days
    start = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
    listings = [ListingFactory(created_at=start - timedelta(days=30)) for _ in range(10)]
    users = [UserFactory() for _ in range(6)]
    for day in range(6):
        for u, user in enumerate(users):
            t = start + timedelta(days=day, hours=u)
            events_record(user=user, session_id=f"s-{day}-{u}", events=[
                EventInput(action=EventAction.ITEM_VIEW, listing_id=listings[(u + day + step) % 10].pk, page="vip",
                           created_at=t + timedelta(minutes=step)) for step in range(4)
            ])  # fmt: skip
    # when
    out = _run("train", "pwprec", "--epochs", "2", "--lr", "0.004", "--out-dir", str(tmp_path), "--no-progress")
    # then
    version = ModelVersion.objects.get(name="pwprec")
    assert version.config["epochs"] == 2 and version.config["lr"] == 0.004
    assert version.metrics["training"]["epochs_run"] == 2 and len(version.metrics["training"]["epochs"]) == 2
    assert version.metrics["vip"]["epochs_run"] == 2 and version.metrics["vip"]["stopped_by"] == "epochs"
    assert "pwprec: 2 of 2 epochs, stopped by epochs" in out


@pytest.mark.django_db
def test_evaluate_honours_the_training_parameters_and_notes_models_without_them(tmp_path):
    lines = ["SessionId\tItemId\tTime"]
    t = 1e9
    for s, items in enumerate([[1, 2, 3], [1, 2, 3, 4], [2, 3, 4], [5, 6]] * 6):
        for item in items:
            lines.append(f"{s}\t{item}\t{t}")
            t += 60.0
    train = tmp_path / "tiny_train.tsv"
    train.write_text("\n".join(lines) + "\n")
    test = tmp_path / "tiny_test.tsv"
    test.write_text("SessionId\tItemId\tTime\n900\t1\t2000000000\n900\t2\t2000000060\n900\t3\t2000000120\n")

    out = _run("evaluate", "--models", "popularity,pwprec", "--train", str(train), "--test", str(test),
               "--epochs", "1", "--no-record", "--out", str(tmp_path / "out"), "--no-progress")

    metrics = json.loads((tmp_path / "out" / "metrics.json").read_text())["models"]
    assert metrics["pwprec"]["epochs_run"] == 1 and metrics["pwprec"]["stopped_by"] == "epochs"
    assert "epochs_run" not in metrics["popularity"]
    assert "popularity has no epochs setting; --epochs ignored" in out
    assert "pwprec: 1 of 1 epochs, stopped by epochs" in out
