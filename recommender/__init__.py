"""Recommenders of the five papers, their baselines, metrics and offline evaluation, and the Django glue serving them.

Django-free (run on data files without a database; checked by mypy): `base.py` (the model interface and
`register`), `registry.py` (every model by name), `baselines.py`, `session_hybrid.py`, `data.py`, `sequences.py`,
`metrics.py`, `session_files.py`, `nets/` (the torch models), `evaluation/` (the offline protocols and reports) and
`ranking/ranker.py` + `ranking/features.py` (the ranking stage).

Django (read or write the database, cache or broker): `models.py`, `admin.py`, `apps.py`, `receivers.py`,
`tasks.py`, `dataset_db.py` (the database as a `Dataset`), `services/` (training, evaluation runs, the version
registry), `serving/` (active versions, vectors, retrieval, shared lists), `surfaces/` (precomputed slates),
`ranking/units.py` (interest units for a viewer) and `management/`.
"""
