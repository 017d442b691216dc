"""Serving trained models (Django): the active versions loaded and their vectors (`loading.py`), the version registry's
reads (`versions.py`), filtered pgvector search and the availability gate (`retrieval.py`), the lists every viewer
shares (`shared_lists.py`), and the serving slots whose recommender `train` chooses on the evidence (`slots.py`). The
surfaces (`recommender.surfaces`) build their slates on these."""
