"""Transactional outbox: background work that must happen is a Postgres row before it is a broker message."""
