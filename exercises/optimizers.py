"""Optimizers: the update rules that turn gradients into learning.

Training a network means repeating one move: compute the gradient ``dw`` of the loss with respect
to the parameters ``w``, then change ``w`` a little in the direction that lowers the loss.  Plain
gradient descent takes that step as it is.  The other optimizers here remember something about
past gradients (a velocity, a running average of squared gradients) and use it to take better
steps: momentum rolls through small bumps and along narrow valleys, the adaptive methods
(Adagrad, RMSprop, Adam) give every parameter its own step size.

Every step function follows the same protocol, the one ``torch.optim`` uses internally:

    w, state = step(w, dw, state, **hyperparameters)

- ``w`` and ``dw`` are float64 arrays of the same shape (any shape); return the new ``w`` with
  that same shape.
- ``state`` is ``None`` on the first call.  Return whatever your optimizer needs to remember (a
  dict of NumPy arrays and numbers: a velocity, moment estimates, a step counter); the grader
  hands it back to you, unchanged, on the next call.  Its contents are your choice; only the
  values of ``w`` are graded, step after step, against ``torch.optim`` in float64.
- You may update ``w`` and your own state in place (frameworks do), but never ``dw``.

The last function puts an optimizer to work: mini-batch SGD fitting a linear regression.

Use only NumPy, ``math`` and the standard library.
"""

import numpy as np


def sgd(w, dw, state, lr=0.01):
    """One step of plain (stochastic) gradient descent.

    The gradient points uphill, so step the other way, by a fraction ``lr`` (the learning rate)
    of it.  Plain SGD remembers nothing, so ``state`` can be passed back as it came.

        w_new = w - lr * dw

    Args:
        w: parameters, float64 array of any shape.
        dw: gradient of the loss with respect to ``w``, same shape.
        state: ``None`` (nothing to remember).
        lr: learning rate.

    Returns:
        ``(w_new, state)`` with ``w_new`` shaped like ``w``.

    Pitfall: return the new weights, not the update ``-lr * dw``.
    """
    raise NotImplementedError("optimizers.sgd: return (w - lr * dw, state)")


def sgd_momentum(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
    """One step of SGD with (heavy-ball) momentum, optionally Nesterov momentum.

    Momentum keeps a velocity ``v``, a decaying sum of past gradients, and steps along it: when
    gradients keep pointing the same way the steps grow, and when they flip back and forth they
    cancel.  This is ``torch.optim.SGD(lr, momentum, nesterov)`` (no dampening):

        v = dw                      on the first step (state is None)
        v = momentum * v + dw       on later steps
        w_new = w - lr * v                          (nesterov=False)
        w_new = w - lr * (dw + momentum * v)        (nesterov=True, with the *updated* v)

    Nesterov momentum "looks ahead": it corrects the current gradient by where the velocity is
    about to carry ``w``.  (The classic form ``v = momentum*v - lr*dw; w += v`` is the same
    algorithm for a constant learning rate; either convention is fine, but not a mix of both.)

    Args:
        w, dw: float64 arrays of the same shape.
        state: ``None`` on the first call, then whatever you returned (e.g. ``{"v": v}``).
        lr: learning rate.  momentum: the decay of the velocity, ``0 < momentum < 1``.
        nesterov: use the Nesterov look-ahead step.

    Returns:
        ``(w_new, state)``.

    Pitfall: the velocity must survive between calls: store it in the returned state.
    """
    raise NotImplementedError("optimizers.sgd_momentum: keep a velocity in the state and step along it")


def rmsprop(w, dw, state, lr=0.01, alpha=0.99, eps=1e-8):
    """One step of RMSprop.

    RMSprop keeps a running (exponentially weighted) mean ``v`` of the squared gradient of every
    parameter and divides the step by its square root: parameters with consistently large
    gradients take smaller steps, rarely-moved ones larger.  As ``torch.optim.RMSprop`` (no
    momentum, not centred, no bias correction):

        v = alpha * v + (1 - alpha) * dw**2         (v starts at zeros)
        w_new = w - lr * dw / (sqrt(v) + eps)

    Args:
        w, dw: float64 arrays of the same shape.
        state: ``None`` on the first call, then whatever you returned.
        lr: learning rate.  alpha: smoothing constant, close to 1 for a long memory.
        eps: keeps the division finite.

    Returns:
        ``(w_new, state)``.

    Pitfall: ``eps`` goes outside the square root; ``sqrt(v + eps)`` is a different optimizer
    once gradients are tiny.
    """
    raise NotImplementedError("optimizers.rmsprop: running mean of dw**2, then divide by its root")


def adagrad(w, dw, state, lr=0.01, eps=1e-10):
    """One step of Adagrad.

    Adagrad divides the step by the square root of the *sum* of all squared gradients seen so
    far, so each parameter's effective learning rate only ever shrinks: fast at first, careful
    later.  As ``torch.optim.Adagrad`` (no lr decay, accumulator starting at zero):

        G = G + dw**2                               (G starts at zeros)
        w_new = w - lr * dw / (sqrt(G) + eps)

    Args:
        w, dw: float64 arrays of the same shape.
        state: ``None`` on the first call, then whatever you returned.
        lr: learning rate.  eps: keeps the division finite.

    Returns:
        ``(w_new, state)``.

    Pitfall: ``G`` accumulates over *all* steps: keep it in the state rather than starting it
    afresh on each call.
    """
    raise NotImplementedError("optimizers.adagrad: accumulate dw**2 in the state, divide by its root")


def adam(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One step of Adam.

    Adam combines momentum (a running mean ``m`` of the gradient) with RMSprop's scaling (a
    running mean ``v`` of the squared gradient).  Both averages start at zero and are therefore
    biased towards zero early on; dividing by ``1 - beta**t`` removes that bias.  As
    ``torch.optim.Adam``, with ``t`` the number of this step, 1 on the first call:

        m = beta1 * m + (1 - beta1) * dw
        v = beta2 * v + (1 - beta2) * dw**2
        m_hat = m / (1 - beta1**t)
        v_hat = v / (1 - beta2**t)
        w_new = w - lr * m_hat / (sqrt(v_hat) + eps)

    Args:
        w, dw: float64 arrays of the same shape.
        state: ``None`` on the first call, then whatever you returned (``m``, ``v`` and ``t``).
        lr: learning rate.  beta1, beta2: decay rates of the two averages.  eps: as in RMSprop.

    Returns:
        ``(w_new, state)``.

    Pitfall: ``t`` must be 1 on the first step (with ``t = 0`` the correction divides by zero),
    and ``eps`` is added after the square root of the *corrected* ``v_hat``.
    """
    raise NotImplementedError("optimizers.adam: update m, v and t, bias-correct, then step")


def adamw(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    """One step of AdamW: Adam with decoupled weight decay.

    Weight decay pulls weights towards zero.  Adding ``weight_decay * w`` to the gradient (L2
    regularisation) interacts badly with Adam's per-parameter scaling, so AdamW applies the decay
    directly to the weights, apart from the gradient.  As ``torch.optim.AdamW``, the weights are
    shrunk *before* the Adam step, which uses ``dw`` alone:

        w = w * (1 - lr * weight_decay)
        (m, v, t, m_hat, v_hat exactly as in adam)
        w_new = w - lr * m_hat / (sqrt(v_hat) + eps)

    Args:
        w, dw: float64 arrays of the same shape.
        state: ``None`` on the first call, then whatever you returned.
        lr, beta1, beta2, eps: as in ``adam``.  weight_decay: the decay coefficient.

    Returns:
        ``(w_new, state)``.

    Pitfall: the decay is multiplied by ``lr`` too, and it never enters ``m`` or ``v``.
    """
    raise NotImplementedError("optimizers.adamw: shrink w by (1 - lr*weight_decay), then an Adam step")


def linear_regression_sgd(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
    """Fit ``y ≈ X @ theta`` (no intercept) with mini-batch SGD on the mean squared error.

    Start from ``theta = 0``.  Each epoch, shuffle the row indices with one generator
    ``gen = np.random.default_rng(seed)`` created once per call (``gen.permutation(N)``), cut them
    into consecutive batches of ``batch_size`` rows (the last one may be smaller) and take one
    gradient step per batch on the batch's mean squared error:

        loss_b = mean((X_b @ theta - y_b)**2)
        grad   = 2 / B * X_b.T @ (X_b @ theta - y_b)        (B = rows in this batch)
        theta  = theta - lr * grad

    Graded by convergence: at the default settings on well-conditioned data, ``theta`` must end
    within 1 % (relative distance) of the least-squares solution, so dropping the factor 2 or the
    last partial batch is fine; the same seed must give the same ``theta``.

    Args:
        X: ``(N, D)`` float64 features.  y: ``(N,)`` float64 targets.
        lr: learning rate.  epochs: passes over the data.  batch_size: rows per step.
        seed: seed of the shuffling generator.

    Returns:
        ``theta``, a float64 array of shape ``(D,)``.

    Pitfall: average the gradient over the batch; a sum makes each step ``batch_size`` times
    larger, and SGD diverges.
    """
    raise NotImplementedError("optimizers.linear_regression_sgd: shuffle, batch, and step on the MSE gradient")
