"""Model answers for the PyTorch tier: vectorised, written from tensor primitives."""

import math

import torch
import torch.nn.functional as F


def attention(q, k, v, causal=False):
    scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(q.shape[-1]))
    if causal:
        t = q.shape[-2]
        future = torch.ones(t, t, dtype=torch.bool, device=q.device).triu(1)
        scores = scores.masked_fill(future, float("-inf"))
    return torch.matmul(torch.softmax(scores, dim=-1), v)


def batchnorm_train(x, gamma, beta, eps=1e-5):
    dims = [0, *range(2, x.dim())]
    spread = [1, -1] + [1] * (x.dim() - 2)
    var, mean = torch.var_mean(x, dim=dims, correction=0, keepdim=True)
    scale = gamma.view(spread) * torch.rsqrt(var + eps)
    return torch.addcmul(beta.view(spread) - mean * scale, x, scale)


def adam_step_(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    torch._foreach_lerp_(exp_avgs, grads, 1 - beta1)
    torch._foreach_mul_(exp_avg_sqs, beta2)
    torch._foreach_addcmul_(exp_avg_sqs, grads, grads, 1 - beta2)
    bias1, bias2 = 1 - beta1 ** step, 1 - beta2 ** step
    denom = torch._foreach_sqrt(exp_avg_sqs)
    torch._foreach_div_(denom, math.sqrt(bias2))
    torch._foreach_add_(denom, eps)
    torch._foreach_addcdiv_(params, exp_avgs, denom, -lr / bias1)


def gan_train_step(generator, discriminator, g_opt, d_opt, real, z):
    fake = generator(z)
    d_opt.zero_grad()
    real_logits = discriminator(real)
    fake_logits = discriminator(fake.detach())
    d_loss = (F.binary_cross_entropy_with_logits(real_logits, torch.ones_like(real_logits))
              + F.binary_cross_entropy_with_logits(fake_logits, torch.zeros_like(fake_logits)))
    d_loss.backward()
    d_opt.step()
    g_opt.zero_grad()
    logits = discriminator(fake)
    g_loss = F.binary_cross_entropy_with_logits(logits, torch.ones_like(logits))
    g_loss.backward()
    g_opt.step()
    return d_loss.item(), g_loss.item()
