"""A made-up but realistic Mercari-like catalogue: category tree, brands, listings (MerRec section 3, table 1).

The tree (15 c0, ~120 c1, ~540 c2) and the brand names are fixed data in `catalog_data.py`; the seed only
jitters per-leaf base prices and brand premiums, so ids and names are identical for every seed. Ids are disjoint
by level: c0 in 1..99, c1 from 100, c2 from 1000.

Listings imitate MerRec's columns: a title in the way sellers write them (brand, product line, attributes,
"NWT", "Lot of 3", ...), a short description, a price drawn lognormally around the leaf's base price and scaled by
condition and brand, a size where the category has sizes, a colour, the shipping payer and one of MerRec's six
condition ids.
"""

from __future__ import annotations

import math
import random
import re
from bisect import bisect
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import cache
from itertools import accumulate

from demo.catalog_data import (
    BRAND_GROUPS,
    BRAND_LINES,
    BRAND_PREMIUM,
    BUNDLE_KINDS,
    CARRIERS,
    CASE_STYLE,
    COLOUR_WEIGHTS,
    CONDITION_TAGS,
    CONSOLE,
    DENIM_COLOURS,
    DESCRIPTION_CONDITION,
    DESCRIPTION_EXTRAS,
    DESCRIPTION_STYLE,
    LAPTOP_SPECS,
    MATERIALS,
    MONITOR,
    SCREEN,
    SEALED_KINDS,
    SHAPE_COLOURS,
    SIZE_SYSTEMS,
    STORAGE,
    STYLE_WORDS,
    TECH_STYLE,
    TREE,
)

CONDITIONS: dict[int, str] = {1: "New", 2: "Like new", 3: "Good", 4: "Fair", 5: "Poor", 6: "For parts"}
_CONDITION_SHARE: dict[str, list[float]] = {
    "default": [0.37, 0.27, 0.26, 0.075, 0.025, 0.0],
    "tech": [0.22, 0.30, 0.30, 0.09, 0.04, 0.05],
    "instrument": [0.2, 0.3, 0.33, 0.1, 0.04, 0.03],
    "vintage": [0.08, 0.22, 0.45, 0.17, 0.05, 0.03],
    "beauty": [0.62, 0.26, 0.09, 0.03, 0.0, 0.0],
    "apparel": [0.34, 0.30, 0.28, 0.06, 0.02, 0.0],
}
_CONDITION_PRICE: dict[int, float] = {1: 1.0, 2: 0.85, 3: 0.68, 4: 0.5, 5: 0.35, 6: 0.22}
SHIPPERS: tuple[str, str] = ("buyer", "seller")
MAX_TITLE_CHARS = 80  # Mercari US caps titles at 80 characters

C0_ID_START, C1_ID_START, C2_ID_START = 1, 100, 1000


@dataclass(slots=True)
class CategorySpec:
    id: int
    name: str
    parent_id: int | None
    level: int  # 0, 1 or 2
    base_price: float = 0.0  # leaves only: the typical price (USD) of a new, unbranded item


@dataclass(slots=True)
class BrandSpec:
    id: int
    name: str
    category_ids: list[int]  # ids of the c0 / c1 (or single c2) categories where the brand sells
    premium: float = 1.0  # price multiplier against the category's base price
    popularity: float = 1.0  # relative share of listings among brands that sell in the same category


@dataclass(slots=True)
class ListingSpec:
    id: int
    seller: int  # user index
    title: str
    description: str
    price: Decimal  # USD, 2 decimals
    category_id: int  # leaf (c2)
    brand_id: int | None
    condition_id: int  # 1..6, see CONDITIONS
    size: str
    color: str
    shipper: str  # "buyer" or "seller"
    created_at: datetime  # tz-aware UTC


# ---------------------------------------------------------------------------------------------------------------
# Static data parsed once


@dataclass(slots=True, frozen=True)
class _LeafStatic:
    noun: str
    shape: str
    sizes: str  # key of SIZE_SYSTEMS or "" for none
    base_price: float


@dataclass(slots=True)
class _Static:
    c0: list[tuple[str, float]]  # (name, listing weight)
    c1: list[tuple[str, str]]  # (c0 name, c1 name)
    leaves: dict[tuple[str, str, str], _LeafStatic]
    tree: dict[str, dict[str, list[str]]]


_LEAF_RE = re.compile(
    r"^(?P<name>[^=#@%]+?)\s*(?:=\s*(?P<noun>[^#@%]+?))?\s*(?:#(?P<shape>\w+))?\s*(?:@(?P<price>[\d.]+))?"
    r"\s*(?:%(?P<sizes>[\w-]+))?$"
)
_PLURAL_ONLY = {"Jeans", "Leggings", "Pants", "Shorts", "Joggers", "Trousers", "Chinos", "Sweatpants", "Sunglasses",
                "Earrings", "Tiles", "Lights", "Bricks", "Bands", "Scissors", "Glasses", "Overalls", "Cars",
                "Headphones", "Earbuds", "Needles"}
_FOOTWEAR_SHAPES = {"shoe", "boot", "heel"}


def _singular(name: str, shape: str) -> str:
    """Title noun for a leaf without an explicit one: "T-Shirts" -> "T-Shirt", "Dresses" -> "Dress"."""
    head, _, last = name.rpartition(" ")
    if last in _PLURAL_ONLY or shape in _FOOTWEAR_SHAPES:
        word = last
    elif last.endswith("ies"):
        word = last[:-3] + "y"
    elif last.endswith(("sses", "ches", "shes", "xes")):
        word = last[:-2]
    elif last.endswith("s") and not last.endswith("ss"):
        word = last[:-1]
    else:
        word = last
    return f"{head} {word}".strip()


@cache
def _static() -> _Static:
    c0s: list[tuple[str, float]] = []
    c1s: list[tuple[str, str]] = []
    leaves: dict[tuple[str, str, str], _LeafStatic] = {}
    tree: dict[str, dict[str, list[str]]] = {}
    current = ""
    lines: list[str] = []
    for raw in TREE.strip().splitlines():
        if raw.startswith(" ") and raw.strip():  # a c1's leaf list continues on an indented line
            lines[-1] = f"{lines[-1].rstrip().rstrip(';')}; {raw.strip()}"
        elif raw.strip():
            lines.append(raw.strip())
    for line in lines:
        if line.startswith("=="):
            name, weight = (part.strip() for part in line[2:].split("|"))
            current = name
            c0s.append((name, float(weight)))
            tree[name] = {}
            continue
        c1_name, shape, sizes, price, leaf_text = (part.strip() for part in line.split("|"))
        c1s.append((current, c1_name))
        tree[current][c1_name] = []
        for token in leaf_text.split(";"):
            match = _LEAF_RE.match(token.strip())
            if match is None:
                raise ValueError(f"bad leaf spec {token!r} in {c1_name!r}")
            leaf_shape = match["shape"] or shape
            leaf_sizes = match["sizes"] or sizes
            leaf_name = match["name"].strip()
            tree[current][c1_name].append(leaf_name)
            leaves[(current, c1_name, leaf_name)] = _LeafStatic(
                noun=(match["noun"] or _singular(leaf_name, leaf_shape)).strip(),
                shape=leaf_shape,
                sizes="" if leaf_sizes == "-" else leaf_sizes,
                base_price=float(match["price"] or price),
            )
    return _Static(c0=c0s, c1=c1s, leaves=leaves, tree=tree)


def leaf_shapes() -> dict[tuple[str, str, str], str]:
    """Every leaf of the fixed tree, by its (c0, c1, c2) names, with its drawing family."""
    return {path: info.shape for path, info in _static().leaves.items()}


def leaf_shape(category_path: list[str]) -> str:
    """The drawing family (shirt, shoe, phone, ...) of a leaf given its [c0, c1, c2] names; "box" if unknown."""
    info = _static().leaves.get(tuple(category_path))  # type: ignore[arg-type]
    return info.shape if info is not None else "box"


# ---------------------------------------------------------------------------------------------------------------
# Building the catalogue


def build_catalog(seed: int = 0) -> tuple[list[CategorySpec], list[BrandSpec]]:
    """The category tree (c0, then c1, then c2 nodes) and the brands, with seed-jittered prices and premiums."""
    rng = random.Random(f"catalog-{seed}")
    static = _static()
    categories: list[CategorySpec] = []
    ids: dict[tuple[str, ...], int] = {}
    for offset, (c0_name, _) in enumerate(static.c0):
        ids[(c0_name,)] = C0_ID_START + offset
        categories.append(CategorySpec(C0_ID_START + offset, c0_name, None, 0))
    for offset, (c0_name, c1_name) in enumerate(static.c1):
        ids[(c0_name, c1_name)] = C1_ID_START + offset
        categories.append(CategorySpec(C1_ID_START + offset, c1_name, ids[(c0_name,)], 1))
    for offset, (path, info) in enumerate(static.leaves.items()):
        ids[path] = C2_ID_START + offset
        price = round(info.base_price * rng.uniform(0.85, 1.15), 2)
        categories.append(CategorySpec(C2_ID_START + offset, path[2], ids[path[:2]], 2, price))

    brand_categories: dict[str, list[int]] = {}
    brand_popularity: dict[str, float] = {}
    for targets, names in BRAND_GROUPS:
        target_ids = []
        for target in targets.split(";"):
            pattern = [part.strip() for part in target.strip().split("/")]
            matched = [
                category_id
                for path, category_id in ids.items()
                if len(path) == len(pattern)
                and all(want in ("*", got) for want, got in zip(pattern, path, strict=True))
            ]
            if not matched:
                raise ValueError(f"brand group names an unknown category {target!r}")
            target_ids.extend(matched)
        for rank, name in enumerate(part.strip() for part in names.split(";")):
            listed = brand_categories.setdefault(name, [])
            listed.extend(i for i in target_ids if i not in listed)
            brand_popularity[name] = max(brand_popularity.get(name, 0.0), 1.0 / (1.0 + 0.12 * rank))
    brands = [
        BrandSpec(
            id=offset + 1,
            name=name,
            category_ids=category_ids,
            premium=round(BRAND_PREMIUM.get(name, 1.0) * rng.uniform(0.9, 1.1), 3),
            popularity=round(brand_popularity[name], 4),
        )
        for offset, (name, category_ids) in enumerate(brand_categories.items())
    ]
    return categories, brands


@dataclass(slots=True)
class LeafInfo:
    """Everything listing generation needs about one leaf, resolved once per catalogue."""

    id: int
    path: tuple[str, str, str]  # c0, c1, c2 names
    c1_id: int
    c0_id: int
    noun: str
    shape: str
    kind: str  # apparel / footwear / bag / accessory / tech / toy / card / book / music / video / beauty / ...
    sizes: list[str]
    base_price: float
    brand_ids: list[int]
    brand_cum_weights: list[float]
    no_brand_share: float


class CatalogIndex:
    """Lookups over one catalogue (leaf -> brands, ids -> specs, leaf popularity). Built by `catalog_index`."""

    def __init__(self, categories: list[CategorySpec], brands: list[BrandSpec]) -> None:
        static = _static()
        self.categories = categories
        self.brands = brands
        self.category_by_id = {c.id: c for c in categories}
        self.brand_by_id = {b.id: b for b in brands}
        children: dict[int | None, list[CategorySpec]] = {}
        for category in categories:
            children.setdefault(category.parent_id, []).append(category)
        self.children = children
        c0_weight = dict(static.c0)
        brands_at: dict[int, list[BrandSpec]] = {}
        for brand in brands:
            for category_id in brand.category_ids:
                brands_at.setdefault(category_id, []).append(brand)

        self.leaves: dict[int, LeafInfo] = {}
        leaf_ids: list[int] = []
        leaf_weights: list[float] = []
        for c0 in children.get(None, []):
            c1s = children.get(c0.id, [])
            c1_norm = sum(1.0 / (1.0 + 0.25 * r) for r in range(len(c1s)))
            for c1_rank, c1 in enumerate(c1s):
                leaves = children.get(c1.id, [])
                leaf_norm = sum(1.0 / (1.0 + 0.3 * r) for r in range(len(leaves)))
                for leaf_rank, leaf in enumerate(leaves):
                    path = (c0.name, c1.name, leaf.name)
                    info = static.leaves.get(path)
                    shape = info.shape if info else "box"
                    candidates: dict[int, BrandSpec] = {}
                    for category_id in (leaf.id, c1.id, c0.id):
                        for brand in brands_at.get(category_id, []):
                            candidates.setdefault(brand.id, brand)
                    brand_list = list(candidates.values())
                    self.leaves[leaf.id] = LeafInfo(
                        id=leaf.id,
                        path=path,
                        c1_id=c1.id,
                        c0_id=c0.id,
                        noun=info.noun if info else _singular(leaf.name, shape),
                        shape=shape,
                        kind=_kind(c0.name, c1.name, shape),
                        sizes=SIZE_SYSTEMS.get(info.sizes, []) if info else [],
                        base_price=leaf.base_price or (info.base_price if info else 20.0),
                        brand_ids=[b.id for b in brand_list],
                        brand_cum_weights=list(accumulate(b.popularity for b in brand_list)),
                        no_brand_share=_NO_BRAND_SHARE.get(c0.name, 0.35) if brand_list else 1.0,
                    )
                    leaf_ids.append(leaf.id)
                    leaf_weights.append(
                        c0_weight.get(c0.name, 1.0)
                        * (1.0 / (1.0 + 0.25 * c1_rank)) / c1_norm
                        * (1.0 / (1.0 + 0.3 * leaf_rank)) / leaf_norm
                    )
        total = sum(leaf_weights)
        self.leaf_ids = leaf_ids
        self.leaf_share = {leaf_id: w / total for leaf_id, w in zip(leaf_ids, leaf_weights, strict=True)}
        self.leaf_cum_weights = list(accumulate(leaf_weights))
        self.colour_names = list(COLOUR_WEIGHTS)
        self.colour_cum_weights = list(accumulate(COLOUR_WEIGHTS.values()))

    def random_leaf(self, rng: random.Random) -> int:
        """A leaf id drawn by listing popularity (c0 weight, then earlier c1 / c2 more common)."""
        return self.leaf_ids[bisect(self.leaf_cum_weights, rng.random() * self.leaf_cum_weights[-1])]

    def path_names(self, leaf_id: int) -> list[str]:
        return list(self.leaves[leaf_id].path)


_INDEX_CACHE: list[tuple[list[CategorySpec], list[BrandSpec], CatalogIndex]] = []


def catalog_index(categories: list[CategorySpec], brands: list[BrandSpec]) -> CatalogIndex:
    """The (cached) index of this exact pair of lists; the lists must not be mutated afterwards."""
    for cached_categories, cached_brands, index in _INDEX_CACHE:
        if cached_categories is categories and cached_brands is brands:
            return index
    index = CatalogIndex(categories, brands)
    _INDEX_CACHE.insert(0, (categories, brands, index))
    del _INDEX_CACHE[4:]
    return index


# ---------------------------------------------------------------------------------------------------------------
# Listings

_NO_BRAND_SHARE: dict[str, float] = {
    "Women": 0.25, "Men": 0.25, "Kids": 0.3, "Electronics": 0.1, "Toys & Collectibles": 0.25, "Home": 0.45,
    "Beauty": 0.15, "Sports & Outdoors": 0.35, "Vintage & Collectibles": 0.55, "Handmade": 0.85, "Books": 0.6,
    "Movies & Music": 0.35, "Pet Supplies": 0.5, "Garden & Outdoor": 0.5, "Arts & Crafts": 0.4,
}
_KIND_BY_SHAPE: dict[str, str] = {
    **dict.fromkeys(["shirt", "sweater", "jacket", "dress", "pants", "skirt", "shorts", "swimsuit", "onesie"],
                    "apparel"),
    **dict.fromkeys(["shoe", "boot", "heel"], "footwear"),
    **dict.fromkeys(["handbag", "backpack", "wallet"], "bag"),
    **dict.fromkeys(["scarf", "hat", "sunglasses", "belt", "tie", "watch", "necklace", "ring"], "accessory"),
    **dict.fromkeys(["card", "banknote"], "card"),
    "book": "book", "disc": "music", "cassette": "music", "dvd": "video", "game_case": "video",
}
_KIND_BY_C0: dict[str, str] = {
    "Electronics": "tech", "Toys & Collectibles": "toy", "Beauty": "beauty", "Sports & Outdoors": "sports",
    "Vintage & Collectibles": "vintage", "Handmade": "handmade", "Arts & Crafts": "craft", "Pet Supplies": "pet",
    "Home": "home", "Garden & Outdoor": "home", "Movies & Music": "instrument", "Books": "book",
}


def _kind(c0: str, c1: str, shape: str) -> str:
    """Which title vocabulary a leaf uses: by department, and by what the thing is inside clothing departments."""
    if c0 == "Toys & Collectibles":
        return "card" if c1 == "Trading Cards" and shape == "card" else "toy"
    if c0 == "Movies & Music":
        if c1 in ("Musical Instruments", "DJ & Recording"):
            return "instrument"
        return "video" if c1 == "DVDs & Blu-ray" else "music"
    if c1 == "Home Appliances":
        return "appliance"
    if c0 in ("Women", "Men", "Kids", "Sports & Outdoors", "Home") and shape in _KIND_BY_SHAPE:
        return _KIND_BY_SHAPE[shape]
    return _KIND_BY_C0.get(c0, "home")


def _pick(rng: random.Random, options: list[str]) -> str:
    return options[int(rng.random() * len(options))]


def _plural(noun: str) -> str:
    """ "Blouse" -> "Blouses", "Dress" -> "Dresses", "Jeans" -> "Jeans" (for "Lot of 3 ...")."""
    head, _, last = noun.rpartition(" ")
    if last.endswith(("ss", "ch", "sh", "x")):
        last += "es"
    elif last.endswith("y") and last[-2:-1] not in ("a", "e", "o", "u"):
        last = last[:-1] + "ies"
    elif not last.endswith("s"):
        last += "s"
    return f"{head} {last}".strip()


def _size_choice(rng: random.Random, sizes: list[str]) -> str:
    """Middle sizes are the most common (a triangular draw over the list)."""
    n = len(sizes)
    return sizes[min(n - 1, int(rng.triangular(0, n, n / 2)))]


def _nice_price(value: float) -> Decimal:
    """Round the way sellers do: whole dollars, and 5 / 10 steps for higher prices."""
    value = max(1.0, value)
    if value < 20:
        rounded = round(value)
    elif value < 100:
        rounded = round(value) if value % 5 < 1.5 or value % 5 > 3.5 else 5 * round(value / 5)
    elif value < 1000:
        rounded = 5 * round(value / 5)
    else:
        rounded = 10 * round(value / 10)
    return Decimal(max(1, int(rounded))).quantize(Decimal("0.01"))


def make_listing(
    rng: random.Random,
    listing_id: int,
    seller: int,
    created_at: datetime,
    categories: list[CategorySpec],
    brands: list[BrandSpec],
    leaf: int | None = None,
) -> ListingSpec:
    """One listing with a seller-written-looking title; `leaf` (a c2 id) or a popularity-weighted random leaf."""
    index = catalog_index(categories, brands)
    leaf_id = index.random_leaf(rng) if leaf is None else leaf
    info = index.leaves.get(leaf_id)
    if info is None:
        raise ValueError(f"category {leaf_id} is not a leaf of this catalogue")

    brand: BrandSpec | None = None
    if info.brand_ids and rng.random() >= info.no_brand_share:
        cum = info.brand_cum_weights
        brand = index.brand_by_id[info.brand_ids[bisect(cum, rng.random() * cum[-1])]]

    shares = _CONDITION_SHARE.get(info.kind, _CONDITION_SHARE["default"])
    condition = rng.choices(range(1, 7), weights=shares)[0]
    if "Jeans" in info.noun or "Denim" in info.noun:
        colour = _pick(rng, DENIM_COLOURS)
    elif info.shape in SHAPE_COLOURS:
        colour = _pick(rng, SHAPE_COLOURS[info.shape])
    else:
        colour = index.colour_names[bisect(index.colour_cum_weights, rng.random() * index.colour_cum_weights[-1])]
    size = _size_choice(rng, info.sizes) if info.sizes else ""

    line, line_factor = "", 1.0
    if brand is not None:
        lines = BRAND_LINES.get(brand.name, {})
        options = lines.get(info.shape) or lines.get("*")
        if options and rng.random() < 0.72:
            position = int(rng.random() * len(options))
            line = options[position]
            line_factor = 0.75 + 0.5 * position / max(1, len(options) - 1)
    bundle = 0
    if info.kind in BUNDLE_KINDS and rng.random() < 0.06:
        bundle = rng.choice([1, 2, 3, 3, 4, 5, 6, 10])  # 1 = "Bundle" without a count

    title = _title(rng, info, brand, line, condition, size, colour, bundle)
    price = (
        info.base_price
        * (brand.premium if brand is not None else 0.8)
        * line_factor
        * math.exp(rng.gauss(0.0, 0.5))
        * _CONDITION_PRICE[condition]
        * (1.0 if bundle == 0 else max(2, bundle) * 0.7)
    )
    price_decimal = _nice_price(price)
    shipper = "seller" if rng.random() < (0.55 if price < 30 else 0.38) else "buyer"
    return ListingSpec(
        id=listing_id,
        seller=seller,
        title=title,
        description=_description(rng, info, brand, condition, size, colour),
        price=price_decimal,
        category_id=leaf_id,
        brand_id=brand.id if brand is not None else None,
        condition_id=condition,
        size=size,
        color=colour,
        shipper=shipper,
        created_at=created_at,
    )


def _title(
    rng: random.Random,
    info: LeafInfo,
    brand: BrandSpec | None,
    line: str,
    condition: int,
    size: str,
    colour: str,
    bundle: int,
) -> str:
    """Parts in seller order; each with a priority so the lowest go first when the title exceeds 80 characters."""
    kind = info.kind
    parts: list[tuple[str, int]] = []  # (text, priority: higher survives longer)
    if bundle and rng.random() < 0.5:
        parts.append((f"Lot of {bundle}" if bundle > 1 else "Bundle", 3))
        bundle = 0
    if brand is not None:
        parts.append((brand.name, 9))
    if line:
        parts.append((line, 8))
    if kind == "tech":
        style = TECH_STYLE.get(info.shape) or (
            CASE_STYLE if info.base_price < 60 and info.shape in ("phone", "tablet") else [])
    else:
        style = STYLE_WORDS.get(kind, STYLE_WORDS["home"])
    if style and rng.random() < 0.35:
        parts.append((_pick(rng, style), 2))
    if kind in ("apparel", "footwear") and info.path[0] in ("Women", "Men") and rng.random() < 0.3:
        parts.append(("Women's" if info.path[0] == "Women" else "Men's", 4))
    colour_chance = {"apparel": 0.45, "footwear": 0.45, "bag": 0.45, "accessory": 0.35, "tech": 0.2, "card": 0.0,
                     "book": 0.0, "music": 0.0, "video": 0.0}.get(kind, 0.12)
    if info.shape in ("coin", "banknote", "book"):
        colour_chance = 0.0
    if rng.random() < colour_chance:
        parts.append((colour, 5))
    if kind == "apparel" and rng.random() < 0.15 and not any(w in info.noun for w in ("Jean", "Denim", "Leather")):
        parts.append((_pick(rng, MATERIALS), 2))
    drop_noun = line and info.shape in ("phone", "tablet", "laptop", "console", "handheld", "drone", "watch",
                                        "earbuds", "headphones", "card", "disc") and rng.random() < 0.7
    if not drop_noun:
        parts.append((_plural(info.noun) if bundle > 1 else info.noun, 7))
    if kind == "tech":
        if info.shape in ("phone", "tablet") and info.base_price > 100:
            parts.append((_pick(rng, STORAGE[:4]), 6))
            if info.shape == "phone" and rng.random() < 0.7:
                parts.append((_pick(rng, CARRIERS), 5))
        elif info.shape == "laptop" and info.base_price > 200:
            parts.append((_pick(rng, LAPTOP_SPECS), 5))
        elif info.shape == "tv" and info.base_price > 100:
            parts.insert(1 if brand else 0, (_pick(rng, SCREEN), 5))
        elif info.shape == "monitor":
            parts.insert(1 if brand else 0, (_pick(rng, MONITOR), 5))
        elif info.shape == "console" and rng.random() < 0.6:
            parts.append((_pick(rng, CONSOLE), 5))
    if size and rng.random() < 0.7:
        label = _pick(rng, ["Size", "Size", "Sz"]) if not size[0].isdigit() or kind != "apparel" else "Size"
        if info.sizes is SIZE_SYSTEMS.get("men_waist") and rng.random() < 0.5:
            parts.append((f"W{size}", 4))
        else:
            parts.append((f"{label} {size}", 4))
    tags = CONDITION_TAGS.get("sealed" if kind in SEALED_KINDS else kind, CONDITION_TAGS["default"])[condition]
    if rng.random() < (0.55 if condition in (1, 6) else 0.3):
        parts.append((_pick(rng, tags), 3))
    if bundle:
        parts.append((f"Lot of {bundle}" if bundle > 1 else "Bundle", 3))
    while len(" ".join(text for text, _ in parts)) > MAX_TITLE_CHARS and len(parts) > 1:
        lowest = min(range(len(parts)), key=lambda i: (parts[i][1], -i))
        del parts[lowest]
    return " ".join(text for text, _ in parts)[:MAX_TITLE_CHARS].strip()


def _description(
    rng: random.Random, info: LeafInfo, brand: BrandSpec | None, condition: int, size: str, colour: str
) -> str:
    if rng.random() < 0.05:
        return "No description yet"  # as in Mercari's own data
    style = DESCRIPTION_STYLE.get(info.kind, "default")
    sentences = [_pick(rng, DESCRIPTION_CONDITION[style][condition])]
    about = f"{brand.name} {info.noun}" if brand is not None else info.noun
    if info.kind in ("card", "book", "music", "video"):
        sentences.append(f"{about}.")
    else:
        sentences.append(f"{about} in {colour.lower()}.")
    if size:
        sentences.append(f"Size {size}.")
        if style == "wear" and rng.random() < 0.4:
            sentences.append(_pick(rng, ["Fits true to size.", "Runs a little small.", "Runs slightly big."]))
    if rng.random() < 0.4:
        packaging = "Original packaging included." if condition <= 2 else "Photos show the actual item."
        sentences.append(_pick(rng, ["From my personal collection.", "Great gift idea.", "See photos for details.",
                                     packaging]))
    sentences.extend(rng.sample(DESCRIPTION_EXTRAS, k=rng.randint(1, 2)))
    return " ".join(sentences)
