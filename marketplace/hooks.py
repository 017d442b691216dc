"""What the domain announces, for the apps above it to act on: they connect their receivers in `AppConfig.ready`,
so the domain never imports its consumers (README, Architecture).

Each is sent inside the service's transaction, right after the write; a receiver that queues work does it with
`enqueue_on_commit`, so the work runs only once the rows exist. Receivers run in the order their apps are installed.
"""

from django.dispatch import Signal

# A listing was created or edited (`listing_create`, `listing_update`). Payload: listing_id.
listing_changed = Signal()

# Events were stored by `events_record`. Payload: user_id (None for an anonymous viewer) and events (the rows).
events_recorded = Signal()
