"""Backpropagation by hand: a linear layer, a two-layer ReLU network, and the perceptron.

Training a network means nudging every parameter against the gradient of the loss.
Backpropagation computes all those gradients in one backward sweep: each layer receives the
gradient of the loss with respect to its *output* (the "upstream" gradient, ``dout``) and uses
the chain rule to turn it into gradients with respect to its *inputs* and *parameters*.

In this module you will

- write the affine layer ``x @ W + b`` and its backward pass,
- stack two of them with a ReLU in between to build a small classifier, and compute its
  softmax cross-entropy loss and every parameter gradient by hand,
- train the perceptron, the single-neuron ancestor of all of this, with its classic update rule.

Conventions: arrays are float64 with the batch on axis 0; a gradient always has exactly the
shape of the thing it is the gradient of (a bias of shape ``(M,)`` gets a gradient of shape
``(M,)``, never ``(1, M)``); never modify an input array in place.  Use only NumPy.
"""

import numpy as np


def linear_forward(x, W, b):
    """Forward pass of a fully connected (affine) layer.

    Every output unit is a weighted sum of the input features plus its own bias. For a batch,
    all of these weighted sums are one matrix product, and the bias vector is added to every
    row by broadcasting:

        out = x @ W + b

    Shapes: ``x`` is (N, D) (N samples, D features), ``W`` is (D, M), ``b`` is (M,);
    the result is (N, M).

    Returns:
        ndarray of shape (N, M).

    Pitfall: there is no activation here; a layer's nonlinearity is a separate step.
    """
    raise NotImplementedError("backprop.linear_forward: return x @ W + b")


def linear_backward(dout, x, W):
    """Backward pass of the affine layer ``out = x @ W + b``.

    ``dout`` holds dL/dout, the gradient of some scalar loss L with respect to the layer's
    output. The chain rule gives the gradients with respect to the layer's inputs:

        dx = dout @ W.T          (how L changes with each input feature)
        dW = x.T @ dout          (summed over the batch: every sample used the same W)
        db = sum of dout over the batch axis (b was added to every row)

    A useful habit: write the product whose shape comes out right. dW must be (D, M) like W,
    and the only way to get that from x (N, D) and dout (N, M) is x.T @ dout.

    Shapes: ``dout`` (N, M), ``x`` (N, D), ``W`` (D, M).

    Returns:
        tuple ``(dx, dW, db)`` with shapes (N, D), (D, M), (M,).

    Pitfall: ``dout.sum(axis=0, keepdims=True)`` has shape (1, M); db must be (M,) like b,
    otherwise ``b -= lr * db`` silently turns b into a (1, M) array.
    """
    raise NotImplementedError("backprop.linear_backward: return (dout @ W.T, x.T @ dout, db summed over the batch)")


def mlp_forward(X, params):
    """Class scores of a two-layer network: affine -> ReLU -> affine.

    The hidden layer maps each sample to H features and rectifies them with
    ReLU(z) = max(0, z); the output layer maps those features to C class scores without any
    activation (the softmax belongs to the loss, not to the network):

        h      = max(0, X @ W1 + b1)        shape (N, H)
        scores = h @ W2 + b2                shape (N, C)

    Shapes: ``X`` is (N, D); ``params`` is a dict with ``"W1"`` (D, H), ``"b1"`` (H,),
    ``"W2"`` (H, C), ``"b2"`` (C,).

    Returns:
        ndarray of scores, shape (N, C).

    Pitfall: do not rectify the scores; they are allowed to be negative.
    """
    raise NotImplementedError("backprop.mlp_forward: return relu(X @ W1 + b1) @ W2 + b2")


def mlp_loss_and_grads(X, y, params, reg=0.0):
    """Loss of the two-layer network and the gradient of every parameter.

    The loss is the mean softmax cross-entropy of the scores plus an L2 penalty on the weight
    matrices (not on the biases):

        p    = softmax(scores)  row by row
        loss = mean_i(-log p[i, y[i]]) + 0.5 * reg * (sum(W1**2) + sum(W2**2))

    Backward, from the loss to the inputs of each layer:

        dscores = (p - one_hot(y)) / N           (the 1/N comes from the mean)
        dW2 = h.T @ dscores + reg * W2,   db2 = dscores summed over the batch
        dh  = dscores @ W2.T
        dz1 = dh where X @ W1 + b1 > 0, else 0   (ReLU lets gradient through only where it was active)
        dW1 = X.T @ dz1 + reg * W1,       db1 = dz1 summed over the batch

    For a stable softmax, subtract each row's maximum score before exponentiating.

    Shapes: ``X`` (N, D); ``y`` (N,) int64 class labels in [0, C); ``params`` as in
    ``mlp_forward``; ``reg`` a float >= 0.

    Returns:
        tuple ``(loss, grads)``: ``loss`` a Python float, ``grads`` a dict with the keys
        ``"W1"``, ``"b1"``, ``"W2"``, ``"b2"``, each array with its parameter's shape.

    Pitfall: the 0.5 in the penalty is there so that its gradient is reg * W, not 2 * reg * W.
    """
    raise NotImplementedError("backprop.mlp_loss_and_grads: forward pass, mean cross-entropy + penalty, then backprop")


def perceptron_train(X, y, lr=1.0, epochs=100):
    """Train a perceptron with Rosenblatt's rule.

    A perceptron is a single neuron with a step activation: it predicts 1 when
    ``w . x + b > 0`` and 0 otherwise. Training walks through the samples one at a time and
    only changes the weights when a sample is misclassified:

        pred = 1 if w . x_i + b > 0 else 0
        w   += lr * (y_i - pred) * x_i
        b   += lr * (y_i - pred)

    (``y_i - pred`` is 0 for a correct prediction, +1 or -1 for a mistake.)

    Start from ``w = 0`` and ``b = 0``; visit the samples in the order given, and repeat this
    pass ``epochs`` times.

    Shapes: ``X`` (N, D) float; ``y`` (N,) labels in {0, 1}.

    Returns:
        tuple ``(w, b)``: ``w`` a float64 array of shape (D,), ``b`` a float.

    Pitfall: a score of exactly 0 predicts 0 (strictly greater than 0 is needed for 1). This
    already matters at the very first sample, where all weights are zero.
    """
    raise NotImplementedError("backprop.perceptron_train: loop over epochs and samples, update on mistakes")


def perceptron_predict(X, w, b):
    """Predictions of a trained perceptron.

        pred_i = 1 if X[i] . w + b > 0 else 0

    Shapes: ``X`` (N, D), ``w`` (D,), ``b`` a float.

    Returns:
        ndarray of shape (N,) holding 0/1 integers (int64; a boolean array is accepted too).

    Pitfall: return the 0/1 decision, not the raw score, and use a strict ``> 0``.
    """
    raise NotImplementedError("backprop.perceptron_predict: return (X @ w + b > 0) as 0/1 integers")
