"""Model answers for ``backprop``."""

import numpy as np


def linear_forward(x, W, b):
    """Affine layer: ``x @ W + b``."""
    return x @ W + b


def linear_backward(dout, x, W):
    """Gradients of the affine layer with respect to x, W and b."""
    dx = dout @ W.T
    dW = x.T @ dout
    db = dout.sum(axis=0)
    return dx, dW, db


def _hidden(X, params):
    z1 = X @ params["W1"] + params["b1"]
    return z1, np.maximum(z1, 0.0)


def mlp_forward(X, params):
    """Scores of affine -> ReLU -> affine."""
    _, h = _hidden(X, params)
    return h @ params["W2"] + params["b2"]


def mlp_loss_and_grads(X, y, params, reg=0.0):
    """Mean softmax cross-entropy plus ``0.5 * reg * (|W1|^2 + |W2|^2)``, and its gradients."""
    W1, W2 = params["W1"], params["W2"]
    n = X.shape[0]
    rows = np.arange(n)

    z1, h = _hidden(X, params)
    scores = h @ W2 + params["b2"]
    shifted = scores - scores.max(axis=1, keepdims=True)
    log_probs = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    loss = -log_probs[rows, y].mean() + 0.5 * reg * (np.sum(W1 ** 2) + np.sum(W2 ** 2))

    dscores = np.exp(log_probs)
    dscores[rows, y] -= 1.0
    dscores /= n
    dh = dscores @ W2.T
    dz1 = dh * (z1 > 0)
    grads = {
        "W1": X.T @ dz1 + reg * W1,
        "b1": dz1.sum(axis=0),
        "W2": h.T @ dscores + reg * W2,
        "b2": dscores.sum(axis=0),
    }
    return float(loss), grads


def perceptron_train(X, y, lr=1.0, epochs=100):
    """Rosenblatt's rule from zero weights, samples in order, ``epochs`` passes."""
    w = np.zeros(X.shape[1])
    b = 0.0
    for _ in range(epochs):
        for xi, yi in zip(X, y):
            pred = 1 if xi @ w + b > 0 else 0
            error = yi - pred
            w = w + lr * error * xi
            b = b + lr * error
    return w, float(b)


def perceptron_predict(X, w, b):
    """1 where ``X @ w + b > 0``, else 0."""
    return (X @ w + b > 0).astype(np.int64)
