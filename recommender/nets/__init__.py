"""Torch models, one file per paper (free of Django)."""
