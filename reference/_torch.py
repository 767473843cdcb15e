"""Small bridges between NumPy float64 arrays and PyTorch tensors, shared by the oracles."""

from __future__ import annotations

import numpy as np
import torch

torch.set_default_dtype(torch.float64)
torch.set_num_threads(1)  # oracle tensors are tiny: a thread pool only adds latency


def tensor(x, requires_grad: bool = False) -> torch.Tensor:
    """A float64 tensor holding a copy of ``x``."""
    return torch.tensor(np.asarray(x, dtype=np.float64), dtype=torch.float64, requires_grad=requires_grad)


def array(t: torch.Tensor) -> np.ndarray:
    """A float64 NumPy copy of ``t``."""
    return t.detach().cpu().to(torch.float64).numpy().copy()
