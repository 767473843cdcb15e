"""Oracles for ``backprop``: PyTorch autograd for the layers and the MLP, a closed-form loop for
the perceptron (PyTorch has no perceptron rule; the loop follows CURRICULUM.md word for word).

Below the oracles, the mistake variants (``<function>__<mistake>``) in plain NumPy.
"""

from __future__ import annotations

import numpy as np

from reference._torch import F, array, tensor, torch


# linear ------------------------------------------------------------------------------------

def linear_forward(x, W, b):
    return array(F.linear(tensor(x), tensor(W).T, tensor(b)))


def linear_backward(dout, x, W):
    xt = tensor(x, requires_grad=True)
    Wt = tensor(W, requires_grad=True)
    bt = torch.zeros(np.shape(W)[1], dtype=torch.float64, requires_grad=True)  # value irrelevant
    (F.linear(xt, Wt.T, bt) * tensor(dout)).sum().backward()  # the loss whose gradient is dout
    return array(xt.grad), array(Wt.grad), array(bt.grad)


# two-layer MLP -----------------------------------------------------------------------------

_KEYS = ("W1", "b1", "W2", "b2")


def _mlp_scores(X, p):
    hidden = torch.relu(F.linear(X, p["W1"].T, p["b1"]))
    return F.linear(hidden, p["W2"].T, p["b2"])


def mlp_forward(X, params):
    return array(_mlp_scores(tensor(X), {k: tensor(params[k]) for k in _KEYS}))


def mlp_loss_and_grads(X, y, params, reg=0.0):
    p = {k: tensor(params[k], requires_grad=True) for k in _KEYS}
    scores = _mlp_scores(tensor(X), p)
    loss = F.cross_entropy(scores, torch.as_tensor(np.asarray(y, dtype=np.int64)))
    loss = loss + 0.5 * reg * (p["W1"].pow(2).sum() + p["W2"].pow(2).sum())
    loss.backward()
    return float(loss.item()), {k: array(p[k].grad) for k in params}


# perceptron --------------------------------------------------------------------------------

def perceptron_train(X, y, lr=1.0, epochs=100):
    X = np.asarray(X, dtype=np.float64)
    w = np.zeros(X.shape[1])
    b = 0.0
    for _ in range(epochs):
        for xi, yi in zip(X, y):
            pred = 1 if float(xi @ w) + b > 0 else 0
            step = lr * (int(yi) - pred)
            w = w + step * xi
            b = b + step
    return w, float(b)


def perceptron_predict(X, w, b):
    return (np.asarray(X, dtype=np.float64) @ np.asarray(w, dtype=np.float64) + b > 0).astype(np.int64)


# Mistakes -----------------------------------------------------------------------------------

# linear_forward
def linear_forward__forgot_bias(x, W, b):
    return x @ W


def linear_forward__subtracted_bias(x, W, b):
    return x @ W - b


def linear_forward__applied_relu(x, W, b):
    return np.maximum(x @ W + b, 0.0)


# linear_backward
def linear_backward__dW_transposed(dout, x, W):
    return dout @ W.T, dout.T @ x, dout.sum(axis=0)


def linear_backward__dW_averaged(dout, x, W):
    return dout @ W.T, x.T @ dout / x.shape[0], dout.sum(axis=0)


def linear_backward__db_kept_axis(dout, x, W):
    return dout @ W.T, x.T @ dout, dout.sum(axis=0, keepdims=True)


def linear_backward__db_wrong_axis(dout, x, W):
    return dout @ W.T, x.T @ dout, dout.sum(axis=1)


def linear_backward__db_mean(dout, x, W):
    return dout @ W.T, x.T @ dout, dout.mean(axis=0)


# mlp_forward
def _np_relu(z):
    return np.maximum(z, 0.0)


def mlp_forward__relu_on_output(X, params):
    h = _np_relu(X @ params["W1"] + params["b1"])
    return _np_relu(h @ params["W2"] + params["b2"])


def mlp_forward__forgot_hidden_bias(X, params):
    return _np_relu(X @ params["W1"]) @ params["W2"] + params["b2"]


def mlp_forward__forgot_output_bias(X, params):
    return _np_relu(X @ params["W1"] + params["b1"]) @ params["W2"]


def mlp_forward__sigmoid_hidden(X, params):
    h = 1.0 / (1.0 + np.exp(-(X @ params["W1"] + params["b1"])))
    return h @ params["W2"] + params["b2"]


def mlp_forward__no_hidden_activation(X, params):
    return (X @ params["W1"] + params["b1"]) @ params["W2"] + params["b2"]


def mlp_forward__hidden_bias_after_relu(X, params):
    return (_np_relu(X @ params["W1"]) + params["b1"]) @ params["W2"] + params["b2"]


# mlp_loss_and_grads: one NumPy implementation with switches, so that each mistake changes
# exactly one thing.
def _np_mlp(X, y, params, reg, *, sum_loss=False, grads_per_batch=True, relu_mask=True,
            keep_bias_axis=False, reg_scale=0.5, reg_biases=False, reg_in_grads=True):
    W1, b1, W2, b2 = (params[k] for k in _KEYS)
    N = X.shape[0]
    z1 = X @ W1 + b1
    h = np.maximum(z1, 0.0)
    scores = h @ W2 + b2
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    data_loss = -log_probs[np.arange(N), y].sum()
    if not sum_loss:
        data_loss /= N
    penalised = [W1, W2] + ([b1, b2] if reg_biases else [])
    loss = data_loss + reg_scale * reg * sum(float((p ** 2).sum()) for p in penalised)

    dscores = np.exp(log_probs)
    dscores[np.arange(N), y] -= 1.0
    if grads_per_batch:
        dscores /= N
    dW2 = h.T @ dscores
    db2 = dscores.sum(axis=0, keepdims=keep_bias_axis)
    dh = dscores @ W2.T
    dz1 = dh * (z1 > 0) if relu_mask else dh
    dW1 = X.T @ dz1
    db1 = dz1.sum(axis=0, keepdims=keep_bias_axis)
    if reg_in_grads:
        dW1 = dW1 + 2 * reg_scale * reg * W1
        dW2 = dW2 + 2 * reg_scale * reg * W2
        if reg_biases:
            db1 = db1 + 2 * reg_scale * reg * b1
            db2 = db2 + 2 * reg_scale * reg * b2
    return float(loss), {"W1": dW1, "b1": db1, "W2": dW2, "b2": db2}


def mlp_loss_and_grads__loss_summed(X, y, params, reg=0.0):
    return _np_mlp(X, y, params, reg, sum_loss=True)


def mlp_loss_and_grads__grads_not_divided_by_n(X, y, params, reg=0.0):
    return _np_mlp(X, y, params, reg, grads_per_batch=False)


def mlp_loss_and_grads__forgot_relu_mask(X, y, params, reg=0.0):
    return _np_mlp(X, y, params, reg, relu_mask=False)


def mlp_loss_and_grads__bias_grads_kept_axis(X, y, params, reg=0.0):
    return _np_mlp(X, y, params, reg, keep_bias_axis=True)


def mlp_loss_and_grads__reg_without_half(X, y, params, reg=0.0):
    return _np_mlp(X, y, params, reg, reg_scale=1.0)


def mlp_loss_and_grads__regularized_biases(X, y, params, reg=0.0):
    return _np_mlp(X, y, params, reg, reg_biases=True)


def mlp_loss_and_grads__reg_missing_from_grads(X, y, params, reg=0.0):
    return _np_mlp(X, y, params, reg, reg_in_grads=False)


# perceptron_train: the same loop with one thing changed each time.
def _np_perceptron(X, y, lr, epochs, *, predict=lambda s: 1 if s > 0 else 0, labels=lambda t: t,
                   bias_step=lambda lr, err: lr * err):
    w = np.zeros(X.shape[1])
    b = 0.0
    for _ in range(epochs):
        for xi, yi in zip(X, y):
            err = labels(int(yi)) - predict(float(xi @ w) + b)
            w = w + lr * err * xi
            b = b + bias_step(lr, err)
    return w, float(b)


def perceptron_train__ge_threshold(X, y, lr=1.0, epochs=100):
    return _np_perceptron(X, y, lr, epochs, predict=lambda s: 1 if s >= 0 else 0)


def perceptron_train__sign_prediction(X, y, lr=1.0, epochs=100):
    return _np_perceptron(X, y, lr, epochs, predict=lambda s: (np.sign(s) + 1) / 2)


def perceptron_train__labels_pm1(X, y, lr=1.0, epochs=100):
    return _np_perceptron(X, y, lr, epochs, predict=lambda s: 1 if s > 0 else -1,
                          labels=lambda t: 2 * t - 1)


def perceptron_train__bias_not_updated(X, y, lr=1.0, epochs=100):
    return _np_perceptron(X, y, lr, epochs, bias_step=lambda lr, err: 0.0)


def perceptron_train__bias_without_lr(X, y, lr=1.0, epochs=100):
    return _np_perceptron(X, y, lr, epochs, bias_step=lambda lr, err: err)


def perceptron_train__single_epoch(X, y, lr=1.0, epochs=100):
    return _np_perceptron(X, y, lr, 1)


def perceptron_train__one_epoch_short(X, y, lr=1.0, epochs=100):
    return _np_perceptron(X, y, lr, epochs - 1)  # for epoch in range(1, epochs)


# perceptron_predict
def perceptron_predict__forgot_bias(X, w, b):
    return (X @ w > 0).astype(np.int64)


def perceptron_predict__raw_score(X, w, b):
    return X @ w + b


def perceptron_predict__labels_pm1(X, w, b):
    return np.where(X @ w + b > 0, 1, -1).astype(np.int64)


def perceptron_predict__ge_threshold(X, w, b):
    return (X @ w + b >= 0).astype(np.int64)
