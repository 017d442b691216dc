"""Writes of the interest-unit app: embeddings, unit building and placement, titles, and unit statistics."""

from interest_units.services.building import BuildConfig, interest_units_build
from interest_units.services.embedding import listing_embeddings_backfill, listings_embed
from interest_units.services.placement import listing_index, listings_place, listings_place_unplaced
from interest_units.services.stats import unit_features_recompute, unit_stats_apply_events, unit_stats_refresh
from interest_units.services.titling import interest_units_retitle

__all__ = [
    "BuildConfig",
    "interest_units_build",
    "interest_units_retitle",
    "listing_embeddings_backfill",
    "listing_index",
    "listings_embed",
    "listings_place",
    "listings_place_unplaced",
    "unit_features_recompute",
    "unit_stats_apply_events",
    "unit_stats_refresh",
]
