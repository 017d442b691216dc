"""Placing listings in their units without a rebuild: by attribute key (SPU), by semantic code path (semantic)
and by nearest centroid (image; semantic when its path has no unit). A new listing is embedded and placed here
within a couple of seconds of being posted (`listing_index`, run by the task of the same name).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from interest_units.clustering import SpuItem, nearest_rows, semantic_codes, semantic_key, spu_resolve
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


_CODEBOOK_CACHE: dict[int, list[np.ndarray]] = {}


def semantic_codebooks_latest() -> list[np.ndarray] | None:
    """The residual k-means codebooks of the latest finished build (cached per build in this process)."""
    build_id = (
        UnitBuild.objects.filter(status=BuildStatus.DONE, semantic_codebooks__isnull=False)
        .order_by("-finished_at", "-pk").values_list("pk", flat=True).first()
    )
    if build_id is None:
        return None
    if build_id not in _CODEBOOK_CACHE:
        blob = UnitBuild.objects.filter(pk=build_id).values_list("semantic_codebooks", flat=True).get()
        with np.load(io.BytesIO(bytes(blob))) as archive:
            _CODEBOOK_CACHE.clear()
            _CODEBOOK_CACHE[build_id] = [archive[f"level_{i}"] for i in range(len(archive.files))]
    return _CODEBOOK_CACHE[build_id]


@dataclass
class SemanticIndex:
    codebooks: list[np.ndarray] | None
    units: dict[str, int]
    _centroids: tuple[np.ndarray, np.ndarray, list[str]] | None = field(default=None, repr=False)

    @classmethod
    def load(cls) -> SemanticIndex:
        units = dict(
            InterestUnit.objects.filter(type=UnitType.SEMANTIC, retired_at__isnull=True).values_list("key", "id")
        )
        return cls(semantic_codebooks_latest() if units else None, units)

    def centroids(self) -> tuple[np.ndarray, np.ndarray, list[str]]:
        if self._centroids is None:
            rows = list(InterestUnit.objects.filter(type=UnitType.SEMANTIC, retired_at__isnull=True,
                                                    centroid__isnull=False).values_list("id", "centroid", "key"))
            ids = np.array([r[0] for r in rows], dtype=np.int64)
            matrix = np.array([as_vector(r[1]) for r in rows], dtype=np.float32).reshape(len(rows), -1)
            self._centroids = (ids, matrix, [r[2] for r in rows])
        return self._centroids

    def place_many(self, vectors: np.ndarray) -> list[int | None]:
        """The deepest unit on each vector's code path; else the nearest unit centroid in the same level-1 subtree,
        else the nearest unit centroid overall."""
        if not self.units or not len(vectors):
            return [None] * len(vectors)
        out: list[int | None] = [None] * len(vectors)
        if self.codebooks is not None and self.codebooks[0].shape[1] == vectors.shape[1]:
            codes = semantic_codes(vectors, self.codebooks)
            for row, path in enumerate(codes):
                for depth in range(len(path), 0, -1):
                    unit_id = self.units.get(semantic_key(path[:depth]))
                    if unit_id is not None:
                        out[row] = unit_id
                        break
        else:
            codes = None
        missing = [row for row, unit_id in enumerate(out) if unit_id is None]
        if missing:
            ids, matrix, keys = self.centroids()
            if len(ids):
                sims = vectors[missing] @ matrix.T
                for j, row in enumerate(missing):
                    if codes is not None:
                        prefix = f"{codes[row][0]}"
                        subtree = [i for i, key in enumerate(keys) if key == prefix or key.startswith(prefix + "-")]
                        if subtree:
                            out[row] = int(ids[subtree[int(np.argmax(sims[j, subtree]))]])
                            continue
                    out[row] = int(ids[int(np.argmax(sims[j]))])
        return out


@dataclass
class ImageIndex:
    encoder: str
    ids: np.ndarray
    centroids: np.ndarray

    @classmethod
    def load(cls) -> ImageIndex | None:
        rows = list(InterestUnit.objects.filter(type=UnitType.IMAGE, retired_at__isnull=True,
                                                image_centroid__isnull=False).values_list("id", "image_centroid"))
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
                   np.array([r[1] for r in rows], dtype=np.float32))

    def place_many(self, listings: Sequence[Listing]) -> dict[int, int]:
        vectors = listing_image_vectors(listings=listings, encoder_name=self.encoder)
        if not vectors:
            return {}
        listing_ids = list(vectors)
        matrix = np.stack([vectors[i] for i in listing_ids])
        if matrix.shape[1] != self.centroids.shape[1]:
            log.warning("image descriptor length %d differs from the units' %d", matrix.shape[1],
                        self.centroids.shape[1])
            return {}
        nearest = nearest_rows(matrix, self.centroids)
        return {listing_id: int(self.ids[j]) for listing_id, j in zip(listing_ids, nearest, strict=True)}


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
        if UnitType.SPU in types:
            spu = SpuIndex.load()
            for listing in listings:
                unit_id = spu.place(listing)
                if unit_id is not None:
                    wanted[(listing.pk, UnitType.SPU)] = unit_id
        if UnitType.SEMANTIC in types:
            with_vector = [x for x in listings if x.text_embedding is not None]
            if with_vector:
                vectors = np.array([as_vector(x.text_embedding) for x in with_vector], dtype=np.float32)
                for listing, unit_id in zip(with_vector, SemanticIndex.load().place_many(vectors), strict=True):
                    if unit_id is not None:
                        wanted[(listing.pk, UnitType.SEMANTIC)] = unit_id
        if UnitType.IMAGE in types:
            image = ImageIndex.load()
            if image is not None:
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
