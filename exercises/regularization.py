"""Regularization: weight penalties, dropout and early stopping, in NumPy.

A network with many parameters can fit its training set so closely that it learns the noise
too, and then does worse on new data (overfitting).  Regularization makes that harder:

- **weight penalties** add a term to the loss that grows with the size of the weights.  The L1
  penalty ``lam * sum|w|`` pushes weights to exactly zero (sparse models, "lasso"); the L2
  penalty ``lam * sum(w**2)`` shrinks all of them smoothly ("ridge", weight decay); elastic net
  adds the two.  Each function returns the penalty *and* its gradient, which an optimizer adds
  to the gradient of the data loss;
- **dropout** zeroes a random fraction ``p`` of a layer's activations at every training step,
  so no unit can rely on a particular other unit being present;
- **early stopping** watches the validation loss and stops training once it has not improved
  for ``patience`` epochs in a row.

Conventions: inputs are float64 arrays; never modify an input array in place; a gradient has
the shape of ``w``; functions that draw random numbers use ``np.random.default_rng(seed)``.
Only ``numpy`` and ``math`` may be imported.
"""

import numpy as np


def l1_penalty(w, lam):
    """The L1 penalty and its (sub)gradient.

        penalty = lam * sum(|w|)            (a float)
        grad    = lam * sign(w)             (shape of w)

    ``|w|`` has a kink at 0, where no derivative exists; use the subgradient ``sign(0) = 0``
    (what ``np.sign`` and PyTorch's autograd give).

    Shapes: ``w`` is an array of any shape; ``lam`` is a float.
    Returns: the tuple ``(penalty, grad)``.
    Pitfall: ``w / np.abs(w)`` is ``nan`` at 0, and ``np.where(w >= 0, 1, -1)`` is 1 there.
    """
    raise NotImplementedError("regularization.l1_penalty: return (lam * sum|w|, lam * sign(w))")


def l2_penalty(w, lam):
    """The L2 penalty (squared Euclidean norm) and its gradient.

        penalty = lam * sum(w**2)           (a float)
        grad    = 2 * lam * w               (shape of w)

    Shapes: ``w`` is an array of any shape; ``lam`` is a float.
    Returns: the tuple ``(penalty, grad)``.
    Pitfall: some texts write the penalty as ``lam/2 * sum(w**2)`` so that the gradient is
    ``lam * w``; this exercise has no 1/2, so the factor 2 stays in the gradient.
    """
    raise NotImplementedError("regularization.l2_penalty: return (lam * sum(w**2), 2 * lam * w)")


def elastic_net(w, l1, l2):
    """Elastic net: the L1 and L2 penalties added together, with their own coefficients.

        penalty = l1 * sum(|w|) + l2 * sum(w**2)
        grad    = l1 * sign(w) + 2 * l2 * w          (sign(0) = 0)

    Shapes: ``w`` is an array of any shape; ``l1`` and ``l2`` are floats.
    Returns: the tuple ``(penalty, grad)``.
    Pitfall: it is a sum, not an average, and ``l1`` goes with the absolute values.
    """
    raise NotImplementedError("regularization.elastic_net: return (l1*sum|w| + l2*sum(w**2), its gradient)")


def dropout(x, p, training=True, seed=0):
    """Inverted dropout.

    In training, every entry of ``x`` is dropped (set to 0) independently with probability
    ``p`` and every entry that survives is divided by ``1 - p``, so the expected value of each
    output entry equals ``x``; at inference nothing needs rescaling:

        rng  = np.random.default_rng(seed)
        keep = rng.random(x.shape) >= p          # True with probability 1 - p
        out  = x * keep / (1 - p)

    When ``training`` is false, or ``p == 0``, return ``x`` unchanged (a copy or ``x`` itself).

    Shapes: ``x`` is an array of any shape; ``0 <= p < 1``; ``seed`` is an int.
    Returns: ``out``, with the shape of ``x``.  The same seed gives the same output.
    Pitfall: ``p`` is the probability of *dropping* (PyTorch's convention; CS231n's notes use
    the probability of keeping).  Use the generator made from ``seed``, not ``np.random.*``.
    """
    raise NotImplementedError("regularization.dropout: zero each entry with probability p, scale the rest by 1/(1-p)")


def early_stopping(val_losses, patience, min_delta=0.0):
    """When to stop training, given the validation loss after every epoch.

    Walk through the epochs keeping the best loss so far.  An epoch *improves* when its loss
    is ``< best - min_delta`` (strictly better by more than ``min_delta``); then ``best``
    becomes its loss, it becomes ``best_epoch`` and the count of epochs without improvement
    goes back to 0.  Otherwise the count goes up by one, and training stops at the first epoch
    where the count reaches ``patience``.  Epoch 0 always improves.  If training never stops,
    ``stop_epoch`` is the last index.  (This is the rule of Keras's ``EarlyStopping``: the best
    loss only changes at an epoch that counts as an improvement.)

        val_losses = [1.0, 0.8, 0.8, 0.7, 0.75, 0.75, 0.6], patience=2
        -> epochs 0, 1 and 3 improve; epoch 2 (a tie) does not, but epoch 3 resets the
           count; epochs 4 and 5 do not improve, so training stops at 5  -> (5, 3)

    Shapes: ``val_losses`` is a non-empty list or 1-D array of floats; ``patience >= 1``.
    Returns: the tuple ``(stop_epoch, best_epoch)`` of ints.
    Pitfall: a tie with the best loss is not an improvement (use ``<``, not ``<=``), and
    ``best_epoch`` is the last epoch that counted as an improvement, not the last epoch whose
    loss went down by any amount.
    """
    raise NotImplementedError("regularization.early_stopping: return (stop_epoch, best_epoch)")
