"""Placing listings in their units without a rebuild. A new listing is embedded and placed here within a couple of
seconds of being posted (`listing_index`, run by the task of the same name).

- SPU: the unit of its own brand and leaf whenever one exists (walking size / colour / condition splits), else the
  unit of its leaf, parent or department.
- Semantic: the nearest unit (text centroid) inside the listing's own category: its leaf, or the parent category
  that pooled its leaf at the last build. A leaf that the build never saw waits for the next build.
- Image: the nearest unit (photo descriptor) of the listing's own parent category, preferring its own leaf,
  within the unit's own radius; a photo unlike every unit there waits for the next build.
A listing that fits nowhere is left out rather than put in a wrong unit: a shopper trusts a unit that holds what
its title says.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from interest_units.clustering import NO_CATEGORY, SpuItem, category_chain, spu_resolve
from interest_units.embeddings import as_vector
from interest_units.models import BuildStatus, InterestUnit, InterestUnitMember, UnitBuild, UnitType
from interest_units.services.embedding import listings_embed
from interest_units.services.images import listing_image_vectors
from interest_units.services.locks import units_lock_shared
from marketplace.models import Listing, ListingStatus

log = logging.getLogger(__name__)

# Members that never move once placed: their events are the unit's history (IU4Rec 4.2.1).
SETTLED_STATUSES = (ListingStatus.SOLD, ListingStatus.REMOVED)


def spu_item(listing: Listing) -> SpuItem:
    return SpuItem(listing.pk, listing.brand_id, listing.c0_id, listing.c1_id, listing.c2_id, listing.size,
                   listing.color, listing.condition)


# -- indices of the live units of each type -------------------------------------------------------------------

@dataclass
class SpuIndex:
    units: dict[str, int]
    rest_units: dict[str, int]

    @classmethod
    def load(cls) -> SpuIndex:
        units, rest = {}, {}
        for unit_id, key, attributes in InterestUnit.objects.filter(
            type=UnitType.SPU, retired_at__isnull=True
        ).values_list("id", "key", "attributes"):
            units[key] = unit_id
            if attributes.get("rest") and attributes.get("parent"):
                rest[attributes["parent"]] = unit_id
        return cls(units, rest)

    def place(self, listing: Listing) -> int | None:
        return spu_resolve(spu_item(listing), self.units, self.rest_units)


_CODEBOOK_CACHE: dict[int, dict[str, list[np.ndarray]]] = {}


def semantic_codebooks_pack(codebooks: dict[str, list[np.ndarray]]) -> bytes:
    """{category key: [level codebooks]} as one .npz blob ("c2:345" is stored as "c2_345__0", "c2_345__1")."""
    buffer = io.BytesIO()
    np.savez(buffer, **{f"{part.replace(':', '_')}__{level}": book for part, books in codebooks.items()
                        for level, book in enumerate(books)})
    return buffer.getvalue()


def _codebooks_unpack(blob: bytes) -> dict[str, list[np.ndarray]]:
    out: dict[str, dict[int, np.ndarray]] = {}
    with np.load(io.BytesIO(blob)) as archive:
        for name in archive.files:
            if "__" not in name:
                return {}  # an older build's global codebooks: nothing to warm-start from
            part, level = name.rsplit("__", 1)
            out.setdefault(part.replace("_", ":", 1), {})[int(level)] = archive[name]
    return {part: [levels[i] for i in sorted(levels)] for part, levels in out.items()}


def semantic_codebooks_latest() -> dict[str, list[np.ndarray]]:
    """The latest finished build's codebooks per category (cached per build in this process); a rebuild starts
    from them so codes stay put where the data did."""
    build_id = (
        UnitBuild.objects.filter(status=BuildStatus.DONE, semantic_codebooks__isnull=False)
        .order_by("-finished_at", "-pk").values_list("pk", flat=True).first()
    )
    if build_id is None:
        return {}
    if build_id not in _CODEBOOK_CACHE:
        blob = UnitBuild.objects.filter(pk=build_id).values_list("semantic_codebooks", flat=True).get()
        _CODEBOOK_CACHE.clear()
        _CODEBOOK_CACHE[build_id] = _codebooks_unpack(bytes(blob))
    return _CODEBOOK_CACHE[build_id]


def _chain(listing: Listing) -> list[str]:
    return category_chain(listing.c0_id, listing.c1_id, listing.c2_id)


@dataclass
class SemanticIndex:
    """Live semantic units grouped by their category (level 1 of their code path)."""

    ids: np.ndarray  # (u,) unit ids
    centroids: np.ndarray  # (u, 384)
    by_partition: dict[str, list[int]]  # category key -> rows of its units
    pooled: dict[str, str]  # a small leaf's key -> the category key its listings were pooled into

    @classmethod
    def load(cls, listings: Sequence[Listing]) -> SemanticIndex:
        """The units these listings may join: of their own leaves, or pooling them (every unit when one has no
        category). A new listing reads a handful of centroids, not all of them."""
        heads = {_chain(x)[0] for x in listings}
        queryset = InterestUnit.objects.filter(type=UnitType.SEMANTIC, retired_at__isnull=True,
                                               centroid__isnull=False)
        if NO_CATEGORY not in heads:
            queryset = queryset.filter(Q(attributes__partition__in=sorted(heads))
                                       | Q(attributes__pooled__has_any_keys=sorted(heads)))
        rows = [r for r in queryset.order_by("pk").values_list("id", "centroid", "attributes")
                if r[2].get("partition")]
        by_partition: dict[str, list[int]] = {}
        pooled: dict[str, str] = {}
        for j, (_, _, attributes) in enumerate(rows):
            part = attributes["partition"]
            by_partition.setdefault(part, []).append(j)
            for head in attributes.get("pooled", []):
                if head != part:
                    pooled.setdefault(head, part)
        matrix = (np.array([as_vector(r[1]) for r in rows], dtype=np.float32) if rows
                  else np.zeros((0, 384), dtype=np.float32))
        return cls(np.array([r[0] for r in rows], dtype=np.int64), matrix, by_partition, pooled)

    def partition_of(self, listing: Listing) -> str | None:
        """The listing's own leaf when it has units, else the category its leaf's listings went to at the last
        build (its parent's pool); None for a leaf that build never saw."""
        head = _chain(listing)[0]
        return head if head in self.by_partition else self.pooled.get(head)

    def place_many(self, listings: Sequence[Listing], vectors: np.ndarray) -> list[int | None]:
        """The unit with the nearest centroid within each listing's category (None: it waits for a rebuild). A
        listing without a category crosses no department: the nearest unit of any takes it, as in a build."""
        out: list[int | None] = []
        for listing, vector in zip(listings, vectors, strict=True):
            part = self.partition_of(listing)
            if part is not None:
                rows = self.by_partition[part]
            elif listing.c0_id is None and len(self.ids):
                rows = list(range(len(self.ids)))
            else:
                out.append(None)
                continue
            out.append(int(self.ids[rows[int(np.argmax(self.centroids[rows] @ vector))]]))
        return out


IMAGE_RADIUS_SLACK = 1.5  # a photo fits a unit within this many times the distance of its 90th-percentile member


@dataclass
class ImageIndex:
    encoder: str
    ids: np.ndarray  # (u,)
    centroids: np.ndarray  # (u, d)
    partitions: list[str]  # each unit's category ("c1:12": image units are built within a parent category)
    leaves: list[int | None]  # each unit's most common leaf
    radii: np.ndarray  # (u,) how far a photo may be from the centroid and still fit

    @classmethod
    def load(cls) -> ImageIndex | None:
        rows = [r for r in InterestUnit.objects.filter(type=UnitType.IMAGE, retired_at__isnull=True,
                                                       image_centroid__isnull=False)
                .order_by("pk").values_list("id", "image_centroid", "attributes") if r[2].get("partition")]
        encoder = (
            UnitBuild.objects.filter(status=BuildStatus.DONE).exclude(image_encoder="")
            .order_by("-finished_at", "-pk").values_list("image_encoder", flat=True).first()
        )
        if not rows or encoder is None:
            return None
        dims = {len(r[1]) for r in rows}
        if len(dims) != 1:
            log.warning("image units have descriptors of different lengths %s: rebuild them", sorted(dims))
            return None
        return cls(encoder, np.array([r[0] for r in rows], dtype=np.int64),
                   np.array([r[1] for r in rows], dtype=np.float32),
                   [r[2]["partition"] for r in rows], [r[2].get("top_leaf_id") for r in rows],
                   np.array([float(r[2].get("radius") or 0.0) for r in rows], dtype=np.float32))

    def place_many(self, listings: Sequence[Listing]) -> dict[int, int]:
        """Nearest fitting unit of the listing's parent category, its own leaf's first; listings that fit none are
        left out."""
        vectors = listing_image_vectors(listings=listings, encoder_name=self.encoder)
        out: dict[int, int] = {}
        for listing in listings:
            vector = vectors.get(listing.pk)
            if vector is None:
                continue
            if len(vector) != self.centroids.shape[1]:
                log.warning("image descriptor length %d differs from the units' %d", len(vector),
                            self.centroids.shape[1])
                return {}
            part = category_chain(listing.c0_id, listing.c1_id, None)[0]
            same = [j for j, unit_part in enumerate(self.partitions) if unit_part == part]
            if not same:
                continue
            distances = np.linalg.norm(self.centroids[same] - vector, axis=1)
            fits = [(float(d), j) for d, j in zip(distances, same, strict=True)
                    if d <= IMAGE_RADIUS_SLACK * self.radii[j] + 1e-6]
            own_leaf = [f for f in fits if listing.c2_id is not None and self.leaves[f[1]] == listing.c2_id]
            if own_leaf or fits:
                out[listing.pk] = int(self.ids[min(own_leaf or fits)[1]])
        return out


# -- placing --------------------------------------------------------------------------------------------------

def listings_place(*, listing_ids: Iterable[int], types: Sequence[str] | None = None) -> dict[int, dict[str, int]]:
    """Put each listing in its unit of every type that has units. Returns {listing id: {type: unit id}}.

    Active listings follow their attributes (an edit may move them); sold and removed listings that already have a
    unit stay in it. Idempotent: placing the same listings again changes nothing.
    """
    from interest_units.services.stats import unit_features_recompute

    types = list(types or UnitType.values)
    listings = list(
        Listing.objects.filter(pk__in=list(listing_ids)).exclude(status=ListingStatus.REMOVED)
        .select_related("brand", "c0", "c1", "c2").order_by("pk")
    )
    if not listings:
        return {}
    missing_vectors = [x.pk for x in listings if x.text_embedding is None]
    if missing_vectors and UnitType.SEMANTIC in types:
        listings_embed(listing_ids=missing_vectors)
        refreshed = dict(Listing.objects.filter(pk__in=missing_vectors).values_list("pk", "text_embedding"))
        for listing in listings:
            if listing.pk in refreshed:
                listing.text_embedding = refreshed[listing.pk]
    placed: dict[int, dict[str, int]] = {x.pk: {} for x in listings}
    touched: set[int] = set()
    with transaction.atomic():
        units_lock_shared()
        current: dict[tuple[int, str], int] = {
            (listing_id, unit_type): unit_id
            for listing_id, unit_type, unit_id in InterestUnitMember.objects.filter(
                listing_id__in=[x.pk for x in listings], type__in=types
            ).values_list("listing_id", "type", "unit_id")
        }
        wanted: dict[tuple[int, str], int] = {}
        judged: set[tuple[int, str]] = set()  # (listing, type) pairs a live index looked at, fitting or not
        if UnitType.SPU in types:
            spu = SpuIndex.load()
            for listing in listings:
                judged.add((listing.pk, UnitType.SPU))
                unit_id = spu.place(listing)
                if unit_id is not None:
                    wanted[(listing.pk, UnitType.SPU)] = unit_id
        if UnitType.SEMANTIC in types:
            with_vector = [x for x in listings if x.text_embedding is not None]
            if with_vector:
                vectors = np.array([as_vector(x.text_embedding) for x in with_vector], dtype=np.float32)
                semantic = SemanticIndex.load(with_vector).place_many(with_vector, vectors)
                for listing, unit_id in zip(with_vector, semantic, strict=True):
                    judged.add((listing.pk, UnitType.SEMANTIC))
                    if unit_id is not None:
                        wanted[(listing.pk, UnitType.SEMANTIC)] = unit_id
        if UnitType.IMAGE in types:
            image = ImageIndex.load()
            if image is not None:
                judged.update((x.pk, UnitType.IMAGE) for x in listings if x.photo)
                for listing_id, unit_id in image.place_many(listings).items():
                    wanted[(listing_id, UnitType.IMAGE)] = unit_id
        status = {x.pk: x.status for x in listings}
        changes = []
        now = timezone.now()
        for (listing_id, unit_type), unit_id in wanted.items():
            old = current.get((listing_id, unit_type))
            if old is not None and (old == unit_id or status[listing_id] in SETTLED_STATUSES):
                placed[listing_id][unit_type] = old
                continue
            changes.append(InterestUnitMember(listing_id=listing_id, type=unit_type, unit_id=unit_id, joined_at=now))
            placed[listing_id][unit_type] = unit_id
            touched.update({unit_id} | ({old} if old is not None else set()))
        # An active listing edited into something no unit fits leaves its old unit and waits for a rebuild.
        leaving = [pair for pair in judged - set(wanted) if pair in current and status[pair[0]] not in
                   SETTLED_STATUSES]
        for listing_id, unit_type in leaving:
            InterestUnitMember.objects.filter(listing_id=listing_id, type=unit_type).delete()
            touched.add(current.pop((listing_id, unit_type)))
        for (listing_id, unit_type), unit_id in current.items():
            placed[listing_id].setdefault(unit_type, unit_id)
        if changes:
            InterestUnitMember.objects.bulk_create(changes, batch_size=2000, update_conflicts=True,
                                                   unique_fields=["listing", "type"],
                                                   update_fields=["unit", "joined_at"])
        if touched:
            unit_features_recompute(unit_ids=touched, windows=False)
    return placed


def listing_index(*, listing_id: int) -> dict[str, int]:
    """A new or edited listing: embed its text, then place it in its units. Returns {type: unit id}."""
    if not Listing.objects.filter(pk=listing_id).exists():
        log.info("listing %s no longer exists; nothing to index", listing_id)
        return {}
    listings_embed(listing_ids=[listing_id])
    return listings_place(listing_ids=[listing_id]).get(listing_id, {})


def listings_place_unplaced(*, types: Sequence[str] | None = None, batch_size: int = 2000) -> int:
    """Place every listing that is missing from a type with units (posted during a rebuild, imported as sold, or
    whose indexing task was lost). Returns how many listings were looked at."""
    seen = 0
    for unit_type in types or UnitType.values:
        if not InterestUnit.objects.filter(type=unit_type, retired_at__isnull=True).exists():
            continue
        queryset = Listing.objects.exclude(status=ListingStatus.REMOVED).exclude(
            Exists(InterestUnitMember.objects.filter(listing_id=OuterRef("pk"), type=unit_type))
        )
        if unit_type == UnitType.IMAGE:
            queryset = queryset.exclude(photo="")
        cursor = 0
        while True:
            ids = list(queryset.filter(pk__gt=cursor).order_by("pk").values_list("pk", flat=True)[:batch_size])
            if not ids:
                break
            listings_place(listing_ids=ids, types=[unit_type])
            seen += len(ids)
            cursor = ids[-1]
    return seen
