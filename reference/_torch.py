"""Small bridges between NumPy float64 arrays and PyTorch tensors, shared by the oracles.

The oracles take ``torch`` and ``F`` (and any other part of PyTorch) from here as lazy stand-ins:
PyTorch is imported, and set up for float64 on one thread, the first time an oracle actually
uses it.  A run whose oracle values all come from the cache never imports it at all.
"""

from __future__ import annotations

import importlib
from typing import Any, Callable

import numpy as np


def _set_up(module: Any) -> None:
    module.set_default_dtype(module.float64)
    module.set_num_threads(1)  # oracle tensors are tiny: a thread pool only adds latency


class LazyModule:
    """Stands for module ``name``, imported (after PyTorch is set up) on first attribute access."""

    def __init__(self, name: str):
        self._name = name
        self._module: Any = None

    def __getattr__(self, attr: str) -> Any:
        if self._module is None:
            torch = importlib.import_module("torch")
            if not getattr(torch, "_gradelab_ready", False):
                _set_up(torch)
                torch._gradelab_ready = True
            self._module = importlib.import_module(self._name)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        return f"<lazy {self._name}>"


def lazy(module: str, name: str) -> Callable[..., Any]:
    """``from module import name`` for a function, deferred to its first call."""
    where = LazyModule(module)

    def call(*args: Any, **kwargs: Any) -> Any:
        return getattr(where, name)(*args, **kwargs)

    call.__name__ = name
    return call


torch = LazyModule("torch")
F = LazyModule("torch.nn.functional")


def tensor(x, requires_grad: bool = False):
    """A float64 tensor holding a copy of ``x``."""
    return torch.tensor(np.asarray(x, dtype=np.float64), dtype=torch.float64, requires_grad=requires_grad)


def array(t) -> np.ndarray:
    """A float64 NumPy copy of ``t``."""
    return t.detach().cpu().to(torch.float64).numpy().copy()
