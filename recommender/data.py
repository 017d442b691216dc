"""Django-free containers for the data every recommender trains on.

The Django glue (`recommender/dataset_db.py`) and the file importers turn the database or a session file into
these plain numpy containers; models, baselines, metrics and evaluation only ever see them. Ids are the
database's listing / user ids (or the file's ids); models map them to dense indices themselves.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# MerRec's six actions (event_id), plus the storefront's impression and search events.
ACTIONS: tuple[str, ...] = (
    "item_view",
    "item_like",
    "item_add_to_cart_tap",
    "offer_make",
    "buy_start",
    "buy_comp",
    "impression",
    "search",
)
ACTION_CODE: dict[str, int] = {name: code for code, name in enumerate(ACTIONS)}
# Actions that express interest in an item (what sequence models read as "the user touched this").
INTERACTION_ACTIONS: tuple[str, ...] = ACTIONS[:6]
INTERACTION_CODES: frozenset[int] = frozenset(ACTION_CODE[a] for a in INTERACTION_ACTIONS)
# EventLog.surface codes of the storefront's pages (the values of marketplace.models.Page); 0 = unknown.
PAGE_CODE: dict[str, int] = {"home": 1, "vip": 2, "iu": 3, "search": 4, "cart": 5}


@dataclass
class EventLog:
    """A time-ordered event table, one row per event (column arrays of equal length).

    `item` is -1 for events without a listing (search). `request` groups impressions shown together and
    `clicked` marks impressions that led to an item_view from the same request (CTR labels).
    """

    user: np.ndarray  # (n,) int64
    session: np.ndarray  # (n,) int64, unique across users
    item: np.ndarray  # (n,) int64
    action: np.ndarray  # (n,) int8, codes of ACTIONS
    timestamp: np.ndarray  # (n,) float64, unix seconds
    surface: np.ndarray | None = None  # (n,) int8: 0 unknown, 1 home, 2 vip, 3 iu, 4 search, 5 cart
    position: np.ndarray | None = None  # (n,) int16, -1 unknown
    request: np.ndarray | None = None  # (n,) int64, -1 unknown
    clicked: np.ndarray | None = None  # (n,) bool, meaningful for impressions only

    def __len__(self) -> int:
        return int(self.user.shape[0])

    def select(self, mask: np.ndarray) -> EventLog:
        """Rows where `mask` is true (a boolean array or an index array), keeping every column."""

        def pick(column: np.ndarray | None) -> np.ndarray | None:
            return None if column is None else column[mask]

        return EventLog(
            user=self.user[mask],
            session=self.session[mask],
            item=self.item[mask],
            action=self.action[mask],
            timestamp=self.timestamp[mask],
            surface=pick(self.surface),
            position=pick(self.position),
            request=pick(self.request),
            clicked=pick(self.clicked),
        )

    def sorted(self) -> EventLog:
        """Rows ordered by (timestamp, then original order): the order every builder assumes."""
        return self.select(np.argsort(self.timestamp, kind="stable"))


@dataclass
class ItemTable:
    """Content features of listings, aligned by row. Categorical columns hold raw ids (0 = missing)."""

    item_id: np.ndarray  # (m,) int64
    category: np.ndarray  # (m, 3) int64: c0, c1, c2 ids
    brand: np.ndarray  # (m,) int64
    product: np.ndarray  # (m,) int64: MerRec's product_id stand-in (brand + c2), 0 when unknown
    condition: np.ndarray  # (m,) int64: MerRec's 1..6
    price: np.ndarray  # (m,) float32, USD
    created_at: np.ndarray  # (m,) float64, unix seconds
    titles: list[str] = field(default_factory=list)
    text_vector: np.ndarray | None = None  # (m, 384) float32, l2-normalised; None when items have no text
    active: np.ndarray | None = None  # (m,) bool: may be recommended now
    interest_unit: np.ndarray | None = None  # (m,) int64: the listing's primary interest unit id, 0 = none
    spu_unit: np.ndarray | None = None  # (m,) int64: its SPU interest unit (one brand / leaf product), 0 = none

    def __len__(self) -> int:
        return int(self.item_id.shape[0])

    def subset(self, rows: np.ndarray | slice) -> ItemTable:
        """The table restricted to `rows` (an index array, a boolean mask or a slice), every column kept."""

        def pick(column: np.ndarray | None) -> np.ndarray | None:
            return None if column is None else column[rows]

        index = np.arange(len(self))[rows]
        return ItemTable(
            item_id=self.item_id[rows],
            category=self.category[rows],
            brand=self.brand[rows],
            product=self.product[rows],
            condition=self.condition[rows],
            price=self.price[rows],
            created_at=self.created_at[rows],
            titles=[self.titles[i] for i in index] if self.titles else [],
            text_vector=pick(self.text_vector),
            active=pick(self.active),
            interest_unit=pick(self.interest_unit),
            spu_unit=pick(self.spu_unit),
        )

    def row_of(self) -> dict[int, int]:
        """Map listing id -> row index."""
        return {int(item): row for row, item in enumerate(self.item_id)}

    @classmethod
    def ids_only(cls, item_ids: np.ndarray) -> ItemTable:
        """A table for data sets without content (YooChoose): every feature missing."""
        m = len(item_ids)
        zeros = np.zeros(m, dtype=np.int64)
        return cls(
            item_id=np.asarray(item_ids, dtype=np.int64),
            category=np.zeros((m, 3), dtype=np.int64),
            brand=zeros,
            product=zeros.copy(),
            condition=zeros.copy(),
            price=np.zeros(m, dtype=np.float32),
            created_at=np.zeros(m, dtype=np.float64),
        )


@dataclass
class Dataset:
    """Events plus the items they refer to: what `Recommender.fit` receives."""

    events: EventLog
    items: ItemTable
    name: str = "db"
    # Interest-unit id -> float feature vector (counts over windows, CTR, ...), see interest_units.features.
    unit_features: dict[int, np.ndarray] = field(default_factory=dict)
