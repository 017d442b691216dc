"""Test-suite wiring: the real embedded Postgres (pgvector) and Redis are started once per run, and stopped at its end
when this run started them and no other run or demo still uses them (marketplace.stack sessions)."""

from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.stack import stack_session_close, stack_session_open

SHARED_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def pytest_configure(config: pytest.Config) -> None:
    stack_session_open()


def pytest_unconfigure(config: pytest.Config) -> None:
    stack_session_close()


@pytest.fixture
def shared_data() -> Path:
    """../shared/data (read-only real data); tests that need it skip when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"{SHARED_DATA} is not present (real data sets live in ../shared/data)")
    return SHARED_DATA


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Caches hold ids between requests; each test starts from an empty one (this process's keys)."""
    from tests.cache import cache_empty

    cache_empty()
    yield


@pytest.fixture(autouse=True)
def _fresh_shared_lists():
    """Each process keeps a copy of the shared lists (popular listings, units) for when Redis is down; each test
    starts without one."""
    from recommender.serving.shared_lists import shared_lists_forget
    from recommender.tasks import slate_requests_forget

    shared_lists_forget()
    slate_requests_forget()
    yield


@pytest.fixture(autouse=True)
def _fresh_models():
    """Which model version is active (or that none is) is remembered per process for a while; each test asks anew."""
    from experiments.selectors import running_experiments_forget
    from recommender.serving.loading import served_models_forget

    served_models_forget()
    running_experiments_forget()  # which experiment runs is remembered per process for a while, too
    yield
