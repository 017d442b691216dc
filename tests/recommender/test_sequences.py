import numpy as np

from recommender.data import ACTION_CODE, EventLog
from recommender.sequences import (
    DAY,
    dedup_consecutive,
    home_samples,
    impression_groups,
    pad_histories,
    session_sequences,
    time_split,
    user_sequences,
    vip_samples,
)

VIEW = ACTION_CODE["item_view"]
LIKE = ACTION_CODE["item_like"]
IMPRESSION = ACTION_CODE["impression"]
SEARCH = ACTION_CODE["search"]


def make_log(rows, request=None, clicked=None, surface=None) -> EventLog:
    """rows: (user, session, item, action, timestamp)."""
    user, session, item, action, ts = (np.array(c) for c in zip(*rows, strict=True))
    return EventLog(
        user=user.astype(np.int64),
        session=session.astype(np.int64),
        item=item.astype(np.int64),
        action=action.astype(np.int8),
        timestamp=ts.astype(np.float64),
        request=None if request is None else np.array(request, dtype=np.int64),
        clicked=None if clicked is None else np.array(clicked, dtype=bool),
        surface=None if surface is None else np.array(surface, dtype=np.int8),
    )


def test_dedup_drops_only_repeats_of_the_same_users_previous_event():
    log = make_log(
        [
            (1, 10, 5, VIEW, 0),
            (2, 20, 5, VIEW, 1),  # another user in between does not break user 1's repeat
            (1, 10, 5, VIEW, 2),  # repeat: dropped
            (1, 10, 5, LIKE, 3),  # other action: kept
            (1, 10, 5, VIEW, 4),  # previous event was a like: kept
            (2, 20, 6, VIEW, 5),
        ]
    )
    kept = dedup_consecutive(log)
    assert kept.timestamp.tolist() == [0, 1, 3, 4, 5]


def test_user_and_session_sequences_are_oldest_first_without_impressions():
    log = make_log(
        [
            (1, 10, 5, VIEW, 3),
            (1, 11, 6, VIEW, 1),
            (1, 10, 7, IMPRESSION, 2),
            (2, 20, 8, VIEW, 0),
            (1, 10, -1, SEARCH, 4),
            (1, 10, 9, LIKE, 5),
        ]
    )
    by_user = user_sequences(log)
    assert by_user.as_lists() == {1: [6, 5, 9], 2: [8]}
    by_session = session_sequences(log)
    assert by_session.as_lists() == {10: [5, 9], 11: [6], 20: [8]}
    assert session_sequences(log, min_length=2).as_lists() == {10: [5, 9]}
    assert session_sequences(log, actions=None).as_lists()[10] == [7, 5, 9]  # search has no item


def test_time_split_by_quantiles():
    log = make_log([(1, i, i, VIEW, i) for i in range(10)])
    train, valid, test = time_split(log, valid_fraction=0.2, test_fraction=0.2)
    assert train.timestamp.tolist() == [0, 1, 2, 3, 4, 5]
    assert valid.timestamp.tolist() == [6, 7]
    assert test.timestamp.tolist() == [8, 9]


def test_time_split_can_keep_sessions_whole():
    log = make_log([(1, 0 if i < 5 else 1 + i, i, VIEW, i) for i in range(10)])
    train, valid, test = time_split(log, valid_fraction=0.0, test_fraction=0.5, whole_sessions=True)
    assert set(train.session.tolist()).isdisjoint(test.session.tolist())
    assert len(train) + len(valid) + len(test) == 10
    assert 0 in train.session


def test_vip_samples_pair_each_prefix_with_the_next_click():
    log = make_log(
        [
            (1, 10, 1, VIEW, 0),
            (1, 10, 2, VIEW, 1),
            (1, 10, 2, VIEW, 2),  # re-view of the same page: skipped as a target
            (1, 10, 3, LIKE, 3),  # not a click target, but history
            (1, 10, 4, VIEW, 4),
            (1, 11, 9, VIEW, 5),  # a one-event session gives nothing
        ]
    )
    samples = vip_samples(log)
    assert samples.target.tolist() == [2, 4]
    assert [samples.history(i).tolist() for i in range(len(samples))] == [[1], [1, 2, 2, 3]]
    items, actions, lengths = samples.padded(max_len=3)
    assert items.tolist() == [[-1, -1, 1], [2, 2, 3]]
    assert lengths.tolist() == [1, 3]
    assert actions[1].tolist() == [VIEW, VIEW, LIKE]


def test_home_samples_use_the_30_days_before_the_target_across_sessions():
    log = make_log(
        [
            (1, 10, 1, VIEW, 0 * DAY),
            (1, 11, 2, VIEW, 10 * DAY),
            (1, 12, 3, VIEW, 20 * DAY),
            (1, 13, 4, VIEW, 45 * DAY),
            (2, 20, 5, VIEW, 1 * DAY),
        ]
    )
    samples = home_samples(log)
    histories = {int(t): samples.history(i).tolist() for i, t in enumerate(samples.target)}
    assert histories == {2: [1], 3: [1, 2], 4: [3]}  # day 45 sees only day 20 (day 10 is 35 days back)


def test_home_samples_can_keep_targets_of_one_surface():
    log = make_log(
        [(1, 10, 1, VIEW, 0), (1, 10, 2, VIEW, 1), (1, 10, 3, VIEW, 2)],
        surface=[1, 2, 1],
    )
    samples = home_samples(log, target_surface=1)
    assert samples.target.tolist() == [3]


def test_impression_groups_with_labels_and_history_before_the_request():
    log = make_log(
        [
            (1, 10, 7, VIEW, 50),
            (1, 10, 1, IMPRESSION, 100),
            (1, 10, 2, IMPRESSION, 100),
            (1, 10, 1, VIEW, 101),
            (1, 10, 3, IMPRESSION, 200),
        ],
        request=[-1, 5, 5, 5, 6],
        clicked=[False, True, False, False, False],
    )
    groups = impression_groups(log)
    assert groups.request.tolist() == [5, 6]
    assert groups.offsets.tolist() == [0, 2, 3]
    assert groups.item.tolist() == [1, 2, 3]
    assert groups.label.tolist() == [True, False, False]
    history = [groups.history.item[s:e].tolist() for s, e in zip(groups.history_start, groups.history_end, strict=True)]
    assert history == [[7], [7, 1]]
    assert groups.row_user().tolist() == [1, 1, 1]


def test_impression_labels_are_derived_from_views_of_the_same_request():
    log = make_log(
        [(1, 10, 1, IMPRESSION, 0), (1, 10, 2, IMPRESSION, 0), (1, 10, 2, VIEW, 1)],
        request=[3, 3, 3],
    )
    assert impression_groups(log).label.tolist() == [False, True]


def test_pad_histories_truncates_to_the_newest():
    log = make_log([(1, 1, i, VIEW, i) for i in range(5)])
    seqs = user_sequences(log)
    items, _, lengths = pad_histories(seqs, np.array([0, 0]), np.array([5, 1]), max_len=3, pad=-7)
    assert items.tolist() == [[2, 3, 4], [-7, -7, 0]]
    assert lengths.tolist() == [3, 1]


def test_builders_handle_an_empty_log():
    log = make_log([(1, 1, 1, VIEW, 0)]).select(np.zeros(0, dtype=np.int64))
    assert len(user_sequences(log)) == 0
    assert len(vip_samples(log)) == 0
    assert len(home_samples(log)) == 0
    assert len(dedup_consecutive(log)) == 0
    assert len(impression_groups(log)) == 0
    assert [len(part) for part in time_split(log, 0.1, 0.1)] == [0, 0, 0]
