"""Search relevance on real Mercari listings: precision@10 of "brand + leaf category" queries, typed right and
with one typo in the brand.

Queries come from the Mercari 10k listings (../shared/data) whose (brand, leaf category) has at least 10
listings: 200 listings drawn with a fixed seed, each giving "<brand> <leaf name>". A result is relevant when it
has that brand and a leaf of that name (the query cannot tell "Women > Shoes > Boots" from "Men > Shoes >
Boots"); the stricter share with the very leaf category node is printed too. Run with `-s` to see the numbers.
"""

from __future__ import annotations

import random
import re
import time
from collections import Counter
from dataclasses import dataclass
from io import StringIO

import pytest
from django.core.management import call_command

from marketplace.models import Listing, ListingSource
from marketplace.selectors import listing_search

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

QUERIES = 200
MIN_GROUP = 10  # listings a (brand, leaf) needs before it makes a query
K = 10
SEED = 18


@dataclass(frozen=True)
class RelevanceQuery:
    text: str
    brand_id: int
    leaf_id: int
    leaf_name: str


def relevance_queries() -> list[RelevanceQuery]:
    """200 "brand + leaf" queries, drawn (fixed seed) from listings whose (brand, leaf) has >= 10 listings."""
    listings = list(Listing.objects.filter(source=ListingSource.MERCARI, brand__isnull=False, c2__isnull=False)
                    .select_related("brand", "c2").order_by("pk"))
    groups = Counter((listing.brand_id, listing.c2_id) for listing in listings)
    eligible = [listing for listing in listings if groups[listing.brand_id, listing.c2_id] >= MIN_GROUP]
    drawn = random.Random(SEED).sample(eligible, QUERIES)
    return [RelevanceQuery(f"{x.brand.name} {x.c2.name}", x.brand_id, x.c2_id, x.c2.name) for x in drawn]


def with_typo(query: RelevanceQuery, index: int) -> RelevanceQuery:
    """The same query with one edit in the brand's longest word: a swap of neighbouring letters, a dropped
    letter, a wrong letter or a doubled one, in turn, near the middle of the word."""
    brand = query.text[: len(query.text) - len(query.leaf_name) - 1]
    words = list(re.finditer(r"[A-Za-z]+", brand))
    word = max(words, key=lambda match: len(match.group())).group()
    middle = len(word) // 2
    kind = index % 4
    if kind == 0 and len(word) > 1:
        swap = next((i for i in range(max(middle - 1, 0), len(word) - 1) if word[i] != word[i + 1]), 0)
        typo = word[:swap] + word[swap + 1] + word[swap] + word[swap + 2:]
    elif kind == 1 and len(word) > 2:
        typo = word[:middle] + word[middle + 1:]
    elif kind == 2:
        letter = "e" if word[middle].lower() != "e" else "a"
        typo = word[:middle] + letter + word[middle + 1:]
    else:
        typo = word[: middle + 1] + word[middle] + word[middle + 1:]
    assert typo != word, (word, kind)
    return RelevanceQuery(brand.replace(word, typo, 1) + query.text[len(brand):], query.brand_id, query.leaf_id,
                          query.leaf_name)


def precision_at_k(queries: list[RelevanceQuery]) -> tuple[float, float]:
    """Mean precision@10 with relevance by (brand, leaf name), and by (brand, leaf node)."""
    by_name = by_node = 0
    for query in queries:
        top = list(listing_search(viewer_id=None, query=query.text).listings[:K])
        by_name += sum(x.brand_id == query.brand_id and x.c2.name == query.leaf_name for x in top)
        by_node += sum(x.brand_id == query.brand_id and x.c2_id == query.leaf_id for x in top)
    return by_name / (K * len(queries)), by_node / (K * len(queries))


def test_brand_and_leaf_queries_find_that_brand_and_leaf_even_with_a_typo(shared_data):
    # given the Mercari 10k listings, imported as the command does (which refreshes the vocabulary)
    started = time.monotonic()
    call_command("import_mercari", str(shared_data / "mercari_listings_10k.tsv"), "--no-progress", stdout=StringIO())
    imported = time.monotonic()
    queries = relevance_queries()
    typos = [with_typo(query, index) for index, query in enumerate(queries)]

    # when each query is searched, typed right and with one typo
    exact, exact_node = precision_at_k(queries)
    typo, typo_node = precision_at_k(typos)
    searched = time.monotonic()

    # then most of the top 10 have that brand and leaf
    print(f"\nsearch relevance on {Listing.objects.count()} Mercari listings, {len(queries)} queries "
          f"({len({q.text for q in queries})} distinct), e.g. {queries[0].text!r} / {typos[0].text!r}, "
          f"{typos[1].text!r}, {typos[2].text!r}, {typos[3].text!r}:\n"
          f"  precision@10 brand + leaf name: {exact:.3f}, with one typo: {typo:.3f}\n"
          f"  precision@10 brand + leaf node: {exact_node:.3f}, with one typo: {typo_node:.3f}\n"
          f"  import {imported - started:.1f} s, {2 * len(queries)} searches {searched - imported:.1f} s")
    assert exact >= 0.8
    assert typo >= 0.7
