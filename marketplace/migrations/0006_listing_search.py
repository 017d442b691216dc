"""Search that ranks: a weighted full-text document per listing and a vocabulary for "did you mean".

`Listing.search_vector` holds brand and leaf category (weight A), title (B), the upper categories (C) and the
description (D). Brand and category names live in other tables, so a generated column cannot hold them: a
trigger computes the document on every insert and on updates of its source columns (bulk imports included), and
a rename of a brand or category re-indexes its listings. `marketplace_search_word` is a materialized view of the
words in active listings' titles, brands and category names with their listing counts, refreshed concurrently
(`search_vocabulary_refresh`)."""

import django.contrib.postgres.indexes
import django.contrib.postgres.search
from django.db import migrations, models

DOCUMENT_FUNCTION = """
CREATE FUNCTION marketplace_listing_document(
    title text, description text, brand_id bigint, c0_id bigint, c1_id bigint, c2_id bigint
) RETURNS tsvector LANGUAGE sql STABLE AS $$
    SELECT setweight(to_tsvector('english', concat_ws(' ',
               (SELECT name FROM marketplace_brand WHERE id = brand_id),
               (SELECT name FROM marketplace_category WHERE id = c2_id))), 'A')
        || setweight(to_tsvector('english', title), 'B')
        || setweight(to_tsvector('english', concat_ws(' ',
               (SELECT name FROM marketplace_category WHERE id = c1_id),
               (SELECT name FROM marketplace_category WHERE id = c0_id))), 'C')
        || setweight(to_tsvector('english', left(description, 4000)), 'D')
$$;

-- Recomputed when a source column changes, or when the vector arrives empty (a save of an instance that never
-- read it back, or an explicit reset); other updates (status, vectors) keep the stored document.
CREATE FUNCTION marketplace_listing_search_vector_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' AND NEW.search_vector IS NOT NULL
       AND (NEW.title, NEW.description, NEW.brand_id, NEW.c0_id, NEW.c1_id, NEW.c2_id)
           IS NOT DISTINCT FROM (OLD.title, OLD.description, OLD.brand_id, OLD.c0_id, OLD.c1_id, OLD.c2_id) THEN
        RETURN NEW;
    END IF;
    NEW.search_vector := marketplace_listing_document(
        NEW.title, NEW.description, NEW.brand_id, NEW.c0_id, NEW.c1_id, NEW.c2_id);
    RETURN NEW;
END $$;

CREATE TRIGGER marketplace_listing_search_vector
    BEFORE INSERT OR UPDATE OF title, description, brand_id, c0_id, c1_id, c2_id, search_vector
    ON marketplace_listing FOR EACH ROW EXECUTE FUNCTION marketplace_listing_search_vector_update();

CREATE FUNCTION marketplace_search_name_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'marketplace_brand' THEN
        UPDATE marketplace_listing SET search_vector = NULL WHERE brand_id = NEW.id;
    ELSE
        UPDATE marketplace_listing SET search_vector = NULL WHERE NEW.id IN (c0_id, c1_id, c2_id);
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER marketplace_brand_search_name AFTER UPDATE OF name ON marketplace_brand
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION marketplace_search_name_changed();
CREATE TRIGGER marketplace_category_search_name AFTER UPDATE OF name ON marketplace_category
    FOR EACH ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE FUNCTION marketplace_search_name_changed();

UPDATE marketplace_listing SET search_vector = NULL;  -- the trigger fills in every existing listing
"""

DROP_DOCUMENT_FUNCTION = """
DROP TRIGGER marketplace_category_search_name ON marketplace_category;
DROP TRIGGER marketplace_brand_search_name ON marketplace_brand;
DROP FUNCTION marketplace_search_name_changed();
DROP TRIGGER marketplace_listing_search_vector ON marketplace_listing;
DROP FUNCTION marketplace_listing_search_vector_update();
DROP FUNCTION marketplace_listing_document(text, text, bigint, bigint, bigint, bigint);
"""

# Words a typo can be corrected to: lowercase letters only, at least 3 of them, in at least 2 active listings
# (a word seen once is as likely a typo as a word). 'simple' keeps words unstemmed, as a suggestion shows them.
VOCABULARY_VIEW = """
CREATE MATERIALIZED VIEW marketplace_search_word AS
SELECT word.lexeme AS word, count(*)::integer AS listings
FROM marketplace_listing l
LEFT JOIN marketplace_brand b ON b.id = l.brand_id
LEFT JOIN marketplace_category c0 ON c0.id = l.c0_id
LEFT JOIN marketplace_category c1 ON c1.id = l.c1_id
LEFT JOIN marketplace_category c2 ON c2.id = l.c2_id
CROSS JOIN LATERAL unnest(to_tsvector('simple', concat_ws(' ', l.title, b.name, c0.name, c1.name, c2.name))) AS word
WHERE l.status = 'active' AND word.lexeme ~ '^[a-z]{3,}$'
GROUP BY word.lexeme
HAVING count(*) >= 2;

CREATE UNIQUE INDEX marketplace_search_word_word ON marketplace_search_word (word);  -- for REFRESH CONCURRENTLY
CREATE INDEX marketplace_search_word_trgm ON marketplace_search_word USING gin (word gin_trgm_ops);
"""


class Migration(migrations.Migration):
    dependencies = [("marketplace", "0005_event_session_ids_hashed")]

    operations = [
        migrations.AddField(
            model_name="listing",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(blank=True, editable=False, null=True),
        ),
        migrations.AddIndex(
            model_name="listing",
            index=django.contrib.postgres.indexes.GinIndex(
                condition=models.Q(("status", "active")), fields=["search_vector"], name="listing_active_search"
            ),
        ),
        migrations.RunSQL(DOCUMENT_FUNCTION, DROP_DOCUMENT_FUNCTION),
        migrations.RunSQL(VOCABULARY_VIEW, "DROP MATERIALIZED VIEW marketplace_search_word;"),
        migrations.CreateModel(
            name="SearchWord",
            fields=[
                ("word", models.TextField(primary_key=True, serialize=False)),
                ("listings", models.IntegerField()),
            ],
            options={"db_table": "marketplace_search_word", "managed": False},
        ),
    ]
