from pathlib import Path

import numpy as np
import pytest

from recommender.data import ACTION_CODE
from recommender.session_files import load_rees46, load_session_file, load_yoochoose

DATA = Path(__file__).resolve().parents[2].parent / "shared" / "data"
REES46_HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"


def test_yoochoose_loads_sessions_and_reports_bad_rows(tmp_path):
    path = tmp_path / "clicks.tsv"
    path.write_text(
        "SessionId\tItemId\tTime\n"
        "3\t11\t1396437466.9\n"
        "3\t12\t1396437400.0\n"  # earlier: events come back in time order
        "x\t13\t1396437500.0\n"  # line 4: bad session id
        "4\t13\n"  # line 5: missing field
        "\n"
        "4\t11\t1396437600.5\n"
    )

    dataset, report = load_yoochoose(path)

    assert report.rows_read == 5
    assert report.rows_loaded == 3
    assert report.bad_rows == 2
    assert [line for line, _ in report.examples] == [4, 5]
    events = dataset.events
    assert events.item.tolist() == [12, 11, 11]
    assert events.session.tolist() == [3, 3, 4]
    assert events.user.tolist() == events.session.tolist()
    assert set(events.action.tolist()) == {ACTION_CODE["item_view"]}
    assert dataset.items.item_id.tolist() == [11, 12]
    assert dataset.name == "clicks"


def test_rees46_maps_actions_splits_categories_and_skips_the_cut_last_line(tmp_path):
    path = tmp_path / "events.csv"
    rows = [
        REES46_HEADER,
        "2019-10-01 00:00:00 UTC,view,100,7,electronics.smartphone,samsung,400.00,1,aaa",
        "2019-10-01 00:00:05 UTC,cart,100,7,electronics.smartphone,samsung,410.50,1,aaa",
        "2019-10-01 00:00:09 UTC,remove_from_cart,100,7,electronics.smartphone,samsung,410.50,1,aaa",  # line 4
        "2019-10-01 00:01:00 UTC,purchase,200,8,,,12.00,2,bbb",
        "not a date,view,200,8,,,12.00,2,bbb",  # line 6
        "2019-10-01 00:02:00 UTC,view,300,9,appliances.kitchen.mixer.big,elenberg,25.71,2,bbb",
        "2019-10-01 00:03:00 UTC,view,200,8,,,12.00,2,b",  # cut off: no line end
    ]
    path.write_bytes(("\r\n".join(rows)).encode())

    dataset, report = load_rees46(path)

    assert report.rows_loaded == 4
    assert [line for line, _ in report.examples] == [4, 6, 8]
    assert "cut off" in report.examples[-1][1]
    events = dataset.events
    assert events.action.tolist() == [
        ACTION_CODE["item_view"],
        ACTION_CODE["item_add_to_cart_tap"],
        ACTION_CODE["buy_comp"],
        ACTION_CODE["item_view"],
    ]
    assert events.timestamp[0] == 1569888000.0  # 2019-10-01 00:00:00 UTC
    assert events.user.tolist() == [1, 1, 2, 2]
    assert events.session[0] == events.session[1] != events.session[2]
    items = dataset.items
    assert items.item_id.tolist() == [100, 200, 300]
    assert items.price.tolist() == pytest.approx([410.5, 12.0, 25.71])  # the latest row's price
    assert items.category[0, :2].min() > 0 and items.category[0, 2] == 0  # two levels: no c2
    assert items.category[1].tolist() == [0, 0, 0]
    assert (items.category[2] > 0).all()  # "mixer.big" stays one c2 level
    assert items.brand[1] == 0 and items.brand[0] != items.brand[2]
    assert items.titles[0] == "samsung smartphone"


def test_rees46_rejects_a_file_of_another_format(tmp_path):
    path = tmp_path / "wrong.csv"
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(ValueError, match="not a REES46 file"):
        load_rees46(path)


def test_load_session_file_dispatches_on_format(tmp_path):
    path = tmp_path / "clicks.tsv"
    path.write_text("SessionId\tItemId\tTime\n1\t2\t3.0\n")
    dataset, _ = load_session_file(path, "yoochoose")
    assert len(dataset.events) == 1
    with pytest.raises(ValueError, match="unknown session file format"):
        load_session_file(path, "parquet")


def test_real_rees46_head_loads_with_only_the_cut_line_dropped():
    path = DATA / "rees46_events_head.csv"
    if not path.exists():
        pytest.skip(f"{path} not found (the shared data folder is absent)")
    dataset, report = load_rees46(path)
    assert report.bad_rows == 1
    assert report.rows_loaded == 17_434
    counts = np.bincount(dataset.events.action, minlength=len(ACTION_CODE))
    assert counts[ACTION_CODE["item_add_to_cart_tap"]] == 165
    assert counts[ACTION_CODE["buy_comp"]] == 214
    assert len(np.unique(dataset.events.session)) == 5_067
    assert len(dataset.items) == 6_493
    assert np.all(np.diff(dataset.events.timestamp) >= 0)


def test_real_yoochoose_train_matches_the_published_sizes():
    path = DATA / "yoochoose_100k_train.tsv"
    if not path.exists():
        pytest.skip(f"{path} not found (the shared data folder is absent)")
    dataset, report = load_yoochoose(path)
    assert report.bad_rows == 0
    assert len(dataset.events) == 70_278
    assert len(np.unique(dataset.events.session)) == 17_794
    assert len(dataset.items) == 2_933
