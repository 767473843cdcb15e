"""Normalization layers: batch norm and layer norm, forward and backward, in NumPy.

Deep networks train more easily when the inputs of each layer keep a steady scale. A
normalisation layer takes a group of numbers, shifts them to mean 0 and rescales them to
variance 1, and then applies a learnable per-feature scale ``gamma`` and shift ``beta`` so the
network can still choose the scale it wants.  The two layers here differ in *which* numbers
form a group:

- **batch norm** normalises each feature (column) over the examples of the batch, so during
  training an example's output depends on the rest of the batch; at inference it uses running
  averages of the statistics collected during training instead;
- **layer norm** normalises each example over its own features (the last axis), so it behaves
  the same in training and inference and works for sequences ``(N, T, D)``.

Both use the *biased* variance (divide by the number of elements, not one less) and add a small
``eps`` inside the square root.  Conventions: inputs are float64 arrays, batch axis first; never
modify an input array in place; gradients of ``(D,)`` parameters have shape ``(D,)``.
Only ``numpy`` and ``math`` may be imported.
"""

import numpy as np


def batchnorm_forward(x, gamma, beta, eps=1e-5):
    """Batch normalisation in training mode.

    Each column (feature) of ``x`` is normalised with the statistics of the current batch, then
    scaled and shifted by the learnable ``gamma`` and ``beta``.

        mean = mean of x over the batch (axis 0)             shape (D,)
        var  = mean of (x - mean)**2 over the batch           biased: divide by N
        x_hat = (x - mean) / sqrt(var + eps)
        out   = gamma * x_hat + beta

    Shapes: ``x`` is ``(N, D)``; ``gamma`` and ``beta`` are ``(D,)``.
    Returns: ``out``, an ``(N, D)`` array.
    Pitfall: ``eps`` goes *inside* the square root, and the variance is the biased one
    (``np.var``'s default ``ddof=0``), as in PyTorch's training mode.
    """
    raise NotImplementedError("batchnorm.batchnorm_forward: normalise each column over the batch, then scale and shift")


def batchnorm_backward(dout, x, gamma, eps=1e-5):
    """Gradients of batch norm's training-mode forward pass.

    The loss is ``sum(dout * out)`` with ``out = batchnorm_forward(x, gamma, beta, eps)``.  The
    batch mean and variance depend on every example, so changing one ``x[i, j]`` moves the whole
    column of outputs; the gradient for ``x`` collects those paths.  With ``x_hat`` and
    ``std = sqrt(var + eps)`` from the forward pass and ``g = dout * gamma``:

        dbeta  = sum over the batch of dout                   shape (D,)
        dgamma = sum over the batch of dout * x_hat           shape (D,)
        dx     = (g - mean(g) - x_hat * mean(g * x_hat)) / std
                 (means over the batch axis, per column)

    Shapes: ``dout`` and ``x`` are ``(N, D)``; ``gamma`` is ``(D,)``.
    Returns: the tuple ``(dx, dgamma, dbeta)`` with shapes ``(N, D)``, ``(D,)``, ``(D,)``.
    Pitfall: ``dx = dout * gamma / std`` alone treats the batch statistics as constants and is
    wrong; both mean terms are needed.  Sum (do not average) for ``dbeta`` and ``dgamma``.
    """
    raise NotImplementedError("batchnorm.batchnorm_backward: return (dx, dgamma, dbeta) for the loss sum(dout * out)")


def batchnorm_running_stats(running_mean, running_var, x, momentum=0.1):
    """One update of the running statistics that batch norm uses at inference.

    During training each batch nudges an exponential moving average of the mean and the
    variance.  This follows PyTorch, where ``momentum`` is the weight of the *new* batch and the
    variance tracked is the *unbiased* one (divide by ``N - 1``), an estimate of the population
    variance:

        new_mean = (1 - momentum) * running_mean + momentum * mean(x, axis 0)
        new_var  = (1 - momentum) * running_var  + momentum * var(x, axis 0, ddof=1)

    Shapes: ``running_mean`` and ``running_var`` are ``(D,)``; ``x`` is ``(N, D)`` with ``N >= 2``.
    Returns: the tuple ``(new_mean, new_var)``, both ``(D,)``; the inputs stay unchanged.
    Pitfall: the forward pass normalises with the biased variance, but the running average
    takes the unbiased one; and some libraries (Keras) use momentum the other way round.
    """
    raise NotImplementedError("batchnorm.batchnorm_running_stats: blend the batch mean and unbiased variance into the running ones")


def batchnorm_inference(x, gamma, beta, running_mean, running_var, eps=1e-5):
    """Batch normalisation in inference (evaluation) mode.

    At test time the output for one example must not depend on which other examples share its
    batch, so the running statistics collected during training replace the batch's own:

        out = gamma * (x - running_mean) / sqrt(running_var + eps) + beta

    Shapes: ``x`` is ``(N, D)`` (``N`` may be 1); the other arrays are ``(D,)``.
    Returns: ``out``, an ``(N, D)`` array.
    Pitfall: do not compute the mean or variance of ``x`` here at all.
    """
    raise NotImplementedError("batchnorm.batchnorm_inference: normalise with the running mean and variance")


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Layer normalisation over the last axis.

    Every length-``D`` vector along the last axis (one example, or one position of a sequence)
    is normalised with its own mean and biased variance, then scaled and shifted:

        mean  = mean of x over the last axis (keepdims)
        var   = mean of (x - mean)**2 over the last axis (keepdims)
        out   = gamma * (x - mean) / sqrt(var + eps) + beta

    Shapes: ``x`` is ``(N, D)`` or ``(N, T, D)`` (any number of leading axes); ``gamma`` and
    ``beta`` are ``(D,)``.
    Returns: ``out``, with the shape of ``x``.
    Pitfall: use ``axis=-1`` with ``keepdims=True``; ``axis=1`` is the last axis only for 2-D
    input.
    """
    raise NotImplementedError("batchnorm.layernorm_forward: normalise each vector along the last axis, then scale and shift")


def layernorm_backward(dout, x, gamma, eps=1e-5):
    """Gradients of layer norm's forward pass.

    The loss is ``sum(dout * out)`` with ``out = layernorm_forward(x, gamma, beta, eps)``.  It is
    batch norm's backward pass with the roles of the axes exchanged: the statistics, and so the
    means in ``dx``, run over the last axis, while ``gamma`` and ``beta`` are shared by every
    leading position.  With ``x_hat``, ``std`` per vector and ``g = dout * gamma``:

        dbeta  = sum of dout over every leading axis          shape (D,)
        dgamma = sum of dout * x_hat over every leading axis  shape (D,)
        dx     = (g - mean(g) - x_hat * mean(g * x_hat)) / std
                 (means over the last axis, keepdims)

    Shapes: ``dout`` and ``x`` are ``(N, D)`` or ``(N, T, D)``; ``gamma`` is ``(D,)``.
    Returns: the tuple ``(dx, dgamma, dbeta)``; ``dx`` has the shape of ``x``.
    Pitfall: for ``(N, T, D)`` input, summing over axis 0 only leaves a ``(T, D)`` gradient; sum
    over all leading axes (e.g. ``axis=tuple(range(x.ndim - 1))``).
    """
    raise NotImplementedError("batchnorm.layernorm_backward: return (dx, dgamma, dbeta) for the loss sum(dout * out)")
