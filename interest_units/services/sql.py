"""A bulk UPDATE in one statement: Django's `bulk_update` builds a CASE per row and field, which costs seconds
for a few thousand units; this sends every column as a text array and casts it in Postgres."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence

from django.contrib.postgres.fields import ArrayField
from django.db import connection, models
from pgvector.django import HalfVectorField

from interest_units.embeddings import as_vector


def _literal(field: models.Field, value: object) -> str | None:
    if value is None:
        return None
    if isinstance(field, HalfVectorField):
        return "[" + ",".join(f"{v:.6g}" for v in as_vector(value).tolist()) + "]"
    if isinstance(field, ArrayField):
        return "{" + ",".join(repr(v) for v in value) + "}"  # type: ignore[attr-defined]
    if isinstance(field, models.JSONField):
        return json.dumps(value)
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return str(value)


def bulk_update_fast(objects: Sequence[models.Model], fields: Sequence[str], batch_size: int = 5000) -> int:
    """UPDATE `fields` of `objects` (all of one model) by primary key. Returns the number of rows updated."""
    if not objects:
        return 0
    model = type(objects[0])
    table = model._meta.db_table
    columns = [model._meta.get_field(name) for name in fields]
    pk = model._meta.pk
    assignments = ", ".join(f'"{f.column}" = v."{f.column}"::{f.db_type(connection)}' for f in columns)
    aliases = ", ".join(f'"{f.column}"' for f in columns)
    arrays = ", ".join(["%s::text[]"] * (len(columns) + 1))
    sql = (f'UPDATE "{table}" t SET {assignments} FROM unnest({arrays}) AS v(pk, {aliases}) '
           f'WHERE t."{pk.column}" = v.pk::{pk.db_type(connection)}')
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(objects), batch_size):
            part = objects[start:start + batch_size]
            params = [[str(obj.pk) for obj in part]]
            params += [[_literal(f, getattr(obj, f.attname)) for obj in part] for f in columns]
            cursor.execute(sql, params)
            updated += cursor.rowcount
    return updated
