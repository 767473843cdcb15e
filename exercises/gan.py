"""A one-dimensional GAN, trained by hand.

A generative adversarial network is a game between two models.  The *generator* turns random
noise ``z`` into samples ``G(z)`` that should look like the real data; the *discriminator*
scores a sample with a logit ``D(x)`` and tries to tell real samples (label 1) from generated
ones (label 0).  Training alternates: the discriminator takes a step to get better at the
distinction, then the generator takes a step to fool the improved discriminator.

Here both models are as small as they can be, so every gradient can be written by hand:

    generator      G(z) = a*z + b          g_params = {"a": float, "b": float}
    discriminator  D(x) = w*x + c          d_params = {"w": float, "c": float}   (a logit)

``sigma(t) = 1 / (1 + exp(-t))`` turns a logit into the probability "this sample is real".
``real`` and ``z`` are 1-D float64 arrays, possibly of different lengths.  Every logit the
grader produces lies in [-10, 10], so the plain formulas are accurate enough; no special
numerical care is needed (``np.logaddexp(0, -t) == -log(sigma(t))`` is a tidy option).

Use only NumPy, ``math`` and the standard library.  Never modify an input array or dict.
"""

import numpy as np


def discriminator_loss(real_logits, fake_logits):
    """The discriminator's binary cross-entropy on a real batch and a fake batch.

    The discriminator wants ``sigma(real_logits)`` close to 1 and ``sigma(fake_logits)`` close
    to 0, so its loss is the negative log-likelihood of those labels.  Each batch is averaged on
    its own and the two means are added (as two mean-reduced BCE terms in PyTorch):

        loss = -mean(log sigma(real_logits)) - mean(log(1 - sigma(fake_logits)))

    Args:
        real_logits: ``(N,)`` discriminator logits of real samples.
        fake_logits: ``(M,)`` discriminator logits of generated samples; ``M`` may differ from ``N``.

    Returns:
        The loss as a Python ``float`` (always positive).

    Pitfall: pooling all ``N + M`` terms into one mean is not the same loss -- with equal batch
    sizes it is exactly half of it, and with different sizes it weighs the larger batch more.
    """
    raise NotImplementedError("gan.discriminator_loss: add the mean BCE of the real logits against 1 "
                              "and of the fake logits against 0")


def generator_loss(fake_logits):
    """The generator's non-saturating loss: make the discriminator call the fakes real.

    The original minimax game has the generator *minimise* ``mean(log(1 - sigma(fake)))``, but
    when the discriminator confidently rejects the fakes (very negative logits) that curve is
    flat and the generator learns nothing.  The non-saturating form trains the generator to
    maximise ``log sigma(fake)`` instead -- BCE of the fake logits against the label 1:

        loss = -mean(log sigma(fake_logits))

    Args:
        fake_logits: ``(M,)`` discriminator logits of generated samples.

    Returns:
        The loss as a Python ``float``.

    Pitfall: the label for the generator's loss is 1 ("real"), not the 0 the discriminator uses
    for the same fakes.
    """
    raise NotImplementedError("gan.generator_loss: return -mean(log sigmoid(fake_logits))")


def gan_step(g_params, d_params, real, z, lr):
    """One alternating GAN training step: the discriminator first, then the generator.

    1. Discriminator step.  Compute ``fake = a*z + b`` and treat it as fixed data (it is not a
       function of ``w`` and ``c``, and this step must not change ``a`` or ``b``).  With
       ``d_loss = discriminator_loss(w*real + c, w*fake + c)``, take one gradient-descent step
       ``w -= lr * dd_loss/dw``, ``c -= lr * dd_loss/dc``.
       Hint: d(-log sigma(t))/dt = sigma(t) - 1 and d(-log(1 - sigma(t)))/dt = sigma(t); each
       term is a mean, so divide by its own batch size.
    2. Generator step, through the *updated* discriminator ``w_new``, ``c_new`` and the same
       ``z``: with ``g_loss = generator_loss(w_new*(a*z + b) + c_new)`` take one descent step on
       ``a`` and ``b``.  By the chain rule the logit depends on ``a`` through ``w_new * z`` and on
       ``b`` through ``w_new``.

    Args:
        g_params: ``{"a": float, "b": float}``.
        d_params: ``{"w": float, "c": float}``.
        real: ``(N,)`` real samples.
        z: ``(M,)`` latent codes, one per generated sample (``M`` may differ from ``N``).
        lr: the learning rate of both steps.

    Returns:
        ``(new_g_params, new_d_params, d_loss, g_loss)``: two NEW dicts with the same keys and
        float values, and the two losses as Python floats, each evaluated *before* its own update.

    Pitfall: computing the generator's gradient with the old ``w`` and ``c`` (as if both models
    were updated at once) gives a different step; the order is the point of this exercise.
    """
    raise NotImplementedError("gan.gan_step: step the discriminator, then the generator through "
                              "the updated discriminator")
