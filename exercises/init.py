"""Weight initialisation: Xavier (Glorot) uniform and He (Kaiming) normal, in NumPy.

A layer computes ``x @ W`` with ``W`` of shape ``(fan_in, fan_out)``: each output sums
``fan_in`` products.  If the weights start too large, activations (and gradients) grow layer
after layer until they overflow; too small, and they shrink towards 0 and nothing learns.  The
cure is to pick the *variance* of the random initial weights from the layer's size, so that the
variance of the signal stays about the same from layer to layer:

- **Xavier / Glorot** (for tanh or sigmoid layers) balances the forward pass (which wants
  ``Var(W) = 1/fan_in``) and the backward pass (``1/fan_out``) with their harmonic compromise
  ``Var(W) = 2 / (fan_in + fan_out)``;
- **He / Kaiming** (for ReLU layers) uses ``Var(W) = 2 / fan_in``: ReLU zeroes about half of
  its inputs, and the factor 2 makes up for the lost half of the variance.

Either variance can be reached with a uniform or a normal distribution; this module asks for
Xavier *uniform* and He *normal*.  The functions are graded statistically (shape, range, mean,
variance and shape of the distribution, on large matrices) and by their seed: use
``rng = np.random.default_rng(seed)`` and draw everything from ``rng``, so that the same seed gives
the same matrix.  Only ``numpy`` and ``math`` may be imported.
"""

import numpy as np


def xavier_uniform(fan_in, fan_out, seed=0):
    """Xavier (Glorot) uniform initialisation (``torch.nn.init.xavier_uniform_``).

    Draw every entry independently from the uniform distribution on ``[-b, b]`` with

        b = sqrt(6 / (fan_in + fan_out))

    A uniform distribution on ``[-b, b]`` has variance ``b**2 / 3 = 2 / (fan_in + fan_out)``.

    Arguments: ``fan_in`` (inputs of the layer) and ``fan_out`` (outputs) are positive ints;
    ``seed`` is an int.
    Returns: a float64 array of shape ``(fan_in, fan_out)``.
    Pitfall: PyTorch stores a weight as ``(fan_out, fan_in)``; here the shape is
    ``(fan_in, fan_out)``.  And ``b`` has a square root.
    """
    raise NotImplementedError("init.xavier_uniform: draw a (fan_in, fan_out) matrix uniform on [-b, b], b = sqrt(6/(fan_in+fan_out))")


def he_normal(fan_in, fan_out, seed=0):
    """He (Kaiming) normal initialisation (``torch.nn.init.kaiming_normal_``, mode ``fan_in``,
    for ReLU).

    Draw every entry independently from a normal distribution with mean 0 and standard
    deviation

        std = sqrt(2 / fan_in)

    Arguments: ``fan_in`` and ``fan_out`` are positive ints; ``seed`` is an int.
    Returns: a float64 array of shape ``(fan_in, fan_out)``.
    Pitfall: ``rng.normal(loc, scale)`` takes the standard deviation, not the variance
    ``2 / fan_in``; and it is ``fan_in``, the number of inputs each output sums over.
    """
    raise NotImplementedError("init.he_normal: draw a (fan_in, fan_out) matrix from N(0, 2/fan_in)")
