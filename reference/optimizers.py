"""Oracles for ``optimizers``: one step of ``torch.optim`` on a float64 copy of ``w``.

The oracle keeps the PyTorch optimizer in its ``state`` (the oracle runs in the grader's own
process, so its state may hold anything); the student's state is plain data of their choosing.
"""

from __future__ import annotations

import numpy as np
import torch

from reference._torch import array, tensor


def _torch_step(make_optimizer, w, dw, state):
    if state is None:
        param = tensor(w, requires_grad=True)
        state = {"param": param, "optimizer": make_optimizer([param])}
    param = state["param"]
    with torch.no_grad():
        param.copy_(tensor(w))
    param.grad = tensor(dw)
    state["optimizer"].step()
    return array(param), state


def sgd(w, dw, state, lr=0.01):
    return _torch_step(lambda p: torch.optim.SGD(p, lr=lr), w, dw, state)


# Mistakes -----------------------------------------------------------------------------------

def sgd__gradient_ascent(w, dw, state, lr=0.01):
    return w + lr * dw, state


def sgd__forgot_learning_rate(w, dw, state, lr=0.01):
    return w - dw, state


def sgd__returns_update_not_weights(w, dw, state, lr=0.01):
    return -lr * dw, state
