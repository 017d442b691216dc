"""IU-Boosted Network: a CTR ranker that reads interest units, with its DNN and DIN bases as configurations.

Paper: "IU4Rec: Interest Unit-Based Product Organization and Recommendation for E-Commerce Platform" (Xianyu).
- DIN base (section 3.2): embeddings of the target item, multi-head target attention (eq. 1: the target item is the
  query, the click sequence the keys and values) over the user's item clicks of the last 30 days (at most 150),
  an MLP 512/256/128 (5.1.4), the log loss of eq. 2. `use_attention=False` replaces the attention by sum pooling:
  the DNN baseline of Table 2.
- IU-Boosted (section 4.2, `use_units=True`): DIN plus
  (4.2.1) IU-level features of the target's interest unit (statistics accumulated over every listing the unit ever
  held, so a listing posted a minute ago inherits them; a training impression reads them as of the start of its
  day, `unit_day_table`) and user x IU cross features;
  (4.2.2, eq. 3-6) the hierarchical IU click sequence: the IUs of the clicked items, each carrying up to 5 of the
  user's clicks in it; E(IU) = [IU id, IU side features, item-level target attention over its clicks];
  an IU-level target attention pools the sequence;
  (4.2.3) attention between the target's IU id and the IU ids of the clicked items.
- Shared by all three (`content_sim`, ours): user x target text similarities (cosine of the target's text vector to
  the user's recent clicks: the content-kNN signal), so Table 2 compares the three on the same inputs.

Choices of ours: the unit the network reads is the listing's SPU unit (4.1, one brand / leaf product; `unit_kind`),
not its looser semantic unit. The clicks' keys / values are projected once and shared by the item attention, the
attention inside each IU and the IU-id attention (the IU attentions have their own queries), which keeps IU-Boosted
about 2x DIN's cost on CPU; every attention has a learned zero-value "null" slot, so when no click matches the target
the pooled vector shrinks instead of being forced onto the least bad click. Padding is exact: masked positions get
exactly zero weight, and an all-padding history pools to a zero vector (never NaN). Every categorical column has
an out-of-vocabulary bucket and item ids need `item_min_count` training events, so new listings (the
limited-stock setting: single items sell and vanish) are scored from their content and their unit.
"""

# Importing the package registers its models (`recommender.registry` imports it).
from recommender.nets.iu_boosted import model  # noqa: F401
