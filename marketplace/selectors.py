"""Reads of the marketplace domain. Every list of listings goes through `listing_list_active`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.contrib.postgres.search import SearchQuery, SearchRank, TrigramWordSimilarity
from django.db.models import BooleanField, ExpressionWrapper, F, Q, QuerySet, Value

from marketplace.models import (
    CartItem,
    Category,
    Event,
    EventAction,
    Like,
    Listing,
    ListingStatus,
    Offer,
    Order,
    SearchWord,
)
from marketplace.spelling import (
    TRIGRAM_MIN_LENGTH,
    correctable_words,
    query_corrected,
    query_words,
    word_correction,
    word_edits,
)


def listing_list_active(*, viewer_id: int | None = None) -> QuerySet[Listing]:
    """Listings that may be shown: active, and not the viewer's own (invariants 1 and 3), newest first."""
    return (Listing.objects.available_to(viewer_id).select_related("brand", "c0", "c1", "c2")
            .order_by("-created_at", "-pk"))


# ts_rank weights of D, C, B, A. Brand and leaf category (A) are picked from lists, so a match there says most;
# titles (B) are free text that also names related brands ("fits like Lululemon"), upper categories (C) are
# broad, descriptions (D) mention everything. On the Mercari relevance check (tests/marketplace/
# test_search_relevance.py) these beat Postgres's defaults (0.1, 0.2, 0.4, 1) by 0.04 precision@10.
SEARCH_WEIGHTS = [0.02, 0.1, 0.2, 1.0]
SEARCH_CONFIG = "english"  # stems "shoes" to "shoe"; the document (migration 0006) uses the same


@dataclass(frozen=True)
class SearchResults:
    listings: QuerySet[Listing]  # active listings, best first; `is_own` marks the viewer's own
    suggestion: str = ""  # "did you mean" query, "" when every word is known (or nothing known is close)


def listing_search(
    *,
    viewer_id: int | None,
    query: str = "",
    category: Category | None = None,
    brand: str = "",
    min_price: Decimal | None = None,
    max_price: Decimal | None = None,
    condition: int | None = None,
) -> SearchResults:
    """Search active listings by text (`listings_text_search`) within the filters.

    Unlike recommendations, search shows the viewer's own listings (a seller looks for what they posted),
    annotated `is_own`.
    """
    queryset = Listing.objects.available_to(None).select_related("brand", "c0", "c1", "c2")  # own ones included
    is_own = ExpressionWrapper(Q(seller_id=viewer_id), output_field=BooleanField()) if viewer_id else Value(False)
    queryset = queryset.annotate(is_own=is_own)
    if category is not None:
        queryset = queryset.filter(**{f"c{category.level}": category})
    if brand:
        queryset = queryset.filter(brand__name__iexact=brand.strip())
    if min_price is not None:
        queryset = queryset.filter(price__gte=min_price)
    if max_price is not None:
        queryset = queryset.filter(price__lte=max_price)
    if condition is not None:
        queryset = queryset.filter(condition=condition)
    return listings_text_search(queryset, query)


def listings_text_search(queryset: QuerySet[Listing], query: str) -> SearchResults:
    """`queryset` narrowed to the listings matching `query`, best first (newest first without a query).

    Full-text rank with field weights, then title similarity. A word the vocabulary does not know is
    corrected: the suggestion's matches join the typed query's and rank by the suggestion. A word nothing
    known is close to (a new brand, a one-off typo) is looked for by trigram similarity to titles. Queries:
    one for the spelling (only when the query has words to check), then the page and its count.
    """
    text = " ".join(query.split())
    if not text:
        return SearchResults(queryset.order_by("-created_at", "-pk"))
    spelling = query_spelling(text)
    ranked_by = SearchQuery(spelling.suggestion or text, search_type="websearch", config=SEARCH_CONFIG)
    matches = Q(search_vector=ranked_by)
    if spelling.suggestion:
        matches |= Q(search_vector=SearchQuery(text, search_type="websearch", config=SEARCH_CONFIG))
    if spelling.unknown:
        # A subquery, so the title trigram index answers it: in the OR, every row's title would be compared.
        matches |= Q(pk__in=Listing.objects.filter(title__trigram_word_similar=text).values("pk"))
    queryset = (
        queryset.filter(matches)
        .annotate(rank=SearchRank(F("search_vector"), ranked_by, weights=SEARCH_WEIGHTS),
                  similarity=TrigramWordSimilarity(spelling.suggestion or text, "title"))
        .order_by("-rank", "-similarity", "-created_at", "-pk")
    )
    return SearchResults(queryset, spelling.suggestion)


@dataclass(frozen=True)
class QuerySpelling:
    suggestion: str  # the query with its typos corrected; "" when it had none
    unknown: bool  # a word is neither known nor close to a known one (so full text alone may miss it)


def query_spelling(text: str) -> QuerySpelling:
    """Check the query's words against the vocabulary; correct an unknown (or very rare) word to the closest
    well-known one.

    One query: the vocabulary's words one edit away from the query's words, and trigram neighbours of the
    longer ones, both served by indexes of `marketplace_search_word`.
    """
    words = correctable_words(query_words(text))
    if not words:
        return QuerySpelling(suggestion="", unknown=False)
    lookup = Q(word__in=set(words).union(*(word_edits(word) for word in words)))
    for word in words:
        if len(word) >= TRIGRAM_MIN_LENGTH:
            lookup |= Q(word__trigram_similar=word)
    vocabulary = dict(SearchWord.objects.filter(lookup).values_list("word", "listings"))
    corrections = {word: correction for word in words if (correction := word_correction(word, vocabulary))}
    return QuerySpelling(
        suggestion=query_corrected(text, corrections) if corrections else "",
        unknown=any(word not in vocabulary and word not in corrections for word in words),
    )


def listing_get_for_page(listing_id: int) -> Listing | None:
    """A listing's own page is reachable in any status (a sold item shows "Sold"), with its relations."""
    return (
        Listing.objects.select_related("seller", "brand", "c0", "c1", "c2")
        .filter(pk=listing_id).first()
    )


def user_activity(*, user_id: int) -> dict[str, list]:
    """Everything for "my activity": likes, cart, offers, purchases and own listings, newest first."""
    return {
        "likes": list(Like.objects.filter(user_id=user_id).select_related("listing").order_by("-created_at")[:100]),
        "cart": list(CartItem.objects.filter(user_id=user_id, listing__status=ListingStatus.ACTIVE)
                     .select_related("listing").order_by("-created_at")[:100]),
        "offers": list(Offer.objects.filter(buyer_id=user_id).select_related("listing").order_by("-created_at")[:100]),
        "orders": list(Order.objects.filter(buyer_id=user_id).select_related("listing").order_by("-created_at")[:100]),
        "listings": list(Listing.objects.filter(seller_id=user_id).select_related("brand")
                         .order_by("-created_at")[:200]),
    }


def viewer_events(*, user_id: int | None, session_id: str, since: datetime) -> QuerySet[Event]:
    """One viewer's events since `since`: a signed-in user's, or an anonymous visit's (by its stored session id)."""
    queryset = Event.objects.filter(created_at__gte=since)
    if user_id is not None:
        return queryset.filter(user_id=user_id)
    if session_id:
        return queryset.filter(user__isnull=True, session_id=session_id)
    return queryset.none()


def impression_shown(*, user_id: int | None, session_id: str, request_id: str, listing_id: int,
                     since: datetime) -> Event | None:
    """The server's impression of `listing_id` in the response `request_id` to this viewer, if there was one."""
    if not request_id:
        return None
    return (viewer_events(user_id=user_id, session_id=session_id, since=since)
            .filter(request_id=request_id, listing_id=listing_id, action=EventAction.IMPRESSION).first())
