"""Correct ``gan`` answers written differently from ``solutions/gan.py``.

Graded logits stay within [-10, 10] (the contract), where the plain ``log(sigmoid(x))`` and
``log(1 - sigmoid(x))`` are accurate, so the unstabilised forms below are correct answers.
"""

import math

import numpy as np


def _sig(x):
    return 1.0 / (1.0 + np.exp(-x))


# discriminator_loss ------------------------------------------------------------------------

def discriminator_loss__plain_logs(real_logits, fake_logits):
    """Literal log(sigmoid) and log(1 - sigmoid); returns a NumPy float64 scalar."""
    return -np.mean(np.log(_sig(real_logits))) - np.mean(np.log(1.0 - _sig(fake_logits)))


def discriminator_loss__softplus_loops(real_logits, fake_logits):
    """softplus(-r) and softplus(f) with math.log1p in Python loops, each sum over its own length."""
    real_term = sum(math.log1p(math.exp(-r)) for r in real_logits) / len(real_logits)
    fake_term = sum(math.log1p(math.exp(f)) for f in fake_logits) / len(fake_logits)
    return real_term + fake_term


def discriminator_loss__bce_with_labels(real_logits, fake_logits):
    """PyTorch's BCE-with-logits formula max(x,0) - x*y + log1p(exp(-|x|)) with labels 1 and 0; 0-d."""
    def bce(x, y):
        return np.mean(np.maximum(x, 0) - x * y + np.log1p(np.exp(-np.abs(x))))
    return np.asarray(bce(real_logits, 1.0) + bce(fake_logits, 0.0))


# generator_loss ----------------------------------------------------------------------------

def generator_loss__plain_log(fake_logits):
    """Literal -mean(log(sigmoid(x))), returned as a NumPy scalar."""
    return -np.log(1.0 / (1.0 + np.exp(-fake_logits))).mean()


def generator_loss__softplus_loop(fake_logits):
    """A loop summing log(1 + exp(-x)) with math, divided by the batch size."""
    total = 0.0
    for x in fake_logits.tolist():
        total += math.log(1.0 + math.exp(-x))
    return total / len(fake_logits)


def generator_loss__logaddexp_0d(fake_logits):
    """np.logaddexp(0, -x) averaged with sum/size; returns a 0-d array."""
    return np.asarray(np.logaddexp(0.0, -fake_logits).sum() / fake_logits.size)


def generator_loss__extended_precision_mean(fake_logits):
    """Averages in extended precision, np.mean(..., dtype=np.longdouble), a NumPy floating scalar.

    FALSE FAILURE witness: the contract accepts "a NumPy floating scalar", but the codec only
    carries float16/32/64, so np.longdouble arrives opaque and is rejected as "expected a float".
    """
    return np.mean(np.logaddexp(0.0, -fake_logits), dtype=np.longdouble)


# gan_step ----------------------------------------------------------------------------------

def gan_step__loops(g_params, d_params, real, z, lr):
    """Per-sample Python loops with math.exp; losses are Python floats, returns a list."""
    a, b, w, c = g_params["a"], g_params["b"], d_params["w"], d_params["c"]
    fakes = [a * zi + b for zi in z]
    d_loss, gw, gc = 0.0, 0.0, 0.0
    for x in real:
        s = 1.0 / (1.0 + math.exp(-(w * x + c)))
        d_loss -= math.log(s) / len(real)
        gw += (s - 1.0) * x / len(real)
        gc += (s - 1.0) / len(real)
    for x in fakes:
        s = 1.0 / (1.0 + math.exp(-(w * x + c)))
        d_loss -= math.log(1.0 - s) / len(fakes)
        gw += s * x / len(fakes)
        gc += s / len(fakes)
    w2, c2 = w - lr * gw, c - lr * gc
    g_loss, ga, gb = 0.0, 0.0, 0.0
    for zi, x in zip(z, fakes):
        s = 1.0 / (1.0 + math.exp(-(w2 * x + c2)))
        g_loss -= math.log(s) / len(z)
        ga += (s - 1.0) * w2 * zi / len(z)
        gb += (s - 1.0) * w2 / len(z)
    return [{"a": a - lr * ga, "b": b - lr * gb}, {"w": w2, "c": c2}, d_loss, g_loss]


def gan_step__weighted_pool(g_params, d_params, real, z, lr):
    """Pooled samples with labels and weights 1/n_real, 1/n_fake; NumPy scalars in dict copies."""
    g_new, d_new = dict(g_params), dict(d_params)
    fake = g_params["a"] * z + g_params["b"]
    xs = np.concatenate([real, fake])
    labels = np.concatenate([np.ones(real.size), np.zeros(fake.size)])
    weights = np.concatenate([np.full(real.size, 1.0 / real.size), np.full(fake.size, 1.0 / fake.size)])
    p = _sig(d_params["w"] * xs + d_params["c"])
    d_loss = -np.sum(weights * (labels * np.log(p) + (1 - labels) * np.log(1 - p)))
    residual = weights * (p - labels)  # d loss / d logit for every pooled sample
    d_new["w"] = d_params["w"] - lr * np.dot(residual, xs)
    d_new["c"] = d_params["c"] - lr * np.sum(residual)

    q = _sig(d_new["w"] * fake + d_new["c"])
    g_loss = -np.mean(np.log(q))
    d_fake = d_new["w"] * (q - 1.0) / z.size  # chain rule through the new discriminator
    g_new["a"] = g_params["a"] - lr * np.dot(d_fake, z)
    g_new["b"] = g_params["b"] - lr * np.sum(d_fake)
    return g_new, d_new, d_loss, g_loss


def gan_step__own_losses_0d(g_params, d_params, real, z, lr):
    """log1p losses, gradients as np.mean with w applied after averaging; every number a 0-d array."""
    def d_loss_of(r, f):
        return np.mean(np.log1p(np.exp(-r))) + np.mean(np.log1p(np.exp(f)))

    a, b = g_params["a"], g_params["b"]
    w, c = d_params["w"], d_params["c"]
    fake = a * z + b
    real_logits, fake_logits = w * real + c, w * fake + c
    d_loss = d_loss_of(real_logits, fake_logits)
    grad_w = np.mean((_sig(real_logits) - 1) * real) + np.mean(_sig(fake_logits) * fake)
    grad_c = np.mean(_sig(real_logits) - 1) + np.mean(_sig(fake_logits))
    w_new, c_new = w - lr * grad_w, c - lr * grad_c

    gen_logits = w_new * fake + c_new
    g_loss = np.mean(np.log1p(np.exp(-gen_logits)))
    dlogit = _sig(gen_logits) - 1
    a_new = a - lr * w_new * np.mean(dlogit * z)
    b_new = b - lr * w_new * np.mean(dlogit)
    as0d = np.asarray
    return ({"a": as0d(a_new), "b": as0d(b_new)}, {"w": as0d(w_new), "c": as0d(c_new)},
            as0d(d_loss), as0d(g_loss))


# Written for the outside review of modules 8-14 -----------------------------------------------

def _softplus_log1p(x):
    return np.log1p(np.exp(x))


def discriminator_loss__log1p_softplus_numpy_scalar(real_logits, fake_logits):
    """-log sigmoid(r) = softplus(-r) and -log(1 - sigmoid(f)) = softplus(f); a NumPy scalar."""
    return np.mean(_softplus_log1p(-np.asarray(real_logits))) + np.mean(_softplus_log1p(np.asarray(fake_logits)))


def discriminator_loss__math_list_comprehensions(real_logits, fake_logits):
    r = [math.log(1.0 / (1.0 + math.exp(-t))) for t in np.ravel(real_logits)]
    f = [math.log(1.0 - 1.0 / (1.0 + math.exp(-t))) for t in np.ravel(fake_logits)]
    return -sum(r) / len(r) - sum(f) / len(f)


def generator_loss__log1p_numpy_scalar(fake_logits):
    return np.float64(np.mean(_softplus_log1p(-np.asarray(fake_logits))))


def generator_loss__log_of_sigmoid_0d_array(fake_logits):
    x = np.asarray(fake_logits, dtype=float)
    return np.array(-np.log(1.0 / (1.0 + np.exp(-x))).mean())


def gan_step__means_numpy_scalars(g_params, d_params, real, z, lr):
    """Gradients as means of per-sample products; every returned number a NumPy scalar."""
    a, b, w, c = g_params["a"], g_params["b"], d_params["w"], d_params["c"]
    sig = lambda t: 1.0 / (1.0 + np.exp(-t))  # noqa: E731
    fake = a * z + b
    rl, fl = w * real + c, w * fake + c
    d_loss = discriminator_loss__log1p_softplus_numpy_scalar(rl, fl)
    w2 = w - lr * (np.mean((sig(rl) - 1.0) * real) + np.mean(sig(fl) * fake))
    c2 = c - lr * (np.mean(sig(rl) - 1.0) + np.mean(sig(fl)))
    logits = w2 * fake + c2
    g_loss = generator_loss__log1p_numpy_scalar(logits)
    dlog = sig(logits) - 1.0
    return ({"a": a - lr * np.mean(dlog * w2 * z), "b": b - lr * np.mean(dlog * w2)}, {"w": w2, "c": c2},
            d_loss, g_loss)


def gan_step__weighted_concatenation_0d_arrays(g_params, d_params, real, z, lr):
    """Real and fake samples concatenated with per-sample weights 1/len(real) and 1/len(z) (so each
    term is still its own mean); w and c returned as 0-d arrays."""
    real, z = np.asarray(real, float), np.asarray(z, float)
    fake = g_params["a"] * z + g_params["b"]
    xs = np.concatenate([real, fake])
    labels = np.concatenate([np.ones_like(real), np.zeros_like(fake)])
    weights = np.concatenate([np.full(real.size, 1.0 / real.size), np.full(fake.size, 1.0 / fake.size)])
    logits = d_params["w"] * xs + d_params["c"]
    d_loss = discriminator_loss__math_list_comprehensions(logits[:real.size], logits[real.size:])
    err = (1.0 / (1.0 + np.exp(-logits)) - labels) * weights
    d = {"w": np.array(d_params["w"] - lr * np.dot(err, xs)), "c": np.array(d_params["c"] - lr * err.sum())}
    gl = d["w"] * fake + d["c"]
    g_loss = generator_loss__log_of_sigmoid_0d_array(gl)
    e = (1.0 / (1.0 + np.exp(-gl)) - 1.0) * d["w"] / z.size
    return {"a": g_params["a"] - lr * np.dot(e, z), "b": g_params["b"] - lr * e.sum()}, d, d_loss, g_loss
