"""PyTorch on the device: write the operation from tensor primitives, then make it fast.

Everything here takes and returns ``torch.Tensor``s.  Your code runs on whatever device its
inputs are on -- a GPU when the grading machine has one, else the CPU -- so create any new tensor
on the inputs' device (``torch.ones(..., device=q.device)``, ``torch.zeros_like(x)``) and never move
data to the CPU or to NumPy.

How it is graded:

- **Correctness**, on fixed cases drawn from the run's seed, in float32 and (for the first three
  functions) bfloat16: values within 1e-4 of PyTorch's own kernel in float32 and within 2e-2 in
  bfloat16, NaN or inf where the reference is finite fails, and the result must be a plain
  ``torch.Tensor`` with the inputs' shape conventions, dtype and device.  Inputs must come back
  unchanged (only ``adam_step_`` updates its lists in place).
- **Speed**, against the same PyTorch kernel, timed in the same process on fresh inputs of a
  realistic size: the ratio ``t_reference / t_you`` earns speed points from 0.1x upwards, all of
  them from 1x.  On a CPU the speed is shown as indicative and not counted (``--cpu-perf`` counts
  it).  Every timed output is checked, so results kept from an earlier call or work left running
  after the function returns earn nothing.
- **The rule**: calling the reference itself (``F.scaled_dot_product_attention``, ``F.batch_norm``
  or ``nn.BatchNorm*``, ``torch.optim`` or its fused Adam kernels) inside these functions is an
  integrity violation.  Matrix products, reductions, ``softmax``, ``torch.where`` and the
  ``torch._foreach_*`` primitives are yours to use; ``gan_train_step`` uses the modules and
  optimizers it is given.

Speed comes from doing each thing once over whole tensors: no Python loops over elements, batch
or heads; no ``.item()`` or ``.cpu()`` in the middle of the work (each one waits for the device);
fused primitives (``torch.addcmul``, ``torch.var_mean``, ``torch.baddbmm``) where they save a pass
over memory.
"""

import math

import torch
import torch.nn.functional as F


def attention(q, k, v, causal=False):
    """Scaled dot-product attention over a batch of heads.

    For each batch element and head, every query attends to every key (with ``causal=True``,
    only to the keys at its own position or before):

        scores  = q @ k^T / sqrt(D)             (T, T)
        weights = softmax(scores, over the keys)
        out     = weights @ v                   (T, D)

    Args:
        q, k, v: ``(B, H, T, D)`` tensors, all on one device, float32 or bfloat16.
        causal: mask out the keys after each query's position (the upper triangle, above the
            diagonal) by setting their scores to ``-inf`` before the softmax.

    Returns:
        ``(B, H, T, D)``, the dtype and device of ``q``.

    Reference: ``F.scaled_dot_product_attention(q, k, v, is_causal=causal)`` (do not call it).
    Pitfall: forgetting the ``1/sqrt(D)`` makes the softmax saturate as ``D`` grows; a mask built
    on the CPU (``torch.ones(T, T)``) breaks on a GPU: pass ``device=q.device``.
    """
    raise NotImplementedError("torch_tier.attention: q @ k^T / sqrt(D), an optional causal mask, softmax "
                              "over the keys, then @ v")


def batchnorm_train(x, gamma, beta, eps=1e-5):
    """Batch normalisation in training mode.

    Each channel ``c`` is normalised with its own mean and *biased* variance, taken over the batch
    axis and, for images, over the spatial axes too, then scaled and shifted:

        out = (x - mean_c) / sqrt(var_c + eps) * gamma_c + beta_c

    Args:
        x: ``(N, C)`` or ``(N, C, H, W)``.
        gamma, beta: ``(C,)``.
        eps: added to the variance inside the square root.

    Returns:
        A tensor of ``x``'s shape, dtype and device.

    Reference: ``F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)`` (do not call it,
    nor PyTorch's other fused normalisations -- group, layer or instance norm -- on a rearranged ``x``).
    Pitfall: reducing over the batch axis alone for 4-D inputs; broadcasting ``gamma`` of shape
    ``(C,)`` against ``(N, C, H, W)`` lines it up with ``W``, not ``C``: view it as ``(1, C, 1, 1)``.
    Speed: ``torch.var_mean`` reads ``x`` once for both statistics; folding ``gamma``, ``beta``,
    the mean and the variance into one scale and one shift per channel leaves a single
    ``torch.addcmul`` over ``x``.
    """
    raise NotImplementedError("torch_tier.batchnorm_train: per-channel mean and biased variance over every "
                              "axis but 1, normalise, scale by gamma and shift by beta")


def adam_step_(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """One Adam update of many tensors at once, in place.

    For every parameter ``p`` with gradient ``g`` and moments ``m`` (``exp_avgs``) and ``v``
    (``exp_avg_sqs``):

        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        p = p - lr * (m / (1 - beta1**step)) / (sqrt(v / (1 - beta2**step)) + eps)

    Args:
        params, grads, exp_avgs, exp_avg_sqs: lists of tensors, one of each per parameter.
        step: the 1-based number of this update (for the bias corrections).
        lr, beta1, beta2, eps: as ``torch.optim.Adam``.

    Returns:
        ``None``.  The tensors in ``params``, ``exp_avgs`` and ``exp_avg_sqs`` are updated in place
        (the caller keeps them); ``grads`` stays unchanged.

    Reference: ``torch.optim.Adam(..., foreach=True)`` (do not use ``torch.optim``).
    Speed: a Python loop launches a handful of small kernels per tensor; the ``torch._foreach_*``
    primitives (``_foreach_lerp_``, ``_foreach_mul_``, ``_foreach_addcmul_``, ``_foreach_sqrt``,
    ``_foreach_addcdiv_``) update the whole list in a few launches.
    Pitfall: ``exp_avgs[i] = ...`` puts a new tensor in the list and leaves the caller's moment
    unchanged; update it in place (``mul_``, ``add_``, ``lerp_``).
    """
    raise NotImplementedError("torch_tier.adam_step_: update both moments in place, bias-correct them, then "
                              "step every parameter in place")


def gan_train_step(generator, discriminator, g_opt, d_opt, real, z):
    """One training step of a GAN: the discriminator first, then the generator.

    1. Discriminator: with ``fake = generator(z)`` held fixed (``.detach()``), minimise

           d_loss = bce(discriminator(real), 1) + bce(discriminator(fake), 0)

       where ``bce`` is the mean-reduced ``F.binary_cross_entropy_with_logits`` against a tensor
       of ones or zeros.  Zero the discriminator's gradients (``d_opt.zero_grad()``), backward,
       ``d_opt.step()``.
    2. Generator: through the *updated* discriminator, minimise the non-saturating loss

           g_loss = bce(discriminator(generator(z)), 1)

       Zero the generator's gradients first (they may hold values from an earlier step),
       backward, ``g_opt.step()``.

    Args:
        generator, discriminator: ``torch.nn.Module``s (the discriminator returns one logit per row).
        g_opt, d_opt: their optimizers.
        real: ``(N, data_dim)`` real samples; z: ``(N, latent_dim)`` noise.

    Returns:
        ``(d_loss, g_loss)`` as Python floats (``loss.item()``), each the value before its update.

    Pitfall: without ``zero_grad()`` the gradients add up across backward passes.
    Speed: the generator's parameters do not change during the discriminator's update, so one
    ``fake = generator(z)`` serves both steps (detached for the first).
    """
    raise NotImplementedError("torch_tier.gan_train_step: a discriminator update on real vs detached fakes, "
                              "then a generator update through the updated discriminator")
