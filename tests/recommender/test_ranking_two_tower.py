"""Ranking two-tower (seed 002): save / load, serving without the context tower, two-stage training."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import torch

from recommender.base import Query
from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable
from recommender.nets.ranking_two_tower.model import RankingTwoTower
from recommender.nets.ranking_two_tower.network import RankingTwoTowerConfig, ResidualBlock
from recommender.registry import load_recommender

A = ACTION_CODE



def toy_dataset(seed: int = 0, n_items: int = 60, n_users: int = 40, sessions: int = 4) -> Dataset:
    """Users like one of 4 topics; impression groups of 6 on two surfaces, clicks = topic match + position bias."""
    rng = np.random.default_rng(seed)
    topic = np.arange(n_items) % 4
    centers = rng.normal(size=(4, 384))
    text = centers[topic] + 0.7 * rng.normal(size=(n_items, 384))
    text = (text / np.linalg.norm(text, axis=1, keepdims=True)).astype(np.float32)
    item_ids = np.arange(500, 500 + n_items, dtype=np.int64)
    items = ItemTable(
        item_id=item_ids,
        category=np.stack([topic + 1, topic + 1, np.arange(n_items) % 8 + 1], axis=1).astype(np.int64),
        brand=(np.arange(n_items) % 5 + 1).astype(np.int64),
        product=np.zeros(n_items, dtype=np.int64),
        condition=np.ones(n_items, dtype=np.int64),
        price=np.exp(2 + topic + 0.2 * rng.normal(size=n_items)).astype(np.float32),
        created_at=np.zeros(n_items),
        text_vector=text,
    )
    rows = []  # user, session, item, action, t, surface, position, request, clicked
    t, session, request = 0.0, 0, 0
    for u in range(n_users):
        liked = np.flatnonzero(topic == u % 4)
        for _ in range(sessions):
            session += 1
            t += 1000.0
            if rng.random() < 0.3:
                rows.append((u, session, -1, A["search"], t, 4, -1, -1, False))
            for item in rng.choice(liked, size=3):
                t += 10.0
                rows.append((u, session, int(item_ids[item]), A["item_view"], t, 2, -1, -1, False))
            request += 1
            surface = int(rng.choice([1, 3]))
            shown = rng.choice(n_items, size=6, replace=False)
            t += 10.0
            clicked_items = []
            for position, item in enumerate(shown):
                p = 0.05 + 0.6 * (topic[item] == u % 4) + (0.2 if position == 0 else 0.0)
                clicked = bool(rng.random() < p)
                rows.append((u, session, int(item_ids[item]), A["impression"], t, surface, position, request, clicked))
                if clicked:
                    clicked_items.append(item)
            for item in clicked_items:
                t += 5.0
                rows.append((u, session, int(item_ids[item]), A["item_view"], t, surface, -1, -1, False))
                if topic[item] == u % 4 and rng.random() < 0.5:
                    t += 5.0
                    rows.append((u, session, int(item_ids[item]), A["item_add_to_cart_tap"], t, surface, -1, -1, False))
    cols = [np.array(c) for c in zip(*rows, strict=True)]
    events = EventLog(
        user=cols[0].astype(np.int64),
        session=cols[1].astype(np.int64),
        item=cols[2].astype(np.int64),
        action=cols[3].astype(np.int8),
        timestamp=cols[4].astype(np.float64),
        surface=cols[5].astype(np.int8),
        position=cols[6].astype(np.int16),
        request=cols[7].astype(np.int64),
        clicked=cols[8].astype(bool),
    )
    return Dataset(events=events, items=items, name="toy")


def tiny_config(**overrides) -> RankingTwoTowerConfig:
    values = dict(
        dim=16,
        item_blocks=2,
        layers=1,
        heads=2,
        ff_dim=32,
        dropout=0.0,
        max_history=8,
        batch_size=32,
        epochs=2,
        lr=3e-3,
        group_batch_size=8,
        finetune_epochs=2,
        finetune_lr=3e-3,
        seed=0,
    )
    values.update(overrides)
    return RankingTwoTowerConfig(**values)


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return toy_dataset()


@pytest.fixture(scope="module")
def model(dataset: Dataset) -> RankingTwoTower:
    model = RankingTwoTower(tiny_config())
    model.fit(dataset)
    return model


HISTORY = Query(
    user_id=3,
    history=[503, 507, -1, 511],
    history_actions=[A["item_view"], A["item_like"], A["search"], A["item_view"]],
    history_timestamps=[1.0, 2.0, 3.0, 4.0],
    surface="home",
)
CANDIDATES = np.array([500, 501, 503, 530, 9999])  # 9999: unknown item


def test_residual_block_is_layernorm_of_relu_linear_plus_input() -> None:
    block = ResidualBlock(8)
    x = torch.randn(5, 8)
    expected = torch.nn.functional.layer_norm(torch.relu(block.linear(x)) + x, (8,), block.norm.weight, block.norm.bias)
    torch.testing.assert_close(block(x), expected)


def test_vectors_are_unit_length_and_score_is_their_cosine(model: RankingTwoTower, dataset: Dataset) -> None:
    user = model.user_vectors(HISTORY)
    items = model.item_vectors(dataset.items)
    assert user.shape == (1, 16) and items.shape == (len(dataset.items), 16)
    np.testing.assert_allclose(np.linalg.norm(items, axis=1), 1.0, atol=1e-5)
    rows = [0, 1, 3, 30]
    np.testing.assert_allclose(model.score(HISTORY, CANDIDATES[:4]), items[rows] @ user[0], atol=1e-5)
    # a search event (learned search token) is part of the history
    without_search = Query(history=[503, 507, 511], history_actions=[A["item_view"], A["item_like"], A["item_view"]])
    assert not np.allclose(model.user_vectors(without_search), user)


def test_history_ends_strictly_before_the_target(model: RankingTwoTower, dataset: Dataset) -> None:
    index = model._history_index(dataset.events)
    events = dataset.events
    user = int(events.user[0])
    times = np.sort(events.timestamp[(events.user == user) & (events.action != A["impression"])])
    start, end = model._history_ends(index, np.array([user, 12345]), np.array([times[2], times[2]]))
    assert end[0] - start[0] == 2  # the two events before times[2], not the one at it
    assert end[1] - start[1] == 0  # an unknown user has no history


def test_context_tower_is_not_used_at_serving(model: RankingTwoTower, dataset: Dataset, monkeypatch) -> None:
    # given a model whose context tower learned something during fine-tuning
    assert model.net.context_tower.surface.weight.detach().abs().sum() > 0
    before = model.score(HISTORY, CANDIDATES)
    impression_before = model.impression_scores(dataset)

    def fail(*args, **kwargs):
        raise AssertionError("the context tower was called at serving time")

    # when the context tower cannot be called and the query's context changes
    monkeypatch.setattr(model.net.context_tower, "forward", fail)
    model._item_vectors = None  # recompute the item cache under the patch too
    other_context = Query(**{**HISTORY.__dict__, "surface": "vip", "current_item": 500})
    # then serving gives the same scores
    np.testing.assert_array_equal(model.score(other_context, CANDIDATES), before)
    np.testing.assert_array_equal(model.score(HISTORY, CANDIDATES), before)
    np.testing.assert_array_equal(model.impression_scores(dataset), impression_before)
    model.user_vectors(HISTORY)
    model.item_vectors(dataset.items)


def test_fine_tuning_lowers_the_fine_tuning_loss(dataset: Dataset) -> None:
    # given the same pre-training (same seed), with and without the fine-tuning stage
    pretrained = RankingTwoTower(tiny_config(fine_tune=False))
    log_pre = pretrained.fit(dataset)
    fine_tuned = RankingTwoTower(tiny_config(finetune_epochs=4))
    log = fine_tuned.fit(dataset)
    # then
    assert log_pre["pretrain_loss"] == log["pretrain_loss"]
    assert log_pre["finetune_groups"] == 0 and log["finetune_groups"] > 50
    assert log["pretrain_loss"][-1] < log["pretrain_loss"][0]
    assert fine_tuned.finetune_loss(dataset) < pretrained.finetune_loss(dataset) - 0.05


def test_without_context_debiasing_the_context_tower_stays_untouched(dataset: Dataset) -> None:
    model = RankingTwoTower(tiny_config(context_debiasing=False, epochs=1, finetune_epochs=1))
    log = model.fit(dataset)
    assert log["finetune_loss"]
    assert all(not p.detach().any() for p in model.net.context_tower.parameters())


def test_save_and_load_give_identical_outputs(tmp_path, model: RankingTwoTower, dataset: Dataset) -> None:
    path = model.save(tmp_path / "ranking_two_tower.pt")
    loaded = load_recommender(path)
    assert isinstance(loaded, RankingTwoTower) and loaded.name == "ranking_two_tower"
    np.testing.assert_array_equal(loaded.score(HISTORY, CANDIDATES), model.score(HISTORY, CANDIDATES))
    np.testing.assert_array_equal(loaded.user_vectors(HISTORY), model.user_vectors(HISTORY))
    np.testing.assert_array_equal(loaded.item_vectors(dataset.items), model.item_vectors(dataset.items))


def test_catalog_extend_adds_new_listings_and_keeps_the_ones_it_holds(model: RankingTwoTower, dataset: Dataset) -> None:
    # given: three listings posted after training, each with the content of a known one
    model = copy.deepcopy(model)
    source = dataset.items.subset(np.array([0, 1, 2]))
    new = dataclasses.replace(source, item_id=np.array([9001, 9002, 9003], dtype=np.int64))
    known = dataset.items.item_id[:10]
    before = model.score(HISTORY, known)
    assert np.all(model.score(HISTORY, new.item_id) == model.score(HISTORY, np.array([9999])))  # unknown so far
    # when
    model.catalog_extend(new)
    # then: the new ids score as their content does, the known listings as before
    np.testing.assert_allclose(model.score(HISTORY, new.item_id), model.score(HISTORY, source.item_id), atol=1e-6)
    np.testing.assert_allclose(model.score(HISTORY, known), before, atol=1e-6)
