"""Recommender tests train tiny torch models: one CPU thread is faster than several for tiny tensors, and much
faster on a shared, oversubscribed CPU (OpenMP threads spin-wait for each other)."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="session")
def one_torch_thread():
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
