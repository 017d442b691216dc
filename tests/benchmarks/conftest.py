"""bench_nrt's test trains a tiny torch model: one CPU thread, as in the recommender tests."""

from tests.recommender.conftest import one_torch_thread  # noqa: F401 (an autouse fixture, shared)
