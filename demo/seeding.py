"""Loading the made-up demo marketplace (`demo`) into Postgres, fast and all at once.

Bulk inserts for the catalogue and users, COPY for the events (hundreds of thousands of rows); likes, cart
items, offers and orders are derived from the simulated events so "my activity" matches the history.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import connection, transaction
from django.db.models import Case, Value, When

from marketplace.errors import ApplicationError
from marketplace.models import (
    Brand,
    CartItem,
    Category,
    Event,
    EventAction,
    Like,
    Listing,
    ListingSource,
    ListingStatus,
    Offer,
    OfferStatus,
    Order,
)

DEMO_PASSWORD = "demo"  # every demo account; the demo-user switcher logs in without it
DEMO_ALREADY_SEEDED = "Demo data already exists ({count} listings). Use --reset to replace it."
BATCH = 2000

Progress = Callable[[Iterable, str, int], Iterable]


def _no_progress(items: Iterable, label: str, total: int) -> Iterable:
    return items


@dataclass
class DemoLoadReport:
    categories: int
    brands: int
    users: int
    listings: int
    sold: int
    events: int
    likes: int
    cart_items: int
    offers: int
    photos: int


def demo_data_exists() -> int:
    return Listing.objects.filter(source=ListingSource.DEMO).count()


def demo_data_delete() -> None:
    """Remove every demo listing, its events and orders, and the demo accounts."""
    with transaction.atomic():
        demo_listings = Listing.objects.filter(source=ListingSource.DEMO)
        Order.objects.filter(listing__in=demo_listings).delete()
        Event.objects.filter(listing__in=demo_listings).delete()
        Event.objects.filter(user__username__startswith="demo_").delete()
        demo_listings.delete()
        get_user_model().objects.filter(username__startswith="demo_").delete()


def _categories_load(specs: Sequence) -> dict[int, Category]:
    """Spec id -> Category, creating missing nodes level by level (existing names are reused)."""
    by_spec: dict[int, Category] = {}
    for level in (0, 1, 2):
        level_specs = [s for s in specs if s.level == level]
        parents = {s.id: by_spec[s.parent_id] if s.parent_id is not None else None for s in level_specs}
        existing = {
            (c.parent_id, c.name): c
            for c in Category.objects.filter(level=level, name__in=[s.name for s in level_specs])
        }
        missing = []
        for spec in level_specs:
            parent = parents[spec.id]
            node = existing.get((parent.pk if parent else None, spec.name))
            if node is None:
                node = Category(name=spec.name, parent=parent, level=level)
                missing.append(node)
            by_spec[spec.id] = node
        Category.objects.bulk_create(missing, batch_size=BATCH)
    return by_spec


def _brands_load(specs: Sequence) -> dict[int, Brand]:
    existing = {b.name: b for b in Brand.objects.filter(name__in=[s.name for s in specs])}
    missing = [Brand(name=s.name) for s in specs if s.name not in existing]
    for brand in Brand.objects.bulk_create(missing, batch_size=BATCH):
        existing[brand.name] = brand
    return {s.id: existing[s.name] for s in specs}


def demo_data_load(
    *,
    result: object,
    categories: Sequence,
    brands: Sequence,
    photos_dir: Path | None = None,
    progress: Progress = _no_progress,
) -> DemoLoadReport:
    """Insert a `demo.simulator.SimulationResult`. Refuses when demo data already exists."""
    count = demo_data_exists()
    if count:
        raise ApplicationError(DEMO_ALREADY_SEEDED.format(count=count))
    with transaction.atomic():
        category_of = _categories_load(categories)
        brand_of = _brands_load(brands)
        users = _users_load(result.users, progress)
        listing_ids, sold = _listings_load(result, users, category_of, brand_of, photos_dir, progress)
        events = _events_copy(result.events, users, listing_ids, progress)
        likes, carts, offers = _activity_derive(result, users, listing_ids)
    return DemoLoadReport(
        categories=len(category_of), brands=len(brand_of), users=len(users), listings=len(listing_ids),
        sold=sold, events=events, likes=likes, cart_items=carts, offers=offers,
        photos=sum(1 for _ in photos_dir.glob("*.jpg")) if photos_dir else 0,
    )


def _users_load(specs: Sequence, progress: Progress) -> dict[int, int]:
    """User index -> database id."""
    User = get_user_model()
    password = make_password(DEMO_PASSWORD)
    rows = [User(username=f"demo_{spec.username}", email=f"{spec.username}@demo.example", password=password)
            for spec in specs]
    created = User.objects.bulk_create(rows, batch_size=BATCH)
    return {spec.index: user.pk for spec, user in zip(specs, created, strict=True)}


def _listings_load(result, users, category_of, brand_of, photos_dir, progress) -> tuple[dict[int, int], int]:
    purchases = {p.listing_id: p for p in result.purchases}
    rows = []
    for spec in progress(result.listings, "listings", len(result.listings)):
        leaf = category_of[spec.category_id]
        mid = leaf.parent
        brand = brand_of.get(spec.brand_id) if spec.brand_id is not None else None
        purchase = purchases.get(spec.id)
        photo = _photo_name(photos_dir, spec.id)
        rows.append(Listing(
            seller_id=users[spec.seller], title=spec.title, description=spec.description,
            price=Decimal(str(spec.price)), c0=mid.parent if mid else None, c1=mid, c2=leaf, brand=brand,
            condition=spec.condition_id, size=spec.size, color=spec.color, shipper=spec.shipper,
            product_id=f"{brand.pk}-{leaf.pk}" if brand else "",
            status=ListingStatus.SOLD if purchase else ListingStatus.ACTIVE,
            sold_at=purchase.timestamp if purchase else None, source=ListingSource.DEMO,
            external_id=str(spec.id), created_at=spec.created_at, photo=photo,
        ))
    created = Listing.objects.bulk_create(rows, batch_size=BATCH)
    listing_ids = {spec.id: row.pk for spec, row in zip(result.listings, created, strict=True)}
    Order.objects.bulk_create(
        [Order(listing_id=listing_ids[p.listing_id], buyer_id=users[p.buyer], price=Decimal(str(p.price)),
               created_at=p.timestamp) for p in result.purchases],
        batch_size=BATCH,
    )
    return listing_ids, len(result.purchases)


EVENT_COLUMNS = ("user_id", "session_id", "listing_id", "action", "page", "surface", "position", "recommender",
                 "request_id", "query", "created_at")


def _events_copy(specs: Sequence, users: dict[int, int], listing_ids: dict[int, int], progress: Progress) -> int:
    """COPY the simulated events in (an order of magnitude faster than INSERTs at this size)."""
    table = Event._meta.db_table
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
            for spec in progress(specs, "events", len(specs)):
                copy.write_row((
                    users[spec.user], str(spec.session_id),
                    listing_ids[spec.listing_id] if spec.listing_id is not None else None,
                    spec.action, spec.page, spec.surface or "", spec.position, spec.recommender or "",
                    spec.request_id or "", spec.query or "", spec.timestamp,
                ))
    return len(specs)


def _activity_derive(result, users, listing_ids) -> tuple[int, int, int]:
    """Likes, cart items and offers as the events left them (sold items leave carts; their offers decline)."""
    sold = {p.listing_id for p in result.purchases}
    likes: set[tuple[int, int]] = set()
    carts: set[tuple[int, int]] = set()
    offers: list[Offer] = []
    prices = {spec.id: Decimal(str(spec.price)) for spec in result.listings}
    for spec in result.events:
        if spec.listing_id is None:
            continue
        key = (users[spec.user], listing_ids[spec.listing_id])
        if spec.action == EventAction.ITEM_LIKE:
            likes.add(key)
        elif spec.action == EventAction.ITEM_ADD_TO_CART_TAP and spec.listing_id not in sold:
            carts.add(key)
        elif spec.action == EventAction.OFFER_MAKE:
            amount = (prices[spec.listing_id] * Decimal("0.85")).quantize(Decimal("0.01"))
            status = OfferStatus.DECLINED if spec.listing_id in sold else OfferStatus.PENDING
            offers.append(Offer(buyer_id=key[0], listing_id=key[1], amount=amount, status=status))
    Like.objects.bulk_create([Like(user_id=u, listing_id=i) for u, i in likes], batch_size=BATCH)
    CartItem.objects.bulk_create([CartItem(user_id=u, listing_id=i) for u, i in carts], batch_size=BATCH)
    Offer.objects.bulk_create(offers, batch_size=BATCH)
    return len(likes), len(carts), len(offers)


def demo_photos_dir(*, seed: int, users: int, listings: int, days: int) -> Path:
    """Photos depend on the whole simulation, so each configuration keeps its own folder."""
    return Path(settings.MEDIA_ROOT) / "listings" / "demo" / f"seed{seed}-{users}u-{listings}l-{days}d"


def demo_photos_attach(*, directory: Path, chunk: int = 500,
                       report: Callable[[int, int], None] | None = None) -> int:
    """Give each demo listing without a photo its generated thumbnail, rendering the files that are missing.

    For `make demo`, which seeds without photos so the storefront opens sooner: chunk by chunk, each committed
    on its own, so pages show photos as they come and a stopped run resumes where it stopped. A listing that got
    a photo some other way meanwhile keeps it. Returns how many listings got one; `report(done, total)`.
    """
    from demo.photos import PhotoJob, photo_jobs_render

    directory.mkdir(parents=True, exist_ok=True)
    media = Path(settings.MEDIA_ROOT)
    pending = Listing.objects.filter(source=ListingSource.DEMO, photo="")
    total, done, cursor = pending.count(), 0, 0
    while True:
        listings = list(pending.filter(pk__gt=cursor).select_related("brand", "c0", "c1", "c2")
                        .order_by("pk")[:chunk])
        if not listings:
            return done
        files = {listing.pk: directory / f"{listing.external_id}.jpg" for listing in listings}
        photo_jobs_render([
            PhotoJob(int(listing.external_id), listing.color, [c.name for c in listing.category_path],
                     listing.brand.name if listing.brand_id else None, str(files[listing.pk]))
            for listing in listings if not files[listing.pk].exists()
        ])
        names = [When(pk=pk, then=Value(str(path.relative_to(media)))) for pk, path in files.items()]
        done += Listing.objects.filter(pk__in=list(files), photo="").update(photo=Case(*names))
        cursor = listings[-1].pk
        if report is not None:
            report(done, total)


def _photo_name(photos_dir: Path | None, spec_id: int) -> str:
    """The ImageField value (relative to MEDIA_ROOT) of a rendered photo, or "" when there is none."""
    if photos_dir is None or not (photos_dir / f"{spec_id}.jpg").exists():
        return ""
    return str((photos_dir / f"{spec_id}.jpg").relative_to(Path(settings.MEDIA_ROOT)))

