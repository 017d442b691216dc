"""Events stored the visitor's session key (the `sessionid` cookie, a login) until now: replace each stored key by
its keyed hash (`marketplace.viewers.session_id_for`), so a stored event can no longer be used to log in, and a
visit's events still group together and join the new ones."""

from django.db import migrations

SESSION_KEY_PATTERN = r"^[a-z0-9]{32}$"  # Django's session keys; demo and imported session ids look different
BATCH = 1000


def hash_stored_session_keys(apps, schema_editor):
    from marketplace.viewers import session_id_for

    Event = apps.get_model("marketplace", "Event")
    keys = list(Event.objects.filter(session_id__regex=SESSION_KEY_PATTERN).values_list("session_id", flat=True)
                .distinct())
    table = Event._meta.db_table
    with schema_editor.connection.cursor() as cursor:
        for start in range(0, len(keys), BATCH):
            part = keys[start:start + BATCH]
            cursor.execute(
                f"UPDATE {table} e SET session_id = p.hashed FROM unnest(%s::text[], %s::text[]) AS p(key, hashed) "
                "WHERE e.session_id = p.key",
                [part, [session_id_for(key) for key in part]],
            )


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0004_event_drop_redundant_fk_indexes")]

    operations = [migrations.RunPython(hash_stored_session_keys, migrations.RunPython.noop, elidable=True)]
