"""Trusted oracles for every exercise, and the mistake variants that perturb them.

Each ``reference/<module>.py`` holds functions with the exact signatures of CURRICULUM.md,
computed with PyTorch wherever PyTorch has the operation (autograd for gradients,
``torch.optim`` for optimizers, ``torch.nn.functional`` for layers) and in closed form
elsewhere, plus the wrong implementations students commonly write, named ``<function>__<mistake>``.
The grader compares student code with the oracles; ``tests/`` checks the oracles themselves.
"""
