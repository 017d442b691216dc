"""Mercatran (MerRec 4.2.6): causal decoder, shapes, training, checkpoint round trip, new listings, V1, and the
served model end to end (item vectors in pgvector, 4 user vectors, the "next up" row)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta

import numpy as np
import pytest
import torch
from django.urls import reverse
from django.utils import timezone

import recommender.nets.mercatran  # noqa: F401  (registers mercatran / mercatran_v1)
from marketplace.models import Event, EventAction, Listing
from marketplace.services.events import event_record
from marketplace.services.listings import listing_create
from recommender.base import Query
from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable
from recommender.evaluation.multistep import evaluate_multistep
from recommender.models import UserVectors
from recommender.nets.mercatran.model import Mercatran
from recommender.nets.mercatran.network import MercatranConfig, MercatranNet, symmetric_contrastive_loss
from recommender.nets.mercatran.samples import interaction_log, new_target_rows, window_bounds
from recommender.nets.mercatran.tokenizer import ItemTokenizer
from recommender.registry import create_recommender, load_recommender
from recommender.serving.loading import served_model, served_models_forget
from tests.factories import BrandFactory, ListingFactory, UserFactory, category_path
from tests.recommender.served import trained_and_activated

TOPICS = [
    # (brand id, (c0, c1, c2), title words)
    (11, (1, 10, 100), ["nike", "air", "zoom", "running", "shoes", "sneakers", "trainers"]),
    (12, (2, 20, 200), ["leica", "vintage", "camera", "lens", "film", "rangefinder", "35mm"]),
    (13, (3, 30, 300), ["lego", "star", "wars", "set", "minifigure", "bricks", "sealed"]),
    (14, (4, 40, 400), ["coach", "leather", "handbag", "purse", "tote", "shoulder", "bag"]),
    (15, (5, 50, 500), ["pokemon", "card", "holo", "charizard", "booster", "pack", "rare"]),
    (16, (6, 60, 600), ["apple", "iphone", "case", "charger", "cable", "screen", "protector"]),
]
COMMON = ["new", "used", "red", "blue", "black", "small", "large", "lot", "bundle", "mint"]
TINY = dict(
    d=16, d_ff=32, n_heads=2, n_blocks=1, dropout=0.0, vocab_size=400, max_attribute_tokens=32,
    max_title_tokens=8, min_sequence_length=5, window_stride=2, batch_size=48, epochs=12,
    lr=5e-3, warmup_steps=5, temperature=0.1, seed=0,
    # users follow each other in time here, so a time-carved validation split would drop the last users' topic
    # from training: these tests train on everything (the split has its own test in test_training.py)
    valid_fraction=0.0,
)  # fmt: skip


def make_items(per_topic: int = 20, seed: int = 0, first_id: int = 1) -> tuple[ItemTable, np.ndarray]:
    """Listings of every topic; returns the table and each row's topic."""
    rng = np.random.default_rng(seed)
    titles, brands, categories, topics = [], [], [], []
    for t, (brand, category, words) in enumerate(TOPICS):
        for _ in range(per_topic):
            title = list(rng.choice(words, size=3, replace=False)) + list(rng.choice(COMMON, size=2, replace=False))
            titles.append(" ".join(title))
            brands.append(brand)
            categories.append(category)
            topics.append(t)
    m = len(titles)
    items = ItemTable(
        item_id=np.arange(first_id, first_id + m, dtype=np.int64),
        category=np.array(categories, dtype=np.int64),
        brand=np.array(brands, dtype=np.int64),
        product=np.zeros(m, dtype=np.int64),
        condition=np.ones(m, dtype=np.int64),
        price=np.full(m, 10.0, dtype=np.float32),
        created_at=np.zeros(m, dtype=np.float64),
        titles=titles,
    )
    return items, np.array(topics)


def make_dataset(n_users: int = 72, length: int = 12, seed: int = 0) -> tuple[Dataset, np.ndarray]:
    """Users who stay within one topic; a few events are likes or repeated views (de-duplicated)."""
    rng = np.random.default_rng(seed)
    items, topic_of = make_items(seed=seed)
    user, item, action, ts = [], [], [], []
    clock = 1_000_000.0
    for u in range(n_users):
        pool = items.item_id[topic_of == u % len(TOPICS)]
        for _ in range(length):
            clock += 60.0
            chosen = int(rng.choice(pool))
            user.append(u + 1)
            item.append(chosen)
            action.append(ACTION_CODE["item_like"] if rng.random() < 0.1 else ACTION_CODE["item_view"])
            ts.append(clock)
            if rng.random() < 0.2:  # a repeat that de-duplication removes
                clock += 1.0
                user.append(u + 1), item.append(chosen), action.append(action[-1]), ts.append(clock)
    n = len(user)
    events = EventLog(
        user=np.array(user, dtype=np.int64),
        session=np.array(user, dtype=np.int64),
        item=np.array(item, dtype=np.int64),
        action=np.array(action, dtype=np.int8),
        timestamp=np.array(ts, dtype=np.float64),
    )
    assert len(events) == n
    return Dataset(events=events, items=items, name="synthetic"), topic_of


@pytest.fixture(scope="module", autouse=True)
def _cpu() -> Iterator[None]:
    device = os.environ.get("RECOMMENDER_DEVICE")
    os.environ["RECOMMENDER_DEVICE"] = "cpu"
    yield
    if device is None:
        os.environ.pop("RECOMMENDER_DEVICE", None)
    else:
        os.environ["RECOMMENDER_DEVICE"] = device


@pytest.fixture(scope="module")
def trained() -> tuple[Mercatran, Dataset, np.ndarray]:
    dataset, topic_of = make_dataset()
    model = create_recommender("mercatran", TINY)
    model.fit(dataset)
    return model, dataset, topic_of


def test_decoder_is_causal() -> None:
    # given a random network and a batch of encoder memories
    config = MercatranConfig(**{k: v for k, v in TINY.items() if k in MercatranConfig.__dataclass_fields__})
    net = MercatranNet(50, config).eval()
    memory = torch.randn(3, 5, config.d)
    pad = torch.zeros(3, 5, dtype=torch.bool)
    previous = torch.nn.functional.normalize(torch.randn(3, 3, config.d), dim=-1)
    changed = previous.clone()
    changed[:, 1] = torch.nn.functional.normalize(torch.randn(3, config.d), dim=-1)
    # when the second previous step changes
    with torch.no_grad():
        before, after = net.decode(memory, pad, previous), net.decode(memory, pad, changed)
    # then outputs 0 and 1 (which only see bos and step 1) are unchanged, later ones move
    assert before.shape == (3, 4, config.d)
    assert torch.allclose(before[:, :2], after[:, :2], atol=1e-6)
    assert not torch.allclose(before[:, 2:], after[:, 2:], atol=1e-4)


def test_scheduled_sampling_feeds_the_decoder_its_own_predictions() -> None:
    # given a training-mode network without dropout and a batch with 4 true target vectors
    torch.manual_seed(0)
    config = MercatranConfig(**{k: v for k, v in TINY.items() if k in MercatranConfig.__dataclass_fields__})
    net = MercatranNet(50, config).train()
    memory, pad = torch.randn(3, 5, config.d), torch.zeros(3, 5, dtype=torch.bool)
    targets = torch.nn.functional.normalize(torch.randn(3, 4, config.d), dim=-1)
    with torch.no_grad():
        teacher = net.decode(memory, pad, targets[:, :-1])
        own = net.decode(memory, pad, teacher[:, :-1])  # every input replaced by the model's own prediction
        # when the sampling chance is 0, 1, and 1 outside training
        plain = net.predict(memory, pad, targets)
        sampled = net.predict(memory, pad, targets, sampling=1.0)
        evaluated = net.eval().predict(memory, pad, targets, sampling=1.0)
    # then 0 is teacher forcing, 1 reads back the predictions (step 1 only sees bos), and evaluation ignores it
    torch.testing.assert_close(plain, teacher)
    torch.testing.assert_close(sampled, own)
    torch.testing.assert_close(sampled[:, 0], teacher[:, 0])
    assert not torch.allclose(sampled[:, 1:], teacher[:, 1:], atol=1e-4)
    torch.testing.assert_close(evaluated, teacher)
    # and a model trained with it ramps the chance up during fit and leaves it at 0 afterwards
    dataset, _ = make_dataset(n_users=24)
    model = create_recommender("mercatran", {**TINY, "epochs": 2, "scheduled_sampling": 0.5})
    seen: list[float] = []
    batch_loss = model._batch_loss
    model._batch_loss = lambda *args: (seen.append(model._sampling), batch_loss(*args))[1]
    log = model.fit(dataset)
    assert seen[0] == 0.0 and 0.0 < seen[-1] <= 0.5 and seen == sorted(seen)
    assert model._sampling == 0.0 and np.isfinite([e["loss"] for e in log["epochs"]]).all()


def test_window_bounds_slide_from_the_end() -> None:
    # sequences of length 10 and 4 (too short for 4 targets + 1 history) at offsets 0 and 10
    sequence, first = window_bounds(np.array([10, 4]), np.array([0, 10, 14]), n_steps=4, stride=2)
    assert sequence.tolist() == [0, 0, 0]
    assert first.tolist() == [6, 4, 2]


def test_tokenizer_adds_brand_and_category_tokens_and_round_trips() -> None:
    items, _ = make_items(per_topic=5)
    tokenizer = ItemTokenizer.train(items, vocab_size=400, max_attribute_tokens=32, max_title_tokens=8)
    vocab = tokenizer.tokenizer.get_vocab(with_added_tokens=True)
    assert "[brand:11]" in vocab and "[cat:100]" in vocab and len(tokenizer) <= 400
    tokens = tokenizer.encode(items)
    assert tokens.shape == (len(items), 10)
    assert tokens[0, -2] == vocab["[brand:11]"] and tokens[0, -1] == vocab["[cat:100]"]
    restored = ItemTokenizer.from_json(tokenizer.to_json(), 8, "title+brand+category")
    np.testing.assert_array_equal(restored.encode(items), tokens)


def test_loss_is_low_when_predictions_match_targets() -> None:
    targets = torch.nn.functional.normalize(torch.randn(8, 4, 16), dim=-1)
    ids = torch.arange(32).view(8, 4)
    matched = symmetric_contrastive_loss(targets, targets, ids, 0.05)
    shuffled = symmetric_contrastive_loss(targets[torch.randperm(8)], targets, ids, 0.05)
    assert matched < 0.1 < shuffled


def test_step_negatives_push_a_step_off_the_users_other_targets() -> None:
    # given 8 users with 4 distinct targets each, and predictions that all point at the step-1 target (collapsed)
    torch.manual_seed(0)
    targets = torch.nn.functional.normalize(torch.randn(8, 4, 16), dim=-1)
    ids = torch.arange(32).view(8, 4)
    collapsed = targets[:, :1].expand(-1, 4, -1)
    # when the same user's other steps join the negatives
    plain = symmetric_contrastive_loss(collapsed, targets, ids, 0.05)
    separated = symmetric_contrastive_loss(collapsed, targets, ids, 0.05, step_negatives=True)
    matched = symmetric_contrastive_loss(targets, targets, ids, 0.05, step_negatives=True)
    # then collapsing costs more, matching each step still costs little
    assert separated > plain + 1.0
    assert matched < 0.1
    # and a repeated item (same id at every step) is never its own negative
    repeated_ids = ids[:, :1].expand(-1, 4)
    repeated = targets[:, :1].expand(-1, 4, -1)
    assert torch.allclose(
        symmetric_contrastive_loss(repeated, repeated, repeated_ids, 0.05, step_negatives=True),
        symmetric_contrastive_loss(repeated, repeated, repeated_ids, 0.05),
    )


def test_new_targets_skip_the_history_and_repeats() -> None:
    # given one sequence 1 2 3 2 4 4 5 6 7 cut after row 2 (history 1 2), and a cut with too few new items left
    item = np.array([1, 2, 3, 2, 4, 4, 5, 6, 7])
    history = np.array([[-1, 1, 2], [5, 6, 7]])
    # when the decoder's targets are picked
    rows = new_target_rows(item, history, first=np.array([2, 5]), end=np.array([9, 9]), n_steps=4)
    # then they are the next distinct items not in the history (3 4 5 6), and -1 where none are left
    assert item[rows[0]].tolist() == [3, 4, 5, 6]
    assert rows[0].tolist() == [2, 4, 6, 7]
    assert rows[1].tolist() == [5, -1, -1, -1]
    # and a model trained with both options keeps only windows whose targets are new and distinct
    dataset, _ = make_dataset(n_users=24)
    model = create_recommender("mercatran", {**TINY, "epochs": 1, "new_targets": True, "step_negatives": True})
    model.fit(dataset)
    windows = model._windows(interaction_log(dataset.events), 1)
    assert len(windows) > 0
    for history, targets in zip(windows.history, windows.targets, strict=True):
        assert len(set(targets.tolist())) == 4 and not set(targets.tolist()) & set(history.tolist())


def test_training_lowers_loss_and_shapes(trained: tuple[Mercatran, Dataset, np.ndarray]) -> None:
    model, dataset, _ = trained
    log = model.training_log
    assert log["epochs"][-1]["loss"] < 0.7 * log["epochs"][0]["loss"]
    query = Query(history=dataset.events.item[:6].tolist(), history_actions=dataset.events.action[:6].tolist())
    users = model.user_vectors(query)
    assert users.shape == (4, 16) and users.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(users, axis=1), 1.0, rtol=1e-5)
    model.config.feed_back = "item"  # greedy decoding over listings: same shapes, step 1 unchanged, later steps move
    greedy = model.user_vectors(query)
    model.config.feed_back = "vector"
    np.testing.assert_allclose(greedy[0], users[0], atol=1e-6)
    assert greedy.shape == (4, 16) and not np.allclose(greedy[1:], users[1:], atol=1e-4)
    vectors = model.item_vectors(dataset.items)
    assert vectors.shape == (len(dataset.items), 16)
    candidates = dataset.items.item_id[:30]
    assert model.score_steps(query, candidates).shape == (4, 30)
    assert model.score(query, candidates).shape == (30,)


def test_users_are_recommended_their_topic(trained: tuple[Mercatran, Dataset, np.ndarray]) -> None:
    model, dataset, topic_of = trained
    topic_by_id = dict(zip(dataset.items.item_id.tolist(), topic_of.tolist(), strict=True))
    hits = []
    for u in range(1, 13):
        history = dataset.events.item[dataset.events.user == u][-10:]
        top = model.recommend(Query(history=history.tolist()), dataset.items.item_id, k=10)
        hits.append(np.mean([topic_by_id[i] == topic_by_id[int(history[-1])] for i in top]))
    assert np.mean(hits) > 0.8


def test_save_load_gives_identical_outputs(trained: tuple[Mercatran, Dataset, np.ndarray], tmp_path) -> None:
    model, dataset, _ = trained
    path = model.save(tmp_path / "mercatran.pt")
    loaded = load_recommender(path)
    assert isinstance(loaded, Mercatran) and loaded.name == "mercatran"
    query = Query(history=dataset.events.item[-8:].tolist(), history_actions=dataset.events.action[-8:].tolist())
    np.testing.assert_array_equal(loaded.user_vectors(query), model.user_vectors(query))
    np.testing.assert_array_equal(loaded.item_vectors(dataset.items), model.item_vectors(dataset.items))
    np.testing.assert_array_equal(loaded.score(query, dataset.items.item_id), model.score(query, dataset.items.item_id))


def test_new_listing_is_embedded_and_retrieved(trained: tuple[Mercatran, Dataset, np.ndarray]) -> None:
    # given a user whose history is camera lenses, and a camera lens listed after training
    model, dataset, topic_of = trained
    camera = dataset.items.item_id[topic_of == 1]
    new = ItemTable(
        item_id=np.array([10_001], dtype=np.int64),
        category=np.array([[2, 20, 200]], dtype=np.int64),
        brand=np.array([12], dtype=np.int64),
        product=np.zeros(1, dtype=np.int64),
        condition=np.ones(1, dtype=np.int64),
        price=np.array([99.0], dtype=np.float32),
        created_at=np.array([2e9]),
        titles=["leica vintage camera lens film"],
    )
    # when the new listing is embedded from content and ranked against the other topics' listings
    vector = model.item_vectors(new)
    others = dataset.items.item_id[topic_of != 1]
    pool = np.r_[others, 10_001]
    pool_vectors = np.r_[model.item_vectors(_subset(dataset.items, topic_of != 1)), vector]
    users = model.user_vectors(Query(history=camera[:8].tolist()))
    best = pool[np.argmax((users @ pool_vectors.T).max(axis=0))]
    # then it is the top item, and scoring by id works once the model is given its content
    assert vector.shape == (1, 16) and best == 10_001
    assert model.score(Query(history=camera[:8].tolist()), np.array([10_001]))[0] == -2.0  # unknown so far
    model.catalog_extend(new)
    assert model.recommend(Query(history=camera[:8].tolist()), pool, k=1) == [10_001]


def test_v1_trains_with_one_vector_and_evaluation_keys() -> None:
    dataset, _ = make_dataset(n_users=48)
    model = create_recommender("mercatran_v1", {**TINY, "epochs": 4})
    assert model.name == "mercatran_v1" and model.config.use_decoder is False
    log = model.fit(dataset)
    assert log["epochs"][-1]["loss"] < log["epochs"][0]["loss"]
    assert model.user_vectors(Query(history=dataset.events.item[:5].tolist())).shape == (1, 16)
    # the Table 5 layout on the same events (smoke: keys and ranges)
    metrics = evaluate_multistep(model, dataset, created_after=0.5)
    for key in ("recall@20", "step4/recall@20", "step1/category/recall@20", "step2/brand/ndcg@5", "diversity@20"):
        assert 0.0 <= metrics[key] <= max(1.0, metrics.get("diversity@20", 0.0))
    assert metrics["step1/category/recall@20"] >= metrics["recall@20"]


def _subset(items: ItemTable, mask: np.ndarray) -> ItemTable:
    return ItemTable(
        item_id=items.item_id[mask],
        category=items.category[mask],
        brand=items.brand[mask],
        product=items.product[mask],
        condition=items.condition[mask],
        price=items.price[mask],
        created_at=items.created_at[mask],
        titles=[t for t, keep in zip(items.titles, mask, strict=True) if keep],
    )


def test_interaction_log_removes_consecutive_repeats() -> None:
    dataset, _ = make_dataset(n_users=6)
    deduped = interaction_log(dataset.events)
    same = (deduped.user[1:] == deduped.user[:-1]) & (deduped.item[1:] == deduped.item[:-1])
    same &= deduped.action[1:] == deduped.action[:-1]
    assert len(deduped) < len(dataset.events) and not same.any()


# -- served end to end on the test database ----------------------------------------------------------------------
@pytest.fixture
def served_mercatran(tmp_path, settings):
    """A tiny Mercatran trained on topic-loyal users of the test database and activated like `train` does."""
    settings.RECOMMENDER_ARTIFACTS_DIR = tmp_path
    rng = np.random.default_rng(0)
    topics = []  # (brand, leaf category, listings)
    for t, (_, _, words) in enumerate(TOPICS):
        brand = BrandFactory(name=f"{words[0].title()} Co")
        c0, c1, c2 = category_path(f"Topic {t}", f"Group {t}", f"Leaf {t}")
        listings = [
            ListingFactory(title=" ".join(rng.choice(words, size=4, replace=False)), brand=brand, c0=c0, c1=c1, c2=c2)
            for _ in range(8)
        ]
        topics.append((brand, c2, listings))
    users = [UserFactory() for _ in range(18)]
    start = timezone.now() - timedelta(days=3)
    events = [
        Event(user=user, session_id=f"s{u}", listing=topics[u % len(TOPICS)][2][int(rng.integers(8))],
              action=EventAction.ITEM_VIEW, page="vip", created_at=start + timedelta(minutes=u * 20 + step))
        for u, user in enumerate(users) for step in range(12)
    ]  # fmt: skip
    Event.objects.bulk_create(events)
    trained_and_activated(tmp_path, "mercatran", {**TINY, "d": 64, "d_ff": 64, "epochs": 15})
    yield topics, users
    served_models_forget()


@pytest.mark.django_db(transaction=True)
def test_served_next_up_row_retrieves_a_listing_posted_after_training(served_mercatran, client) -> None:
    topics, users = served_mercatran
    # activation wrote every listing's vector
    assert Listing.objects.filter(mercatran_vector__isnull=False).count() == 6 * 8
    # given a camera listing posted after training: it is embedded at creation, from its content alone
    brand, leaf, cameras = topics[1]
    new = listing_create(seller=UserFactory(), title="leica rangefinder camera lens", price=99, category=leaf,
                         brand=brand)
    new.refresh_from_db()
    assert new.mercatran_vector is not None
    # when a camera user views one more camera, the near-real-time task stores their 4 step vectors
    viewer = users[1]
    event_record(user=viewer, session_id="live", listing_id=cameras[0].pk, action=EventAction.ITEM_VIEW)
    stored = np.asarray(UserVectors.objects.get(user=viewer, space="mercatran").vectors)
    assert stored.shape == (4, 64)
    # then the homepage's "next up" row is Mercatran's and holds the new listing (the other cameras are seen)
    client.force_login(viewer)
    rows = client.get(reverse("api-home"), {"k": 6}).json()["rows"]
    next_up = [row for row in rows if row["surface"] == "home_next_up"]
    assert len(next_up) == 1 and next_up[0]["recommender"] == "mercatran"
    assert new.pk in [item["id"] for item in next_up[0]["items"]]
    # a worker that loaded the checkpoint before the listing existed reads it from the database when the listing
    # shows up in a history, instead of dropping it
    served_models_forget()
    assert served_model("mercatran")[1].unknown_items([new.pk]) == [new.pk]
    event_record(user=viewer, session_id="live", listing_id=new.pk, action=EventAction.ITEM_VIEW)
    assert served_model("mercatran")[1].unknown_items([new.pk]) == []


def test_multistep_protocol_scores_vector_models_and_baselines_and_writes_table5(
    trained: tuple[Mercatran, Dataset, np.ndarray], tmp_path
) -> None:
    from recommender.evaluation.protocols import evaluate_model
    from recommender.evaluation.report import write_report
    from recommender.evaluation.split import time_split_dataset

    model, dataset, _ = trained
    train, test, _ = time_split_dataset(dataset, test_fraction=0.3)
    popularity = create_recommender("popularity")
    popularity.fit(train)
    results = {name: evaluate_model(m, train, test, protocol="multistep") for name, m in
               (("mercatran", model), ("popularity", popularity))}
    for metrics in results.values():
        assert metrics["n_predictions"] > 0
        assert 0.0 <= metrics["recall@20"] <= metrics["step1/category/recall@20"] <= 1.0
        assert {"step4/ndcg@5", "step3/brand/recall@5", "diversity@20", "new_items@20"} <= set(metrics)
    # a baseline has one ranking: every step retrieves the same list, so the merged row is that list
    assert results["popularity"]["diversity@20"] == results["popularity"]["step1/diversity@20"]
    # the topic-loyal users' next items are found by Mercatran, not by popularity
    assert results["mercatran"]["recall@20"] > results["popularity"]["recall@20"]
    paths = write_report(tmp_path, {"dataset": "synthetic", "protocol": "multistep", "models": results})
    report = paths["report"].read_text()
    assert "Table 5 layout" in report and "| category | 1 |" in report and paths["steps_plot"].stat().st_size > 0
