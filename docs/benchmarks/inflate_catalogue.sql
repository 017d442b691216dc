-- Usage (a copy of the dev database, never the dev database itself):
--   psql -h .data/run -U postgres -d <copy> -v target=100000 -f docs/benchmarks/inflate_catalogue.sql
-- then recount the units' sizes (interest_units.services.stats.unit_features_recompute) and ANALYZE.
-- Inflate the catalogue to :target listings with copies of the active ones: new ids, "(copy n)" titles, a random
-- creation time in the last 30 days, the same text vectors and the same interest units as their originals.
BEGIN;
CREATE TEMP TABLE copies ON COMMIT DROP AS
  SELECT l.id AS source_id, nextval(pg_get_serial_sequence('marketplace_listing', 'id')) AS new_id
  FROM marketplace_listing l CROSS JOIN generate_series(1, 50) g(n)
  WHERE l.status = 'active'
  LIMIT greatest(:target - (SELECT count(*) FROM marketplace_listing), 0);
INSERT INTO marketplace_listing (id, seller_id, title, description, price, c0_id, c1_id, c2_id, brand_id, condition,
    size, color, shipper, product_id, status, photo, source, external_id, created_at, updated_at, sold_at,
    text_embedding)
  SELECT c.new_id, l.seller_id, l.title || ' (copy ' || c.new_id || ')', l.description, l.price, l.c0_id, l.c1_id,
    l.c2_id, l.brand_id, l.condition, l.size, l.color, l.shipper, l.product_id, 'active', l.photo, l.source, '',
    now() - random() * interval '30 days', now(), NULL, l.text_embedding
  FROM copies c JOIN marketplace_listing l ON l.id = c.source_id;
INSERT INTO interest_units_interestunitmember (unit_id, listing_id, type, joined_at)
  SELECT m.unit_id, c.new_id, m.type, now() FROM copies c
  JOIN interest_units_interestunitmember m ON m.listing_id = c.source_id;
COMMIT;
SELECT count(*) AS listings FROM marketplace_listing;
