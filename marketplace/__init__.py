"""The marketplace domain app: listings, orders, events and the services that change them."""
