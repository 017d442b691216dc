import subprocess
import sys
from datetime import UTC, datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command, load_command_class
from django.core.management.base import CommandError
from django.db.models import Count

from marketplace.importers.base import BatchResult, ImportReport, listings_get_or_create, rows_import
from marketplace.importers.mercari import mercari_import
from marketplace.importers.merrec import merrec_import
from marketplace.importers.sessions import sessions_import
from marketplace.models import Brand, Category, Event, EventAction, Listing, ListingStatus, Shipper
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PROJECT_DIR = Path(__file__).resolve().parents[2]
MERCARI_HEADER = "train_id\tname\titem_condition_id\tcategory_name\tbrand_name\tprice\tshipping\titem_description"
REES46_HEADER = "event_time,event_type,product_id,category_id,category_code,brand,price,user_id,user_session"


def write_lines(path: Path, lines: list[str], *, ending: str = "\n", final_ending: bool = True) -> Path:
    path.write_bytes((ending.join(lines) + (ending if final_ending else "")).encode())
    return path


# ------------------------------------------------------------------------------------------------ Mercari

MERCARI_ROWS = [
    MERCARI_HEADER,  # line 1
    "0\tMLB Cincinnati Reds T Shirt\t3\tMen/Tops/T-shirts\t\t10.0\t1\tNo description yet",
    "1\tRazer Keyboard\t1\tElectronics/Computers & Tablets/Parts\tRazer\t52.0\t0\tWorks [rm] fine. Paid [rm]",
    "2\tDesk lamp\t2\t\t\t0\t1\tA lamp\x00",  # no category, no brand, price 0, a NUL byte
    "3\tBallet shoes\t3\tSports & Outdoors/Exercise/Dance/Ballet\tCapezio\t15\t1\tSize 6",  # '/' in c2
    "4\tBad price\t3\tMen/Tops/T-shirts\t\tabc\t1\tx",  # line 6
    "5\tNegative price\t3\tMen/Tops/T-shirts\t\t-1\t1\tx",  # line 7
    "6\tBad condition\t9\tMen/Tops/T-shirts\t\t5\t1\tx",  # line 8
    "7\tBad shipping\t3\tMen/Tops/T-shirts\t\t5\t2\tx",  # line 9
    "8\ttoo short",  # line 10
    "9\t\t3\tMen/Tops/T-shirts\t\t5\t1\tx",  # line 11: no name
    '10\t"Too Faced ""Merry Macaroons"""\t1\tBeauty/Makeup/Makeup Palettes\tToo Faced\t25\t1\t"Mint, ""new"""',
    "1\tRazer Keyboard again\t1\tElectronics/Computers & Tablets/Parts\tRazer\t50\t0\tdup",  # line 13
    "",  # a blank line is not a row
    "11\tGap\t3\tMen//T-shirts\t\t5\t1\tx",  # line 15
]
MERCARI_BAD_ROWS = [
    (6, "price 'abc' is not a number"),
    (7, "price -1 is negative"),
    (8, "item_condition_id '9' is not one of 1..6"),
    (9, "shipping '2' is not 1 (seller pays) or 0 (buyer pays)"),
    (10, "expected 8 fields, found 2"),
    (11, "name is empty"),
    (15, "category_name 'Men//T-shirts' has an empty level"),
]


def test_mercari_import_loads_clean_listings_and_reports_bad_rows_by_line(tmp_path):
    # given
    path = write_lines(tmp_path / "train.tsv", MERCARI_ROWS)
    # when
    report = mercari_import(path=path)
    # then
    assert (report.rows_read, report.loaded, report.duplicates, report.skipped) == (13, 5, 1, 7)
    assert report.bad_rows == MERCARI_BAD_ROWS
    assert report.created == {"listings": 5}
    listings = {listing.external_id: listing for listing in Listing.objects.filter(source="mercari")}
    assert sorted(listings, key=int) == ["0", "1", "2", "3", "10"]
    tee, keyboard, lamp, shoes, palette = (listings[k] for k in ("0", "1", "2", "3", "10"))
    assert {listing.seller.username for listing in listings.values()} == {"mercari-import"}
    assert tee.description == "" and tee.shipper == Shipper.SELLER and tee.brand is None and tee.product_id == ""
    assert [c.name for c in tee.category_path] == ["Men", "Tops", "T-shirts"]
    assert keyboard.description == "Works fine. Paid" and keyboard.shipper == Shipper.BUYER
    assert keyboard.condition == 1 and keyboard.price == Decimal("52.00") and keyboard.title == "Razer Keyboard"
    assert keyboard.product_id == f"{keyboard.brand_id}-{keyboard.c2_id}" and keyboard.brand.name == "Razer"
    assert lamp.c0 is None and lamp.c2 is None and lamp.price == Decimal("0.00") and lamp.description == "A lamp"
    assert [c.name for c in shoes.category_path] == ["Sports & Outdoors", "Exercise", "Dance/Ballet"]
    assert palette.title == 'Too Faced "Merry Macaroons"' and palette.description == 'Mint, "new"'
    assert all(listing.status == ListingStatus.ACTIVE and listing.text_embedding is None
               for listing in listings.values())


def test_mercari_import_twice_adds_nothing(tmp_path):
    path = write_lines(tmp_path / "train.tsv", MERCARI_ROWS)
    mercari_import(path=path)
    listings_before = list(Listing.objects.order_by("pk").values_list("pk", "external_id", "updated_at"))
    # when
    again = mercari_import(path=path)
    # then
    assert (again.rows_read, again.loaded, again.duplicates, again.skipped) == (13, 0, 6, 7)
    assert list(Listing.objects.order_by("pk").values_list("pk", "external_id", "updated_at")) == listings_before
    assert Category.objects.filter(name="Men").count() == 1 and Brand.objects.filter(name="Razer").count() == 1


def test_import_mercari_command_honours_limit_and_prints_the_summary(tmp_path):
    path = write_lines(tmp_path / "train.tsv", MERCARI_ROWS)
    out = StringIO()
    call_command("import_mercari", str(path), "--limit", "6", "--no-progress", stdout=out, stderr=StringIO())
    assert Listing.objects.filter(source="mercari").count() == 4
    summary = out.getvalue()
    assert "rows read:          6" in summary and "loaded:             4" in summary
    assert "skipped (bad rows): 2" in summary
    assert "line 6: price 'abc' is not a number" in summary and "line 7: price -1 is negative" in summary


def test_a_batch_postgres_rejects_is_retried_row_by_row(tmp_path):
    """One row the database refuses (here: a negative price, caught by the CHECK constraint) costs that row only."""
    seller = UserFactory()
    records = [(line, {"external_id": f"x{line}", "price": Decimal(-1 if line == 3 else 5)}) for line in range(2, 7)]

    def write(batch):
        new = {r["external_id"]: {"seller_id": seller.pk, "title": "Lamp", "price": r["price"],
                                  "created_at": datetime.now(UTC)} for r in batch}
        _, created = listings_get_or_create(source="mercari", new=new)
        return BatchResult(loaded=created)

    report = rows_import(report=ImportReport(path="memory"), rows=iter(records), write=write, batch_size=10)
    assert (report.rows_read, report.loaded, report.skipped) == (5, 4, 1)
    assert report.bad_rows[0][0] == 3 and "rejected by the database" in report.bad_rows[0][1]
    assert "listing_price_non_negative" in report.bad_rows[0][1]
    assert sorted(Listing.objects.values_list("external_id", flat=True)) == ["x2", "x4", "x5", "x6"]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "does not exist"),
        (b"", "is empty"),
        (MERCARI_HEADER.encode() + b"\n", "has a header but no data rows"),
        (REES46_HEADER.encode() + b"\n1,2,3\n", "does not look like a Mercari TSV file"),
    ],
)
def test_import_mercari_rejects_a_bad_file_with_a_clear_message(tmp_path, content, message):
    path = tmp_path / "train.tsv"
    if content is not None:
        path.write_bytes(content)
    with pytest.raises(CommandError, match=message):
        call_command("import_mercari", str(path), "--no-progress", stdout=StringIO(), stderr=StringIO())
    assert not Listing.objects.exists()
    assert not get_user_model().objects.filter(username="mercari-import").exists()  # nothing written at all


def test_import_command_exits_non_zero_with_the_message_and_no_traceback(tmp_path):
    missing = subprocess.run(
        [sys.executable, "manage.py", "import_sessions", str(tmp_path / "nope.csv"), "--format", "rees46"],
        cwd=PROJECT_DIR, capture_output=True, text=True, timeout=120,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
    )
    assert missing.returncode == 1
    assert missing.stderr.strip() == f"CommandError: {tmp_path / 'nope.csv'} does not exist."


@pytest.mark.parametrize(
    ("command", "flags"),
    [
        ("import_mercari", ["path", "--limit", "--batch-size", "--no-progress"]),
        ("import_merrec", ["DIR", "--limit", "--batch-size", "--no-progress"]),
        ("import_sessions", ["path", "--format", "yoochoose", "rees46", "--limit", "--batch-size", "--no-progress"]),
    ],
)
def test_import_commands_document_every_flag(command, flags):
    help_text = load_command_class("marketplace", command).create_parser("manage.py", command).format_help()
    for flag in flags:
        assert flag in help_text
    assert help_text.count("stop after N data rows") == 1


# ------------------------------------------------------------------------------------------------- MerRec

MERREC_SCHEMA = pa.schema([
    ("user_id", pa.int64()), ("sequence_id", pa.int64()), ("session_id", pa.string()), ("item_id", pa.int64()),
    ("event_id", pa.string()), ("stime", pa.string()), ("sequence_length", pa.int64()), ("price", pa.float64()),
    ("product_id", pa.string()), ("name", pa.string()), ("brand_id", pa.int64()), ("brand_name", pa.string()),
    ("c0_id", pa.int64()), ("c1_id", pa.int64()), ("c2_id", pa.int64()), ("c0_name", pa.string()),
    ("c1_name", pa.string()), ("c2_name", pa.string()), ("item_condition_id", pa.int64()), ("size_id", pa.int64()),
    ("shipper_id", pa.int64()), ("color", pa.string()),
])
TEE = {"price": 25.0, "name": "Nike tee", "brand_id": 7, "brand_name": "Nike", "c0_id": 1, "c1_id": 11, "c2_id": 111,
       "c0_name": "Men", "c1_name": "Tops", "c2_name": "T-shirts", "item_condition_id": 2, "size_id": 5,
       "shipper_id": 1, "color": "Red"}
MUG = {"price": 9.5, "name": "Mug", "brand_id": None, "brand_name": None, "c0_id": 2, "c1_id": 21, "c2_id": None,
       "c0_name": "Home", "c1_name": "Kitchen", "c2_name": None, "item_condition_id": 1, "size_id": None,
       "shipper_id": 2, "color": None}


def merrec_row(user, session, item, event, stime, **item_fields):
    row = {"user_id": user, "sequence_id": 1, "session_id": session, "item_id": item, "event_id": event,
           "stime": stime, "sequence_length": 3, "product_id": "p"}
    return row | item_fields


def write_merrec_shards(root: Path) -> Path:
    rows = [
        merrec_row(1, "s1", 100, "item_view", "2023-05-01T10:00:00Z", **TEE),  # row 1
        merrec_row(1, "s1", 100, "item_like", "2023-05-01T10:01:00Z", **TEE),
        merrec_row(2, "s2", 200, "buy_comp", "2023-05-01 11:00:00", **MUG),
        merrec_row(2, "s2", 200, "item_zoom", "2023-05-01T11:01:00Z", **MUG),  # row 4: unknown action
        merrec_row(2, "s2", None, "item_view", "2023-05-01T11:02:00Z", **MUG),  # row 5: no item
        merrec_row(2, "s2", 200, "item_view", "2023-05-01T11:03:00Z", **(MUG | {"price": -3.0})),  # row 6
        merrec_row(2, "s2", 200, "item_view", "yesterday", **MUG),  # row 7: bad timestamp
        merrec_row(2, "s2", 100, "item_view", "2023-05-01T11:05:00Z", **(TEE | {"price": 30.0})),  # row 8
    ]
    (root / "202305").mkdir(parents=True)
    pq.write_table(pa.Table.from_pylist(rows, schema=MERREC_SCHEMA), root / "202305" / "part-0.parquet")
    # A second shard, deeper, with a real timestamp column and without the optional columns.
    (root / "202306" / "x").mkdir(parents=True)
    shard = pa.table({
        "user_id": [3], "session_id": ["s3"], "item_id": [300], "event_id": ["offer_make"],
        "stime": pa.array([datetime(2023, 6, 2, 9, 30, tzinfo=UTC)], pa.timestamp("us", tz="UTC")),
        "price": [12.0], "name": ["Lego set"], "c0_name": ["Toys"], "c1_name": [None], "c2_name": [None],
    })
    pq.write_table(shard, root / "202306" / "x" / "part-1.parquet")
    return root


def test_merrec_import_creates_users_listings_catalogue_and_events(tmp_path):
    root = write_merrec_shards(tmp_path / "merrec")
    # when
    report = merrec_import(directory=root)
    # then
    assert (report.rows_read, report.loaded, report.duplicates, report.skipped) == (9, 5, 0, 4)
    assert report.bad_rows == [
        (4, "202305/part-0.parquet: unknown event_id 'item_zoom'"),
        (5, "202305/part-0.parquet: item_id is missing"),
        (6, "202305/part-0.parquet: price -3.0 is negative"),
        (7, "202305/part-0.parquet: stime 'yesterday' is not a timestamp"),
    ]
    assert report.created == {"users": 3, "listings": 3, "events": 5}
    usernames = set(get_user_model().objects.filter(username__startswith="merrec-").values_list("username", flat=True))
    assert usernames == {"merrec-1", "merrec-2", "merrec-3", "merrec-import"}
    tee = Listing.objects.get(source="merrec", external_id="100")
    assert tee.price == Decimal("25.00")  # the first row describes the item; later snapshots do not update it
    assert [(c.name, c.level, c.merrec_id) for c in tee.category_path] == [
        ("Men", 0, 1), ("Tops", 1, 11), ("T-shirts", 2, 111),
    ]
    assert (tee.brand.name, tee.brand.merrec_id) == ("Nike", 7)
    assert (tee.shipper, tee.condition, tee.size, tee.color) == (Shipper.BUYER, 2, "5", "Red")
    assert tee.product_id == f"{tee.brand_id}-{tee.c2_id}" and tee.seller.username == "merrec-import"
    assert tee.created_at == datetime(2023, 5, 1, 10, 0, tzinfo=UTC)
    mug = Listing.objects.get(source="merrec", external_id="200")
    assert mug.shipper == Shipper.SELLER and mug.c2 is None and mug.c1.name == "Kitchen" and mug.brand is None
    assert mug.status == ListingStatus.ACTIVE  # a historical buy_comp does not sell the listing
    lego = Listing.objects.get(source="merrec", external_id="300")
    assert lego.c0.name == "Toys" and lego.c1 is None and lego.shipper == Shipper.SELLER
    events = list(Event.objects.order_by("created_at").values_list("user__username", "session_id",
                                                                   "listing__external_id", "action", "created_at"))
    assert events == [
        ("merrec-1", "merrec:s1", "100", "item_view", datetime(2023, 5, 1, 10, 0, tzinfo=UTC)),
        ("merrec-1", "merrec:s1", "100", "item_like", datetime(2023, 5, 1, 10, 1, tzinfo=UTC)),
        ("merrec-2", "merrec:s2", "200", "buy_comp", datetime(2023, 5, 1, 11, 0, tzinfo=UTC)),
        ("merrec-2", "merrec:s2", "100", "item_view", datetime(2023, 5, 1, 11, 5, tzinfo=UTC)),
        ("merrec-3", "merrec:s3", "300", "offer_make", datetime(2023, 6, 2, 9, 30, tzinfo=UTC)),
    ]


def test_merrec_import_twice_adds_nothing_and_limit_stops_early(tmp_path):
    root = write_merrec_shards(tmp_path / "merrec")
    first = merrec_import(directory=root, limit=2, batch_size=1)
    assert (first.rows_read, first.loaded) == (2, 2)
    second = merrec_import(directory=root)
    assert (second.rows_read, second.loaded, second.duplicates, second.skipped) == (9, 3, 2, 4)
    third = merrec_import(directory=root)
    assert (third.rows_read, third.loaded, third.duplicates, third.skipped) == (9, 0, 5, 4)
    assert Event.objects.count() == 5 and Listing.objects.filter(source="merrec").count() == 3


def test_import_merrec_rejects_bad_directories_with_a_clear_message(tmp_path):
    def run(path):
        with pytest.raises(CommandError) as caught:
            call_command("import_merrec", str(path), "--no-progress", stdout=StringIO(), stderr=StringIO())
        return str(caught.value)

    assert run(tmp_path / "nope") == f"{tmp_path / 'nope'} does not exist."
    assert run(tmp_path) == f"{tmp_path} holds no .parquet files (searched recursively)."
    (tmp_path / "broken.parquet").write_bytes(b"not parquet at all")
    assert run(tmp_path).startswith(f"{tmp_path / 'broken.parquet'} is not a readable parquet file")
    (tmp_path / "broken.parquet").unlink()
    pq.write_table(MERREC_SCHEMA.empty_table(), tmp_path / "empty.parquet")
    assert run(tmp_path) == f"{tmp_path}: its 1 parquet shard(s) hold no rows."
    pq.write_table(pa.table({"user_id": [1], "item_id": [2]}), tmp_path / "other.parquet")
    assert run(tmp_path) == (f"{tmp_path / 'other.parquet'} is not a MerRec shard: it lacks the column(s) "
                             "session_id, event_id, stime, price, name.")
    assert not Event.objects.exists()


# ----------------------------------------------------------------------------------------------- sessions


def test_yoochoose_import_makes_a_listing_per_item_and_a_user_per_session(tmp_path):
    path = write_lines(tmp_path / "train.tsv", [
        "SessionId\tItemId\tTime",
        "1\t214716935\t1396437466.94",
        "1\t214832672\t1396438212.318",
        "2\t214716935\tnot-a-time",  # line 4
        "2\t\t1396438300",  # line 5
        "2\t214716935",  # line 6
        "2\t214716935\t1396438400",
    ])
    report = sessions_import(path=path, format="yoochoose")
    assert (report.rows_read, report.loaded, report.duplicates, report.skipped) == (6, 3, 0, 3)
    assert report.bad_rows == [
        (4, "Time 'not-a-time' is not a timestamp"), (5, "ItemId is missing"), (6, "expected 3 fields, found 2"),
    ]
    item = Listing.objects.get(source="sessions", external_id="yoochoose:214716935")
    assert item.title == "Item 214716935" and item.price == Decimal("0.00") and item.status == ListingStatus.ACTIVE
    assert item.created_at == datetime.fromtimestamp(1396437466.94, tz=UTC)
    events = list(Event.objects.order_by("created_at").values_list("user__username", "session_id", "action"))
    assert events == [("yoochoose-1", "yoochoose:1", "item_view")] * 2 + [("yoochoose-2", "yoochoose:2", "item_view")]
    again = sessions_import(path=path, format="yoochoose")
    assert (again.loaded, again.duplicates, again.skipped) == (0, 3, 3)


def test_rees46_import_maps_actions_keeps_purchases_historical_and_drops_the_cut_off_line(tmp_path):
    path = write_lines(tmp_path / "events.csv", [
        REES46_HEADER,
        "2019-10-01 00:00:00 UTC,view,3900821,2053,appliances.environment.water_heater,aqua,33.20,55,s-a",
        "2019-10-01 00:01:00 UTC,cart,3900821,2053,appliances.environment.water_heater,aqua,33.20,55,s-a",
        "2019-10-01 00:02:00 UTC,purchase,3900821,2053,appliances.environment.water_heater,aqua,33.20,55,s-a",
        "2019-10-01 00:03:00 UTC,view,44600062,2103,,shiseido,35.79,56,s-b",
        "2019-10-01 00:04:00 UTC,view,1004856,2053,electronics.smartphone,,130.76,56,s-b",
        "2019-10-01 00:05:00 UTC,remove_from_cart,1004856,2053,electronics.smartphone,,130.76,56,s-b",  # line 7
        "2019-10-01 00:06:00 UTC,view,1004856,2053,electronics.smartphone,,130.76,56,",  # line 8
        "2019-10-01 00:07:00 UTC,view,1004857,2053,electronics.smartphone,,-1,56,s-b",  # line 9
        "2019-10-01 00:00:00 UTC,view,3900821,2053,appliances.environment.water_heater,aqua,33.20,55,s-a",  # dup
        "2019-10-01 00:08:00 UTC,view,1004858,2053,electronics.smartphone,samsung,130.76,56,s-b",  # cut off
    ], ending="\r\n", final_ending=False)
    report = sessions_import(path=path, format="rees46")
    assert (report.rows_read, report.loaded, report.duplicates, report.skipped) == (10, 5, 1, 4)
    assert report.bad_rows == [
        (7, "unknown event_type 'remove_from_cart'"),
        (8, "user_session is missing"),
        (9, "price -1 is negative"),
        (11, "the line is cut off (the file ends without a line end)"),
    ]
    heater = Listing.objects.get(source="sessions", external_id="rees46:3900821")
    assert [c.name for c in heater.category_path] == ["appliances", "environment", "water heater"]
    assert heater.title == "Aqua water heater" and heater.price == Decimal("33.20") and heater.brand.name == "aqua"
    assert heater.status == ListingStatus.ACTIVE and heater.sold_at is None  # purchases are history
    assert list(Event.objects.filter(listing=heater).order_by("created_at").values_list("action", flat=True)) == [
        EventAction.ITEM_VIEW, EventAction.ITEM_ADD_TO_CART_TAP, EventAction.BUY_COMP,
    ]
    cream = Listing.objects.get(external_id="rees46:44600062")
    assert cream.c0 is None and cream.title == "Shiseido"
    phone = Listing.objects.get(external_id="rees46:1004856")
    assert phone.title == "Smartphone" and phone.c1.name == "smartphone" and phone.c2 is None
    assert set(Event.objects.values_list("user__username", "session_id")) == {
        ("rees46-55", "rees46:s-a"), ("rees46-56", "rees46:s-b"),
    }


def test_import_sessions_rejects_an_unknown_format_and_a_file_of_the_other_format(tmp_path):
    path = write_lines(tmp_path / "events.csv", [REES46_HEADER, "2019-10-01 00:00:00 UTC,view,1,2,,,1,3,s"])
    with pytest.raises(CommandError, match="invalid choice: 'parquet'"):
        call_command("import_sessions", str(path), "--format", "parquet", stdout=StringIO(), stderr=StringIO())
    with pytest.raises(CommandError, match="does not look like a YooChoose"):
        call_command("import_sessions", str(path), "--format", "yoochoose", "--no-progress",
                     stdout=StringIO(), stderr=StringIO())
    assert not Event.objects.exists()


# ---------------------------------------------------------------------------------------- the real files


@pytest.mark.slow
def test_mercari_10k_file_imports_every_row_once(shared_data):
    path = shared_data / "mercari_listings_10k.tsv"
    report = mercari_import(path=path)
    assert (report.rows_read, report.loaded, report.duplicates, report.skipped) == (10000, 10000, 0, 0)
    assert Listing.objects.filter(source="mercari", c0__isnull=True).count() == 47  # README: 47 without category
    assert Listing.objects.filter(source="mercari", price=0).count() == 9
    assert not Listing.objects.filter(description__contains="[rm]").exists()
    assert not Listing.objects.filter(description="No description yet").exists()
    assert Brand.objects.count() == 761
    again = mercari_import(path=path)
    assert (again.loaded, again.duplicates, again.skipped) == (0, 10000, 0)
    assert Listing.objects.count() == 10000


def test_yoochoose_test_file_imports_every_click(shared_data):
    report = sessions_import(path=shared_data / "yoochoose_100k_test.tsv", format="yoochoose")
    assert (report.rows_read, report.loaded, report.duplicates, report.skipped) == (13568, 13568, 0, 0)
    assert Listing.objects.filter(source="sessions").count() == 1771
    assert get_user_model().objects.filter(username__startswith="yoochoose-").exclude(
        username="yoochoose-import").count() == 3416


def test_yoochoose_train_file_imports_with_a_limit(shared_data):
    report = sessions_import(path=shared_data / "yoochoose_100k_train.tsv", format="yoochoose", limit=3000)
    assert (report.rows_read, report.loaded, report.skipped) == (3000, 3000, 0)
    assert Event.objects.count() == 3000


def test_rees46_file_imports_with_a_limit(shared_data):
    report = sessions_import(path=shared_data / "rees46_events_head.csv", format="rees46", limit=2000)
    assert (report.rows_read, report.loaded, report.duplicates, report.skipped) == (2000, 2000, 0, 0)
    actions = dict(Event.objects.values_list("action").annotate(n=Count("pk")))
    assert actions == {"item_view": 1973, "item_add_to_cart_tap": 8, "buy_comp": 19}
    assert not Listing.objects.filter(status=ListingStatus.SOLD).exists()
