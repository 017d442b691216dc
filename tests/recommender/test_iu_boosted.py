"""IU-Boosted Network (IU4Rec 4.2) and its DNN / DIN bases: batches, exact padding, training, checkpoints."""

from __future__ import annotations

import copy
import dataclasses
import json

import numpy as np
import pytest
import torch

import recommender.nets.iu_boosted  # noqa: F401  (registers iu_boosted, din, dnn)
from recommender.base import Query
from recommender.data import ACTION_CODE, Dataset, EventLog, ItemTable
from recommender.evaluation.ctr_splits import ctr_report_write, evaluate_ctr, format_ctr_table
from recommender.nets.iu_boosted.features import (
    CONTENT_FEATURES,
    UNIT_COUNTER_ACTIONS,
    UNIT_WINDOWS,
    CTRFeaturizer,
    content_similarity,
    unit_day_table,
)
from recommender.nets.iu_boosted.network import IUBoostedConfig, IUBoostedNet
from recommender.nets.iu_boosted.samples import CTRBatch, assemble_samples, build_ctr_samples, merge_click_history
from recommender.registry import create_recommender, load_recommender

DAY = 86400.0
TINY = {
    "embed_dim": 4,
    "attention_dim": 8,
    "heads": 2,
    "mlp": (16, 8),
    "batch_size": 128,
    "epochs": 4,
    "patience": 10,
    "min_count": 1,
    "item_min_count": 1,
    "lr": 1e-2,
}



@pytest.fixture(scope="module")
def split_market() -> tuple[Dataset, Dataset]:
    return _split(_market(), 5 * DAY)


@pytest.fixture(scope="module")
def fitted(split_market) -> dict[str, tuple]:
    """Each registered variant trained once on the tiny market: name -> (model, training log)."""
    train, valid = split_market
    out = {}
    for name in ("dnn", "din", "iu_boosted"):
        model = create_recommender(name, TINY)
        out[name] = (model, model.fit(train, valid))
    return out


def _market(seed: int = 0, n_users: int = 24, n_items: int = 80, n_units: int = 6, days: float = 6.0) -> Dataset:
    """Users who click the items of their favourite interest unit; a third of the items belong to no unit."""
    rng = np.random.default_rng(seed)
    unit = np.where(rng.random(n_items) < 0.67, rng.integers(1, n_units + 1, n_items), 0)
    items = ItemTable(
        item_id=np.arange(100, 100 + n_items, dtype=np.int64),
        category=np.stack([np.ones(n_items), np.ones(n_items), 10 + unit % 3], axis=1).astype(np.int64),
        brand=(20 + unit % 2).astype(np.int64),
        product=(30 + unit).astype(np.int64),
        condition=rng.integers(1, 7, n_items).astype(np.int64),
        price=rng.uniform(5, 100, n_items).astype(np.float32),
        created_at=np.zeros(n_items),
        interest_unit=np.where(unit > 0, 500 + unit, 0).astype(np.int64),
    )
    directions = rng.normal(size=(n_units + 1, 16))  # text vectors: near their unit's direction
    vectors = directions[unit] + 0.7 * rng.normal(size=(n_items, 16))
    items.text_vector = (vectors / np.linalg.norm(vectors, axis=1, keepdims=True)).astype(np.float32)
    favourite = rng.integers(1, n_units + 1, n_users)
    rows: list[tuple[int, int, int, float, int, bool]] = []  # user, item, action, timestamp, request, clicked
    for request in range(n_users * 12):
        user = int(rng.integers(n_users))
        t = float(rng.uniform(0, days * DAY))
        for item_row in rng.choice(n_items, 5, replace=False):
            click = rng.random() < (0.8 if unit[item_row] == favourite[user] else 0.03)
            rows.append((user, 100 + int(item_row), ACTION_CODE["impression"], t, request, bool(click)))
            if click:
                rows.append((user, 100 + int(item_row), ACTION_CODE["item_view"], t + 5.0, request, False))
    rows.sort(key=lambda r: r[3])
    columns = list(zip(*rows, strict=True))
    n = len(rows)
    events = EventLog(
        user=np.asarray(columns[0], np.int64),
        session=np.asarray(columns[4], np.int64),
        item=np.asarray(columns[1], np.int64),
        action=np.asarray(columns[2], np.int8),
        timestamp=np.asarray(columns[3], np.float64),
        request=np.asarray(columns[4], np.int64),
        clicked=np.asarray(columns[5], bool),
        surface=np.ones(n, np.int8),
        position=np.full(n, -1, np.int16),
    )
    counted = unit_day_table(events, items)  # statistics as of the end of the market, in the stored layout
    unit_features = {int(u): counted.stats[-1, j] for j, u in enumerate(counted.units)}
    return Dataset(events, items, "tiny", unit_features)


def _split(dataset: Dataset, at: float) -> tuple[Dataset, Dataset]:
    events = dataset.events
    before, after = events.timestamp < at, events.timestamp >= at
    return (
        dataclasses.replace(dataset, events=events.select(before)),
        dataclasses.replace(dataset, events=events.select(after)),
    )


def _samples(dataset: Dataset, **kwargs):
    return build_ctr_samples(dataset, CTRFeaturizer.fit(dataset, min_count=1), content=True, **kwargs)


def _net(config: dict, samples) -> IUBoostedNet:
    torch.manual_seed(0)
    featurizer_sizes = {"item": 200, "product": 50, "c2": 20, "brand": 30, "condition": 8, "unit": 12}
    net = IUBoostedNet(IUBoostedConfig(**{**TINY, **config}), featurizer_sizes, samples.unit_table.shape[-1])
    return net.eval()


def _pad(batch: CTRBatch, extra_positions: int = 3, extra_units: int = 2, extra_items: int = 1) -> CTRBatch:
    """The same batch with padded (mask False) positions appended, filled with arbitrary valid indices."""
    g = torch.Generator().manual_seed(1)
    b, length = batch.hist_item.shape
    _, u, k = batch.unit_item_pos.shape

    def grow(x: torch.Tensor, dim: int, extra: int, high: int | None) -> torch.Tensor:
        shape = list(x.shape)
        shape[dim] = extra
        if x.dtype == torch.bool:
            fill = torch.zeros(shape, dtype=torch.bool)
        elif x.dtype.is_floating_point:
            fill = torch.randn(shape, generator=g) * 5
        else:
            fill = torch.randint(0, high or 2, shape, generator=g)
        return torch.cat([x, fill], dim=dim)

    fields = {f.name: getattr(batch, f.name) for f in dataclasses.fields(batch)}
    for name in ("hist_item", "hist_product", "hist_c2", "hist_brand", "hist_condition", "hist_price", "hist_unit"):
        fields[name] = grow(fields[name], 1, extra_positions, 8)
    fields["hist_mask"] = grow(fields["hist_mask"], 1, extra_positions, None)
    new_length = length + extra_positions
    for name in (
        "unit_seq_unit",
        "unit_seq_features",
        "unit_seq_count",
        "unit_seq_mask",
        "unit_item_pos",
        "unit_item_mask",
    ):
        fields[name] = grow(fields[name], 1, extra_units, 8 if name == "unit_seq_unit" else new_length)
    for name in ("unit_item_pos", "unit_item_mask"):
        fields[name] = grow(fields[name], 2, extra_items, new_length)
    return CTRBatch(**fields)


def test_history_is_the_users_clicks_strictly_before_within_the_window():
    # given
    dataset = _market()
    samples = _samples(dataset, max_history=4, window_days=2.0)
    events = dataset.events
    is_click = events.action == ACTION_CODE["item_view"]
    batch = samples.batch(np.arange(len(samples)))
    featurizer = CTRFeaturizer.fit(dataset, min_count=1)
    # then: every impression's history equals a brute-force scan of the log
    for row in range(0, len(samples), 7):
        user, t = samples.user[row], samples.timestamp[row]
        mine = is_click & (events.user == user) & (events.timestamp < t) & (events.timestamp >= t - 2 * DAY)
        expected = featurizer.vocabularies["item"].lookup(events.item[mine][-4:])
        got = batch.hist_item[row][batch.hist_mask[row]].numpy()
        np.testing.assert_array_equal(got, expected)


def test_batch_shapes_and_hierarchical_sequence():
    dataset = _market()
    samples = _samples(dataset, max_units=3, max_unit_items=2)
    rows = np.arange(min(50, len(samples)))
    batch = samples.batch(rows)
    b, length = batch.hist_item.shape
    _, u, k = batch.unit_item_pos.shape
    assert b == len(rows) and u <= 3 and k <= 2
    assert batch.target_unit_features.shape == (b, samples.unit_table.shape[-1])
    assert batch.unit_seq_features.shape == (b, u, samples.unit_table.shape[-1])
    assert batch.cross_features.shape == (b, 2)
    # each slot's clicks are real clicks in that slot's unit
    for row in range(b):
        for slot in range(u):
            if not batch.unit_seq_mask[row, slot]:
                assert not batch.unit_item_mask[row, slot].any()
                continue
            positions = batch.unit_item_pos[row, slot][batch.unit_item_mask[row, slot]]
            assert len(positions) >= 1
            assert batch.hist_mask[row, positions].all()
            assert (batch.hist_unit[row, positions] == batch.unit_seq_unit[row, slot]).all()
    for name in ("dnn", "din", "iu_boosted"):
        config = {"dnn": {"use_units": False, "use_attention": False}, "din": {"use_units": False}, "iu_boosted": {}}
        assert _net(config[name], samples)(batch).shape == (b,)


@pytest.mark.parametrize("config", [{"use_units": False, "use_attention": False}, {"use_units": False}, {}])
def test_padded_positions_change_nothing(config):
    # given
    dataset = _market()
    samples = _samples(dataset)
    batch = samples.batch(np.arange(len(samples) - 40, len(samples)))
    net = _net(config, samples)
    # when
    with torch.no_grad():
        plain, padded = net(batch), net(_pad(batch))
    # then
    torch.testing.assert_close(padded, plain, rtol=0, atol=1e-5)


@pytest.mark.parametrize("config", [{"use_units": False, "use_attention": False}, {"use_units": False}, {}])
def test_all_padding_history_is_finite(config):
    dataset = _market()
    samples = _samples(dataset)
    batch = samples.batch(np.arange(10))
    fields = {f.name: getattr(batch, f.name) for f in dataclasses.fields(batch)}
    for name in ("hist_mask", "unit_seq_mask", "unit_item_mask"):
        fields[name] = torch.zeros_like(fields[name])
    empty = CTRBatch(**fields)
    net = _net(config, samples)
    with torch.no_grad():
        out = net(empty)
        padded_out = net(_pad(empty))
    assert torch.isfinite(out).all()
    torch.testing.assert_close(padded_out, out, rtol=0, atol=1e-5)
    # and the first impressions of the log really have no history
    assert samples.hist_end[0] == samples.hist_start[0]


@pytest.mark.parametrize("name", ["dnn", "din", "iu_boosted"])
def test_tiny_training_lowers_the_loss(name, fitted, split_market):
    # given a model trained for 4 epochs on the tiny market (the `fitted` fixture)
    model, log = fitted[name]
    train, valid = split_market
    # then
    losses = [epoch["loss"] for epoch in log["epochs"]]
    assert len(losses) == TINY["epochs"]
    assert losses[-1] < losses[0]
    assert log["best_valid_auc"] > 0.6  # users click their favourite unit: every variant learns some of it
    samples, probabilities = model.predict_impressions(valid, history=train.events)
    assert ((probabilities > 0) & (probabilities < 1)).all()
    assert len(probabilities) == len(samples)


def test_save_and_load_give_identical_outputs(tmp_path, fitted, split_market):
    # given
    train, valid = split_market
    model, _ = fitted["iu_boosted"]
    query = Query(
        user_id=1,
        history=[101, 102, 105, 107],
        history_actions=[ACTION_CODE["item_view"]] * 3 + [ACTION_CODE["item_like"]],
        history_timestamps=[1.0, 2.0, 3.0, 4.0],
        timestamp=10.0,
    )
    candidates = np.arange(100, 180)
    # when
    loaded = load_recommender(model.save(tmp_path / "iu.pt"))
    # then
    assert loaded.name == "iu_boosted" and loaded.config == model.config
    np.testing.assert_array_equal(loaded.score(query, candidates), model.score(query, candidates))
    _, before = model.predict_impressions(valid, history=train.events)
    _, after = loaded.predict_impressions(valid, history=train.events)
    np.testing.assert_array_equal(after, before)


def test_catalog_extend_scores_a_new_listing_through_its_interest_unit(fitted, split_market):
    train, _ = split_market
    model = copy.deepcopy(fitted["iu_boosted"][0])
    query = Query(user_id=1, history=[101, 102], history_actions=[ACTION_CODE["item_view"]] * 2)
    unknown = model.score(query, np.array([9999]))
    items = train.items
    new_listing = ItemTable(
        item_id=np.array([9999]),
        category=items.category[:1],
        brand=items.brand[:1],
        product=items.product[:1],
        condition=items.condition[:1],
        price=items.price[:1],
        created_at=np.array([7 * DAY]),
        interest_unit=np.array([501]),
    )
    model.catalog_extend(new_listing)
    known = model.score(query, np.array([9999, 100]))
    assert known.shape == (2,) and np.isfinite(known).all()
    assert known[0] != unknown[0]


def test_evaluate_ctr_reports_table_2(fitted, split_market):
    train, test = split_market
    models = {name: fitted[name][0] for name in ("din", "iu_boosted")}
    result = evaluate_ctr(models, test, history=train.events, new_items_after=-1.0)
    assert result["base"] == "din"
    assert set(result["impressions"]) == {
        "overall", "interest_unit", "normal", "iu_surface", "unit_in_history", "unit_new_to_user", "new_items",
        "old_items", "new_in_sold_units",
    }
    n = result["impressions"]
    assert n["interest_unit"] + n["normal"] == n["overall"] == n["new_items"]
    assert n["old_items"] == 0
    assert n["unit_in_history"] + n["unit_new_to_user"] == n["overall"] and n["unit_in_history"] > 0
    assert n["iu_surface"] == 0  # the tiny market logs every impression on the homepage
    assert n["new_in_sold_units"] == 0  # nothing sold in it
    assert result["models"]["din"]["overall"]["auc_ri"] == pytest.approx(0.0)
    assert 0.0 <= result["models"]["iu_boosted"]["overall"]["auc"] <= 1.0
    assert "iu_boosted" in format_ctr_table(result)


def test_limited_stock_split_takes_new_listings_in_units_that_sold(fitted, split_market, tmp_path):
    # given: one listing of unit 501 sold in the training period, and the test impressions logged on the IU page
    train, test = split_market
    units = np.asarray(train.items.interest_unit)
    sold_item = int(train.items.item_id[np.flatnonzero(units == 501)[0]])
    buy = EventLog(
        user=np.array([0]), session=np.array([0]), item=np.array([sold_item]),
        action=np.array([ACTION_CODE["buy_comp"]], np.int8), timestamp=np.array([-5.0]),
        request=np.array([-1]), clicked=np.array([False]), surface=np.array([5], np.int8),
        position=np.array([-1], np.int16),
    )
    history = EventLog(**{
        f.name: np.concatenate([getattr(train.events, f.name), getattr(buy, f.name)])
        for f in dataclasses.fields(EventLog) if getattr(buy, f.name) is not None
    })
    on_iu_page = dataclasses.replace(test, events=dataclasses.replace(
        test.events, surface=np.full(len(test.events), 3, np.int8)))
    models = {name: fitted[name][0] for name in ("din", "iu_boosted")}
    # when
    result = evaluate_ctr(models, on_iu_page, history=history, new_items_after=-1.0)
    by_surface = evaluate_ctr(models, on_iu_page, history=history, split_by="surface")
    # then
    samples, _ = models["din"].predict_impressions(on_iu_page, history=history)
    in_501 = np.isin(samples.item_id, train.items.item_id[units == 501])
    assert result["impressions"]["new_in_sold_units"] == int(in_501.sum()) > 0
    assert result["impressions"]["iu_surface"] == result["impressions"]["overall"]
    assert by_surface["impressions"]["interest_unit"] == by_surface["impressions"]["overall"]


def test_ctr_report_write_appends_table_2(fitted, split_market, tmp_path):
    train, test = split_market
    (tmp_path / "report.md").write_text("# ctr\n")
    models = {name: fitted[name][0] for name in ("dnn", "din", "iu_boosted")}
    paths = ctr_report_write(tmp_path, models, train, test, split_time=5 * DAY)
    report = (tmp_path / "report.md").read_text()
    assert report.startswith("# ctr") and "## Table 2 layout" in report
    assert "| iu_boosted |" in report and "| din | " in report
    assert paths["table2_png"].stat().st_size > 0
    saved = json.loads(paths["table2_json"].read_text())
    assert saved["models"]["din"]["overall"]["auc_ri"] == pytest.approx(0.0)


def test_shared_history_shortcut_matches_the_full_computation(fitted):
    # given one viewer's history and many candidates (how serving scores), as a plain batch
    model, _ = fitted["iu_boosted"]
    clicks = np.array([101, 102, 105, 107, 130, 131])
    candidates = np.arange(100, 180)
    samples = assemble_samples(
        model.featurizer, model.catalog, model.unit_features,
        user=np.zeros(len(candidates), np.int64), request=np.full(len(candidates), -1),
        timestamp=np.zeros(len(candidates)), item_id=candidates, label=np.zeros(len(candidates), np.float32),
        click_item=clicks, hist_start=np.zeros(len(candidates), np.int64),
        hist_end=np.full(len(candidates), len(clicks), np.int64), max_units=30, max_unit_items=5, content=True,
    )
    batch = samples.batch(np.arange(len(candidates)))
    # when / then: projecting the history once and broadcasting it changes nothing
    full = model.predict_ctr(batch, shared_history=False)
    shared = model.predict_ctr(batch, shared_history=True)
    np.testing.assert_allclose(shared, full, rtol=0, atol=1e-6)
    assert len(np.unique(full.round(6))) > 1


def test_unit_statistics_are_an_input_only_when_configured(split_market):
    train, valid = split_market
    with_stats = create_recommender("iu_boosted", {**TINY, "epochs": 1, "unit_stats": True})
    without = create_recommender("iu_boosted", {**TINY, "epochs": 1})
    with_stats.fit(train, valid)
    without.fit(train, valid)
    # 14 statistics (6 counters x the 1 / 7-day windows + 2 CTRs) + the has-statistics flag, vs the flag alone
    assert with_stats.featurizer.unit_dim == 15 and without.featurizer.unit_dim == 1
    samples, _ = with_stats.predict_impressions(valid, history=train.events)
    assert samples.unit_table[:, 1:, -1].all()  # every unit of the tiny market has statistics
    # but no training day of the 5-day market has a complete 7-day window, so training reads none
    assert not with_stats.training_samples(train).unit_table[..., -1].any()
    one_day = create_recommender("iu_boosted", {**TINY, "unit_stats": True, "unit_windows": (1,)})
    one_day.featurizer = with_stats.featurizer
    assert one_day.training_samples(train).unit_table[1:, :, -1].any()
    samples, _ = without.predict_impressions(valid, history=train.events)
    assert not samples.unit_table[..., -1].any()
    # serving refreshes statistics only for a model that reads them
    fresh = {501: np.full(21, 3.0, np.float32)}
    without.set_unit_features(fresh)
    with_stats.set_unit_features(fresh)
    assert 501 not in without.unit_features and with_stats.unit_features[501][0] == 3.0


def test_training_impressions_read_unit_statistics_from_the_days_before_theirs(split_market):
    # given a model trained with the 1-day unit statistics on 5 days of the tiny market
    train, _ = split_market
    model = create_recommender("iu_boosted", {**TINY, "epochs": 1, "unit_stats": True, "unit_windows": (1,)})
    model.fit(train)
    events, items = train.events, train.items
    # when the training impressions are built as fit builds them
    samples = model.training_samples(train)
    batch = samples.batch(np.arange(len(samples)))
    # then each impression's target-unit statistics are the counts of its unit's events on the day before its day
    # (brute force), never its own day's: its own click is not in its unit's CTR; the first day has none (its
    # 1-day window reaches before the data)
    unit_of = dict(zip(items.item_id.tolist(), items.interest_unit.tolist(), strict=True))
    event_unit = np.array([unit_of.get(int(i), 0) for i in events.item])
    event_day = np.floor(events.timestamp / DAY)
    codes = [ACTION_CODE[a] for a in UNIT_COUNTER_ACTIONS]
    checked = own_day_clicks = first_day = 0
    for row in np.flatnonzero(samples.in_unit)[::7]:
        unit, day = unit_of[int(samples.item_id[row])], np.floor(samples.timestamp[row] / DAY)
        if day == event_day.min():
            assert not batch.target_unit_features[row].any()
            first_day += 1
            continue
        counts = []
        for window in UNIT_WINDOWS:
            mine = (event_unit == unit) & (event_day < day) & (event_day >= day - window)
            counts.append([np.sum(mine & (events.action == code)) for code in codes])
        counts = np.array(counts, np.float64)  # (W, C)
        ctr = np.where(counts[:, 0] > 0, counts[:, 1] / np.maximum(counts[:, 0], 1), 0.0)
        expected = model.featurizer.scale_unit_stats(np.r_[counts.ravel(), ctr], np.array(counts[-1].sum() > 0))
        np.testing.assert_allclose(batch.target_unit_features[row].numpy(), expected, atol=1e-5)
        own_day_clicks += int(np.sum((event_unit == unit) & (event_day == day) & (events.action == codes[1])) > 0)
        checked += 1
    assert checked > 20 and own_day_clicks > 10 and first_day > 0  # the check bites: most units had clicks that day
    # and prediction (test / serving) reads the statistics as of the split, the same for every impression
    samples, _ = model.predict_impressions(train)
    assert samples.unit_table.shape[0] == 1 and not samples.unit_day.any()


def test_unit_statistics_layout_is_the_stored_counters_layout():
    from interest_units.services.stats import ACTION_COUNTER
    from recommender.dataset_db import UNIT_COUNTERS, UNIT_FEATURES
    from recommender.dataset_db import UNIT_WINDOWS as STORED_WINDOWS

    assert UNIT_WINDOWS == STORED_WINDOWS
    assert [ACTION_COUNTER[a] for a in UNIT_COUNTER_ACTIONS] == list(UNIT_COUNTERS)
    table = unit_day_table(_market().events, _market().items)
    assert table.stats.shape[2] == len(UNIT_FEATURES)


def test_content_similarity_is_the_cosine_to_the_profile_the_best_and_the_last_click():
    # given 4 listings with 2-d text vectors (the last has none) and three histories
    items = ItemTable.ids_only(np.array([10, 11, 12, 13]))
    items.text_vector = np.array([[1, 0], [0, 2], [3, 3], [0, 0]], np.float32)
    clicks = np.array([10, 11, 13, 12])
    # when impressions of 11 (history 10, 11), 10 (history 10, 11, 13, 12), 12 (no history), 13 (no vector)
    out = content_similarity(items, np.array([11, 10, 12, 13]), clicks, np.array([0, 0, 0, 0]), np.array([2, 4, 0, 2]))
    # then
    assert out.shape == (4, CONTENT_FEATURES)
    half = 1 / np.sqrt(2)
    np.testing.assert_allclose(out[0], [half, 1.0, 1.0, 1.0], atol=1e-6)  # profile (1, 1) / sqrt 2
    # profile = mean of (1, 0), (0, 1), (0.71, 0.71) (13 has no vector); last click 12 is at 45 degrees
    profile = np.array([1 + half, 1 + half]) / np.linalg.norm([1 + half, 1 + half])
    np.testing.assert_allclose(out[1], [profile[0], 1.0, half, 1.0], atol=1e-6)
    np.testing.assert_array_equal(out[2:], 0.0)  # no history / no target vector: all zero
    # one history shared by every target (how serving calls it) equals each target with its own copy of it
    targets = np.array([10, 11, 12, 13])
    shared = content_similarity(items, targets, clicks, np.zeros(4, np.int64), np.full(4, 4))
    copies = content_similarity(items, targets, np.tile(clicks, 4), np.arange(4) * 4, np.arange(4) * 4 + 4)
    np.testing.assert_allclose(shared, copies, atol=1e-6)
    assert shared[:3, 3].all() and shared[3, 3] == 0.0


def test_content_similarity_model_scores_serving_and_impressions_alike(tmp_path, split_market):
    # given a DIN with the content features, trained on the tiny market
    train, valid = split_market
    model = create_recommender("din", {**TINY, "epochs": 1, "content_sim": True})
    model.fit(train, valid)
    samples, predicted = model.predict_impressions(valid, history=train.events)
    assert samples.content.shape == (len(samples), CONTENT_FEATURES) and samples.content[:, 3].mean() > 0.5
    # when one impression is scored the way serving scores it (a Query of the user's clicks), and after a reload
    row = int(np.flatnonzero(samples.hist_end - samples.hist_start > 2)[0])
    user, item, ts = merge_click_history(train.events, valid.events)
    mine = (user == samples.user[row]) & (ts < samples.timestamp[row])
    history = item[mine][np.argsort(ts[mine], kind="stable")][-(samples.hist_end[row] - samples.hist_start[row]):]
    query = Query(user_id=int(samples.user[row]), history=history.tolist(), timestamp=float(samples.timestamp[row]))
    served = model.score(query, np.array([samples.item_id[row]]))
    loaded = load_recommender(model.save(tmp_path / "din.pt"))
    # then the same inputs give the same probability, and the reloaded catalog keeps the text vectors
    assert served[0] == pytest.approx(predicted[row], abs=1e-4)
    assert loaded.catalog.text_vector is not None
    assert loaded.score(query, np.array([samples.item_id[row]]))[0] == pytest.approx(served[0], abs=1e-3)


def test_unit_weight_decay_shrinks_only_the_interest_unit_components(split_market):
    # given the same fit with and without the extra L2 on the IU components
    train, valid = split_market
    norms = {}
    for decay in (0.0, 1.0):
        model = create_recommender("iu_boosted", {**TINY, "epochs": 1, "unit_weight_decay": decay})
        model.fit(train, valid)
        net = model.net
        norms[decay] = float(net.unit_embedding.weight.detach().norm()), float(net.mlp[0].weight.detach().norm())
    # then the unit embedding ends smaller, the MLP (shared with DIN) about the same
    assert norms[1.0][0] < 0.8 * norms[0.0][0], norms
    assert abs(norms[1.0][1] - norms[0.0][1]) < 0.1 * norms[0.0][1]


@pytest.mark.parametrize("kind", ["spu", "semantic"])
def test_unit_kind_chooses_the_unit_the_model_reads(kind, split_market):
    # given items whose SPU units are the market's units and whose primary units are another grouping
    train, _ = split_market
    items = train.items
    spu = items.interest_unit.copy()
    primary = np.where(spu > 0, 600 + items.item_id % 3, 0).astype(np.int64)
    train = dataclasses.replace(train, items=dataclasses.replace(items, interest_unit=primary, spu_unit=spu))
    model = create_recommender("iu_boosted", {**TINY, "epochs": 1, "unit_kind": kind})
    # when
    model.fit(train)
    # then the vocabulary, the catalog and the samples hold the chosen kind; the other kind is out of vocabulary
    read, other = (spu, primary) if kind == "spu" else (primary, spu)
    np.testing.assert_array_equal(model.catalog.interest_unit, read)
    assert (model.featurizer.unit_index(read[read > 0]) > 1).all()
    assert (model.featurizer.unit_index(other[other > 0]) == 1).all()  # UNIT_UNKNOWN
    samples = model.build_samples(train)
    rows = np.searchsorted(items.item_id, samples.item_id)
    np.testing.assert_array_equal(samples.target["unit"], model.featurizer.unit_index(read[rows]))


def test_a_checkpoint_from_before_unit_kind_reads_its_primary_units(fitted, split_market):
    train, valid = split_market
    model, _ = fitted["iu_boosted"]
    state = model.state()
    del state["catalog"]["spu_unit"]  # the layout before `unit_kind`
    loaded = create_recommender("iu_boosted", TINY)
    loaded.load_state(state)
    assert loaded.config.unit_kind == "semantic"
    _, before = model.predict_impressions(valid, history=train.events)
    _, after = loaded.predict_impressions(valid, history=train.events)
    np.testing.assert_array_equal(after, before)
