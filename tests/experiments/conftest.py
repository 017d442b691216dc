import pytest


@pytest.fixture(autouse=True)
def _fresh_running_experiments():
    """Each process remembers the running experiments for a few seconds; each test asks anew."""
    from experiments.selectors import running_experiments_forget

    running_experiments_forget()
    yield
    running_experiments_forget()
