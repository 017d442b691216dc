"""Writes of the marketplace domain. Each service is keyword-only, atomic, and returns what it made."""
