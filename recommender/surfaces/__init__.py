"""The recommendation surfaces: homepage rows and unit cards, view-item rows, interest-unit pages.

Serving costs a cache read: workers compute each surface's candidates ahead of time (`compute`, `refresh`) and
store them as slates (`store`: Redis for reads, Postgres as the truth); a request reads its slate and checks
availability once (`serve`). Where candidates come from is in `candidates`, the ranking stage in `ranking`, the
shapes in `types`.

    event / new listing / model activation -> refresh (Celery, nrt queue) -> compute -> store
    request -> serve: slate_read (1 Redis GET) -> slate_fill (1 availability query) -> rows and cards
"""
