"""The ranking stage: the ranker (LightGBM lambdarank over retrieval scores, SCID and the two-tower; `ranker.py`)
and its features (`features.py`), both Django-free, and the ranking of interest units and their listings for a
viewer from the database (`units.py`, Django)."""
