"""Correct ``torch_tier`` answers written differently from ``solutions/torch_tier.py``.

Each must score full marks: other primitives, other orders of operations, computing entirely in
bfloat16 (the tolerance is set for it) or upcasting to float32 and back.
"""

import math

import torch
import torch.nn.functional as F


# attention ------------------------------------------------------------------------------------------------
def attention__einsum_stable_softmax(q, k, v, causal=False):
    """einsum for both products; a hand-written softmax that subtracts the row maximum; the mask by where."""
    scores = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(q.shape[-1])
    if causal:
        t = q.shape[-2]
        allowed = torch.tril(torch.ones(t, t, dtype=torch.bool, device=q.device))
        scores = torch.where(allowed, scores, torch.tensor(float("-inf"), dtype=scores.dtype, device=q.device))
    weights = torch.exp(scores - scores.amax(dim=-1, keepdim=True))
    weights = weights / weights.sum(dim=-1, keepdim=True)
    return torch.einsum("bhqk,bhkd->bhqd", weights, v)


def attention__baddbmm_in_float32(q, k, v, causal=False):
    """Heads flattened into one batch, baddbmm with the scale as alpha and an additive -inf mask,
    computed in float32 whatever the input dtype and cast back at the end."""
    b, h, t, d = q.shape
    q32, k32, v32 = (x.float().reshape(b * h, t, d) for x in (q, k, v))
    bias = torch.zeros(t, t, device=q.device)
    if causal:
        bias = bias.masked_fill(torch.ones(t, t, dtype=torch.bool, device=q.device).triu(1), float("-inf"))
    scores = torch.baddbmm(bias.expand(b * h, t, t), q32, k32.transpose(1, 2), alpha=1.0 / math.sqrt(d))
    return torch.bmm(scores.softmax(dim=-1), v32).reshape(b, h, t, d).to(q.dtype)


# batchnorm_train ---------------------------------------------------------------------------------------------
def batchnorm_train__two_passes(x, gamma, beta, eps=1e-5):
    """The textbook two passes, mean then mean of squared deviations, all in the input dtype."""
    dims = (0,) + tuple(range(2, x.dim()))
    shape = (1, -1) + (1,) * (x.dim() - 2)
    mean = x.mean(dim=dims, keepdim=True)
    centred = x - mean
    var = (centred * centred).mean(dim=dims, keepdim=True)
    return centred * torch.rsqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


def batchnorm_train__channels_last_rows(x, gamma, beta, eps=1e-5):
    """Channels moved last and flattened to rows; statistics down the rows in float32; moved back."""
    moved = x.movedim(1, -1)
    rows = moved.reshape(-1, x.shape[1]).float()
    mean = rows.mean(dim=0)
    var = rows.var(dim=0, unbiased=False)
    out = (rows - mean) / torch.sqrt(var + eps) * gamma.float() + beta.float()
    return out.reshape(moved.shape).movedim(-1, 1).to(x.dtype).contiguous()


# adam_step_ ----------------------------------------------------------------------------------------------------
def adam_step___python_loop(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9, beta2=0.999,
                            eps=1e-8):
    """One tensor at a time with in-place methods, as torch.optim.Adam's single-tensor path."""
    bias1 = 1 - beta1 ** step
    bias2_sqrt = math.sqrt(1 - beta2 ** step)
    for p, g, m, v in zip(params, grads, exp_avgs, exp_avg_sqs):
        m.mul_(beta1).add_(g, alpha=1 - beta1)
        v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
        denom = (v.sqrt() / bias2_sqrt).add_(eps)
        p.addcdiv_(m, denom, value=-lr / bias1)


def adam_step___float32_then_copy(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9,
                                  beta2=0.999, eps=1e-8):
    """Each update computed in float32 (new tensors) and copied back into the caller's tensors."""
    for p, g, m, v in zip(params, grads, exp_avgs, exp_avg_sqs):
        g32 = g.float()
        m_new = beta1 * m.float() + (1 - beta1) * g32
        v_new = beta2 * v.float() + (1 - beta2) * g32 * g32
        m_hat = m_new / (1 - beta1 ** step)
        v_hat = v_new / (1 - beta2 ** step)
        p.copy_(p.float() - lr * m_hat / (v_hat.sqrt() + eps))
        m.copy_(m_new)
        v.copy_(v_new)


# gan_train_step -----------------------------------------------------------------------------------------------
def gan_train_step__logsigmoid_two_passes(generator, discriminator, g_opt, d_opt, real, z):
    """BCE written with logsigmoid, the generator run twice, losses converted with float()."""
    d_opt.zero_grad()
    d_loss = -F.logsigmoid(discriminator(real)).mean() - F.logsigmoid(-discriminator(generator(z).detach())).mean()
    d_loss.backward()
    d_opt.step()
    g_opt.zero_grad()
    g_loss = -F.logsigmoid(discriminator(generator(z))).mean()
    g_loss.backward()
    g_opt.step()
    return float(d_loss), float(g_loss)


def gan_train_step__loss_module_set_to_none(generator, discriminator, g_opt, d_opt, real, z):
    """nn.BCEWithLogitsLoss as a module, gradients cleared with set_to_none, a list returned as a tuple."""
    bce = torch.nn.BCEWithLogitsLoss()
    fake = generator(z)
    for p in discriminator.parameters():
        p.grad = None
    real_logits, fake_logits = discriminator(real), discriminator(fake.detach())
    d_loss = bce(real_logits, torch.ones_like(real_logits)) + bce(fake_logits, torch.zeros_like(fake_logits))
    d_loss.backward()
    d_opt.step()
    g_opt.zero_grad(set_to_none=True)
    logits = discriminator(fake)
    g_loss = bce(logits, torch.ones_like(logits))
    g_loss.backward()
    g_opt.step()
    return tuple([d_loss.item(), g_loss.item()])


# Written for the outside review of modules 8-14 -----------------------------------------------

def attention__einsum_where_manual_softmax(q, k, v, causal=False):
    """torch.einsum products, the causal mask applied with torch.where, the softmax written out."""
    s = torch.einsum("bhqd,bhkd->bhqk", q, k) / math.sqrt(q.size(-1))
    if causal:
        t = q.size(-2)
        keep = torch.tril(torch.ones(t, t, device=q.device, dtype=torch.bool))
        s = torch.where(keep, s, torch.full_like(s, float("-inf")))
    e = (s - s.amax(dim=-1, keepdim=True)).exp()
    return torch.einsum("bhqk,bhkd->bhqd", e / e.sum(dim=-1, keepdim=True), v)


def attention__bmm_prescaled_float32_softmax(q, k, v, causal=False):
    """(B*H) batched bmm with q scaled first; the softmax in float32, cast back."""
    B, H, T, D = q.shape
    s = torch.bmm((q * D ** -0.5).reshape(B * H, T, D), k.reshape(B * H, T, D).transpose(1, 2))
    if causal:
        s = s.masked_fill(torch.triu(torch.ones(T, T, dtype=torch.bool, device=q.device), diagonal=1), float("-inf"))
    p = torch.softmax(s.float(), dim=-1).to(q.dtype)
    return torch.bmm(p, v.reshape(B * H, T, D)).reshape(B, H, T, D)


def batchnorm_train__var_unbiased_false(x, gamma, beta, eps=1e-5):
    """x.var(unbiased=False) over every axis but the channels."""
    dims = tuple(d for d in range(x.dim()) if d != 1)
    shape = [1] * x.dim()
    shape[1] = -1
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, unbiased=False, keepdim=True)
    return (x - mean) / torch.sqrt(var + eps) * gamma.reshape(shape) + beta.reshape(shape)


def batchnorm_train__channel_rows_folded_affine(x, gamma, beta, eps=1e-5):
    """Statistics of the channel-major rows, gamma and beta folded into one scale and shift."""
    C = x.shape[1]
    rows = x.transpose(0, 1).reshape(C, -1)
    mean = rows.mean(dim=1)
    var = ((rows - mean[:, None]) ** 2).mean(dim=1)
    scale = (var + eps).rsqrt() * gamma
    shape = (1, C) + (1,) * (x.dim() - 2)
    return x * scale.view(shape) + (beta - mean * scale).view(shape)


def adam_step___textbook_loop_no_grad(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9,
                                      beta2=0.999, eps=1e-8):
    """The textbook m_hat, v_hat form, one tensor at a time under no_grad."""
    with torch.no_grad():
        for p, g, m, v in zip(params, grads, exp_avgs, exp_avg_sqs):
            m.mul_(beta1).add_(g, alpha=1 - beta1)
            v.mul_(beta2).addcmul_(g, g, value=1 - beta2)
            p.sub_(lr * (m / (1 - beta1 ** step)) / ((v / (1 - beta2 ** step)).sqrt() + eps))


def adam_step___foreach_moments_loop_update(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9,
                                            beta2=0.999, eps=1e-8):
    """Moments with _foreach mul_/add_/addcmul_, then torch's single-tensor denominator per tensor."""
    torch._foreach_mul_(exp_avgs, beta1)
    torch._foreach_add_(exp_avgs, grads, alpha=1 - beta1)
    torch._foreach_mul_(exp_avg_sqs, beta2)
    torch._foreach_addcmul_(exp_avg_sqs, grads, grads, value=1 - beta2)
    root = math.sqrt(1 - beta2 ** step)
    for p, m, v in zip(params, exp_avgs, exp_avg_sqs):
        p.addcdiv_(m, (v.sqrt() / root).add_(eps), value=-lr / (1 - beta1 ** step))


def gan_train_step__softplus_grads_none(generator, discriminator, g_opt, d_opt, real, z):
    """Losses with softplus (BCE with logits written out); the discriminator's gradients cleared by
    hand (p.grad = None), the generator's with zero_grad(set_to_none=False)."""
    for p in discriminator.parameters():
        p.grad = None
    fake = generator(z).detach()
    d_loss = F.softplus(-discriminator(real)).mean() + F.softplus(discriminator(fake)).mean()
    d_loss.backward()
    d_opt.step()
    g_opt.zero_grad(set_to_none=False)
    g_loss = F.softplus(-discriminator(generator(z))).mean()
    g_loss.backward()
    g_opt.step()
    return float(d_loss.detach()), float(g_loss.detach())


def gan_train_step__no_grad_fakes_bce_module(generator, discriminator, g_opt, d_opt, real, z):
    """The fakes for the discriminator made under torch.no_grad(), nn.BCEWithLogitsLoss, G(z)
    recomputed for the generator step."""
    bce = torch.nn.BCEWithLogitsLoss()
    d_opt.zero_grad()
    with torch.no_grad():
        fake = generator(z)
    r, f = discriminator(real), discriminator(fake)
    d_loss = bce(r, torch.ones_like(r)) + bce(f, torch.zeros_like(f))
    d_loss.backward()
    d_opt.step()
    g_opt.zero_grad()
    out = discriminator(generator(z))
    g_loss = bce(out, torch.ones_like(out))
    g_loss.backward()
    g_opt.step()
    return d_loss.item(), g_loss.item()
