"""A made-up MerRec-like marketplace for the demo: catalogue, behaviour simulator and product thumbnails.

Django-free on purpose: `seed_demo` (demo.seeding) turns a `SimulationResult` into rows.
- `catalog`: category tree, brands, listings (titles, prices, conditions, sizes, colours).
- `simulator`: users, listing arrivals, sessions (focused VIP / diverse homepage / search), impressions, purchases.
- `thumbnails`: a drawn picture per listing and the colour + texture descriptor image IUs cluster on.
"""
