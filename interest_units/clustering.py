"""The grouping algorithms behind the three interest-unit types (IU4Rec 4.1.1), free of Django.

- SPU: brand + leaf category (MerRec's product_id); small groups fall back to the leaf, then the parent category
  ("various brands"); very large groups are split by size / colour / condition.
- Image: k-means over image descriptors within each parent category ("Shoes"), so a unit never mixes kinds of
  items; clusters below the minimum size give their members to the nearest kept cluster.
- Semantic: hierarchical semantic IDs. Level 1 is the listing's category (its leaf, or its parent when the leaf
  is too small: IU4Rec 4.1 builds its IDs from multimodal features, and the category is the feature a shopper
  checks first); levels 2 and 3 are residual k-means codes of the text embedding within that category (one
  codebook per level over the residual of the previous level, as in RQ-VAE's quantiser without the learned
  encoder), standing in for the paper's generative GSID. A unit is a tree node (a code prefix) with at least
  `min_members` listings; each listing joins the deepest such node on its path. Leaves too small for a unit are
  pooled in their parent, then their department.
Plus the matching of old units to new groups by overlap (stable ids). The quality report is in `quality`.
"""

from __future__ import annotations

import re
import warnings
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

# -- SPU ----------------------------------------------------------------------------------------------------

SPLIT_ATTRIBUTES = ("size", "color", "condition")  # the key attributes that refine a huge brand + leaf group
REST_VALUE = "*"


@dataclass(frozen=True)
class SpuItem:
    listing_id: int
    brand_id: int | None
    c0: int | None
    c1: int | None
    c2: int | None
    size: str = ""
    color: str = ""
    condition: int | None = None

    def attribute(self, name: str) -> str:
        if name == "condition":
            return str(self.condition) if self.condition else ""
        return attribute_value_normalise(getattr(self, name))


def attribute_value_normalise(value: str) -> str:
    """A key-safe attribute value: lower case, no ':' or '=', at most 24 characters."""
    value = re.sub(r"[^a-z0-9.+/ -]+", "", " ".join(str(value).lower().split()))
    return value.strip()[:24]


def spu_key_chain(item: SpuItem) -> list[str]:
    """The SPU keys of a listing, most specific first: product (brand + leaf), leaf, parent, brand alone. A whole
    department ("Women") is no interest a shopper follows: it is a key only for listings filed under it alone."""
    keys = []
    if item.brand_id and item.c2:
        keys.append(f"p{item.brand_id}-{item.c2}")
    keys.extend(category_chain(item.c0, item.c1, item.c2) if (item.c0 or item.c1 or item.c2) else [])
    if item.brand_id and not item.c2:
        keys.append(f"b:{item.brand_id}")
    return keys


def key_base(key: str) -> str:
    """"p12-345:size=m:color=red" -> "p12-345"."""
    return ":".join(part for part in key.split(":") if "=" not in part)


@dataclass
class SpuGroup:
    key: str
    members: list[int]
    split: list[tuple[str, str]]  # [(attribute, value)], value REST_VALUE for "any other value"
    rest: bool = False  # also takes the values of its parent split that have no unit of their own


def chain_groups(chains: Sequence[Sequence[str]], *, min_members: int) -> list[str | None]:
    """For each row, the first key of its chain (most specific first) that at least `min_members` of the rows still
    looking share; None when its chain runs out. SPU keys and semantic categories are grouped this way."""
    out: list[str | None] = [None] * len(chains)
    pending = list(range(len(chains)))
    level = 0
    while pending:
        counts = Counter(chains[row][level] for row in pending if level < len(chains[row]))
        if not counts:
            break
        still = []
        for row in pending:
            if level >= len(chains[row]):
                continue
            if counts[chains[row][level]] >= min_members:
                out[row] = chains[row][level]
            else:
                still.append(row)
        pending = still
        level += 1
    return out


def spu_groups(items: Sequence[SpuItem], *, min_members: int, max_members: int) -> list[SpuGroup]:
    """Group listings by their most specific SPU key that has at least `min_members` listings."""
    keys = chain_groups([spu_key_chain(item) for item in items], min_members=min_members)
    grouped: dict[str, list[SpuItem]] = {}
    for item, key in zip(items, keys, strict=True):
        if key is not None:  # None: no key left, in no SPU unit
            grouped.setdefault(key, []).append(item)
    groups: list[SpuGroup] = []
    for key, members in grouped.items():
        groups.extend(_spu_split(key, members, [], min_members=min_members, max_members=max_members))
    groups.sort(key=lambda g: g.key)
    return groups


def _spu_split(key: str, members: list[SpuItem], split: list[tuple[str, str]], *, min_members: int,
               max_members: int) -> list[SpuGroup]:
    used = {attr for attr, _ in split}
    if len(members) <= max_members or len(used) >= 2:
        return [SpuGroup(key, [m.listing_id for m in members], split)]
    best: tuple[float, str, list[str]] | None = None
    for attr in SPLIT_ATTRIBUTES:
        if attr in used:
            continue
        counts = Counter(m.attribute(attr) for m in members)
        kept = [v for v, n in counts.most_common() if v and n >= min_members]
        covered = sum(counts[v] for v in kept) / len(members)
        if len(kept) < 2 or covered < 0.5:
            continue
        score = covered * (1.0 - counts[kept[0]] / len(members))  # cover much, and not one dominant value
        if best is None or score > best[0]:
            best = (score, attr, kept)
    if best is None:
        return [SpuGroup(key, [m.listing_id for m in members], split)]
    _, attr, kept = best
    by_value: dict[str, list[SpuItem]] = defaultdict(list)
    kept_set = set(kept)
    for m in members:
        value = m.attribute(attr)
        by_value[value if value in kept_set else REST_VALUE].append(m)
    rest_into: str | None = None
    if 0 < len(by_value.get(REST_VALUE, [])) < min_members:
        rest_into = kept[0]  # too few "other" listings for a unit of their own: the biggest value takes them
        by_value[rest_into].extend(by_value.pop(REST_VALUE))
    out: list[SpuGroup] = []
    for value, part in sorted(by_value.items()):
        sub = _spu_split(f"{key}:{attr}={value}", part, [*split, (attr, value)], min_members=min_members,
                         max_members=max_members)
        if value == rest_into:
            for group in sub:
                group.rest = True
        out.extend(sub)
    return out


def spu_resolve(item: SpuItem, units: dict[str, int], rest_units: dict[str, int]) -> int | None:
    """The unit id of a new listing: its most specific SPU key that is a live unit, walking attribute splits.

    `units` maps live unit keys to ids; `rest_units` maps a split parent key (e.g. "p12-345") to the unit that
    takes values without a unit of their own.
    """
    split_attr: dict[str, str] = {}
    for key in units:
        parts = key.split(":")
        for i, part in enumerate(parts):
            if "=" in part:
                split_attr.setdefault(":".join(parts[:i]), part.split("=", 1)[0])

    def resolve(key: str) -> int | None:
        if key in units:
            return units[key]
        attr = split_attr.get(key)
        if attr is None:
            return None
        value = item.attribute(attr)
        found = resolve(f"{key}:{attr}={value}") if value else None
        if found is None:
            found = resolve(f"{key}:{attr}={REST_VALUE}")
        if found is None and key in rest_units:
            found = rest_units[key]
        return found

    def any_child(key: str) -> int | None:
        """A split group whose value has no unit of its own and no "other" unit: its biggest sibling's parent key
        still names the right brand and leaf, so the listing joins the first child rather than a wider unit."""
        children = sorted(k for k in units if k.startswith(key + ":"))
        return units[children[0]] if children else None

    for key in spu_key_chain(item):
        unit_id = resolve(key)
        if unit_id is None and key in split_attr:
            unit_id = any_child(key)
        if unit_id is not None:
            return unit_id
    return None


# -- k-means ------------------------------------------------------------------------------------------------

def distinct_rows(x: np.ndarray) -> int:
    return int(np.unique(np.round(x, 4), axis=0).shape[0]) if len(x) else 0


def kmeans(x: np.ndarray, k: int, *, seed: int = 0, init: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Centroids (k', d) and labels (n,), k' = min(k, distinct rows). MiniBatchKMeans above 20k rows."""
    from sklearn.cluster import KMeans, MiniBatchKMeans

    x = np.asarray(x, dtype=np.float32)
    k = max(1, min(k, distinct_rows(x)))
    if k == 1:
        return x.mean(axis=0, keepdims=True), np.zeros(len(x), dtype=np.int64)
    start = init if init is not None and init.shape == (k, x.shape[1]) else "k-means++"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # ConvergenceWarning on duplicate points is expected and harmless
        if len(x) > 20000:
            model = MiniBatchKMeans(n_clusters=k, random_state=seed, batch_size=4096, n_init=1 if init is not None
                                    else 3, init=start, max_iter=100)
        else:
            model = KMeans(n_clusters=k, random_state=seed, n_init=1, init=start, max_iter=100)
        labels = model.fit_predict(x)
    return model.cluster_centers_.astype(np.float32), labels.astype(np.int64)


def nearest_rows(x: np.ndarray, centroids: np.ndarray, batch: int = 8192) -> np.ndarray:
    """Index of the nearest centroid (euclidean) for each row of x."""
    out = np.empty(len(x), dtype=np.int64)
    c_sq = (centroids ** 2).sum(axis=1)
    for start in range(0, len(x), batch):
        part = x[start:start + batch]
        d = c_sq[None, :] - 2.0 * part @ centroids.T
        out[start:start + batch] = d.argmin(axis=1)
    return out


# -- semantic IDs -------------------------------------------------------------------------------------------

def semantic_level_sizes(n: int, *, levels: int = 3, max_codes: int = 128, level1_target: float = 80.0,
                         leaf_target: float = 3.0) -> list[int]:
    """Codes per level: up to 128 a level (IU4Rec's GSID), fewer for small data.

    Level 1 is the broad topic: ~`level1_target` listings a code. The deeper levels split a topic until a leaf holds
    ~`leaf_target`: 10k listings give [125, 5, 5], 100k give [128, 16, 16], 20M give [128, 128, 128].
    """
    first = int(min(max_codes, max(2, round(max(n, 1) / level1_target))))
    per_topic = max(n, 1) / first
    deeper = int(min(max_codes, max(2, round((per_topic / leaf_target) ** (1.0 / max(levels - 1, 1))))))
    return [first] + [deeper] * (levels - 1)


def residual_kmeans(x: np.ndarray, level_sizes: Sequence[int], *, seed: int = 0,
                    init: Sequence[np.ndarray] | None = None) -> tuple[list[np.ndarray], np.ndarray]:
    """Codebooks [(k_l, d)] and codes (n, levels): level l quantises the residual left by levels < l."""
    residual = np.asarray(x, dtype=np.float32).copy()
    codebooks: list[np.ndarray] = []
    codes = np.zeros((len(x), len(level_sizes)), dtype=np.int64)
    for level, k in enumerate(level_sizes):
        start = init[level] if init is not None and level < len(init) else None
        centroids, labels = kmeans(residual, k, seed=seed + level, init=start)
        codebooks.append(centroids)
        codes[:, level] = labels
        residual -= centroids[labels]
    return codebooks, codes


def semantic_codes(x: np.ndarray, codebooks: Sequence[np.ndarray]) -> np.ndarray:
    """Codes (n, levels) of new vectors under fitted codebooks (nearest codeword per level)."""
    residual = np.asarray(x, dtype=np.float32).copy()
    codes = np.zeros((len(residual), len(codebooks)), dtype=np.int64)
    for level, codebook in enumerate(codebooks):
        labels = nearest_rows(residual, codebook)
        codes[:, level] = labels
        residual -= codebook[labels]
    return codes


def semantic_nodes(codes: np.ndarray, *, min_members: int) -> list[tuple[int, ...] | None]:
    """For each row, the deepest code prefix that keeps at least `min_members` rows of its own (None when even its
    level-1 node cannot). Bottom-up: a leaf with enough rows is a unit; the rest move up to their parent node."""
    paths = [tuple(int(c) for c in row) for row in codes]
    out: list[tuple[int, ...] | None] = [None] * len(paths)
    pending = list(range(len(paths)))
    for depth in range(codes.shape[1] if len(paths) else 0, 0, -1):
        groups: dict[tuple[int, ...], list[int]] = defaultdict(list)
        for row in pending:
            groups[paths[row][:depth]].append(row)
        pending = []
        for node, rows in groups.items():
            if len(rows) >= min_members:
                for row in rows:
                    out[row] = node
            else:
                pending.extend(rows)
    return out


def semantic_key(codes: Iterable[int], partition: str = "") -> str:
    """"c2:345/3-1": the category, then the code path inside it ("c2:345" alone for the category's root)."""
    path = "-".join(str(int(c)) for c in codes)
    if not partition:
        return path
    return f"{partition}/{path}" if path else partition


NO_CATEGORY = "none"


def category_chain(c0: int | None, c1: int | None, c2: int | None) -> list[str]:
    """A listing's category keys, most specific first: its leaf, then its parent ("none" without a category). The
    department is a key only for a listing filed under nothing narrower: units stay within a parent category."""
    chain = [f"{level}:{node}" for level, node in (("c2", c2), ("c1", c1)) if node]
    if not chain and c0:
        chain = [f"c0:{c0}"]
    return chain or [NO_CATEGORY]


def partition_semantic_nodes(x: np.ndarray, *, min_members: int, level1_target: float, leaf_target: float,
                             seed: int = 0, init: Sequence[np.ndarray] | None = None,
                             ) -> tuple[list[np.ndarray], list[tuple[int, ...]]]:
    """The code path of each row of one category (x: (n, d) text vectors): the deepest node with `min_members`
    rows of its own. Rows whose first code is too small join the nearest node; a category too small to split is
    one node, the empty path. Returns the category's codebooks and one path per row."""
    n = len(x)
    if n < 2 * min_members:
        return [], [()] * n
    sizes = semantic_level_sizes(n, levels=2, max_codes=128, level1_target=level1_target, leaf_target=leaf_target)
    if init is not None and len(init) == len(sizes) and all(0.8 <= len(book) / k <= 1.25
                                                            for book, k in zip(init, sizes, strict=True)):
        sizes = [len(book) for book in init]  # a category that barely changed keeps its code space
    else:
        init = None
    codebooks, codes = residual_kmeans(x, sizes, seed=seed, init=init)
    nodes = semantic_nodes(codes, min_members=min_members)
    kept = sorted({node for node in nodes if node is not None})
    if not kept:
        return codebooks, [()] * n
    leftovers = [row for row, node in enumerate(nodes) if node is None]
    if leftovers:
        centres = np.stack([x[[r for r, node in enumerate(nodes) if node == k]].mean(axis=0) for k in kept])
        for row, j in zip(leftovers, nearest_rows(x[leftovers], centres), strict=True):
            nodes[row] = kept[int(j)]
    return codebooks, [tuple(node) for node in nodes if node is not None]


# -- image clusters -----------------------------------------------------------------------------------------

def image_clusters(x: np.ndarray, *, min_members: int, target_size: int, max_clusters: int, seed: int = 0,
                   init: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Labels (n,) in 0..k'-1 and centroids (k', d); clusters under `min_members` are dissolved into the rest.

    `init`: the previous build's centroids; when their number is within 25% of the k this data asks for, k-means
    starts from them, so clusters (and unit ids) stay put where the photos did.
    """
    k = int(min(max_clusters, max(1, round(len(x) / max(target_size, 1)))))
    if init is not None and len(init) and 0.8 <= len(init) / k <= 1.25 and init.shape[1] == x.shape[1]:
        k = min(len(init), distinct_rows(x))
        init = init[:k]
    else:
        init = None
    centroids, labels = kmeans(x, k, seed=seed, init=init)
    for _ in range(3):
        sizes = np.bincount(labels, minlength=len(centroids))
        keep = np.flatnonzero(sizes >= min_members)
        if len(keep) == 0:
            keep = np.array([int(sizes.argmax())])
        if len(keep) == len(centroids):
            break
        centroids = centroids[keep]
        labels = nearest_rows(x, centroids)
        centroids = np.stack([x[labels == j].mean(axis=0) if (labels == j).any() else centroids[j]
                              for j in range(len(centroids))])
    sizes = np.bincount(labels, minlength=len(centroids))
    used = np.flatnonzero(sizes > 0)
    remap = -np.ones(len(centroids), dtype=np.int64)
    remap[used] = np.arange(len(used))
    return remap[labels], centroids[used].astype(np.float32)


# -- stable ids ---------------------------------------------------------------------------------------------

def units_match(old_members: dict[int, set[int]], new_members: dict[str, set[int]], *,
                old_keys: dict[int, str] | None = None) -> dict[str, int]:
    """Map new group key -> old unit id where membership mostly persists.

    A pair matches when the overlap is more than half of both the old unit's members and the new group's (so a
    unit matches at most one group). With `old_keys`, a group whose key names an old unit keeps that id first
    (SPU keys are deterministic); when several old units share a key, the one listed last in `old_keys` wins.
    """
    matched: dict[str, int] = {}
    taken: set[int] = set()
    if old_keys:
        by_key = {key: unit_id for unit_id, key in old_keys.items()}
        for key in new_members:
            unit_id = by_key.get(key)
            if unit_id is not None and unit_id not in taken:
                matched[key] = unit_id
                taken.add(unit_id)
    owner: dict[int, int] = {}
    for unit_id, members in old_members.items():
        for listing_id in members:
            owner[listing_id] = unit_id
    candidates: list[tuple[int, str, int]] = []
    for key, members in new_members.items():
        if key in matched:
            continue
        overlap = Counter(owner[i] for i in members if i in owner)
        for unit_id, shared in overlap.items():
            if unit_id in taken:
                continue
            if shared * 2 > len(members) and shared * 2 > len(old_members[unit_id]):
                candidates.append((shared, key, unit_id))
    for _, key, unit_id in sorted(candidates, key=lambda c: (-c[0], c[1], c[2])):
        if key not in matched and unit_id not in taken:
            matched[key] = unit_id
            taken.add(unit_id)
    return matched
