"""Oracles for ``optimizers``: one step of ``torch.optim`` on a float64 copy of ``w``.

The oracle keeps torch's buffers (moments, step count) in its ``state`` (the oracle runs in the
grader's own process, so its state may hold anything); the student's state is plain data of
their choosing.
``linear_regression_sgd`` is graded by convergence, so its oracle is the least-squares solution
itself.

Below the oracles, the mistakes: NumPy re-implementations with exactly one thing wrong, whose
state is plain data (they are called through the same codec as a student's code).
"""

from __future__ import annotations

import numpy as np

from reference._torch import array, lazy, tensor, torch

functional_adagrad = lazy("torch.optim.adagrad", "adagrad")
functional_adam = lazy("torch.optim.adam", "adam")
functional_adamw = lazy("torch.optim.adamw", "adamw")
functional_rmsprop = lazy("torch.optim.rmsprop", "rmsprop")
functional_sgd = lazy("torch.optim.sgd", "sgd")


def _functional_step(update, w, dw, state, buffers):
    """One update through ``torch.optim``'s functional form, the code ``optimizer.step()`` runs.

    The functional form keeps the grader fast: ``Optimizer.step`` imports ``torch._dynamo``
    (seconds) on first use.  ``tests/test_reference_optimizers.py`` checks both agree.
    """
    if state is None:
        state = {name: torch.zeros(np.shape(w)) for name in buffers}
        state["step"] = torch.tensor(0.0)
    param = tensor(w)
    update(param, tensor(dw), state)
    return array(param), state


_PLAIN = {"foreach": False, "maximize": False}


def sgd(w, dw, state, lr=0.01):
    def update(p, g, _):
        functional_sgd([p], [g], [None], weight_decay=0.0, momentum=0.0, lr=lr, dampening=0.0,
                            nesterov=False, **_PLAIN)
    return _functional_step(update, w, dw, state, ())


def sgd_momentum(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
    def update(p, g, s):
        buffers = [s.get("momentum_buffer")]  # None on the first step: torch starts it at dw
        functional_sgd([p], [g], buffers, weight_decay=0.0, momentum=momentum, lr=lr,
                            dampening=0.0, nesterov=nesterov, **_PLAIN)
        s["momentum_buffer"] = buffers[0]
    return _functional_step(update, w, dw, state, ())


def rmsprop(w, dw, state, lr=0.01, alpha=0.99, eps=1e-8):
    def update(p, g, s):
        functional_rmsprop([p], [g], [s["square_avg"]], [], [], [s["step"]], lr=lr, alpha=alpha,
                                    eps=eps, weight_decay=0.0, momentum=0.0, centered=False, **_PLAIN)
    return _functional_step(update, w, dw, state, ("square_avg",))


def adagrad(w, dw, state, lr=0.01, eps=1e-10):
    def update(p, g, s):
        functional_adagrad([p], [g], [s["sum"]], [s["step"]], lr=lr, weight_decay=0.0,
                                    lr_decay=0.0, eps=eps, **_PLAIN)
    return _functional_step(update, w, dw, state, ("sum",))


def adam(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    def update(p, g, s):
        functional_adam([p], [g], [s["exp_avg"]], [s["exp_avg_sq"]], [], [s["step"]], amsgrad=False,
                              beta1=beta1, beta2=beta2, lr=lr, weight_decay=0.0, eps=eps, **_PLAIN)
    return _functional_step(update, w, dw, state, ("exp_avg", "exp_avg_sq"))


def adamw(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    def update(p, g, s):
        functional_adamw([p], [g], [s["exp_avg"]], [s["exp_avg_sq"]], [], [s["step"]], amsgrad=False,
                                beta1=beta1, beta2=beta2, lr=lr, weight_decay=weight_decay, eps=eps, **_PLAIN)
    return _functional_step(update, w, dw, state, ("exp_avg", "exp_avg_sq"))


def linear_regression_sgd(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
    """The point SGD must converge to: the least-squares solution of ``X @ theta = y``."""
    return np.linalg.lstsq(np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64),
                           rcond=None)[0]


# Mistakes -----------------------------------------------------------------------------------
# Shared NumPy helpers: each takes switches, so every mistake below is "the correct algorithm
# with one thing changed".

def sgd__gradient_ascent(w, dw, state, lr=0.01):
    return w + lr * dw, state


def sgd__forgot_learning_rate(w, dw, state, lr=0.01):
    return w - dw, state


def sgd__returns_update_not_weights(w, dw, state, lr=0.01):
    return -lr * dw, state


def _zeros_state(w, state, *names):
    if state is None:
        state = {name: np.zeros_like(np.asarray(w, dtype=np.float64)) for name in names}
        state["t"] = 0
    return {k: (np.array(v, dtype=np.float64) if k != "t" else int(v)) for k, v in state.items()}


def _momentum(w, dw, state, lr, momentum, nesterov, *, dampened=False, carried=True,
              lr_in_velocity=False, nesterov_mode="torch"):
    """torch.optim.SGD with momentum, with optional mistakes."""
    state = _zeros_state(w, state, "v")
    v_old = state["v"] if carried else np.zeros_like(state["v"])
    first = state["t"] == 0 or not carried
    if dampened:
        v = momentum * v_old + (1 - momentum) * dw
    elif lr_in_velocity:
        v = momentum * v_old + lr * dw
    else:
        v = dw.copy() if first else momentum * v_old + dw
    if not nesterov or nesterov_mode == "ignored":
        direction = v
    elif nesterov_mode == "momentum_twice":
        direction = (1 + momentum) * v
    else:
        direction = dw + momentum * v
    state.update(v=v, t=state["t"] + 1)
    return w - lr * direction, state


def sgd_momentum__dampened_velocity(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
    return _momentum(w, dw, state, lr, momentum, nesterov, dampened=True)


def sgd_momentum__velocity_not_carried(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
    return _momentum(w, dw, state, lr, momentum, nesterov, carried=False)


def sgd_momentum__lr_applied_twice(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
    return _momentum(w, dw, state, lr, momentum, nesterov, lr_in_velocity=True)


def sgd_momentum__nesterov_ignored(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
    return _momentum(w, dw, state, lr, momentum, nesterov, nesterov_mode="ignored")


def sgd_momentum__nesterov_momentum_twice(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
    return _momentum(w, dw, state, lr, momentum, nesterov, nesterov_mode="momentum_twice")


def _scale(square_avg, eps, *, eps_inside=False, no_sqrt=False):
    """The adaptive denominator sqrt(v) + eps, or one of its two common misplacements."""
    if no_sqrt:
        return square_avg + eps
    if eps_inside:
        return np.sqrt(square_avg + eps)
    return np.sqrt(square_avg) + eps


def _rmsprop(w, dw, state, lr, alpha, eps, *, eps_inside=False, swapped=False, no_sqrt=False,
             bias_corrected=False):
    state = _zeros_state(w, state, "v")
    t = state["t"] + 1
    keep = 1 - alpha if swapped else alpha
    v = keep * state["v"] + (1 - keep) * dw ** 2
    v_used = v / (1 - alpha ** t) if bias_corrected else v
    denom = _scale(v_used, eps, eps_inside=eps_inside, no_sqrt=no_sqrt)
    state.update(v=v, t=t)
    return w - lr * dw / denom, state


def rmsprop__eps_inside_sqrt(w, dw, state, lr=0.01, alpha=0.99, eps=1e-8):
    return _rmsprop(w, dw, state, lr, alpha, eps, eps_inside=True)


def rmsprop__alpha_swapped(w, dw, state, lr=0.01, alpha=0.99, eps=1e-8):
    return _rmsprop(w, dw, state, lr, alpha, eps, swapped=True)


def rmsprop__no_sqrt(w, dw, state, lr=0.01, alpha=0.99, eps=1e-8):
    return _rmsprop(w, dw, state, lr, alpha, eps, no_sqrt=True)


def rmsprop__bias_corrected(w, dw, state, lr=0.01, alpha=0.99, eps=1e-8):
    return _rmsprop(w, dw, state, lr, alpha, eps, bias_corrected=True)


def _adagrad(w, dw, state, lr, eps, *, eps_inside=False, reset=False, no_sqrt=False):
    state = _zeros_state(w, state, "g2")
    g2 = (0.0 if reset else state["g2"]) + dw ** 2
    denom = _scale(g2, eps, eps_inside=eps_inside, no_sqrt=no_sqrt)
    state.update(g2=g2, t=state["t"] + 1)
    return w - lr * dw / denom, state


def adagrad__eps_inside_sqrt(w, dw, state, lr=0.01, eps=1e-10):
    return _adagrad(w, dw, state, lr, eps, eps_inside=True)


def adagrad__accumulator_reset(w, dw, state, lr=0.01, eps=1e-10):
    return _adagrad(w, dw, state, lr, eps, reset=True)


def adagrad__no_sqrt(w, dw, state, lr=0.01, eps=1e-10):
    return _adagrad(w, dw, state, lr, eps, no_sqrt=True)


def adagrad__stale_accumulator(w, dw, state, lr=0.01, eps=1e-10):
    sum_sq = np.zeros_like(w) if state is None else state
    w_new = w - lr * dw / (np.sqrt(sum_sq) + eps)  # divides before adding this step's dw**2
    return w_new, sum_sq + dw ** 2


def _adam(w, dw, state, lr, beta1, beta2, eps, weight_decay=0.0, *, bias_correction=True,
          t_offset=0, eps_inside=False, eps_hat=False, swapped=False, m_squared=False,
          decay="decoupled"):
    """torch.optim.Adam / AdamW, with optional mistakes."""
    state = _zeros_state(w, state, "m", "v")
    t = state["t"] + 1
    w = np.array(w, dtype=np.float64)
    g = np.array(dw, dtype=np.float64)
    if decay == "l2":
        g = g + weight_decay * w
    elif decay == "decoupled":
        w = w * (1 - lr * weight_decay)
    elif decay == "unscaled":
        w = w * (1 - weight_decay)
    b_m, b_v = (beta2, beta1) if swapped else (beta1, beta2)
    m = b_m * state["m"] + (1 - b_m) * g
    v = b_v * state["v"] + (1 - b_v) * (m ** 2 if m_squared else g ** 2)
    tc = t + t_offset
    bc1, bc2 = (1 - beta1 ** tc, 1 - beta2 ** tc) if bias_correction else (1.0, 1.0)
    if eps_hat:  # the paper's "efficient" ordering, as in Keras: eps added before correcting v
        new_w = w - lr * np.sqrt(bc2) / bc1 * m / (np.sqrt(v) + eps)
    elif eps_inside:
        new_w = w - lr * (m / bc1) / np.sqrt(v / bc2 + eps)
    else:
        new_w = w - lr * (m / bc1) / (np.sqrt(v / bc2) + eps)
    if decay == "after":
        new_w = new_w * (1 - lr * weight_decay)
    state.update(m=m, v=v, t=t)
    return new_w, state


def adam__no_bias_correction(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(w, dw, state, lr, beta1, beta2, eps, bias_correction=False)


def adam__bias_correction_off_by_one(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(w, dw, state, lr, beta1, beta2, eps, t_offset=1)


def adam__eps_inside_sqrt(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(w, dw, state, lr, beta1, beta2, eps, eps_inside=True)


def adam__eps_before_bias_correction(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(w, dw, state, lr, beta1, beta2, eps, eps_hat=True)


def adam__betas_swapped(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(w, dw, state, lr, beta1, beta2, eps, swapped=True)


def adam__first_moment_squared(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    return _adam(w, dw, state, lr, beta1, beta2, eps, m_squared=True)


def adam__corrected_moments_stored(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    if state is None:
        state = {"t": 0, "m": np.zeros_like(w), "v": np.zeros_like(w)}
    t = state["t"] + 1
    m = (beta1 * state["m"] + (1 - beta1) * dw) / (1 - beta1 ** t)  # the corrected value kept
    v = (beta2 * state["v"] + (1 - beta2) * dw ** 2) / (1 - beta2 ** t)
    return w - lr * m / (np.sqrt(v) + eps), {"t": t, "m": m, "v": v}


def adamw__l2_in_gradient(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    return _adam(w, dw, state, lr, beta1, beta2, eps, weight_decay, decay="l2")


def adamw__decay_not_scaled_by_lr(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                                  weight_decay=0.01):
    return _adam(w, dw, state, lr, beta1, beta2, eps, weight_decay, decay="unscaled")


def adamw__decay_after_update(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8,
                              weight_decay=0.01):
    return _adam(w, dw, state, lr, beta1, beta2, eps, weight_decay, decay="after")


def adamw__no_weight_decay(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    return _adam(w, dw, state, lr, beta1, beta2, eps, weight_decay, decay="none")


def _linreg(X, y, lr, epochs, batch_size, seed, *, sign=1.0, reduce="mean", intercept=False,
            column=False, global_generator=False):
    """Mini-batch SGD on the mean squared error, with optional mistakes."""
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    if intercept:
        X = np.hstack([X, np.ones((len(X), 1))])
    if column:
        y = y[:, None]
    theta = np.zeros((X.shape[1], 1) if column else X.shape[1])
    gen = np.random if global_generator else np.random.default_rng(seed)
    with np.errstate(all="ignore"):
        for _ in range(epochs):
            order = gen.permutation(len(X))
            for start in range(0, len(X), batch_size):
                rows = order[start:start + batch_size]
                residual = X[rows] @ theta - y[rows]
                grad = 2.0 * X[rows].T @ residual
                if reduce == "mean":
                    grad = grad / len(rows)
                theta = theta - sign * lr * grad
    return theta


def linear_regression_sgd__gradient_ascent(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
    return _linreg(X, y, lr, epochs, batch_size, seed, sign=-1.0)


def linear_regression_sgd__sum_not_mean(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
    return _linreg(X, y, lr, epochs, batch_size, seed, reduce="sum")


def linear_regression_sgd__intercept_added(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
    return _linreg(X, y, lr, epochs, batch_size, seed, intercept=True)


def linear_regression_sgd__column_vector(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
    return _linreg(X, y, lr, epochs, batch_size, seed, column=True)


def linear_regression_sgd__ignores_seed(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
    return _linreg(X, y, lr, epochs, batch_size, seed, global_generator=True)
