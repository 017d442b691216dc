"""`build_interest_units`: rebuild the units of every type from the active catalogue (IU4Rec 4.1.1).

Clustering runs outside any lock on a snapshot of the catalogue; the write phase of each type runs in one
transaction under the exclusive units lock. Old units keep their ids where their membership mostly persists
(SPU: where the key is the same), so the statistics on them survive; units that no longer exist are retired.
Listings posted meanwhile, and sold listings never placed, are placed afterwards with the online rules.
"""

from __future__ import annotations

import logging
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
from django.db import connection, transaction
from django.utils import timezone

from interest_units import clustering, quality
from interest_units.clustering import SpuItem
from interest_units.embeddings import as_vector
from interest_units.image_features import image_encoder_name
from interest_units.models import BuildStatus, InterestUnit, InterestUnitMember, UnitBuild, UnitType
from interest_units.services.embedding import listing_embeddings_backfill
from interest_units.services.images import listing_image_vectors
from interest_units.services.locks import units_lock_exclusive
from interest_units.services.placement import (
    listings_place_unplaced,
    semantic_codebooks_latest,
    semantic_codebooks_pack,
)
from interest_units.services.sql import bulk_update_fast
from interest_units.services.stats import unit_stats_refresh
from interest_units.services.titling import interest_units_retitle
from marketplace.models import Listing, ListingStatus

log = logging.getLogger(__name__)

BUILD_STATUSES = (ListingStatus.ACTIVE, ListingStatus.RESERVED)  # what is clustered; sold members stay put
NO_LISTINGS = "The catalogue has no active listings: nothing to build, existing units are left as they are."
NO_PHOTOS = "No active listing has a readable photo: no image units (they are built from photos only)."
NO_VECTORS = "No active listing has a text embedding: no semantic units."
SPU_UNPLACED = "{n} active listing(s) have no brand and no category, or too few alike: they are in no SPU unit."
NO_TEXT_VECTOR = "{n} active listing(s) could not be embedded: they are in no semantic unit."
DUPLICATES = "{n} active listing(s) repeat another listing's title, brand and category exactly."

Report = Callable[[str], None]


@dataclass
class BuildConfig:
    """Settings of a rebuild. Defaults suit 10k-100k listings; smaller catalogues scale them down."""

    seed: int = 0
    spu_min_members: int = 3  # an SPU unit needs this many listings; smaller groups fall back to their category
    spu_max_members: int = 500  # a brand + leaf group above this is split by size / colour / condition
    image_min_members: int = 3
    image_target_size: int = 30  # k = listings with a photo / this
    image_max_clusters: int = 1024
    semantic_levels: int = 3
    semantic_max_codes: int = 128  # codes per level at full scale (IU4Rec's GSID: 3 levels of 128)
    semantic_level1_target: float = 24.0  # listings per level-2 code within one category (level 1)
    semantic_leaf_target: float = 3.0  # listings per level-3 node
    semantic_min_members: int = 5  # a semantic tree node is a unit when it has this many listings

    def scaled(self, n: int) -> BuildConfig:
        """Minimum sizes shrink for catalogues of a few hundred listings, the split threshold with the catalogue."""
        small = n < 300
        return BuildConfig(
            seed=self.seed,
            spu_min_members=min(self.spu_min_members, 2) if small else self.spu_min_members,
            spu_max_members=min(self.spu_max_members, max(50, n // 20)),
            image_min_members=min(self.image_min_members, 2) if small else self.image_min_members,
            image_target_size=self.image_target_size,
            image_max_clusters=self.image_max_clusters,
            semantic_levels=self.semantic_levels,
            semantic_max_codes=self.semantic_max_codes,
            semantic_level1_target=self.semantic_level1_target,
            semantic_leaf_target=self.semantic_leaf_target,
            semantic_min_members=min(self.semantic_min_members, 3) if small else self.semantic_min_members,
        )


@dataclass
class Catalogue:
    """A snapshot of the listings being grouped, as parallel arrays (row i = one listing)."""

    ids: np.ndarray  # (n,) listing ids
    active: np.ndarray  # (n,) bool
    titles: list[str]
    items: list[SpuItem]
    brand_names: list[str]
    category_names: list[tuple[str, str, str]]
    vectors: np.ndarray  # (n, 384) float32, zero rows where there is no embedding
    has_vector: np.ndarray  # (n,) bool
    has_photo: np.ndarray  # (n,) bool
    names: dict[str, dict[int, str]] = field(default_factory=dict)  # "brand" / "category": id -> name

    def __len__(self) -> int:
        return len(self.ids)


@dataclass
class NewUnit:
    key: str
    rows: np.ndarray  # catalogue rows of the members
    codes: list[int] = field(default_factory=list)
    attributes: dict = field(default_factory=dict)
    image_centroid: np.ndarray | None = None


def _catalogue_load() -> Catalogue:
    rows = list(
        Listing.objects.filter(status__in=BUILD_STATUSES).order_by("pk").values_list(
            "pk", "status", "title", "brand_id", "brand__name", "c0_id", "c1_id", "c2_id", "c0__name", "c1__name",
            "c2__name", "size", "color", "condition", "photo", "text_embedding",
        )
    )
    n = len(rows)
    vectors = np.zeros((n, 384), dtype=np.float32)
    has_vector = np.zeros(n, dtype=bool)
    names: dict[str, dict[int, str]] = {"brand": {}, "category": {}}
    for i, row in enumerate(rows):
        if row[15] is not None:
            vectors[i] = as_vector(row[15])
            has_vector[i] = True
        if row[3]:
            names["brand"][row[3]] = row[4]
        for cid, cname in zip(row[5:8], row[8:11], strict=True):
            if cid:
                names["category"][cid] = cname
    return Catalogue(
        ids=np.array([r[0] for r in rows], dtype=np.int64),
        active=np.array([r[1] == ListingStatus.ACTIVE for r in rows], dtype=bool),
        titles=[r[2] or "" for r in rows],
        items=[SpuItem(r[0], r[3], r[5], r[6], r[7], r[11] or "", r[12] or "", r[13]) for r in rows],
        brand_names=[r[4] or "" for r in rows],
        category_names=[(r[8] or "", r[9] or "", r[10] or "") for r in rows],
        vectors=vectors,
        has_vector=has_vector,
        has_photo=np.array([bool(r[14]) for r in rows], dtype=bool),
        names=names,
    )


# -- the three builders: catalogue -> new units ----------------------------------------------------------------

def _spu_units(cat: Catalogue, cfg: BuildConfig, messages: list[str]) -> list[NewUnit]:
    row_of = {int(listing_id): row for row, listing_id in enumerate(cat.ids)}
    groups = clustering.spu_groups(cat.items, min_members=cfg.spu_min_members, max_members=cfg.spu_max_members)
    placed = sum(len(g.members) for g in groups)
    unplaced_active = int(cat.active.sum()) - sum(int(cat.active[row_of[i]]) for g in groups for i in g.members)
    if unplaced_active:
        messages.append(SPU_UNPLACED.format(n=unplaced_active))
    units = []
    for group in groups:
        base = clustering.key_base(group.key)
        kind, _, ident = base.partition(":") if ":" in base else ("p", "", base[1:])
        attributes: dict = {"kind": {"p": "product", "c2": "leaf", "c1": "c1", "c0": "c0", "b": "brand"}[kind],
                            "split": [list(pair) for pair in group.split]}
        if kind == "p":
            brand_id, leaf_id = (int(x) for x in ident.split("-"))
            attributes.update(brand_id=brand_id, category_id=leaf_id)
        elif kind == "b":
            attributes.update(brand_id=int(ident))
        else:
            attributes.update(category_id=int(ident))
        if attributes.get("brand_id"):
            attributes["brand_name"] = cat.names["brand"].get(attributes["brand_id"], "")
        if attributes.get("category_id"):
            attributes["category_label"] = _category_label(cat, [row_of[i] for i in group.members[:1]], kind)
        if group.split:
            attributes["parent"] = group.key.rsplit(":", 1)[0]
            attributes["rest"] = group.rest
        units.append(NewUnit(group.key, np.array([row_of[i] for i in group.members], dtype=np.int64),
                             attributes=attributes))
    log.info("spu: %d groups over %d listings", len(units), placed)
    return units


def _category_label(cat: Catalogue, rows: Sequence[int], kind: str) -> str:
    """"Shoes › Athletic" for a leaf (with its parent when short), the node's own name otherwise."""
    c0, c1, c2 = cat.category_names[rows[0]]
    if kind in ("p", "c2"):
        return f"{c1} › {c2}" if c1 and len(c1) + len(c2) <= 36 and c1.lower() not in c2.lower() else c2
    return c1 if kind == "c1" else c0


def _image_units(cat: Catalogue, cfg: BuildConfig, messages: list[str], encoder: str) -> list[NewUnit]:
    """Appearance clusters within each parent category ("Shoes"): a photo never joins look-alikes of another kind."""
    rows = np.flatnonzero(cat.has_photo)
    listings = list(Listing.objects.filter(pk__in=cat.ids[rows].tolist()).only("pk", "photo"))
    vectors = listing_image_vectors(listings=listings, encoder_name=encoder)
    rows = np.array([r for r in rows if int(cat.ids[r]) in vectors], dtype=np.int64)
    if len(rows) == 0:
        messages.append(NO_PHOTOS)
        return []
    x = np.stack([vectors[int(cat.ids[r])] for r in rows])
    target = min(cfg.image_target_size, max(cfg.image_min_members, len(rows) // 8))
    previous = _image_centroids_live(encoder, x.shape[1])
    by_part: dict[str, list[int]] = defaultdict(list)
    for j, row in enumerate(rows):
        by_part[clustering.category_chain(cat.items[row].c0, cat.items[row].c1, None)[0]].append(j)
    units = []
    for part in sorted(by_part):
        picked = np.array(by_part[part], dtype=np.int64)
        if len(picked) < cfg.image_min_members:
            continue  # too few photos in this category for a cluster: they wait for more
        labels, centroids = clustering.image_clusters(
            x[picked], min_members=cfg.image_min_members, target_size=target, max_clusters=cfg.image_max_clusters,
            seed=cfg.seed, init=previous.get(part),
        )
        order = sorted(range(len(centroids)), key=lambda j: (-int((labels == j).sum()), j))
        for rank, j in enumerate(order):
            members = picked[labels == j]
            spread = float(np.percentile(np.linalg.norm(x[members] - centroids[j], axis=1), 90))
            units.append(NewUnit(f"{part}/k{rank}", rows[members], attributes={
                "encoder": encoder, "partition": part, "spread": spread}, image_centroid=centroids[j]))
    _image_radii(units)
    return units


def _image_radii(units: list[NewUnit]) -> None:
    """How far from its centroid a new photo may lie and still fit a unit: its 90th-percentile member's distance,
    or half the way to the nearest other unit's centroid when that is further (a cluster of near-identical photos
    would otherwise refuse the next one over a re-encoding's noise)."""
    if not units:
        return
    centroids = np.stack([u.image_centroid for u in units])
    for j, unit in enumerate(units):
        others = np.delete(centroids, j, axis=0)
        gap = (float(np.linalg.norm(others - centroids[j], axis=1).min()) / 2 if len(others)
               else 0.1 * float(np.linalg.norm(centroids[j])))
        unit.attributes["radius"] = round(max(unit.attributes.pop("spread"), gap), 5)


def _image_centroids_live(encoder: str, dim: int) -> dict[str, np.ndarray]:
    """The live image units' centroids per category, to warm-start k-means (same encoder and length only)."""
    by_part: dict[str, list] = defaultdict(list)
    for centroid, attrs in (InterestUnit.objects.filter(type=UnitType.IMAGE, retired_at__isnull=True)
                            .order_by("pk").values_list("image_centroid", "attributes")):
        if centroid and attrs.get("encoder") == encoder and attrs.get("partition") and len(centroid) == dim:
            by_part[attrs["partition"]].append(centroid)
    return {part: np.array(rows, dtype=np.float32) for part, rows in by_part.items()}


def _semantic_units(cat: Catalogue, cfg: BuildConfig, messages: list[str],
                    ) -> tuple[list[NewUnit], dict[str, list[np.ndarray]]]:
    """Semantic IDs within categories (see `clustering`): level 1 is the leaf, or the parent that pools leaves too
    small for units of their own; levels 2-3 are residual k-means codes of the text inside it."""
    rows = np.flatnonzero(cat.has_vector)
    missing = int((~cat.has_vector & cat.active).sum())
    if missing:
        messages.append(NO_TEXT_VECTOR.format(n=missing))
    if len(rows) == 0:
        messages.append(NO_VECTORS)
        return [], {}
    chains = [_semantic_chain(cat.items[r]) for r in rows]
    parts = clustering.chain_groups(chains, min_members=cfg.semantic_min_members)
    by_part: dict[str, list[int]] = defaultdict(list)
    leftovers: list[int] = []
    for row, part in zip(rows, parts, strict=True):
        (by_part[part] if part else leftovers).append(int(row))
    if not by_part:  # fewer listings than the minimum: one unit for all of them
        by_part[clustering.NO_CATEGORY] = rows.tolist()
        leftovers = []
    previous = semantic_codebooks_latest()  # warm start: codes stay put where the data did
    codebooks: dict[str, list[np.ndarray]] = {}
    groups: dict[tuple[str, tuple[int, ...]], list[int]] = defaultdict(list)
    for part in sorted(by_part):
        part_rows = by_part[part]
        books, nodes = clustering.partition_semantic_nodes(
            cat.vectors[part_rows], min_members=cfg.semantic_min_members, level1_target=cfg.semantic_level1_target,
            leaf_target=cfg.semantic_leaf_target, seed=cfg.seed, init=previous.get(part),
        )
        if books:
            codebooks[part] = books
        for row, node in zip(part_rows, nodes, strict=True):
            groups[(part, node)].append(row)
    _leftovers_join(cat, leftovers, sorted(groups), groups)
    keys = sorted(groups)
    units = []
    for part, node in keys:
        members = np.array(sorted(groups[(part, node)]), dtype=np.int64)
        heads = sorted({clustering.category_chain(cat.items[r].c0, cat.items[r].c1, cat.items[r].c2)[0]
                        for r in members})
        units.append(NewUnit(clustering.semantic_key(node, part), members, codes=list(node), attributes={
            "partition": part, "depth": len(node) + 1, "pooled": heads,
            "level_sizes": [len(book) for book in codebooks.get(part, [])],
        }))
    return units, codebooks


def _semantic_chain(item: SpuItem) -> list[str]:
    """Leaf, parent, then the whole department: a department-wide unit (titled after it) is better than a leaf's
    unit diluted by listings from all over the department."""
    chain = clustering.category_chain(item.c0, item.c1, item.c2)
    return chain + [f"c0:{item.c0}"] if item.c0 and chain[-1] != f"c0:{item.c0}" else chain


def _leftovers_join(cat: Catalogue, leftovers: list[int], keys: list, groups: dict) -> None:
    """Listings whose leaf, parent and department are all too small for a unit join the nearest unit of their own
    department; with none there, they wait for the next build. Listings without a category cross no department:
    the nearest unit takes them."""
    if not leftovers or not keys:
        return
    c0_of_key = [Counter(cat.items[r].c0 for r in groups[k]).most_common(1)[0][0] for k in keys]
    centres = np.stack([_unit_vector(cat.vectors[groups[k]]) for k in keys])
    for row in leftovers:
        c0 = cat.items[row].c0
        same = [j for j, unit_c0 in enumerate(c0_of_key) if c0 is None or unit_c0 == c0]
        if same:
            j = same[int(np.argmax(centres[same] @ cat.vectors[row]))]
            groups[keys[j]].append(row)


def _unit_vector(vectors: np.ndarray) -> np.ndarray:
    mean = vectors.mean(axis=0)
    norm = float(np.linalg.norm(mean))
    return mean / norm if norm > 0 else mean


# -- writing ----------------------------------------------------------------------------------------------------

def _dominant(values: Sequence[str]) -> str:
    counts = Counter(v for v in values if v)
    return counts.most_common(1)[0][0] if counts else ""


def _dominant_id(values: Sequence[int | None]) -> int | None:
    """The most common value, None included (a unit of listings without a brand has no dominant brand)."""
    return Counter(values).most_common(1)[0][0] if len(values) else None


def _dominant_attributes(cat: Catalogue, rows: np.ndarray) -> dict:
    """What placement and titles check a unit against: its most common department, parent, leaf and brand."""
    items = [cat.items[r] for r in rows]
    leaf = _dominant_id([i.c2 for i in items])
    return {
        "top_category": _dominant([cat.category_names[r][0] for r in rows]),
        "top_brand": _dominant([cat.brand_names[r] for r in rows]),
        "top_c0_id": _dominant_id([i.c0 for i in items]),
        "top_c1_id": _dominant_id([i.c1 for i in items]),
        "top_leaf_id": leaf,
        "top_leaf_share": round(sum(i.c2 == leaf for i in items) / max(len(items), 1), 4),
        "top_brand_id": _dominant_id([i.brand_id for i in items]),
    }


def _units_write(unit_type: str, new_units: list[NewUnit], cat: Catalogue) -> tuple[dict, list[int]]:
    """Write one type's units and memberships; returns the id bookkeeping and the unit id of each new unit."""
    now = timezone.now()
    catalogue_ids = set(cat.ids.tolist())
    desired: dict[int, str] = {}
    for unit in new_units:
        for row in unit.rows:
            desired[int(cat.ids[row])] = unit.key
    with transaction.atomic():
        units_lock_exclusive()
        live = {u.pk: u for u in InterestUnit.objects.filter(type=unit_type, retired_at__isnull=True)}
        current: dict[int, int] = {}
        old_members: dict[int, set[int]] = {pk: set() for pk in live}
        for listing_id, unit_id in InterestUnitMember.objects.filter(type=unit_type).values_list("listing_id",
                                                                                               "unit_id"):
            if listing_id in catalogue_ids:
                current[listing_id] = unit_id
                if unit_id in old_members:
                    old_members[unit_id].add(listing_id)
        old_keys = None
        if unit_type == UnitType.SPU:  # retired first, live last: a live unit wins a shared key
            old_keys = dict(InterestUnit.objects.filter(type=unit_type, retired_at__isnull=False)
                            .order_by("pk").values_list("pk", "key"))
            old_keys.update({pk: u.key for pk, u in sorted(live.items())})
        new_members = {u.key: {int(cat.ids[r]) for r in u.rows} for u in new_units}
        matched = clustering.units_match(old_members, new_members, old_keys=old_keys)
        original_keys = {pk: u.key for pk, u in live.items()}
        with connection.cursor() as cursor:  # park live keys so matched units can swap keys freely
            cursor.execute(f"UPDATE {InterestUnit._meta.db_table} SET key = '~' || id::text "
                           "WHERE type = %s AND retired_at IS NULL", [unit_type])
        revived = {u.pk: u for u in InterestUnit.objects.filter(pk__in=[pk for pk in matched.values()
                                                                       if pk not in live])}
        to_create, to_update, unit_objects = [], [], []
        for unit in new_units:
            pk = matched.get(unit.key)
            obj = (live.get(pk) or revived.get(pk)) if pk is not None else None
            if obj is None:
                obj = InterestUnit(type=unit_type, title=f"{unit_type} {unit.key}")
                to_create.append(obj)
            else:
                to_update.append(obj)
            vec_rows = unit.rows[cat.has_vector[unit.rows]]
            obj.key = unit.key
            obj.retired_at = None
            obj.codes = unit.codes
            obj.centroid = _unit_vector(cat.vectors[vec_rows]) if len(vec_rows) else None
            obj.image_centroid = [float(v) for v in unit.image_centroid] if unit.image_centroid is not None else None
            obj.attributes = {**unit.attributes, **_dominant_attributes(cat, unit.rows)}
            unit_objects.append(obj)
        retired = [u for pk, u in live.items() if pk not in set(matched.values())]
        for unit in retired:
            unit.retired_at = now
            unit.key = original_keys[unit.pk]
        bulk_update_fast(retired, ["retired_at", "key"])
        InterestUnit.objects.bulk_create(to_create, batch_size=1000)
        bulk_update_fast(to_update, ["key", "retired_at", "codes", "centroid", "image_centroid", "attributes"])
        unit_id_of = {unit.key: obj.pk for unit, obj in zip(new_units, unit_objects, strict=True)}
        moved = [i for i in catalogue_ids if current.get(i) != unit_id_of.get(desired.get(i, ""))]
        for start in range(0, len(moved), 5000):
            InterestUnitMember.objects.filter(type=unit_type, listing_id__in=moved[start:start + 5000]).delete()
        InterestUnitMember.objects.bulk_create(
            [InterestUnitMember(listing_id=i, type=unit_type, unit_id=unit_id_of[desired[i]], joined_at=now)
             for i in moved if i in desired],
            batch_size=5000,
        )
    info = {"ids_kept": len(to_update) - len(revived), "ids_revived": len(revived), "ids_new": len(to_create),
            "ids_retired": len(retired), "memberships_changed": len(moved)}
    return info, [obj.pk for obj in unit_objects]


def _labels(cat: Catalogue, units: list[NewUnit]) -> np.ndarray:
    labels = -np.ones(len(cat), dtype=np.int64)
    for j, unit in enumerate(units):
        labels[unit.rows] = j
    return labels


def _duplicates(cat: Catalogue) -> int:
    seen = Counter((t.strip().lower(), i.brand_id, i.c2) for t, i, a in zip(cat.titles, cat.items, cat.active,
                                                                              strict=True) if a)
    return sum(n - 1 for n in seen.values() if n > 1)


def interest_units_build(*, types: Sequence[str] | None = None, config: BuildConfig | None = None,
                         embed_missing: bool = True, report: Report | None = None) -> UnitBuild:
    """Rebuild the units of `types` (all by default). Returns the build, whose `report` holds, per type: count,
    coverage of active listings, size distribution, purity and intra- vs inter-unit similarity."""
    say = report or log.info
    types = [t for t in UnitType.values if t in (types or UnitType.values)]
    config = config or BuildConfig()
    build = UnitBuild.objects.create(types=types, config=asdict(config))
    messages: list[str] = []
    try:
        if embed_missing:
            embedded = listing_embeddings_backfill(progress=lambda done, total: say(f"embedded {done}/{total}")
                                                   if done == total or done % 2048 == 0 else None)
            if embedded:
                say(f"embedded {embedded} listing(s) that had no text embedding")
        started = time.perf_counter()
        cat = _catalogue_load()
        say(f"loaded {len(cat)} listings ({int(cat.active.sum())} active) in {time.perf_counter() - started:.1f} s")
        if not len(cat):
            messages.append(NO_LISTINGS)
        elif dup := _duplicates(cat):
            messages.append(DUPLICATES.format(n=dup))
        cfg = config.scaled(len(cat))
        results: dict[str, dict] = {}
        encoder = image_encoder_name()
        for unit_type in types:
            started = time.perf_counter()
            first_message = len(messages)
            codebooks: dict[str, list[np.ndarray]] = {}
            extra_vectors = None
            if not len(cat):
                units: list[NewUnit] = []
            elif unit_type == UnitType.SPU:
                units = _spu_units(cat, cfg, messages)
            elif unit_type == UnitType.IMAGE:
                units = _image_units(cat, cfg, messages, encoder)
            else:
                units, codebooks = _semantic_units(cat, cfg, messages)
            if not units:
                reason = " ".join(messages[first_message:]) or (NO_LISTINGS if not len(cat) else "no groups")
                results[unit_type] = {"count": 0, "coverage": 0.0, "message": reason}
                continue
            if unit_type == UnitType.IMAGE:
                build.image_encoder = encoder
                extra_vectors = _image_matrix(cat, units)
            if codebooks:
                build.semantic_codebooks = semantic_codebooks_pack(codebooks)
                build.save(update_fields=["semantic_codebooks", "image_encoder"])
            info, _ = _units_write(unit_type, units, cat)
            labels = _labels(cat, units)
            results[unit_type] = {
                **quality.quality_report(
                    labels=labels, active=cat.active, leaf=[i.c2 for i in cat.items],
                    brand=[i.brand_id for i in cat.items], text_vectors=cat.vectors, extra_vectors=extra_vectors,
                ),
                **info,
                "seconds": round(time.perf_counter() - started, 2),
            }
            if unit_type == UnitType.SEMANTIC:
                results[unit_type]["categories"] = len({u.attributes["partition"] for u in units})
        built = [t for t in types if results.get(t, {}).get("count")]
        if built:
            started = time.perf_counter()
            interest_units_retitle(unit_types=built)
            placed = listings_place_unplaced(types=built)
            # The units' counters from the events their members already have (the seeded or imported history
            # too), so a fresh unit is not ranked by whoever clicks first.
            unit_stats_refresh(unit_ids=InterestUnit.objects.filter(type__in=built, retired_at__isnull=True)
                               .values_list("pk", flat=True))
            say(f"titles, placing {placed} listing(s) left out of the snapshot, statistics: "
                f"{time.perf_counter() - started:.1f} s")
        build.report = results
        build.messages = messages
        build.status = BuildStatus.DONE
        build.finished_at = timezone.now()
        build.save()
    except Exception as error:
        build.status = BuildStatus.FAILED
        build.messages = [*messages, f"{type(error).__name__}: {error}"]
        build.finished_at = timezone.now()
        build.save()
        raise
    for unit_type in types:
        for line in quality.report_lines(unit_type, results.get(unit_type, {})):
            say(line)
    for message in messages:
        say(message)
    return build


def _image_matrix(cat: Catalogue, units: list[NewUnit]) -> np.ndarray:
    """(n, d) image descriptors aligned with the catalogue (zero rows for listings without one)."""
    from interest_units.models import ListingImageFeature

    rows = np.concatenate([u.rows for u in units])
    vectors = dict(ListingImageFeature.objects.filter(listing_id__in=cat.ids[rows].tolist(),
                                                      encoder=units[0].attributes["encoder"])
                   .values_list("listing_id", "vector"))
    dim = len(next(iter(vectors.values()))) if vectors else 1
    out = np.zeros((len(cat), dim), dtype=np.float32)
    for row in rows:
        vector = vectors.get(int(cat.ids[row]))
        if vector is not None:
            out[row] = vector
    return out
