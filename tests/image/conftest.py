import pytest
import torch


@pytest.fixture(autouse=True)
def one_thread():
    """Small kernels run faster on one thread, and far faster when the CPU is shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
