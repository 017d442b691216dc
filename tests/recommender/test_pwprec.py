import logging

import numpy as np
import pytest
import torch

import recommender.nets.pwprec  # noqa: F401  (registers pwprec, pwprec_gru, pwprec_sasrec)
from recommender.base import Query
from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable
from recommender.nets.content_tower import (
    ContentTower,
    ContentTowerConfig,
    ItemFeatureEncoder,
    Vocabulary,
    features_to_tensors,
)
from recommender.nets.pwprec.network import LongShortFusion, MultiInterestFusion, PWPRecConfig, PWPRecNet
from recommender.registry import create_recommender, load_recommender

TINY = {
    "d": 16,
    "n_heads": 2,
    "n_layers": 1,
    "n_interests": 3,
    "interest_hidden": 32,
    "categorical_dim": 4,
    "item_blocks": 1,
    "vip_max_len": 6,
    "home_max_len": 10,
    "batch_size": 32,
    "home_batch_size": 32,
    "epochs": 3,
    "patience": 5,
    "dropout": 0.0,
    "lr": 5e-3,
}


def _items(n_items: int = 40, n_clusters: int = 4, text: bool = True) -> ItemTable:
    rng = np.random.default_rng(0)
    ids = np.arange(100, 100 + n_items, dtype=np.int64)
    cluster = np.arange(n_items) % n_clusters
    table = ItemTable.ids_only(ids)
    table.category = np.stack([cluster + 1, cluster * 10 + 1, np.arange(n_items) + 1], axis=1).astype(np.int64)
    table.brand = (cluster + 1).astype(np.int64)
    table.condition = rng.integers(1, 6, n_items).astype(np.int64)
    table.price = rng.uniform(1, 100, n_items).astype(np.float32)
    if text:
        vectors = rng.normal(size=(n_items, 384)).astype(np.float32) + 3 * np.eye(n_clusters, 384)[cluster]
        table.text_vector = vectors / np.linalg.norm(vectors, axis=1, keepdims=True)
    return table


def _dataset(n_users: int = 30, text: bool = True) -> Dataset:
    """Users browse one cluster per session, walking item -> item + 4 (same cluster); 3 sessions a user."""
    rng = np.random.default_rng(1)
    items = _items(text=text)
    rows = []
    session = 0
    for user in range(n_users):
        for s in range(3):
            start = 1_700_000_000 + user * 60 + s * 86400.0
            item = int(rng.integers(0, 40))
            for step in range(int(rng.integers(3, 7))):
                action = ACTION_CODE["item_like"] if step % 3 == 2 else ACTION_CODE["item_view"]
                rows.append((user, session, 100 + item, action, start + step * 30.0))
                item = (item + 4) % 40
            session += 1
    user, sess, item, action, ts = (np.array(c) for c in zip(*rows, strict=True))
    events = EventLog(
        user=user.astype(np.int64),
        session=sess.astype(np.int64),
        item=item.astype(np.int64),
        action=action.astype(np.int8),
        timestamp=ts.astype(np.float64),
    ).sorted()
    return Dataset(events=events, items=items, name="tiny")


def _net(user_tower: str = "transformer") -> PWPRecNet:
    torch.manual_seed(0)
    config = PWPRecConfig(**{**TINY, "user_tower": user_tower})
    sizes = {"c0": 5, "c1": 5, "c2": 41, "brand": 5, "product": 1, "condition": 6, "item": 41}
    return PWPRecNet(config, sizes, use_item_id=True).eval()


def _history(b: int = 3, length: int = 6, d: int = 16) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    torch.manual_seed(0)
    vectors = torch.randn(b, length, d)
    valid = torch.ones(b, length, dtype=torch.bool)
    valid[1, :2] = False  # left padding
    actions = torch.where(valid, torch.ones(b, length, dtype=torch.int64), 0)
    return vectors, actions, valid


def test_vocabulary_maps_unknown_and_missing_to_zero():
    vocab = Vocabulary.fit(np.array([7, 3, 3, 0, 9]))
    assert len(vocab) == 4
    assert vocab.lookup(np.array([3, 7, 9, 0, 42])).tolist() == [1, 2, 3, 0, 0]
    assert Vocabulary.from_state(vocab.state()).lookup(np.array([9])).tolist() == [3]


def test_content_tower_shapes_and_new_listing():
    torch.manual_seed(0)
    items = _items()
    encoder = ItemFeatureEncoder.fit(items)
    tower = ContentTower(ContentTowerConfig(d=16, categorical_dim=4), encoder.sizes()).eval()
    new = _items(n_items=5)
    new.item_id = np.arange(9000, 9005)  # ids never seen
    out = tower(features_to_tensors(encoder.encode(new)))
    assert out.shape == (5, 16)
    assert torch.isfinite(out).all()
    assert not torch.allclose(out[0], out[1])  # content alone tells new listings apart


def test_user_tower_shapes():
    vectors, actions, valid = _history()
    for tower in ("transformer", "gru", "sasrec"):
        net = _net(tower)
        encoded = net.encode(vectors, actions, valid)
        assert encoded.shape == (3, 6, 16)
        assert net.single_vector(encoded, valid).shape == (3, 16)
        assert net.interest_vectors(encoded, valid).shape == (3, 3, 16)


@pytest.mark.parametrize("tower", ["transformer", "gru", "sasrec"])
def test_changing_a_later_event_leaves_earlier_positions_alone(tower):
    # given
    net = _net(tower)
    vectors, actions, valid = _history()
    changed = vectors.clone()
    changed[:, 4] = torch.randn(3, 16)
    # when
    with torch.no_grad():
        before, after = net.encode(vectors, actions, valid), net.encode(changed, actions, valid)
    # then
    assert torch.allclose(before[:, :4], after[:, :4], atol=1e-6)
    assert not torch.allclose(before[:, 4:], after[:, 4:])


def test_relative_positions_count_back_from_the_target():
    net = _net()
    valid = torch.tensor([[False, False, True, True], [True, True, True, True]])
    assert net.positions(valid).tolist() == [[0, 0, 2, 1], [4, 3, 2, 1]]


def test_long_short_fusion():
    torch.manual_seed(0)
    fusion = LongShortFusion(16)
    encoded, _, valid = _history()
    user, attention, gate = fusion(encoded, valid)
    assert user.shape == (3, 16) and attention.shape == (3, 6) and gate.shape == (3, 16)
    assert torch.allclose(attention.sum(-1), torch.ones(3))
    assert (attention[1, :2] == 0).all()  # padding gets no weight
    assert ((gate > 0) & (gate < 1)).all()
    # eq. 6: the user vector lies between the long and the short vector, per dimension
    long = torch.einsum("bl,bld->bd", attention, encoded)
    assert torch.allclose(user, (1 - gate) * long + gate * encoded[:, -1], atol=1e-6)


def test_multi_interest_fusion():
    torch.manual_seed(0)
    fusion = MultiInterestFusion(16, 32, 4)
    encoded, _, valid = _history()
    users, attention = fusion(encoded, valid)
    assert users.shape == (3, 4, 16) and attention.shape == (3, 4, 6)
    assert torch.allclose(attention.sum(-1), torch.ones(3, 4))
    assert (attention[1, :, :2] == 0).all()
    assert torch.allclose(users, attention @ encoded)


def test_training_lowers_the_loss():
    torch.manual_seed(0)
    model = create_recommender("pwprec", {**TINY, "epochs": 4, "valid_fraction": 0.0})
    log = model.fit(_dataset())
    losses = [e["vip_loss"] for e in log["epochs"]]
    home = [e["home_loss"] for e in log["epochs"]]
    assert len(losses) == 4
    assert losses[-1] < losses[0]
    assert home[-1] < home[0]


def test_user_vectors_per_surface():
    torch.manual_seed(0)
    model = create_recommender("pwprec", {**TINY, "epochs": 1})
    data = _dataset()
    model.fit(data)
    history = [100, 104, 108]
    home = model.user_vectors(Query(history=history, history_actions=[0, 0, 1], surface="home"))
    vip = model.user_vectors(Query(history=history, surface="vip", current_item=112))
    assert home.shape == (3, 16) and vip.shape == (1, 16)
    assert home.dtype == np.float32
    assert np.allclose(np.linalg.norm(home, axis=1), 1, atol=1e-5)
    items = model.item_vectors(data.items)
    assert items.shape == (40, 16)
    # score() ranks as the vectors do: max over the interests on home, the single vector elsewhere; the latest
    # item (the page the user is on) goes last, since collapsed training runs never had it as a target
    candidates = data.items.item_id
    home_scores = model.score(Query(history=history, history_actions=[0, 0, 1], surface="home"), candidates)
    latest = candidates == 108
    assert np.allclose(home_scores[~latest], (items @ home.T).max(1)[~latest], atol=1e-5)
    assert home_scores[latest] == -2.0 and home_scores[latest] < home_scores[~latest].min()
    vip_scores = model.score(Query(history=history, surface="vip", current_item=112), candidates)
    current = candidates == 112
    assert np.allclose(vip_scores[~current], (items @ vip.T)[~current, 0], atol=1e-5)
    assert vip_scores[current] < vip_scores[~current].min()
    queries = [Query(history=history, surface="home"), Query(history=[101], surface="vip"), Query(history=[])]
    batch = model.score_batch(queries, candidates)
    assert batch.shape == (3, 40)
    for row, query in zip(batch, queries, strict=True):
        assert np.allclose(row, model.score(query, candidates), atol=1e-5)
    # no usable history: popularity, still one score per candidate
    assert model.score(Query(history=[], surface="home"), candidates).shape == (40,)


def test_save_load_gives_identical_scores(tmp_path):
    torch.manual_seed(0)
    model = create_recommender("pwprec", {**TINY, "epochs": 1})
    data = _dataset()
    model.fit(data)
    path = model.save(tmp_path / "pwprec.pt")
    loaded = load_recommender(path)
    candidates = data.items.item_id
    for surface in ("home", "vip"):
        query = Query(history=[100, 104, 101], surface=surface)
        assert np.array_equal(model.score(query, candidates), loaded.score(query, candidates))
    assert np.array_equal(model.item_vectors(data.items), loaded.item_vectors(data.items))


@pytest.mark.parametrize("name", ["pwprec", "pwprec_gru", "pwprec_sasrec"])
def test_variants_train_and_learn_the_walk(name):
    torch.manual_seed(0)
    model = create_recommender(name, {**TINY, "epochs": 8, "valid_fraction": 0.0, "train_home": False})
    log = model.fit(_dataset(text=False))  # id embeddings only
    assert model.use_item_id
    assert log["epochs"][-1]["vip_loss"] < log["epochs"][0]["vip_loss"]
    # the walk is item -> item + 4: after 100, 104 the next item should rank near the top
    ranked = model.recommend(Query(history=[100, 104], surface="vip"), np.arange(100, 140), k=10)
    assert 108 in ranked
    # without homepage samples the Multi-Interest head is untrained: home falls back to the single vector
    assert model.user_vectors(Query(history=[100, 104], surface="home")).shape == (1, 16)


def test_time_cap_is_a_loud_safety_net(caplog):
    model = create_recommender("pwprec", {**TINY, "epochs": 50, "time_cap_seconds": 1e-9})
    with caplog.at_level(logging.WARNING, logger="recommender.nets.training"):
        log = model.fit(_dataset())
    assert len(log["epochs"]) == 1 and log["epochs_run"] == 1
    assert log["stopped_by"] == "time_cap"
    assert any("time cap" in r.getMessage() and r.levelno == logging.WARNING for r in caplog.records)


def test_validation_recall_is_a_share_and_picks_the_kept_epoch():
    model = create_recommender("pwprec", {**TINY, "epochs": 3, "valid_fraction": 0.3})
    log = model.fit(_dataset())
    assert log["monitor"] == "valid_recall@20" and log["vip_valid_samples"] > 0 and log["home_valid_samples"] > 0
    for record in log["epochs"]:
        surfaces = [record["vip_valid_recall@20"], record["home_valid_recall@20"]]
        assert all(0.0 <= value <= 1.0 for value in surfaces)
        assert record["valid_recall@20"] == pytest.approx(np.mean(surfaces))
    kept = log["epochs"][log["best_epoch"] - 1]["valid_recall@20"]
    assert log["best_valid"] == kept == max(record["valid_recall@20"] for record in log["epochs"])


# -- the near-real-time task ---------------------------------------------------------------------------------------
@pytest.fixture
def served_tiny_pwprec(tmp_path, settings):
    """A tiny PWPRec fitted on two sessions per user from the database, activated; the users."""
    from datetime import timedelta

    from django.utils import timezone

    from marketplace.models import Event, EventAction
    from recommender.serving.loading import served_models_forget
    from tests.factories import UserFactory
    from tests.recommender.served import listings_with_text_vectors, pwprec_trained_and_activated

    settings.RECOMMENDER_ARTIFACTS_DIR = tmp_path
    listings = listings_with_text_vectors(12)
    users = [UserFactory() for _ in range(3)]
    start = timezone.now() - timedelta(days=1)
    Event.objects.bulk_create([
        Event(user=user, session_id=f"s{u}-{step // 3}", listing=listings[(u * 4 + step) % 12],
              action=EventAction.ITEM_VIEW, page="vip", created_at=start + timedelta(hours=step // 3, minutes=u + step))
        for u, user in enumerate(users) for step in range(6)
    ])
    version = pwprec_trained_and_activated(tmp_path, {**TINY, "d": 64, "epochs": 1})
    yield version, users
    served_models_forget()


@pytest.mark.django_db
def test_refresh_task_is_idempotent_and_requests_coalesce(served_tiny_pwprec):
    from django.core.cache import cache

    from marketplace.models import Event
    from recommender.models import UserVectors
    from recommender.serving.loading import user_vectors_get
    from recommender.tasks import user_vectors_refresh, user_vectors_request

    version, users = served_tiny_pwprec
    user = users[0]
    # when the task runs twice for the same events
    first = user_vectors_refresh(user.pk)
    row = UserVectors.objects.get(user=user, space="pwprec")
    again = user_vectors_refresh(user.pk)
    # then the second run changes nothing: one row, the same vectors, the same newest event
    assert first == again == {"pwprec": TINY["n_interests"]}
    rows = UserVectors.objects.filter(user=user, space="pwprec")
    assert rows.count() == 1
    assert rows[0].vectors == row.vectors and rows[0].events_seen == row.events_seen
    assert row.events_seen == Event.objects.filter(user=user).latest("pk").pk
    assert row.version_id == version.pk
    assert np.allclose(user_vectors_get(user_id=user.pk, space="pwprec"), np.asarray(row.vectors))
    # a burst of requests leaves one pending refresh; running it clears the mark for the next burst
    cache.delete(f"recommender:user-vectors-pending:{user.pk}")
    assert user_vectors_request(user_id=user.pk) is True
    assert user_vectors_request(user_id=user.pk) is False
    user_vectors_refresh(user.pk)
    assert user_vectors_request(user_id=user.pk) is True
