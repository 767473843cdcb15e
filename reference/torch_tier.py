"""Oracles for ``torch_tier``: PyTorch's own kernels, with the exercise signatures.

The grader runs these in its own process, in float32 on the CPU with TF32 off, on the very inputs
the student's code received (``grader/perf.py`` draws them from fixed seeds).  For a bfloat16 case
the oracle gets float32 copies of the (rounded) bfloat16 inputs, so the reference carries no
rounding of its own.  The timing in the sandbox uses the same kernels (``grader/perf.py``).

Below the oracles, the catalogued mistakes: wrong implementations students really write, named
``<function>__<mistake>``, written with tensor primitives like a student's answer.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F


def attention(q, k, v, causal=False):
    return F.scaled_dot_product_attention(q, k, v, is_causal=causal)


def batchnorm_train(x, gamma, beta, eps=1e-5):
    return F.batch_norm(x, None, None, gamma, beta, training=True, eps=eps)


def adam_step_(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """``torch.optim.Adam`` (foreach) for one step, its state set so that this is step ``step``."""
    for p, g in zip(params, grads):
        p.grad = g
    optimizer = torch.optim.Adam(params, lr=lr, betas=(beta1, beta2), eps=eps, foreach=True)
    for p, m, v in zip(params, exp_avgs, exp_avg_sqs):
        optimizer.state[p] = {"step": torch.tensor(float(step - 1), dtype=torch.float32), "exp_avg": m,
                              "exp_avg_sq": v}
    optimizer.step()
    for p in params:
        p.grad = None


def gan_train_step(generator, discriminator, g_opt, d_opt, real, z):
    d_opt.zero_grad()
    real_logits = discriminator(real)
    fake_logits = discriminator(generator(z).detach())
    d_loss = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
              + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    d_loss.backward()
    d_opt.step()
    g_opt.zero_grad()
    logits = discriminator(generator(z))
    g_loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    g_loss.backward()
    g_opt.step()
    return d_loss.item(), g_loss.item()


# -- mistakes ---------------------------------------------------------------------------------------------
def _attend(scores, v, causal):
    if causal:
        t = scores.shape[-1]
        scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
    return torch.softmax(scores, dim=-1) @ v


def attention__no_scale(q, k, v, causal=False):
    return _attend(q @ k.transpose(-2, -1), v, causal)


def attention__scale_by_d(q, k, v, causal=False):
    return _attend(q @ k.transpose(-2, -1) / q.shape[-1], v, causal)


def attention__softmax_over_queries(q, k, v, causal=False):
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
    if causal:
        t = scores.shape[-1]
        scores = scores.masked_fill(torch.ones(t, t, dtype=torch.bool).triu(1), float("-inf"))
    return torch.softmax(scores, dim=-2) @ v


def attention__mask_ignored(q, k, v, causal=False):
    return _attend(q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]), v, False)


def _channels(x):
    return [0, *range(2, x.dim())], [1, -1] + [1] * (x.dim() - 2)


def batchnorm_train__unbiased_variance(x, gamma, beta, eps=1e-5):
    dims, spread = _channels(x)
    var, mean = torch.var_mean(x, dim=dims, correction=1, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gamma.view(spread) + beta.view(spread)


def batchnorm_train__eps_outside_sqrt(x, gamma, beta, eps=1e-5):
    dims, spread = _channels(x)
    var, mean = torch.var_mean(x, dim=dims, correction=0, keepdim=True)
    return (x - mean) / (torch.sqrt(var) + eps) * gamma.view(spread) + beta.view(spread)


def batchnorm_train__per_sample_statistics(x, gamma, beta, eps=1e-5):
    dims = list(range(1, x.dim()))
    spread = [1, -1] + [1] * (x.dim() - 2)
    var, mean = torch.var_mean(x, dim=dims, correction=0, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gamma.view(spread) + beta.view(spread)


def batchnorm_train__batch_axis_only(x, gamma, beta, eps=1e-5):
    spread = [1, -1] + [1] * (x.dim() - 2)
    var, mean = torch.var_mean(x, dim=0, correction=0, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gamma.view(spread) + beta.view(spread)


def _adam(params, grads, exp_avgs, exp_avg_sqs, step, lr, beta1, beta2, eps, bias=True, eps_inside=False):
    for p, g, m, v in zip(params, grads, exp_avgs, exp_avg_sqs):
        m.mul_(beta1).add_(g, alpha=1 - beta1)
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        m_hat = m / (1 - beta1 ** step) if bias else m
        v_hat = v / (1 - beta2 ** step) if bias else v
        denom = torch.sqrt(v_hat + eps) if eps_inside else torch.sqrt(v_hat) + eps
        p.sub_(lr * m_hat / denom)


def adam_step___no_bias_correction(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9,
                                   beta2=0.999, eps=1e-8):
    _adam(params, grads, exp_avgs, exp_avg_sqs, step, lr, beta1, beta2, eps, bias=False)


def adam_step___eps_inside_sqrt(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9,
                                beta2=0.999, eps=1e-8):
    _adam(params, grads, exp_avgs, exp_avg_sqs, step, lr, beta1, beta2, eps, eps_inside=True)


def adam_step___step_counted_twice(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9,
                                   beta2=0.999, eps=1e-8):
    _adam(params, grads, exp_avgs, exp_avg_sqs, step + 1, lr, beta1, beta2, eps)


def adam_step___moments_not_in_place(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9,
                                     beta2=0.999, eps=1e-8):
    for i, (p, g) in enumerate(zip(params, grads)):
        exp_avgs[i] = beta1 * exp_avgs[i] + (1 - beta1) * g
        exp_avg_sqs[i] = beta2 * exp_avg_sqs[i] + (1 - beta2) * g * g
        m_hat = exp_avgs[i] / (1 - beta1 ** step)
        v_hat = exp_avg_sqs[i] / (1 - beta2 ** step)
        p.sub_(lr * m_hat / (torch.sqrt(v_hat) + eps))


def _bce(logits, label):
    return F.binary_cross_entropy_with_logits(logits, torch.full_like(logits, label))


def gan_train_step__gradients_not_zeroed(generator, discriminator, g_opt, d_opt, real, z):
    d_loss = _bce(discriminator(real), 1.0) + _bce(discriminator(generator(z).detach()), 0.0)
    d_loss.backward()
    d_opt.step()
    g_loss = _bce(discriminator(generator(z)), 1.0)
    g_loss.backward()
    g_opt.step()
    return d_loss.item(), g_loss.item()


def gan_train_step__old_discriminator_for_generator(generator, discriminator, g_opt, d_opt, real, z):
    d_opt.zero_grad()
    g_opt.zero_grad()
    fake = generator(z)
    d_loss = _bce(discriminator(real), 1.0) + _bce(discriminator(fake.detach()), 0.0)
    g_loss = _bce(discriminator(fake), 1.0)
    d_loss.backward(retain_graph=True)
    g_opt.zero_grad()
    discriminator_grads = [p.grad.clone() for p in discriminator.parameters()]
    g_loss.backward()
    for p, grad in zip(discriminator.parameters(), discriminator_grads):
        p.grad = grad
    d_opt.step()
    g_opt.step()
    return d_loss.item(), g_loss.item()


def gan_train_step__saturating_generator_loss(generator, discriminator, g_opt, d_opt, real, z):
    d_opt.zero_grad()
    d_loss = _bce(discriminator(real), 1.0) + _bce(discriminator(generator(z).detach()), 0.0)
    d_loss.backward()
    d_opt.step()
    g_opt.zero_grad()
    g_loss = -_bce(discriminator(generator(z)), 0.0)  # minimises log(1 - D(G(z)))
    g_loss.backward()
    g_opt.step()
    return d_loss.item(), g_loss.item()


def gan_train_step__averaged_discriminator_terms(generator, discriminator, g_opt, d_opt, real, z):
    d_opt.zero_grad()
    d_loss = (_bce(discriminator(real), 1.0) + _bce(discriminator(generator(z).detach()), 0.0)) / 2
    d_loss.backward()
    d_opt.step()
    g_opt.zero_grad()
    g_loss = _bce(discriminator(generator(z)), 1.0)
    g_loss.backward()
    g_opt.step()
    return d_loss.item(), g_loss.item()


def gan_train_step__losses_after_update(generator, discriminator, g_opt, d_opt, real, z):
    d_opt.zero_grad()
    d_loss = _bce(discriminator(real), 1.0) + _bce(discriminator(generator(z).detach()), 0.0)
    d_loss.backward()
    d_opt.step()
    g_opt.zero_grad()
    g_loss = _bce(discriminator(generator(z)), 1.0)
    g_loss.backward()
    g_opt.step()
    with torch.no_grad():
        d_after = _bce(discriminator(real), 1.0) + _bce(discriminator(generator(z)), 0.0)
        g_after = _bce(discriminator(generator(z)), 1.0)
    return d_after.item(), g_after.item()
