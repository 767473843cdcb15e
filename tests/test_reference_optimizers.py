"""The ``optimizers`` oracles (torch.optim in float64) against independent computations: steps
worked by hand, the textbook update formulas written out in plain NumPy, and the normal equations."""

import math

import numpy as np
import pytest
import torch

from reference import optimizers as ref


def run(step, w, grads, **hyper):
    """``w`` after each step, the state threaded through as the grader does."""
    state, out = None, []
    for dw in grads:
        w, state = step(w, dw, state, **hyper)
        out.append(np.array(w))
    return out


def random_case(seed, shape=(3, 4), steps=4, scale=1.0):
    gen = np.random.default_rng(seed)
    return gen.uniform(-1, 1, shape), [scale * gen.uniform(-1, 1, shape) for _ in range(steps)]


def assert_trajectories(got, want, rtol=1e-12, atol=1e-15):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, rtol=rtol, atol=atol)


# Textbook formulas, written out independently of torch ---------------------------------------

def textbook_momentum(w, grads, lr, momentum, nesterov):
    """The classic form: v = momentum*v - lr*g; w += v (Nesterov: Sutskever/CS231n form)."""
    v, out = np.zeros_like(w), []
    for g in grads:
        v_prev = v
        v = momentum * v - lr * g
        w = w - momentum * v_prev + (1 + momentum) * v if nesterov else w + v
        out.append(w)
    return out


def textbook_rmsprop(w, grads, lr, alpha, eps):
    v, out = np.zeros_like(w), []
    for g in grads:
        v = alpha * v + (1 - alpha) * g * g
        w = w - lr * g / (np.sqrt(v) + eps)
        out.append(w)
    return out


def textbook_adagrad(w, grads, lr, eps):
    total, out = np.zeros_like(w), []
    for g in grads:
        total = total + g * g
        w = w - lr * g / (np.sqrt(total) + eps)
        out.append(w)
    return out


def textbook_adam(w, grads, lr, beta1, beta2, eps, weight_decay=0.0):
    """Kingma & Ba, Algorithm 1; AdamW (Loshchilov & Hutter) decays w by lr*wd before the step."""
    m, v, out = np.zeros_like(w), np.zeros_like(w), []
    for t, g in enumerate(grads, start=1):
        w = w - lr * weight_decay * w
        m = beta1 * m + (1 - beta1) * g
        v = beta2 * v + (1 - beta2) * g * g
        m_hat, v_hat = m / (1 - beta1 ** t), v / (1 - beta2 ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps)
        out.append(w)
    return out


# Hand-worked values ---------------------------------------------------------------------------

def test_sgd_by_hand():
    w, _ = ref.sgd(np.array([1.0, -2.0]), np.array([0.5, 4.0]), None, lr=0.1)
    np.testing.assert_allclose(w, [0.95, -2.4], rtol=1e-15)


def test_momentum_by_hand():
    grads = [np.array([0.5]), np.array([-0.25])]
    # v1 = 0.5, w1 = 1 - 0.1*0.5; v2 = 0.9*0.5 - 0.25 = 0.2, w2 = w1 - 0.1*0.2
    plain = run(ref.sgd_momentum, np.array([1.0]), grads, lr=0.1, momentum=0.9)
    assert_trajectories(plain, [np.array([0.95]), np.array([0.93])])
    # Nesterov steps along g + 0.9*v: 0.5 + 0.45 = 0.95, then -0.25 + 0.18 = -0.07
    nesterov = run(ref.sgd_momentum, np.array([1.0]), grads, lr=0.1, momentum=0.9, nesterov=True)
    assert_trajectories(nesterov, [np.array([0.905]), np.array([0.912])])


def test_rmsprop_by_hand():
    # v = 0.01 * 0.1**2 = 1e-4, sqrt(v) = 0.01, step = 0.01 * 0.1 / 0.01 = 0.1
    (w,) = run(ref.rmsprop, np.array([1.0]), [np.array([0.1])], lr=0.01, alpha=0.99, eps=0.0)
    np.testing.assert_allclose(w, [0.9], rtol=1e-14)


def test_adagrad_by_hand():
    # G = 9, then 9 + 16 = 25: steps 0.1*3/3 and 0.1*(-4)/5
    out = run(ref.adagrad, np.array([0.0]), [np.array([3.0]), np.array([-4.0])], lr=0.1, eps=0.0)
    assert_trajectories(out, [np.array([-0.1]), np.array([-0.02])])


def test_adam_first_step_is_lr_times_sign():
    # On step 1, m_hat = g and v_hat = g**2, so the step is lr * g / (|g| + eps).
    g = np.array([2.0, -0.5, 1e-3])
    (w,) = run(ref.adam, np.zeros(3), [g], lr=0.01, eps=1e-8)
    np.testing.assert_allclose(w, -0.01 * g / (np.abs(g) + 1e-8), rtol=1e-12)


def test_adamw_decays_before_the_step():
    g = np.array([1.0, -1.0])
    (w,) = run(ref.adamw, np.array([2.0, 2.0]), [g], lr=0.1, eps=0.0, weight_decay=0.5)
    # 2 * (1 - 0.1*0.5) = 1.9, then -0.1 * sign(g)
    np.testing.assert_allclose(w, [1.8, 2.0], rtol=1e-14)


# The textbook formulas on random trajectories -------------------------------------------------

@pytest.mark.parametrize("seed,lr,momentum", [(0, 0.1, 0.9), (1, 0.3, 0.5), (2, 0.02, 0.99)])
@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_matches_textbook(seed, lr, momentum, nesterov):
    w, grads = random_case(seed)
    assert_trajectories(run(ref.sgd_momentum, w, grads, lr=lr, momentum=momentum, nesterov=nesterov),
                        textbook_momentum(w, grads, lr, momentum, nesterov))


@pytest.mark.parametrize("seed,scale,alpha,eps", [(0, 1.0, 0.99, 1e-8), (1, 1e-4, 0.9, 1e-6), (2, 1e-7, 0.8, 1e-8)])
def test_rmsprop_matches_textbook(seed, scale, alpha, eps):
    w, grads = random_case(seed, scale=scale)
    assert_trajectories(run(ref.rmsprop, w, grads, lr=0.01, alpha=alpha, eps=eps),
                        textbook_rmsprop(w, grads, 0.01, alpha, eps))


@pytest.mark.parametrize("seed,scale,eps", [(0, 1.0, 1e-10), (1, 1e-5, 1e-10), (2, 1e-3, 1e-8)])
def test_adagrad_matches_textbook(seed, scale, eps):
    w, grads = random_case(seed, scale=scale)
    assert_trajectories(run(ref.adagrad, w, grads, lr=0.1, eps=eps), textbook_adagrad(w, grads, 0.1, eps))


@pytest.mark.parametrize("seed,scale,betas,eps", [(0, 1.0, (0.9, 0.999), 1e-8), (1, 1e-4, (0.8, 0.99), 1e-6),
                                                  (2, 1e-7, (0.9, 0.999), 1e-8)])
def test_adam_matches_textbook(seed, scale, betas, eps):
    w, grads = random_case(seed, scale=scale)
    assert_trajectories(run(ref.adam, w, grads, lr=0.01, beta1=betas[0], beta2=betas[1], eps=eps),
                        textbook_adam(w, grads, 0.01, betas[0], betas[1], eps))


@pytest.mark.parametrize("seed,lr,weight_decay", [(0, 1e-3, 0.01), (1, 0.1, 0.5), (2, 0.01, 0.1)])
def test_adamw_matches_textbook(seed, lr, weight_decay):
    w, grads = random_case(seed)
    assert_trajectories(run(ref.adamw, w, grads, lr=lr, weight_decay=weight_decay),
                        textbook_adam(w, grads, lr, 0.9, 0.999, 1e-8, weight_decay))


def test_oracles_return_fresh_float64_and_leave_inputs_alone():
    w, grads = random_case(3, shape=(5,), steps=1)
    w0, g0 = w.copy(), grads[0].copy()
    for step in (ref.sgd, ref.sgd_momentum, ref.rmsprop, ref.adagrad, ref.adam, ref.adamw):
        new, _ = step(w, grads[0], None)
        assert isinstance(new, np.ndarray) and new.dtype == np.float64 and new.shape == (5,)
        np.testing.assert_array_equal(w, w0)
        np.testing.assert_array_equal(grads[0], g0)


# linear_regression_sgd --------------------------------------------------------------------------

def regression(seed, n, d):
    gen = np.random.default_rng(seed)
    X = 2.0 * gen.standard_normal((n, d))
    return X, X @ gen.uniform(-2, 2, d) + 0.02 * gen.standard_normal(n)


@pytest.mark.parametrize("seed,n,d", [(0, 64, 2), (1, 150, 5), (2, 97, 3)])
def test_least_squares_oracle_solves_the_normal_equations(seed, n, d):
    X, y = regression(seed, n, d)
    theta = ref.linear_regression_sgd(X, y)
    assert theta.shape == (d,) and theta.dtype == np.float64
    np.testing.assert_allclose(theta, np.linalg.solve(X.T @ X, X.T @ y), rtol=1e-10)


def test_sgd_converges_to_the_oracle():
    """The reason convergence within 1 % is a fair check: plain mini-batch SGD gets there."""
    X, y = regression(4, 128, 3)
    theta = ref._linreg(X, y, 0.01, 100, 32, 0)
    star = ref.linear_regression_sgd(X, y)
    assert np.linalg.norm(theta - star) / np.linalg.norm(star) < 0.01
    assert math.isfinite(float(np.linalg.norm(theta)))


def test_one_minibatch_per_epoch_loses_the_every_batch_check():
    """Found from outside: SGD that draws a single mini-batch per epoch (100 steps in all) used to
    score full marks, since the 'converges' data contracts fast enough for 100 steps with the
    factor 2. The every_batch_each_epoch check's flat, low spectrum needs all ceil(N/32) steps."""
    from tests.support import grade_impl

    def one_batch_per_epoch(X, y, lr=0.01, epochs=100, batch_size=32, seed=0):
        gen = np.random.default_rng(seed)
        theta = np.zeros(X.shape[1])
        for _ in range(epochs):
            b = gen.permutation(len(X))[:batch_size]
            theta = theta - lr * 2 * X[b].T @ (X[b] @ theta - y[b]) / len(b)
        return theta

    result = grade_impl("optimizers", "linear_regression_sgd", one_batch_per_epoch, max_examples=10)
    failing = [c.id.rsplit(".", 1)[1] for c in result.checks if c.status != "passed"]
    assert failing == ["every_batch_each_epoch"], failing
    assert "ceil(N/32)" in next(c.message for c in result.checks if c.status != "passed")


@pytest.mark.parametrize("name,make", [
    ("sgd", lambda p: torch.optim.SGD(p, lr=0.1)),
    ("sgd_momentum", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.8, nesterov=True)),
    ("rmsprop", lambda p: torch.optim.RMSprop(p, lr=0.05, alpha=0.9, eps=1e-3)),
    ("adagrad", lambda p: torch.optim.Adagrad(p, lr=0.05, eps=1e-3)),
    ("adam", lambda p: torch.optim.Adam(p, lr=0.05, betas=(0.8, 0.95), eps=1e-3)),
    ("adamw", lambda p: torch.optim.AdamW(p, lr=0.05, betas=(0.8, 0.95), eps=1e-3, weight_decay=0.1)),
])
def test_functional_oracles_match_the_optimizer_classes(name, make):
    """The oracles call torch.optim's functional form; the classes' step() must agree."""
    hyper = {"sgd": dict(lr=0.1), "sgd_momentum": dict(lr=0.1, momentum=0.8, nesterov=True),
             "rmsprop": dict(lr=0.05, alpha=0.9, eps=1e-3), "adagrad": dict(lr=0.05, eps=1e-3),
             "adam": dict(lr=0.05, beta1=0.8, beta2=0.95, eps=1e-3),
             "adamw": dict(lr=0.05, beta1=0.8, beta2=0.95, eps=1e-3, weight_decay=0.1)}[name]
    gen = np.random.default_rng(7)
    w = gen.uniform(-1, 1, (3, 2))
    param = torch.tensor(w.copy(), requires_grad=True)
    optimizer = make([param])
    state, ours = None, w.copy()
    for _ in range(4):
        dw = gen.uniform(-1, 1, (3, 2))
        param.grad = torch.tensor(dw)
        optimizer.step()
        ours, state = getattr(ref, name)(ours, dw, state, **hyper)
        np.testing.assert_allclose(ours, param.detach().numpy(), rtol=1e-13, atol=1e-15)
