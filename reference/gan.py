"""Oracles for ``gan``: a one-dimensional GAN, losses from PyTorch, one training step by autograd.

Generator ``G(z) = a*z + b``, discriminator logits ``D(x) = w*x + c``.  The losses are
``F.binary_cross_entropy_with_logits`` (mean reduction) against the labels 1 (real) and
0 (fake); ``gan_step`` takes the gradients of those losses with ``torch.autograd`` on float64
scalar tensors: one descent step on the discriminator with the fakes detached, then one
descent step on the generator through the *updated* discriminator, reporting each loss as it
was before its update.
"""

from __future__ import annotations

import numpy as np

from reference._torch import F, tensor, torch


def _bce(logits: torch.Tensor, label: float) -> torch.Tensor:
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def discriminator_loss(real_logits, fake_logits):
    return float(_bce(tensor(real_logits), 1.0) + _bce(tensor(fake_logits), 0.0))


def generator_loss(fake_logits):
    return float(_bce(tensor(fake_logits), 1.0))


def gan_step(g_params, d_params, real, z, lr):
    a, b = (tensor(g_params[k], requires_grad=True) for k in ("a", "b"))
    w, c = (tensor(d_params[k], requires_grad=True) for k in ("w", "c"))
    real_t, z_t = tensor(real), tensor(z)

    # Discriminator: the fakes are data here, so the generator gets no gradient.
    fake = (a * z_t + b).detach()
    d_loss = _bce(w * real_t + c, 1.0) + _bce(w * fake + c, 0.0)
    grad_w, grad_c = torch.autograd.grad(d_loss, (w, c))
    w_new = (w - lr * grad_w).detach()
    c_new = (c - lr * grad_c).detach()

    # Generator: non-saturating loss through the updated (now fixed) discriminator.
    g_loss = _bce(w_new * (a * z_t + b) + c_new, 1.0)
    grad_a, grad_b = torch.autograd.grad(g_loss, (a, b))
    a_new = (a - lr * grad_a).detach()
    b_new = (b - lr * grad_b).detach()

    return ({"a": float(a_new), "b": float(b_new)}, {"w": float(w_new), "c": float(c_new)},
            d_loss.item(), g_loss.item())


# Mistakes -----------------------------------------------------------------------------------
# Written with NumPy, as a student would; logits stay in [-12, 12] on graded inputs, so the
# plain log/sigmoid forms are accurate.

def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _log_sigmoid(x):
    return np.log(_sigmoid(x))


def _log_one_minus_sigmoid(x):
    return np.log(1.0 - _sigmoid(x))


def discriminator_loss__labels_swapped(real_logits, fake_logits):
    return float(-np.mean(_log_one_minus_sigmoid(real_logits)) - np.mean(_log_sigmoid(fake_logits)))


def discriminator_loss__sum_not_mean(real_logits, fake_logits):
    return float(-np.sum(_log_sigmoid(real_logits)) - np.sum(_log_one_minus_sigmoid(fake_logits)))


def discriminator_loss__missing_minus(real_logits, fake_logits):
    return float(np.mean(_log_sigmoid(real_logits)) + np.mean(_log_one_minus_sigmoid(fake_logits)))


def discriminator_loss__log_sigmoid_of_fake(real_logits, fake_logits):
    return float(-np.mean(_log_sigmoid(real_logits)) - np.mean(_log_sigmoid(fake_logits)))


def discriminator_loss__concatenated_mean(real_logits, fake_logits):
    terms = np.concatenate([-_log_sigmoid(real_logits), -_log_one_minus_sigmoid(fake_logits)])
    return float(np.mean(terms))


def discriminator_loss__averaged_terms(real_logits, fake_logits):
    # (loss_real + loss_fake) / 2, as many tutorials write it: equal to the pooled mean when the
    # batches have the same size
    return float((-np.mean(_log_sigmoid(real_logits)) - np.mean(_log_one_minus_sigmoid(fake_logits))) / 2)


def discriminator_loss__one_batch_size_for_both(real_logits, fake_logits):
    total = -np.sum(_log_sigmoid(real_logits)) - np.sum(_log_one_minus_sigmoid(fake_logits))
    return float(total / len(real_logits))


def generator_loss__saturating(fake_logits):
    return float(np.mean(_log_one_minus_sigmoid(fake_logits)))


def generator_loss__missing_minus(fake_logits):
    return float(np.mean(_log_sigmoid(fake_logits)))


def generator_loss__sum_not_mean(fake_logits):
    return float(-np.sum(_log_sigmoid(fake_logits)))


def generator_loss__fake_label_zero(fake_logits):
    return float(-np.mean(_log_one_minus_sigmoid(fake_logits)))


# gan_step mistakes share one hand-written NumPy step whose switches each reproduce one error.

def _mean_weights(n_real, n_fake, pooling):
    """Per-sample weights of the real and fake terms of the discriminator loss."""
    if pooling == "concatenated":
        return 1.0 / (n_real + n_fake), 1.0 / (n_real + n_fake)
    if pooling == "real_size":
        return 1.0 / n_real, 1.0 / n_real
    if pooling == "halved":
        return 0.5 / n_real, 0.5 / n_fake
    return 1.0 / n_real, 1.0 / n_fake


def _numpy_step(g_params, d_params, real, z, lr, *, g_sees_old_d=False, d_ascent=False,
                d_step_moves_g=False, losses_after=False, pooling="each_mean",
                saturating_g=False, g_grad_without_w=False):
    a, b = float(g_params["a"]), float(g_params["b"])
    w, c = float(d_params["w"]), float(d_params["c"])
    real, z = np.asarray(real, dtype=np.float64), np.asarray(z, dtype=np.float64)
    wr, wf = _mean_weights(len(real), len(z), pooling)

    def d_loss_at(w, c, a, b):
        fake = a * z + b
        return (-wr * np.sum(_log_sigmoid(w * real + c))
                - wf * np.sum(_log_one_minus_sigmoid(w * fake + c)))

    def g_loss_at(w, c, a, b):
        logits = w * (a * z + b) + c
        if saturating_g:
            return float(np.mean(_log_one_minus_sigmoid(logits)))
        return float(-np.mean(_log_sigmoid(logits)))

    # Discriminator step (gradients of d_loss with respect to the logits, then the chain rule).
    fake = a * z + b
    d_real = wr * (_sigmoid(w * real + c) - 1.0)
    d_fake = wf * _sigmoid(w * fake + c)
    d_loss = d_loss_at(w, c, a, b)
    grad_w = np.sum(d_real * real) + np.sum(d_fake * fake)
    grad_c = np.sum(d_real) + np.sum(d_fake)
    sign = 1.0 if d_ascent else -1.0
    w_new, c_new = w + sign * lr * grad_w, c + sign * lr * grad_c
    if d_step_moves_g:  # the fakes were not detached: d_loss also flows into a and b
        a, b = a - lr * np.sum(d_fake * w * z), b - lr * np.sum(d_fake * w)

    # Generator step.
    w_g, c_g = (w, c) if g_sees_old_d else (w_new, c_new)
    logits = w_g * (a * z + b) + c_g
    if saturating_g:
        d_logits = -_sigmoid(logits) / len(z)
    else:
        d_logits = (_sigmoid(logits) - 1.0) / len(z)
    chain = 1.0 if g_grad_without_w else w_g
    g_loss = g_loss_at(w_g, c_g, a, b)
    a_new = a - lr * np.sum(d_logits * chain * z)
    b_new = b - lr * np.sum(d_logits * chain)

    if losses_after:
        d_loss = d_loss_at(w_new, c_new, float(g_params["a"]), float(g_params["b"]))
        g_loss = g_loss_at(w_new, c_new, a_new, b_new)
    return ({"a": float(a_new), "b": float(b_new)}, {"w": float(w_new), "c": float(c_new)},
            float(d_loss), float(g_loss))


def gan_step__old_discriminator(g_params, d_params, real, z, lr):
    return _numpy_step(g_params, d_params, real, z, lr, g_sees_old_d=True)


def gan_step__discriminator_gradient_ascent(g_params, d_params, real, z, lr):
    return _numpy_step(g_params, d_params, real, z, lr, d_ascent=True)


def gan_step__fakes_not_detached(g_params, d_params, real, z, lr):
    return _numpy_step(g_params, d_params, real, z, lr, d_step_moves_g=True)


def gan_step__losses_after_update(g_params, d_params, real, z, lr):
    return _numpy_step(g_params, d_params, real, z, lr, losses_after=True)


def gan_step__concatenated_mean(g_params, d_params, real, z, lr):
    return _numpy_step(g_params, d_params, real, z, lr, pooling="concatenated")


def gan_step__one_batch_size_for_both(g_params, d_params, real, z, lr):
    return _numpy_step(g_params, d_params, real, z, lr, pooling="real_size")


def gan_step__averaged_discriminator_terms(g_params, d_params, real, z, lr):
    return _numpy_step(g_params, d_params, real, z, lr, pooling="halved")


def gan_step__saturating_generator_loss(g_params, d_params, real, z, lr):
    return _numpy_step(g_params, d_params, real, z, lr, saturating_g=True)


def gan_step__generator_gradient_missing_w(g_params, d_params, real, z, lr):
    return _numpy_step(g_params, d_params, real, z, lr, g_grad_without_w=True)
