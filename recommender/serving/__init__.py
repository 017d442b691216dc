"""Serving trained models (Django): the active versions loaded and their vectors (`loading.py`), the version registry's
reads (`versions.py`), filtered pgvector search and the availability gate (`retrieval.py`), and the lists every viewer
shares (`shared_lists.py`). The surfaces (`recommender.surfaces`) build their slates on these."""
