"""What a surface returns to a view or an API call, and the stored form a worker precomputes for it.

A worker computes a `StoredSlate`: rows of candidate listing ids with headroom (about 3x what a row shows), unit
cards with a few candidate listings each, the model versions it used and when. A request turns it into a `Slate`
of `Row`s of listings with one availability query (`surfaces.fill`), so a listing sold a millisecond before the
read is never shown, and a row stays full while some of its candidates sell.
"""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from marketplace.cards import ListingCard
from marketplace.models import EventAction
from marketplace.services.events import EventInput


@dataclass(frozen=True)
class UnitRef:
    """What a page shows of an interest unit (stored in slates: no unit query when a page is served)."""

    pk: int
    type: str
    key: str
    title: str

    @property
    def id(self) -> int:
        return self.pk

    @classmethod
    def of(cls, unit: Any) -> UnitRef:
        return cls(pk=unit.pk, type=unit.type, key=unit.key, title=unit.title)


@dataclass
class Row:
    surface: str  # where impressions are attributed, e.g. "home_for_you"
    label: str
    recommender: str
    listings: list[ListingCard]
    interest_unit: UnitRef | None = None
    recommenders: list[str] | None = None  # an interleaved row: each listing's team label (else `recommender`)


def _request_id() -> str:
    return uuid.uuid4().hex


@dataclass
class Slate:
    request_id: str = field(default_factory=_request_id)
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row, *, min_items: int = 1) -> None:
        if len(row.listings) >= min_items:
            self.rows.append(row)

    def impressions(self, *, page: str) -> list[EventInput]:
        """One impression per listing shown, with its row's surface, its position and the row's recommender."""
        return [
            EventInput(action=EventAction.IMPRESSION, listing_id=listing.pk, page=page, surface=row.surface,
                       position=position, request_id=self.request_id,
                       recommender=row.recommenders[position] if row.recommenders else row.recommender,
                       interest_unit_id=row.interest_unit.pk if row.interest_unit else None)
            for row in self.rows
            for position, listing in enumerate(row.listings)
        ]


@dataclass
class UnitCard:
    unit: UnitRef
    listing: ListingCard  # the unit's best available item for this viewer
    active_count: int
    recommender: str


@dataclass
class UnitCards:
    cards: list[UnitCard]
    request_id: str = field(default_factory=_request_id)

    @property
    def recommender(self) -> str:
        return self.cards[0].recommender if self.cards else "iu_popularity"

    def impressions(self, *, page: str) -> list[EventInput]:
        return [
            EventInput(action=EventAction.IMPRESSION, listing_id=card.listing.pk, page=page, surface="home_units",
                       position=position, recommender=card.recommender, request_id=self.request_id,
                       interest_unit_id=card.unit.pk)
            for position, card in enumerate(self.cards)
        ]


@dataclass
class UnitPage:
    unit: UnitRef
    listings: list[ListingCard]
    active_count: int
    sold_count: int
    min_price: Decimal | None
    max_price: Decimal | None
    recommender: str = "iu_popularity"
    request_id: str = field(default_factory=_request_id)

    def impressions(self, *, page: str) -> list[EventInput]:
        return [
            EventInput(action=EventAction.IMPRESSION, listing_id=listing.pk, page=page, surface="iu_items",
                       position=position, recommender=self.recommender, request_id=self.request_id,
                       interest_unit_id=self.unit.pk)
            for position, listing in enumerate(self.listings)
        ]


# -- the stored form ------------------------------------------------------------------------------------------
@dataclass
class StoredRow:
    """A row as a worker computed it: its candidate ids in order (with headroom), never filtered per request."""

    surface: str
    label: str
    recommender: str
    ids: list[int]
    unit: UnitRef | None = None
    exclude: list[int] = field(default_factory=list)  # ids this row never shows (e.g. the viewer's history)
    recommenders: list[str] | None = None  # an interleaved row: ids[i]'s team label (else `recommender`)


@dataclass
class StoredCard:
    """A unit card: the unit, its candidate listings best first (the first available one is shown), its size."""

    unit: UnitRef
    ids: list[int]
    active_count: int
    recommender: str


@dataclass
class StoredSlate:
    rows: list[StoredRow] = field(default_factory=list)
    cards: list[StoredCard] = field(default_factory=list)
    versions: dict[str, int] = field(default_factory=dict)  # model name -> the active version it was computed with
    computed_at: float = field(default_factory=time.time)
    extra: dict[str, Any] = field(default_factory=dict)  # surface-specific numbers (a unit page's counts)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> StoredSlate:
        def unit(value: dict | None) -> UnitRef | None:
            return None if value is None else UnitRef(**value)

        return cls(
            rows=[StoredRow(**{**row, "unit": unit(row.get("unit"))}) for row in data.get("rows", [])],
            cards=[StoredCard(**{**card, "unit": unit(card["unit"])}) for card in data.get("cards", [])],
            versions={name: int(v) for name, v in data.get("versions", {}).items()},
            computed_at=float(data.get("computed_at", 0.0)),
            extra=dict(data.get("extra", {})),
        )
