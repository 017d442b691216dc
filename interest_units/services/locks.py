"""Rebuilds and placements of new listings exclude each other with a Postgres advisory lock.

A rebuild's write phase takes it exclusively; placing listings takes it shared, so placements run side by side
and never interleave with a rebuild rewriting the units they would join.
"""

from __future__ import annotations

from django.db import connection

UNITS_LOCK = 0x1_0000_15  # an arbitrary constant naming "interest-unit membership"


def units_lock_exclusive() -> None:
    """Inside a transaction: wait for placements to finish, block new ones until commit."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [UNITS_LOCK])


def units_lock_shared() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock_shared(%s)", [UNITS_LOCK])
