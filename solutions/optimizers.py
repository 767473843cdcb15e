"""Model answers for ``optimizers``: one update step each, with the semantics of ``torch.optim``.

Every step returns ``(w_new, state)``.  ``state`` is ``None`` on the first call; here it is a
dict of NumPy arrays plus the step counter ``t``.  The steps build new arrays, so neither ``w``
nor ``dw`` is modified.
"""

import numpy as np


def sgd(w, dw, state, lr=0.01):
    """Plain gradient descent: w - lr * dw (no state needed)."""
    return w - lr * dw, state


def sgd_momentum(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
    """Heavy-ball momentum as torch.optim.SGD: v = momentum*v + dw (v = dw on the first step).

    Plain momentum steps along v; Nesterov steps along dw + momentum*v, the gradient plus a look
    ahead along the freshly updated velocity.
    """
    if state is None:
        velocity = np.array(dw, dtype=np.float64)
    else:
        velocity = momentum * state["velocity"] + dw
    direction = dw + momentum * velocity if nesterov else velocity
    return w - lr * direction, {"velocity": velocity}


def rmsprop(w, dw, state, lr=0.01, alpha=0.99, eps=1e-8):
    """Divide the step by the root of a running mean of squared gradients (eps outside the root)."""
    square_avg = np.zeros_like(w, dtype=np.float64) if state is None else state["square_avg"]
    square_avg = alpha * square_avg + (1 - alpha) * dw ** 2
    return w - lr * dw / (np.sqrt(square_avg) + eps), {"square_avg": square_avg}


def adagrad(w, dw, state, lr=0.01, eps=1e-10):
    """Divide the step by the root of the running *sum* of squared gradients."""
    sum_sq = np.zeros_like(w, dtype=np.float64) if state is None else state["sum_sq"]
    sum_sq = sum_sq + dw ** 2
    return w - lr * dw / (np.sqrt(sum_sq) + eps), {"sum_sq": sum_sq}


def _adam_moments(dw, state, beta1, beta2):
    """Update Adam's moments and step counter; return them with the bias-corrected moments."""
    if state is None:
        state = {"m": np.zeros_like(dw, dtype=np.float64), "v": np.zeros_like(dw, dtype=np.float64), "t": 0}
    t = state["t"] + 1
    m = beta1 * state["m"] + (1 - beta1) * dw
    v = beta2 * state["v"] + (1 - beta2) * dw ** 2
    m_hat = m / (1 - beta1 ** t)
    v_hat = v / (1 - beta2 ** t)
    return m_hat, v_hat, {"m": m, "v": v, "t": t}


def adam(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Adam: momentum on the gradient, RMSprop-style scaling, both bias-corrected; t starts at 1."""
    m_hat, v_hat, state = _adam_moments(dw, state, beta1, beta2)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), state


def adamw(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    """AdamW: shrink w by (1 - lr*weight_decay) first (decoupled decay), then the Adam step."""
    m_hat, v_hat, state = _adam_moments(dw, state, beta1, beta2)
    decayed = w * (1 - lr * weight_decay)
    return decayed - lr * m_hat / (np.sqrt(v_hat) + eps), state


def linear_regression_sgd(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
    """Mini-batch SGD on mean((X @ theta - y)**2), starting from theta = 0, reshuffled every epoch."""
    gen = np.random.default_rng(seed)
    n, d = X.shape
    theta = np.zeros(d)
    for _ in range(epochs):
        order = gen.permutation(n)
        for start in range(0, n, batch_size):
            rows = order[start:start + batch_size]
            residual = X[rows] @ theta - y[rows]
            theta = theta - lr * (2.0 / len(rows)) * (X[rows].T @ residual)
    return theta
