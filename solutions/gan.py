"""Model answers for ``gan``: a one-dimensional GAN trained by hand with NumPy."""

import numpy as np


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _log_sigmoid(x):
    """log(sigmoid(x)) = -log(1 + exp(-x)), written with logaddexp so it never overflows."""
    return -np.logaddexp(0.0, -x)


def discriminator_loss(real_logits, fake_logits):
    """-mean(log sigmoid(real)) - mean(log(1 - sigmoid(fake))); note 1 - sigmoid(x) = sigmoid(-x)."""
    real_logits = np.asarray(real_logits, dtype=np.float64)
    fake_logits = np.asarray(fake_logits, dtype=np.float64)
    return float(-np.mean(_log_sigmoid(real_logits)) - np.mean(_log_sigmoid(-fake_logits)))


def generator_loss(fake_logits):
    """The non-saturating generator loss -mean(log sigmoid(fake))."""
    return float(-np.mean(_log_sigmoid(np.asarray(fake_logits, dtype=np.float64))))


def gan_step(g_params, d_params, real, z, lr):
    """One discriminator step (fakes fixed), then one generator step through the new discriminator."""
    a, b = float(g_params["a"]), float(g_params["b"])
    w, c = float(d_params["w"]), float(d_params["c"])
    real = np.asarray(real, dtype=np.float64)
    z = np.asarray(z, dtype=np.float64)

    # Discriminator. d(-log sigmoid(t))/dt = sigmoid(t) - 1 and d(-log(1 - sigmoid(t)))/dt = sigmoid(t),
    # each divided by its own batch size because each term is a mean.
    fake = a * z + b
    real_logits, fake_logits = w * real + c, w * fake + c
    d_loss = discriminator_loss(real_logits, fake_logits)
    d_real = (_sigmoid(real_logits) - 1.0) / real.size
    d_fake = _sigmoid(fake_logits) / fake.size
    w_new = w - lr * (d_real @ real + d_fake @ fake)
    c_new = c - lr * (d_real.sum() + d_fake.sum())

    # Generator, through the updated discriminator: logit = w_new * (a*z + b) + c_new.
    logits = w_new * fake + c_new
    g_loss = generator_loss(logits)
    d_logits = (_sigmoid(logits) - 1.0) / z.size
    a_new = a - lr * w_new * (d_logits @ z)
    b_new = b - lr * w_new * d_logits.sum()

    return ({"a": float(a_new), "b": float(b_new)}, {"w": float(w_new), "c": float(c_new)},
            d_loss, g_loss)
