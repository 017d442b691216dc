"""Streaming importers for public data sets: Mercari listings, MerRec event shards, YooChoose / REES46 sessions.

Every importer reads its file in constant memory, writes in batches (one transaction per batch, so a row's
listing and its events commit together or not at all), skips bad rows with their line number and reason, and
is idempotent: importing the same file twice adds nothing. See `base.ImportReport` for what an import returns.
"""

from marketplace.importers.base import ImportReport

__all__ = ["ImportReport"]
