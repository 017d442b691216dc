"""SCID (seed 001): features against a brute-force computation, incremental = batch, pre-training, save / load."""

from __future__ import annotations

import copy
import dataclasses

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from recommender.base import Query
from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable
from recommender.nets.scid.model import FEATURE_NAMES, SCID
from recommender.nets.scid.network import SCIDConfig
from recommender.registry import load_recommender

VIEW, BUY, LIKE = ACTION_CODE["item_view"], ACTION_CODE["buy_comp"], ACTION_CODE["item_like"]


def toy_dataset(seed: int = 0, n_items: int = 60, n_sessions: int = 80) -> Dataset:
    """Items in 4 topics x 3 products; sessions stay mostly in one topic and half end in a purchase."""
    rng = np.random.default_rng(seed)
    product = np.arange(n_items) % 12
    topic = product // 3
    centers = rng.normal(size=(4, 384))
    text = centers[topic] + 0.5 * rng.normal(size=(n_items, 384))
    text = (text / np.linalg.norm(text, axis=1, keepdims=True)).astype(np.float32)
    text[5] = 0.0  # an item without text
    items = ItemTable(
        item_id=np.arange(100, 100 + n_items, dtype=np.int64),
        category=np.stack([topic + 1, topic + 1, product + 1], axis=1).astype(np.int64),
        brand=(product + 1).astype(np.int64),
        product=np.where(np.arange(n_items) == 7, 0, product + 1).astype(np.int64),  # item 107: unknown product
        condition=np.ones(n_items, dtype=np.int64),
        price=np.exp(2 + topic + 0.2 * rng.normal(size=n_items)).astype(np.float32),
        created_at=np.zeros(n_items),
        text_vector=text,
    )
    rows: list[tuple[int, int, int, int, float]] = []
    t = 0.0
    for s in range(n_sessions):
        pool = np.flatnonzero(topic == s % 4)
        for item in rng.choice(pool, size=int(rng.integers(3, 8))):
            t += 10.0
            rows.append((s % 20, s, int(items.item_id[item]), VIEW, t))
        if s % 2 == 0:
            t += 10.0
            rows.append((s % 20, s, int(items.item_id[rng.choice(pool)]), BUY, t))
    user, session, item, action, ts = (np.array(c) for c in zip(*rows, strict=True))
    events = EventLog(
        user=user.astype(np.int64),
        session=session.astype(np.int64),
        item=item.astype(np.int64),
        action=action.astype(np.int8),
        timestamp=ts.astype(np.float64),
    )
    return Dataset(events=events, items=items, name="toy")



def tiny_config(**overrides) -> SCIDConfig:
    values = dict(hidden=16, product_dim=8, min_product_count=1, epochs=2, batch_size=16, seed=0)
    values.update(overrides)
    return SCIDConfig(**values)


@pytest.fixture(scope="module")
def dataset() -> Dataset:
    return toy_dataset()


@pytest.fixture(scope="module")
def model(dataset: Dataset) -> SCID:
    torch.manual_seed(0)
    model = SCID(tiny_config())
    model.fit(dataset)
    return model


SESSION = [100, 104, 108, 105, 107, 112]  # includes an item without text and one with an unknown product
CANDIDATES = np.array([100, 101, 105, 107, 130, 999])  # 999: not in the item table


def brute_force(model: SCID, session: list[int], candidates: np.ndarray, statistic: str) -> np.ndarray:
    """Eqs. 5-7 written out: run the net over the session, then loop over heads, attributes and steps."""
    net = model.net
    rows = model._rows(np.array(session))
    text, product, price = model._attributes(rows[None, :])
    with torch.no_grad():
        out = net.predict(net.encode(net.inputs(text, product, price))[0])
        c_text, c_product, c_price = model._attributes(model._rows(candidates))
        c_product_vec = net.product(c_product)
    n = len(session)
    features = np.zeros((len(candidates), 18), dtype=np.float64)
    for k in range(len(candidates)):
        column = 0
        for head in range(2):
            sims = {
                "title": [float(F.cosine_similarity(out["title"][head][i], c_text[k], dim=0)) for i in range(n)],
                "product": [
                    float(F.cosine_similarity(out["product"][head][i], c_product_vec[k], dim=0)) for i in range(n)
                ],
                "price": [1.0 - float(out["price"][head][i] - c_price[k]) ** 2 for i in range(n)],
            }
            for attribute in ("title", "product", "price"):
                s = sims[attribute]
                if statistic == "mean":
                    mean = sum(s) / n
                else:
                    mean = s[0]
                    for value in s[1:]:
                        mean = (1 - model.config.ema_alpha) * mean + model.config.ema_alpha * value
                features[k, column : column + 3] = [max(s), mean, s[-1]]
                column += 3
    return features


@pytest.mark.parametrize("statistic", ["mean", "ema"])
def test_features_equal_brute_force(dataset: Dataset, model: SCID, statistic: str) -> None:
    # given a trained model, read with either statistic
    model.config.mean_statistic = statistic
    query = Query(history=SESSION, history_actions=[VIEW] * len(SESSION))
    try:
        # when
        features = model.features(query, CANDIDATES)
    finally:
        model.config.mean_statistic = "mean"
    # then
    assert features.shape == (len(CANDIDATES), len(FEATURE_NAMES)) == (6, 18)
    np.testing.assert_allclose(features, brute_force(model, SESSION, CANDIDATES, statistic), atol=1e-4)
    assert features[2, 0:3].tolist() == [0.0, 0.0, 0.0]  # a candidate without text: title cosine 0


@pytest.mark.parametrize("statistic", ["mean", "ema"])
def test_incremental_state_equals_batch(model: SCID, statistic: str) -> None:
    model.config.mean_statistic = statistic
    try:
        # a session with a repeat (collapsed), a like, a purchase (ends it) and a fresh session after it
        events = [(100, VIEW), (104, VIEW), (104, LIKE), (108, VIEW), (108, BUY), (112, VIEW), (100, VIEW), (101, VIEW)]
        state = model.state_init()
        for n, (item, action) in enumerate(events, start=1):
            model.state_update(state, item, action)
            history = [item for item, _ in events[:n]]
            actions = [action for _, action in events[:n]]
            batch = model.features(Query(history=history, history_actions=actions), CANDIDATES)
            np.testing.assert_allclose(model.state_features(state, CANDIDATES), batch, atol=1e-5)
        assert state.count == 3  # 112, 100, 101 after the purchase reset
    finally:
        model.config.mean_statistic = "mean"


def test_incremental_state_with_moving_average_encoder(dataset: Dataset) -> None:
    model = SCID(tiny_config(encoder="ma", epochs=1, mean_statistic="ema"))
    model.fit(dataset)
    state = model.state_init()
    for item in SESSION:
        model.state_update(state, item)
    batch = model.features(Query(history=SESSION), CANDIDATES)
    np.testing.assert_allclose(model.state_features(state, CANDIDATES), batch, atol=1e-5)
    np.testing.assert_allclose(batch, brute_force(model, SESSION, CANDIDATES, "ema"), atol=1e-4)


def test_pretraining_lowers_the_loss(dataset: Dataset) -> None:
    # given the same initialisation, untrained vs trained for a few epochs
    untrained = SCID(tiny_config(epochs=0))
    untrained.fit(dataset)
    trained = SCID(tiny_config(epochs=6, valid_fraction=0.0))
    log = trained.fit(dataset)
    segments = trained._training_segments(dataset)
    # when
    before = untrained.evaluate_losses(segments)
    after = trained.evaluate_losses(segments)
    # then every head learned something, and the objective went down during training
    assert after["total"] < 0.8 * before["total"]
    for task in ("buy_session", "next_title", "next_product", "purchase_title"):
        assert after[task] < before[task], task
    assert log["epochs"][-1]["loss"] < log["epochs"][0]["loss"]
    assert set(log["task_weights"]) >= {"buy_item", "next_price", "purchase_product"}


def test_score_is_mean_of_next_item_coefficients(model: SCID) -> None:
    query = Query(history=SESSION)
    np.testing.assert_allclose(
        model.score(query, CANDIDATES), model.features(query, CANDIDATES)[:, :9].mean(axis=1), rtol=1e-6
    )
    # an empty session or one that just ended in a purchase gives zeros
    assert not model.features(Query(), CANDIDATES).any()
    assert not model.features(Query(history=[100, 104], history_actions=[VIEW, BUY]), CANDIDATES).any()


def test_query_session_starts_after_a_gap(model: SCID) -> None:
    old_and_new = Query(history=[130, 131, 100, 104], history_timestamps=[0.0, 10.0, 9000.0, 9010.0])
    only_new = Query(history=[100, 104], history_timestamps=[9000.0, 9010.0])
    np.testing.assert_allclose(model.features(old_and_new, CANDIDATES), model.features(only_new, CANDIDATES))


def test_save_and_load_give_identical_outputs(tmp_path, model: SCID) -> None:
    path = model.save(tmp_path / "scid.pt")
    loaded = load_recommender(path)
    assert isinstance(loaded, SCID) and loaded.name == "scid"
    query = Query(history=SESSION)
    np.testing.assert_array_equal(loaded.features(query, CANDIDATES), model.features(query, CANDIDATES))
    state_a, state_b = model.state_init(), loaded.state_init()
    for item in SESSION:
        model.state_update(state_a, item)
        loaded.state_update(state_b, item)
    np.testing.assert_array_equal(loaded.state_features(state_b, CANDIDATES), model.state_features(state_a, CANDIDATES))


def test_catalog_extend_adds_new_listings_and_keeps_the_ones_it_holds(model: SCID, dataset: Dataset) -> None:
    # given: three listings posted after training, each with the attributes of a known one
    model = copy.deepcopy(model)
    source = dataset.items.subset(np.array([0, 1, 3]))
    new = dataclasses.replace(source, item_id=np.array([9001, 9002, 9003], dtype=np.int64))
    query = Query(history=SESSION)
    before = model.features(query, CANDIDATES)
    # when
    model.catalog_extend(new)
    # then: the new ids get their attributes' features, the other candidates keep theirs
    np.testing.assert_allclose(model.features(query, new.item_id), model.features(query, source.item_id), atol=1e-6)
    np.testing.assert_allclose(model.features(query, CANDIDATES), before, atol=1e-6)
