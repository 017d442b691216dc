"""The demo catalogue: tree sizes, brands placed in existing categories, listings that read like real ones."""

from __future__ import annotations

import random
import statistics
from collections import Counter
from datetime import UTC, datetime
from decimal import Decimal

import pytest

from demo.catalog import CONDITIONS, build_catalog, catalog_index, make_listing
from demo.catalog_data import SIZE_SYSTEMS

NOW = datetime(2025, 1, 1, tzinfo=UTC)


@pytest.fixture(scope="module")
def catalog():
    return build_catalog(seed=0)


@pytest.fixture(scope="module")
def listings(catalog):
    categories, brands = catalog
    rng = random.Random(7)
    return [make_listing(rng, i, seller=0, created_at=NOW, categories=categories, brands=brands) for i in range(3000)]


def test_tree_has_mercari_like_sizes(catalog):
    categories, _ = catalog
    levels = Counter(category.level for category in categories)
    assert 13 <= levels[0] <= 17
    assert 90 <= levels[1] <= 140
    assert 450 <= levels[2] <= 650


def test_tree_is_consistent(catalog):
    categories, _ = catalog
    by_id = {category.id: category for category in categories}
    assert len(by_id) == len(categories)  # ids unique across levels
    for category in categories:
        if category.level == 0:
            assert category.parent_id is None
        else:
            assert by_id[category.parent_id].level == category.level - 1
        assert (category.base_price > 0) == (category.level == 2)
    siblings = Counter((category.parent_id, category.name) for category in categories)
    assert max(siblings.values()) == 1  # names unique under a parent (the Category model's constraint)


def test_tree_ids_and_names_are_stable_across_seeds(catalog):
    categories, brands = catalog
    other_categories, other_brands = build_catalog(seed=99)
    assert [(c.id, c.name, c.parent_id) for c in categories] == [(c.id, c.name, c.parent_id) for c in other_categories]
    assert [(b.id, b.name) for b in brands] == [(b.id, b.name) for b in other_brands]


def test_real_examples_exist(catalog):
    categories, brands = catalog
    index = catalog_index(categories, brands)
    paths = {tuple(info.path) for info in index.leaves.values()}
    assert ("Women", "Tops & Blouses", "T-Shirts") in paths
    assert ("Electronics", "Cell Phones & Accessories", "Cell Phones & Smartphones") in paths
    names = {brand.name for brand in brands}
    assert {"Nike", "Apple", "Lululemon", "LEGO", "Coach", "Sony", "Funko"} <= names


def test_brands_are_many_unique_and_sell_in_existing_categories(catalog):
    categories, brands = catalog
    ids = {category.id for category in categories}
    assert len(brands) >= 300
    assert len({brand.name for brand in brands}) == len(brands)
    assert len({brand.id for brand in brands}) == len(brands)
    for brand in brands:
        assert brand.category_ids, brand.name
        assert set(brand.category_ids) <= ids, brand.name


def test_brands_land_in_fitting_categories(catalog, listings):
    categories, brands = catalog
    index = catalog_index(categories, brands)
    for listing in listings:
        if listing.brand_id is None:
            continue
        info = index.leaves[listing.category_id]
        allowed = set(index.brand_by_id[listing.brand_id].category_ids)
        assert allowed & {listing.category_id, info.c1_id, info.c0_id}


def test_listings_are_well_formed(catalog, listings):
    categories, brands = catalog
    index = catalog_index(categories, brands)
    for listing in listings:
        info = index.leaves[listing.category_id]
        assert listing.title.strip() and len(listing.title) <= 80
        if listing.brand_id is not None:
            assert index.brand_by_id[listing.brand_id].name in listing.title
        assert listing.description
        assert isinstance(listing.price, Decimal) and listing.price > 0
        assert listing.price == listing.price.quantize(Decimal("0.01"))
        assert listing.condition_id in CONDITIONS
        assert listing.shipper in ("buyer", "seller")
        assert listing.size == "" if not info.sizes else listing.size in info.sizes
        assert listing.color
        assert listing.created_at.tzinfo is not None


def test_clothing_has_sizes_and_electronics_not(catalog, listings):
    categories, brands = catalog
    index = catalog_index(categories, brands)
    tees = [item for item in listings if index.leaves[item.category_id].path[1] == "Tops & Blouses"]
    phones = [item for item in listings if index.leaves[item.category_id].path[0] == "Electronics"]
    assert tees and all(item.size in SIZE_SYSTEMS["women"] for item in tees)
    assert phones and all(item.size == "" for item in phones)


def test_brand_share_and_condition_mix_look_like_mercari(listings):
    unbranded = sum(listing.brand_id is None for listing in listings) / len(listings)
    assert 0.25 <= unbranded <= 0.40
    conditions = Counter(listing.condition_id for listing in listings)
    assert set(conditions) <= set(range(1, 7))
    assert conditions[1] > conditions[4] > conditions[6]
    assert (conditions[1] + conditions[2] + conditions[3]) / len(listings) > 0.8


def test_price_depends_on_condition_and_brand(catalog):
    categories, brands = catalog
    index = catalog_index(categories, brands)
    leaf = next(i for i, info in index.leaves.items() if info.path[1:] == ("Women's Handbags", "Shoulder Bags"))
    rng = random.Random(3)
    sample = [make_listing(rng, i, 0, NOW, categories, brands, leaf=leaf) for i in range(3000)]

    def median(items):
        return statistics.median(float(item.price) for item in items)

    new = [item for item in sample if item.condition_id == 1]
    worn = [item for item in sample if item.condition_id in (4, 5)]
    assert median(new) > median(worn)
    luxury = [item for item in sample if item.brand_id and index.brand_by_id[item.brand_id].premium >= 3]
    unbranded = [item for item in sample if item.brand_id is None]
    assert median(luxury) > 2 * median(unbranded)


def test_make_listing_is_deterministic(catalog):
    categories, brands = catalog
    first = [make_listing(random.Random(5), i, 1, NOW, categories, brands) for i in range(20)]
    second = [make_listing(random.Random(5), i, 1, NOW, categories, brands) for i in range(20)]
    assert first == second


def test_make_listing_rejects_a_non_leaf(catalog):
    categories, brands = catalog
    c1 = next(category for category in categories if category.level == 1)
    with pytest.raises(ValueError, match="not a leaf"):
        make_listing(random.Random(0), 1, 0, NOW, categories, brands, leaf=c1.id)
