"""Correct ``optimizers`` answers written differently from ``solutions/optimizers.py``.

Each ``<function>__<variant>`` follows the contract (torch.optim semantics, ``state=None`` on
the first call, ``(w, state)`` returned); optimizers may update ``w`` and their own state in
place, which several variants do on purpose.
"""

import math

import numpy as np


# sgd ---------------------------------------------------------------------------------------

def sgd__in_place(w, dw, state, lr=0.01):
    """Updates w in place (allowed for optimizers) and returns the same array with state None."""
    w -= lr * dw
    return w, None


def sgd__loops_list(w, dw, state, lr=0.01):
    """An explicit loop over every index of a copy; returns a list and an empty dict as state."""
    new = w.copy()
    for idx in np.ndindex(new.shape):
        new[idx] = new[idx] - lr * dw[idx]
    return [new, {}]


def sgd__np_subtract(w, dw, state, lr=0.01):
    """np.subtract into a fresh float64 array; keeps a step counter in the state."""
    out = np.empty_like(w, dtype=np.float64)
    np.subtract(w, np.multiply(dw, lr), out=out)
    steps = 0 if state is None else state["steps"]
    return out, {"steps": steps + 1}


# sgd_momentum ------------------------------------------------------------------------------

def sgd_momentum__zero_init_in_place(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
    """Velocity starts at zeros (so v = dw on step 1) and both v and w are updated in place."""
    if state is None:
        state = {"v": np.zeros_like(w, dtype=np.float64)}
    v = state["v"]
    v *= momentum
    v += dw
    if nesterov:
        w -= lr * (dw + momentum * v)
    else:
        w -= lr * v
    return w, state


def sgd_momentum__lookahead_form(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
    """Nesterov written as (1 + momentum) * v_new - momentum * v_old (same vector as dw + m*v_new)."""
    v_old = np.zeros_like(w) if state is None else state["velocity"]
    v_new = dw.copy() if state is None else momentum * v_old + dw
    if nesterov:
        step = (1 + momentum) * v_new - momentum * v_old
    else:
        step = v_new
    return w - lr * step, {"velocity": v_new, "first": False}


def sgd_momentum__loops(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
    """Scalar Python loops over a flattened copy, state kept as a flat list of floats."""
    flat_w = w.ravel().tolist()
    flat_g = dw.ravel().tolist()
    vel = list(flat_g) if state is None else [momentum * v + g for v, g in zip(state["v"], flat_g)]
    out = []
    for wi, gi, vi in zip(flat_w, flat_g, vel):
        direction = gi + momentum * vi if nesterov else vi
        out.append(wi - lr * direction)
    return np.array(out).reshape(w.shape), {"v": vel}


# rmsprop -----------------------------------------------------------------------------------

def rmsprop__in_place(w, dw, state, lr=0.01, alpha=0.99, eps=1e-8):
    """Running average updated in place with *= and +=, then w updated in place."""
    if state is None:
        state = {"sq": np.zeros(w.shape)}
    sq = state["sq"]
    sq *= alpha
    sq += (1 - alpha) * dw * dw
    w -= lr * dw / (np.sqrt(sq) + eps)
    return w, state


def rmsprop__lerp(w, dw, state, lr=0.01, alpha=0.99, eps=1e-8):
    """The average written as an interpolation v + (1 - alpha)(dw^2 - v); step as a product."""
    v = 0.0 * w if state is None else state["v"]
    v = v + (1.0 - alpha) * (np.square(dw) - v)
    step = lr * dw * np.reciprocal(np.sqrt(v) + eps)
    return np.subtract(w, step), {"v": v, "t": 1 if state is None else state["t"] + 1}


def rmsprop__loops(w, dw, state, lr=0.01, alpha=0.99, eps=1e-8):
    """math.sqrt over every index of copies, state as a 0-d-safe array copy."""
    v = np.zeros_like(w) if state is None else state["v"].copy()
    new = w.copy()
    for idx in np.ndindex(w.shape):
        v[idx] = alpha * v[idx] + (1 - alpha) * dw[idx] ** 2
        new[idx] = w[idx] - lr * dw[idx] / (math.sqrt(v[idx]) + eps)
    return new, {"v": v}


# adagrad -----------------------------------------------------------------------------------

def adagrad__in_place(w, dw, state, lr=0.01, eps=1e-10):
    """Accumulator and w both updated in place."""
    if state is None:
        state = {"G": np.zeros_like(w)}
    state["G"] += dw ** 2
    w -= lr * dw / (np.sqrt(state["G"]) + eps)
    return w, state


def adagrad__history(w, dw, state, lr=0.01, eps=1e-10):
    """Keeps every gradient seen in the state and re-sums their squares at each step."""
    history = [] if state is None else list(state["grads"])
    history.append(np.array(dw, dtype=np.float64))
    total = np.sum([g * g for g in history], axis=0)
    return w - lr * dw / (np.sqrt(total) + eps), {"grads": history}


def adagrad__loops(w, dw, state, lr=0.01, eps=1e-10):
    """Scalar loops with math.sqrt on a flat list state; returns a list."""
    acc = [0.0] * w.size if state is None else list(state["acc"])
    flat_w, flat_g = w.ravel(), dw.ravel()
    out = np.empty(w.size)
    for k in range(w.size):
        acc[k] += flat_g[k] * flat_g[k]
        out[k] = flat_w[k] - lr * flat_g[k] / (math.sqrt(acc[k]) + eps)
    return [out.reshape(w.shape), {"acc": acc}]


# adam --------------------------------------------------------------------------------------

def adam__torch_form(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """torch's own arithmetic: denom = sqrt(v)/sqrt(bc2) + eps, step size lr/bc1; in place."""
    if state is None:
        state = {"step": 0, "exp_avg": np.zeros_like(w), "exp_avg_sq": np.zeros_like(w)}
    state["step"] += 1
    t = state["step"]
    state["exp_avg"] *= beta1
    state["exp_avg"] += (1 - beta1) * dw
    state["exp_avg_sq"] *= beta2
    state["exp_avg_sq"] += (1 - beta2) * dw * dw
    bc1 = 1 - beta1 ** t
    bc2 = 1 - beta2 ** t
    denom = np.sqrt(state["exp_avg_sq"]) / math.sqrt(bc2) + eps
    w -= (lr / bc1) * state["exp_avg"] / denom
    return w, state


def adam__paper_form(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Bias corrections folded into the learning rate, with eps scaled by sqrt(bc2) to stay exact."""
    m = np.zeros_like(w) if state is None else state["m"]
    v = np.zeros_like(w) if state is None else state["v"]
    t = 1 if state is None else state["t"] + 1
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw ** 2
    root_bc2 = math.sqrt(1 - beta2 ** t)
    lr_t = lr * root_bc2 / (1 - beta1 ** t)
    return w - lr_t * m / (np.sqrt(v) + eps * root_bc2), {"m": m, "v": v, "t": t}


def adam__running_powers(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Tracks beta1**t and beta2**t by repeated multiplication; lerp-form moments."""
    if state is None:
        state = {"m": np.zeros(w.shape), "v": np.zeros(w.shape), "p1": 1.0, "p2": 1.0}
    p1, p2 = state["p1"] * beta1, state["p2"] * beta2
    m = state["m"] + (1 - beta1) * (dw - state["m"])
    v = state["v"] + (1 - beta2) * (dw * dw - state["v"])
    m_hat = m / (1 - p1)
    v_hat = v / (1 - p2)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), {"m": m, "v": v, "p1": p1, "p2": p2}


def adam__loops(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Elementwise Python loop with math.sqrt over copies of the moments."""
    if state is None:
        m, v, t = np.zeros_like(w), np.zeros_like(w), 0
    else:
        m, v, t = state["m"].copy(), state["v"].copy(), int(state["t"])
    t += 1
    new = np.array(w, copy=True)
    for idx in np.ndindex(w.shape):
        g = float(dw[idx])
        m[idx] = beta1 * m[idx] + (1 - beta1) * g
        v[idx] = beta2 * v[idx] + (1 - beta2) * g * g
        m_hat = m[idx] / (1 - beta1 ** t)
        v_hat = v[idx] / (1 - beta2 ** t)
        new[idx] = w[idx] - lr * m_hat / (math.sqrt(v_hat) + eps)
    return new, {"m": m, "v": v, "t": t}


def adam__moments_keyed_by_order(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """State keyed by moment order, {1: m, 2: v, "t": t} (int keys: the contract only asks for a dict).

    FALSE FAILURE witness: the grader's codec turns a dict with non-string keys into an opaque
    description, so the state is not passed back unchanged and this correct code errors on step 2.
    """
    if state is None:
        state = {1: np.zeros_like(w), 2: np.zeros_like(w), "t": 0}
    t = state["t"] + 1
    m = beta1 * state[1] + (1 - beta1) * dw
    v = beta2 * state[2] + (1 - beta2) * dw ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * m_hat / (np.sqrt(v_hat) + eps), {1: m, 2: v, "t": t}


# adamw -------------------------------------------------------------------------------------

def adamw__decay_folded(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    """One expression: w - lr * (weight_decay * w + m_hat / (sqrt(v_hat) + eps))."""
    t = 1 if state is None else state["t"] + 1
    m = (1 - beta1) * dw if state is None else beta1 * state["m"] + (1 - beta1) * dw
    v = (1 - beta2) * dw ** 2 if state is None else beta2 * state["v"] + (1 - beta2) * dw ** 2
    m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
    return w - lr * (weight_decay * w + m_hat / (np.sqrt(v_hat) + eps)), {"m": m, "v": v, "t": t}


def adamw__in_place(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    """torch's order in place: w *= 1 - lr*wd, then the torch-form Adam step on w."""
    if state is None:
        state = {"step": 0, "m": np.zeros_like(w), "v": np.zeros_like(w)}
    state["step"] += 1
    t = state["step"]
    w *= 1 - lr * weight_decay
    state["m"] *= beta1
    state["m"] += (1 - beta1) * dw
    state["v"] *= beta2
    state["v"] += (1 - beta2) * np.square(dw)
    denom = np.sqrt(state["v"]) / math.sqrt(1 - beta2 ** t) + eps
    w -= lr / (1 - beta1 ** t) * state["m"] / denom
    return w, state


def adamw__update_first(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    """Computes the Adam update first (it does not depend on w), then w*(1 - lr*wd) - update."""
    state = {"m": np.zeros_like(w), "v": np.zeros_like(w), "t": 0} if state is None else dict(state)
    state["t"] = state["t"] + 1
    state["m"] = beta1 * state["m"] + (1 - beta1) * dw
    state["v"] = beta2 * state["v"] + (1 - beta2) * dw * dw
    update = lr * (state["m"] / (1 - beta1 ** state["t"])) / (
        np.sqrt(state["v"] / (1 - beta2 ** state["t"])) + eps)
    return w * (1 - lr * weight_decay) - update, state


def adamw__loops(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    """Scalar loops over flat lists; the state is a dict of lists and an int."""
    n = w.size
    m = [0.0] * n if state is None else list(state["m"])
    v = [0.0] * n if state is None else list(state["v"])
    t = (0 if state is None else state["t"]) + 1
    out = []
    for k, (wk, gk) in enumerate(zip(w.ravel().tolist(), dw.ravel().tolist())):
        m[k] = beta1 * m[k] + (1 - beta1) * gk
        v[k] = beta2 * v[k] + (1 - beta2) * gk * gk
        wk = wk * (1 - lr * weight_decay)
        out.append(wk - lr * (m[k] / (1 - beta1 ** t)) / (math.sqrt(v[k] / (1 - beta2 ** t)) + eps))
    return np.array(out).reshape(w.shape), {"m": m, "v": v, "t": t}


# linear_regression_sgd ---------------------------------------------------------------------

def linear_regression_sgd__no_factor_two(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
    """Gradient X_b.T r / B without the factor 2 (allowed by the contract)."""
    gen = np.random.default_rng(seed)
    theta = np.zeros(X.shape[1])
    for _ in range(epochs):
        idx = gen.permutation(len(X))
        for s in range(0, len(X), batch_size):
            b = idx[s:s + batch_size]
            theta -= lr * X[b].T @ (X[b] @ theta - y[b]) / len(b)
    return theta


def linear_regression_sgd__drop_last(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
    """Shuffles copies of X and y with gen.shuffle and drops the last partial batch; einsum grads."""
    gen = np.random.default_rng(seed)
    n, d = X.shape
    theta = np.zeros(d)
    order = np.arange(n)
    for _ in range(epochs):
        gen.shuffle(order)
        Xs, ys = X[order], y[order]
        for s in range(0, n - batch_size + 1, batch_size):
            Xb, yb = Xs[s:s + batch_size], ys[s:s + batch_size]
            residual = np.einsum("bd,d->b", Xb, theta) - yb
            theta = theta - lr * 2.0 * np.einsum("bd,b->d", Xb, residual) / batch_size
    return theta


def linear_regression_sgd__per_sample_loops(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
    """Accumulates each batch's gradient sample by sample in Python loops."""
    gen = np.random.default_rng(seed)
    n, d = X.shape
    theta = np.zeros(d)
    for _ in range(epochs):
        perm = gen.permutation(n).tolist()
        batches = [perm[s:s + batch_size] for s in range(0, n, batch_size)]
        for batch in batches:
            grad = np.zeros(d)
            for i in batch:
                err = float(np.dot(X[i], theta)) - y[i]
                grad += 2.0 * err * X[i]
            theta = theta - lr * grad / len(batch)
    return theta


def linear_regression_sgd__array_split(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
    """np.array_split of each permutation into ceil(N / B) nearly equal batches."""
    gen = np.random.default_rng(seed)
    n, d = X.shape
    theta = np.zeros(d)
    for _ in range(epochs):
        for rows in np.array_split(gen.permutation(n), math.ceil(n / batch_size)):
            theta = theta - lr * 2 * X[rows].T @ (X[rows] @ theta - y[rows]) / len(rows)
    return theta


def linear_regression_sgd__drop_last_no_factor_two(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
    """Both allowed choices that slow convergence at once: no factor 2 and the last batch dropped."""
    gen = np.random.default_rng(seed)
    n, d = X.shape
    theta = np.zeros(d)
    for _ in range(epochs):
        order = gen.permutation(n)
        for s in range(0, n - batch_size + 1, batch_size):
            rows = order[s:s + batch_size]
            theta = theta - lr * X[rows].T @ (X[rows] @ theta - y[rows]) / batch_size
    return theta


# Written for the outside review of the grader (other state layouts) ---------------------------

def sgd__subtract_out(w, dw, state, lr=0.01):
    """np.subtract into w itself; state None."""
    np.subtract(w, lr * dw, out=w)
    return w, None


def sgd__counter_state(w, dw, state, lr=0.01):
    """A state dict that only counts steps."""
    return np.add(w, -lr * dw), {"t": 0 if state is None else state["t"] + 1}


def sgd_momentum__velocity_form(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
    """The cs231n form v = mu*v - lr*dw, w += v (Nesterov: w += -mu*v_prev + (1 + mu)*v); equal
    to torch's for a constant lr. The state is a mutable list [v, first_step]."""
    if state is None:
        state = [np.zeros_like(w), True]
    v_prev = state[0]
    v = -lr * dw if state[1] else momentum * v_prev - lr * dw
    state[0], state[1] = v, False
    if nesterov:
        return w - momentum * v_prev + (1 + momentum) * v, state
    return w + v, state


def sgd_momentum__lr_inside_velocity(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
    """v = mu*v + lr*dw from zero, w -= v (Nesterov: w -= mu*v + lr*dw); the state is the bare
    array. Equal to torch's for a constant lr."""
    v = np.zeros_like(w) if state is None else state
    v = momentum * v + lr * dw
    return w - (momentum * v + lr * dw if nesterov else v), v


def sgd_momentum__bare_buffer_from_zero(w, dw, state, lr=0.01, momentum=0.9, nesterov=False):
    """The buffer starts at zeros (so the first step gives dw) and is the state itself."""
    buf = np.zeros_like(dw) if state is None else state
    buf = momentum * buf + dw
    if nesterov:
        return w - lr * dw - lr * momentum * buf, buf
    return w - lr * buf, buf


def rmsprop__tuple_state(w, dw, state, lr=0.01, alpha=0.99, eps=1e-8):
    """The first average is (1 - alpha) * dw**2 directly; the state is a 1-tuple."""
    v = (1 - alpha) * dw * dw if state is None else alpha * state[0] + (1 - alpha) * dw * dw
    return w - lr * dw / (np.sqrt(v) + eps), (v,)


def rmsprop__list_of_floats(w, dw, state, lr=0.01, alpha=0.99, eps=1e-8):
    """A Python list of floats as the state, one entry per element, math.sqrt."""
    out = np.empty_like(w)
    sq = [0.0] * w.size if state is None else state
    wf, gf = w.ravel(), dw.ravel()
    for k in range(w.size):
        sq[k] = alpha * sq[k] + (1 - alpha) * gf[k] ** 2
        out.flat[k] = wf[k] - lr * gf[k] / (math.sqrt(sq[k]) + eps)
    return out, sq


def rmsprop__scalar_start(w, dw, state, lr=0.01, alpha=0.99, eps=1e-8):
    """The average starts as the Python float 0.0 and broadcasts; ** 0.5 for the root."""
    ms = 0.0 if state is None else state
    ms = alpha * ms + (1.0 - alpha) * np.square(dw)
    return w - lr * (dw / (ms ** 0.5 + eps)), ms


def adagrad__dict_in_place(w, dw, state, lr=0.01, eps=1e-10):
    """A dict whose accumulator grows in place."""
    if state is None:
        state = {"G": np.zeros(w.shape)}
    state["G"] += np.square(dw)
    return w - lr * dw / (np.sqrt(state["G"]) + eps), state


def adagrad__gradient_history(w, dw, state, lr=0.01, eps=1e-10):
    """Keeps every gradient (copied) and re-sums their squares at each step."""
    hist = ([] if state is None else state) + [dw.copy()]
    return w - lr * dw / (np.sqrt(np.sum(np.stack(hist) ** 2, axis=0)) + eps), hist


def adam__scalar_start_dict(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """Moments start as Python 0.0 in a fresh dict each step."""
    if state is None:
        state = {"t": 0, "m": 0.0, "v": 0.0}
    t = state["t"] + 1
    m = beta1 * state["m"] + (1 - beta1) * dw
    v = beta2 * state["v"] + (1 - beta2) * dw ** 2
    return w - lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps), {"t": t, "m": m, "v": v}


def adam__list_of_running_products(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """The state is a list [beta1**t, beta2**t, m, v]."""
    p1, p2, m, v = (1.0, 1.0, np.zeros_like(w), np.zeros_like(w)) if state is None else state
    p1, p2 = p1 * beta1, p2 * beta2
    m = beta1 * m + (1 - beta1) * dw
    v = beta2 * v + (1 - beta2) * dw ** 2
    return w - lr * (m / (1 - p1)) / (np.sqrt(v / (1 - p2)) + eps), [p1, p2, m, v]


def adamw__tuple_lerp(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    """Moments by interpolation m += (1 - beta1) * (dw - m); the state is a tuple (t, m, v)."""
    t, m, v = (0, np.zeros_like(w), np.zeros_like(w)) if state is None else state
    t += 1
    m = m + (1 - beta1) * (dw - m)
    v = v + (1 - beta2) * (dw * dw - v)
    step = lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
    return w - lr * weight_decay * w - step, (t, m, v)


def adamw__copied_dict(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8, weight_decay=0.01):
    """A shallow copy of the state dict per step; the decayed w is a new array."""
    st = {"n": 0, "m": np.zeros(w.shape), "v": np.zeros(w.shape)} if state is None else dict(state)
    st["n"] += 1
    st["m"] = beta1 * st["m"] + (1 - beta1) * dw
    st["v"] = beta2 * st["v"] + (1 - beta2) * dw * dw
    upd = (st["m"] / (1 - beta1 ** st["n"])) / (np.sqrt(st["v"] / (1 - beta2 ** st["n"])) + eps)
    return w * (1 - lr * weight_decay) - lr * upd, st


def linear_regression_sgd__shuffle_in_place(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
    """gen.shuffle on an index array each epoch; always divides by batch_size (also the last)."""
    gen = np.random.default_rng(seed)
    theta = np.zeros(X.shape[1])
    idx = np.arange(X.shape[0])
    for _ in range(epochs):
        gen.shuffle(idx)
        for start in range(0, len(idx), batch_size):
            b = idx[start:start + batch_size]
            theta -= lr * 2.0 * X[b].T @ (X[b] @ theta - y[b]) / batch_size
    return theta


def linear_regression_sgd__random_start(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
    """The contract does not fix theta's starting point: this one starts from a standard normal
    draw of the same generator, and uses the gradient without the factor 2."""
    gen = np.random.default_rng(seed)
    theta = gen.normal(size=X.shape[1])
    for _ in range(epochs):
        order = gen.permutation(len(X))
        for start in range(0, len(X), batch_size):
            rows = order[start:start + batch_size]
            theta = theta - lr * X[rows].T @ (X[rows] @ theta - y[rows]) / len(rows)
    return theta
