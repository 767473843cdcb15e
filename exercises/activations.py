"""Activation functions and their derivatives, in NumPy.

A layer of a network computes a weighted sum of its inputs; stacking such sums only ever gives
another weighted sum.  An *activation function*, applied after each sum, bends that straight
line so a deep network can represent curved decision boundaries.  The common choices here:

- **sigmoid** squashes any number into (0, 1), handy for probabilities, but is almost flat far
  from 0, so its gradient vanishes there;
- **tanh** squashes into (-1, 1) and is centred on 0;
- **ReLU** passes positive numbers and zeroes the rest: cheap, and its gradient does not fade
  for positive inputs; **leaky ReLU** keeps a small slope ``alpha`` for negative inputs so no
  unit is ever completely silent;
- **softmax** turns a vector of scores into a probability distribution (positive, summing to 1),
  and **log-softmax** returns its logarithm, which is what a cross-entropy loss needs.

Backpropagation needs each elementwise activation's derivative.  Every ``*_grad`` function here
takes the *input* ``x`` (not the activation's output) and returns ``d f(x) / d x`` elementwise.

Numbers: inputs are float64 arrays of any shape, and every function must stay finite and
accurate for inputs anywhere in ``[-1000, 1000]``.  ``np.exp(710)`` is already ``inf``, and
``inf / inf`` is NaN, so the textbook formulas need rearranging.  A NumPy warning on the way to
a correct, finite value costs nothing: only the returned values are graded.  Return a new array
with the shape of ``x``; never modify ``x`` in place.  Only ``numpy`` and ``math`` may be
imported.
"""

import numpy as np


def sigmoid(x):
    """The logistic sigmoid, elementwise.

        sigmoid(x) = 1 / (1 + exp(-x))

    Shapes: ``x`` is an array of any shape.
    Returns: an array of ``x``'s shape with values in [0, 1].
    Pitfall: the equivalent ``exp(x) / (1 + exp(x))`` overflows to inf/inf = NaN for x > ~709.
    ``1 / (1 + exp(-x))`` is safe (its overflow for very negative x gives 1/inf = 0, the right
    answer); a fully warning-free version computes ``e = exp(-|x|)`` and uses ``1 / (1 + e)``
    where x >= 0 and ``e / (1 + e)`` where x < 0.
    """
    raise NotImplementedError("activations.sigmoid: return 1 / (1 + exp(-x)) without NaN for |x| up to 1000")


def sigmoid_grad(x):
    """Derivative of the sigmoid with respect to its input, elementwise.

        s = sigmoid(x)
        d sigmoid(x) / dx = s * (1 - s)

    Shapes: ``x`` is an array of any shape.
    Returns: an array of ``x``'s shape (values in [0, 0.25]).
    Pitfall: the argument is the input ``x``, not the output ``s``: ``x * (1 - x)`` is only right
    if you already hold ``s``.  Writing it as ``exp(-x) / (1 + exp(-x))**2`` gives NaN for
    x < -709.
    """
    raise NotImplementedError("activations.sigmoid_grad: return s * (1 - s) with s = sigmoid(x)")


def tanh(x):
    """The hyperbolic tangent, elementwise.

        tanh(x) = (exp(x) - exp(-x)) / (exp(x) + exp(-x)) = 2 * sigmoid(2x) - 1

    Shapes: ``x`` is an array of any shape.
    Returns: an array of ``x``'s shape with values in [-1, 1].
    Pitfall: the exponential formula is inf/inf = NaN once |x| > ~709; ``np.tanh`` is stable (and
    allowed), as is ``2 * sigmoid(2x) - 1`` with a stable sigmoid.
    """
    raise NotImplementedError("activations.tanh: return tanh(x), finite for |x| up to 1000")


def tanh_grad(x):
    """Derivative of tanh with respect to its input, elementwise.

        d tanh(x) / dx = 1 - tanh(x)**2

    Shapes: ``x`` is an array of any shape.
    Returns: an array of ``x``'s shape (values in [0, 1]).
    Pitfall: ``1 - x**2`` is the formula in terms of the *output*; here you receive the input, so
    compute ``t = tanh(x)`` first.
    """
    raise NotImplementedError("activations.tanh_grad: return 1 - tanh(x)**2")


def relu(x):
    """The rectified linear unit, elementwise.

        relu(x) = max(x, 0)

    Shapes: ``x`` is an array of any shape.
    Returns: a new array of ``x``'s shape.
    Pitfall: ``np.max(x, 0)`` reduces along axis 0; the elementwise maximum is
    ``np.maximum(x, 0)``.  ``x[x < 0] = 0`` changes the caller's array: work on a copy.
    """
    raise NotImplementedError("activations.relu: return max(x, 0) elementwise, as a new array")


def relu_grad(x):
    """Derivative of ReLU with respect to its input, elementwise.

        relu_grad(x) = 1 where x > 0, 0 where x <= 0

    ReLU has a kink at 0 where no derivative exists; the convention (PyTorch's) is
    ``relu_grad(0) == 0``.

    Shapes: ``x`` is an array of any shape.
    Returns: an array of ``x``'s shape holding 0.0 and 1.0.
    Pitfall: ``x >= 0`` puts a 1 at exactly 0; use ``x > 0``.
    """
    raise NotImplementedError("activations.relu_grad: return 1.0 where x > 0 and 0.0 elsewhere")


def leaky_relu(x, alpha=0.01):
    """Leaky ReLU, elementwise, with slope ``alpha`` (``0 <= alpha < 1``) for x <= 0.

        leaky_relu(x) = x where x > 0, alpha * x where x <= 0

    As ``F.leaky_relu(x, negative_slope=alpha)``; ``alpha = 0`` gives plain ReLU.

    Shapes: ``x`` is an array of any shape; ``alpha`` is a float.
    Returns: a new array of ``x``'s shape.
    Pitfall: the negative side is ``alpha * x`` (a line through 0), not the constant ``alpha``,
    and positive inputs are left alone.
    """
    raise NotImplementedError("activations.leaky_relu: return x where x > 0 and alpha * x elsewhere")


def leaky_relu_grad(x, alpha=0.01):
    """Derivative of leaky ReLU with respect to its input, elementwise.

        leaky_relu_grad(x) = 1 where x > 0, alpha where x <= 0

    At the kink the convention (PyTorch's) is ``leaky_relu_grad(0) == alpha``.

    Shapes: ``x`` is an array of any shape; ``alpha`` is a float in [0, 1).
    Returns: a float array of ``x``'s shape holding 1.0 and alpha.
    Pitfall: ``x >= 0`` gives 1 at exactly 0; the slope there is alpha.
    """
    raise NotImplementedError("activations.leaky_relu_grad: return 1.0 where x > 0 and alpha elsewhere")


def softmax(x, axis=-1):
    """Softmax along ``axis``: each slice becomes a probability distribution.

        softmax(x)_i = exp(x_i) / sum_j exp(x_j)        (i, j along ``axis``)

    Subtracting any constant from a slice leaves the ratio unchanged, so subtract the slice's
    maximum ``m = x.max(axis=axis, keepdims=True)`` first: then every exponent is <= 0, nothing
    overflows and the largest term is exactly 1, so the sum never underflows to 0.

    Shapes: ``x`` has any number of axes; ``axis`` is an int, negative values count from the end
    (as ``torch.softmax(x, dim=axis)``).
    Returns: an array of ``x``'s shape; every slice along ``axis`` sums to 1.
    Pitfall: keep ``keepdims=True`` in the max and the sum so they broadcast back along the
    right axis; the maximum must be per slice, not of the whole array.
    """
    raise NotImplementedError("activations.softmax: exp(x - max) / sum(exp(x - max)) along axis")


def log_softmax(x, axis=-1):
    """The logarithm of softmax along ``axis``, computed without ever forming the softmax.

        log_softmax(x)_i = x_i - logsumexp(x)
        logsumexp(x)     = m + log(sum_j exp(x_j - m))    with m the maximum along ``axis``

    Shapes: ``x`` has any number of axes; ``axis`` is an int, negative values count from the end
    (as ``torch.log_softmax(x, dim=axis)``).
    Returns: an array of ``x``'s shape with values <= 0 (they can be as low as about -2000).
    Pitfall: ``np.log(softmax(x))`` is -inf wherever a probability underflows to 0 (an entry more
    than ~745 below the maximum of its slice); work in the log domain throughout.
    """
    raise NotImplementedError("activations.log_softmax: return (x - m) - log(sum(exp(x - m))) along axis")
