"""Loss functions: how far a prediction is from the target, as a single number, in NumPy.

Training a network means making one number small: the loss.  Which loss to use depends on what
the network predicts:

- **regression** (real-valued targets): the mean squared error punishes large errors hard;
  the mean absolute error treats every unit of error alike and shrugs off outliers; the Huber
  loss is quadratic for small errors and linear for large ones, a compromise between the two;
- **binary classification**: binary cross-entropy compares a probability ``p`` of class 1 with
  a 0/1 label; the "with logits" version takes the raw score before the sigmoid and is the one
  to use in practice, because it can be computed without overflow;
- **multi-class classification**: softmax cross-entropy turns each row of scores into a
  distribution over classes and takes minus the log-probability of the correct class; its
  gradient is famously simple, ``softmax - one_hot``;
- **margin classifiers** (SVMs): the hinge loss wants the score of the right sign with a margin
  of at least 1;
- **comparing distributions**: the Kullback-Leibler divergence ``KL(p || q)``.

Every loss here is a *mean* (over all elements, or over the rows of a batch), returned as a
Python ``float``.  Floating point has limits worth respecting: ``np.exp`` overflows to ``inf``
above ~709, ``np.log(0)`` is ``-inf`` and ``0 * -inf`` is ``nan``.  The stable formulas below
avoid all three.  Conventions: inputs are float64 arrays (labels of ``softmax_cross_entropy``
are int64); never modify an input array in place.  Only ``numpy`` and ``math`` may be imported.
"""

import numpy as np


def mse(y_true, y_pred):
    """Mean squared error.

        mse = mean over every element of (y_pred - y_true)**2

    Shapes: ``y_true`` and ``y_pred`` have the same shape, ``(N,)`` or ``(N, D)``.
    Returns: a Python ``float``.
    Pitfall: for 2-D arrays, the mean runs over all ``N*D`` elements; dividing the sum by
    ``len(y_true)`` (the number of rows) is wrong.  There is no factor 1/2 (as in ``F.mse_loss``).
    """
    raise NotImplementedError("losses.mse: return the mean of the squared errors as a float")


def mse_grad(y_true, y_pred):
    """Gradient of ``mse`` with respect to ``y_pred``.

    With ``N`` the number of elements (``y_pred.size``):

        d mse / d y_pred = 2 * (y_pred - y_true) / N

    Shapes: as ``mse``.
    Returns: an array with the shape of ``y_pred``.
    Pitfall: both the 2 (from the square) and the 1/N (from the mean) belong in the gradient;
    check your answer against a finite difference of your ``mse``.
    """
    raise NotImplementedError("losses.mse_grad: return 2 * (y_pred - y_true) / N with y_pred's shape")


def mae(y_true, y_pred):
    """Mean absolute error.

        mae = mean over every element of |y_pred - y_true|

    Shapes: ``y_true`` and ``y_pred`` have the same shape, ``(N,)`` or ``(N, D)``.
    Returns: a Python ``float``.
    Pitfall: without the absolute value, positive and negative errors cancel out.
    """
    raise NotImplementedError("losses.mae: return the mean of the absolute errors as a float")


def huber(y_true, y_pred, delta=1.0):
    """Huber loss, the mean over every element (as ``torch.nn.HuberLoss``).

    With the residual ``r = y_pred - y_true``:

        loss(r) = 0.5 * r**2                    if |r| < delta
                  delta * (|r| - 0.5 * delta)   otherwise

    The two branches meet with the same value and slope at ``|r| = delta``.
    Shapes: ``y_true`` and ``y_pred`` have the same shape, ``(N,)`` or ``(N, D)``; ``delta > 0``.
    Returns: a Python ``float``.
    Pitfall: the linear branch is multiplied by ``delta``; without it you get the "smooth L1"
    loss, which agrees with Huber only when ``delta == 1``.  ``np.where`` picks a branch per
    element.
    """
    raise NotImplementedError("losses.huber: return the mean Huber loss with threshold delta")


def binary_cross_entropy(y_true, p, eps=1e-12):
    """Mean binary cross-entropy of predicted probabilities.

    First clip the probabilities to ``[eps, 1 - eps]`` so that no log sees 0, then:

        bce = -mean(y * log(p) + (1 - y) * log(1 - p))

    Shapes: ``y_true`` (0/1 floats) and ``p`` (probabilities) have the same shape, ``(N,)`` or
    ``(N, D)``; the mean runs over every element.
    Returns: a Python ``float``.
    Pitfall: a prediction of exactly 0 or 1 makes ``log`` return ``-inf`` (and ``0 * -inf`` is
    ``nan``) unless you clip with ``np.clip(p, eps, 1 - eps)``; clip, do not add ``eps``.
    """
    raise NotImplementedError("losses.binary_cross_entropy: clip p to [eps, 1 - eps] and return the mean BCE")


def binary_cross_entropy_with_logits(y_true, logits):
    """Mean binary cross-entropy computed from logits ``x`` (scores before the sigmoid).

    With ``p = sigmoid(x)`` the per-element loss simplifies to ``log(1 + exp(x)) - y*x``, and
    that can be written so that ``exp`` only ever sees ``-|x|``:

        loss = mean(max(x, 0) - x * y + log(1 + exp(-|x|)))

    Shapes: ``y_true`` (0/1 floats) and ``logits`` have the same shape, ``(N,)`` or ``(N, D)``.
    Returns: a Python ``float``; it must be finite for logits as large as +-1000.
    Pitfall: ``sigmoid`` then ``log`` fails for large logits (``sigmoid(40)`` is exactly 1.0 in
    float64, so ``log(1 - p)`` is ``-inf``), and ``np.exp(x)`` overflows for ``x > 709``.
    ``np.log1p(z)`` computes ``log(1 + z)`` accurately for small ``z``.
    """
    raise NotImplementedError("losses.binary_cross_entropy_with_logits: return the mean BCE from logits, stably")


def softmax_cross_entropy(logits, labels):
    """Softmax cross-entropy: the mean loss over a batch and its gradient.

    Each row of ``logits`` becomes a distribution over the C classes, and the loss of a row is
    minus the log-probability of its label.  Subtracting the row's maximum first changes nothing
    mathematically but keeps ``exp`` from overflowing:

        z        = logits - max of each row (keepdims)
        log_p    = z - log(sum of exp(z) over the row)
        loss     = -mean over rows i of log_p[i, labels[i]]
        dlogits  = (exp(log_p) - one_hot(labels)) / N

    Shapes: ``logits`` is ``(N, C)``; ``labels`` is an int64 array ``(N,)`` of class indices.
    Returns: the tuple ``(loss, dlogits)``: a Python ``float`` and an ``(N, C)`` array.
    Pitfall: pick one entry per row with ``log_p[np.arange(N), labels]``
    (``log_p[:, labels]`` takes whole columns), and divide the gradient by N, because the loss
    is a mean.
    """
    raise NotImplementedError("losses.softmax_cross_entropy: return (mean loss, gradient w.r.t. logits)")


def hinge_loss(y_true, scores):
    """Hinge loss of a margin classifier.

        hinge = mean(max(0, 1 - y * s))

    A point is free of loss only when its score has the right sign *and* a margin of at least
    1 (``y * s >= 1``).
    Shapes: ``y_true`` (labels in {-1, +1}) and ``scores`` have the same shape; the mean runs
    over every element.
    Returns: a Python ``float``.
    Pitfall: the labels are -1/+1, not 0/1, and the margin is 1, not 0.  Use ``np.maximum``
    (elementwise), not ``np.max`` (a reduction).
    """
    raise NotImplementedError("losses.hinge_loss: return mean(max(0, 1 - y*s)) as a float")


def kl_divergence(p, q):
    """Kullback-Leibler divergence KL(p || q), averaged over the rows of a batch.

        KL = (1/N) * sum over rows i and classes c of p[i, c] * log(p[i, c] / q[i, c])

    This is ``F.kl_div(q.log(), p, reduction="batchmean")``: sum over the classes, mean over
    the rows.  A term with ``p == 0`` counts as 0 (the limit of ``p log p``).
    Shapes: ``p`` and ``q`` are ``(N, C)``; each row is a distribution; ``q > 0`` everywhere.
    Returns: a Python ``float`` (>= 0).
    Pitfall: in floating point ``0 * log(0)`` is ``nan``, so treat ``p == 0`` explicitly (e.g.
    with ``np.where``).  KL is not symmetric: KL(p || q) is weighted by ``p``.
    """
    raise NotImplementedError("losses.kl_divergence: return the batch mean of sum p*log(p/q), 0 where p == 0")
