"""Recommenders of the five papers, their baselines, metrics and evaluation (Django-free except `services/`)."""
