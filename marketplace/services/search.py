"""Upkeep of search: the "did you mean" vocabulary."""

from __future__ import annotations

from django.db import connection

from marketplace.models import SearchWord


def search_vocabulary_refresh() -> int:
    """Recount the vocabulary from active listings; searches keep reading the old one meanwhile (CONCURRENTLY).

    Cheap (one pass over titles: 0.6 s for 10k listings on a busy laptop) and idempotent: beat runs it, and so does
    every import.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"REFRESH MATERIALIZED VIEW CONCURRENTLY {SearchWord._meta.db_table}")
    return SearchWord.objects.count()
