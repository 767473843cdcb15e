"""The ``derivatives`` oracles (and the test functions they are graded on) agree with independent
computations: hand-worked values, torch.autograd (first and third derivatives), and the closed
form of gradient descent on a quadratic."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from grader.testfns import build
from reference import derivatives as ref


def smooth_params(seed, n, independent=()):
    gen = np.random.default_rng(seed)
    W = gen.uniform(-1, 1, (3, n))
    c = gen.uniform(0.2, 0.5, n)
    W[:, list(independent)] = 0.0
    c[list(independent)] = 0.0
    return {"W": W, "a": gen.uniform(0.5, 1.5, 3) * gen.choice([-1.0, 1.0], 3),
            "b": gen.uniform(-np.pi, np.pi, 3), "c": c}


def smooth_torch(p, v):
    W, a, b, c = (torch.tensor(p[k], dtype=torch.float64) for k in "Wabc")
    return a @ torch.sin(W @ v + b) + c @ torch.exp(v)


def autograd(fun, x):
    v = torch.tensor(np.asarray(x, dtype=np.float64).ravel(), requires_grad=True)
    (g,) = torch.autograd.grad(fun(v), v)
    return g.numpy().reshape(np.shape(x))


def third_derivative(fun, x, i):
    """d^3 f / dx_i^3 by three rounds of autograd."""
    v = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    d = fun(v)
    for _ in range(3):
        (g,) = torch.autograd.grad(d, v, create_graph=True)
        d = g[i]
    return float(d.detach())


# The test functions ---------------------------------------------------------------------------

def test_smooth_gradients_match_autograd():
    p = smooth_params(0, 12)
    x = np.random.default_rng(1).uniform(-1, 1, (3, 4))
    exact = autograd(lambda v: smooth_torch(p, v), x)
    np.testing.assert_allclose(build("smooth_grad", p)(x), exact, rtol=1e-13, atol=1e-14)
    assert build("smooth_grad", p)(x).shape == (3, 4)
    scale = np.linspace(-1.0, 2.0, 12)
    np.testing.assert_allclose(build("smooth_grad_scaled", dict(p, scale=scale))(x),
                               exact * scale.reshape(3, 4), rtol=1e-13, atol=1e-14)
    assert build("smooth", p)(x) == pytest.approx(float(smooth_torch(p, torch.tensor(x.ravel()))), rel=1e-14)


def test_smooth_coords_unpacks_and_refuses_an_array():
    p = smooth_params(2, 4)
    point = np.array([0.1, -0.2, 0.3, -0.4])
    assert build("smooth_coords", p)(*point) == build("smooth", p)(point)
    with pytest.raises(TypeError, match="separate"):
        build("smooth_coords", p)(point)


def test_convex_gradient_matches_autograd_and_is_convex():
    gen = np.random.default_rng(3)
    q, _ = np.linalg.qr(gen.normal(size=(5, 5)))
    A = (q * np.array([0.3, 0.5, 0.7, 0.9, 1.0])) @ q.T
    A = (A + A.T) / 2
    p = {"A": A, "b": gen.uniform(-1, 1, 5), "c": gen.uniform(0.2, 0.5, 5), "m": gen.uniform(-1, 1, 5)}
    x = gen.uniform(-3, 3, 5)

    def convex_torch(v):
        At, bt, ct, mt = (torch.tensor(p[k]) for k in "Abcm")
        return 0.5 * v @ At @ v + bt @ v + ct @ torch.log(torch.cosh(v - mt))

    np.testing.assert_allclose(build("convex_grad", p)(x), autograd(convex_torch, x), rtol=1e-12, atol=1e-13)
    assert build("convex", p)(x) == pytest.approx(float(convex_torch(torch.tensor(x))), rel=1e-13)


def test_quadratic_builders_unchanged():
    A, b = np.array([[2.0, 1.0], [1.0, 3.0]]), np.array([1.0, -1.0])
    x = np.array([0.5, 2.0])
    assert build("quadratic", {"A": A, "b": b})(x) == pytest.approx(0.5 * x @ A @ x + b @ x)
    np.testing.assert_allclose(build("quadratic_grad", {"A": A, "b": b})(x), A @ x + b)


# partial_derivative ---------------------------------------------------------------------------

def test_partial_derivative_hand_worked():
    f = lambda x, y: x ** 2 * y  # df/dx = 2xy = 12, df/dy = x^2 = 4 at (2, 3)
    assert ref.partial_derivative(f, np.array([2.0, 3.0]), 0) == pytest.approx(12.0, abs=1e-8)
    assert ref.partial_derivative(f, np.array([2.0, 3.0]), 1, h=0.5) == pytest.approx(4.0, abs=1e-12)
    assert isinstance(ref.partial_derivative(f, np.array([2.0, 3.0]), 0), float)


@pytest.mark.parametrize("i", [0, 2, 4])
def test_partial_derivative_is_central_with_the_given_h(i):
    p = smooth_params(4, 5)
    f = build("smooth_coords", p)
    point = np.random.default_rng(5).uniform(-1, 1, 5)
    exact = autograd(lambda v: smooth_torch(p, v), point)[i]
    assert ref.partial_derivative(f, point, i) == pytest.approx(exact, abs=1e-9)
    # At a large step the error of a central difference is h^2/6 f''' (+ O(h^4)); a forward
    # difference would be off by h/2 f'' instead.
    h = 0.05
    predicted = exact + h ** 2 / 6 * third_derivative(lambda v: smooth_torch(p, v), point, i)
    assert ref.partial_derivative(f, point, i, h=h) == pytest.approx(predicted, abs=1e-6)
    assert abs(ref.partial_derivative(f, point, i, h=h) - exact) > 1e-5


# numerical_gradient ---------------------------------------------------------------------------

@pytest.mark.parametrize("shape", [(5,), (3, 4), (2, 3, 4)])
def test_numerical_gradient_matches_autograd(shape):
    n = int(np.prod(shape))
    p = smooth_params(6, n)
    x = np.random.default_rng(7).uniform(-1, 1, shape)
    before = x.copy()
    got = ref.numerical_gradient(build("smooth", p), x)
    assert got.shape == shape and got.dtype == np.float64
    np.testing.assert_allclose(got, autograd(lambda v: smooth_torch(p, v), x), rtol=1e-7, atol=1e-8)
    assert np.array_equal(x, before)


def test_numerical_gradient_entries_equal_partial_derivatives():
    p = smooth_params(8, 4)
    x = np.random.default_rng(9).uniform(-1, 1, 4)
    grad = ref.numerical_gradient(build("smooth", p), x, h=0.02)
    for i in range(4):
        assert grad[i] == ref.partial_derivative(build("smooth_coords", p), x, i, h=0.02)


# gradient_check -------------------------------------------------------------------------------

def test_gradient_check_correct_gradient_is_tiny():
    p = smooth_params(10, 6)
    x = np.random.default_rng(11).uniform(-1, 1, (2, 3))
    value = ref.gradient_check(build("smooth", p), build("smooth_grad", p), x)
    assert isinstance(value, float) and 0 <= value < 1e-7


def test_gradient_check_wrong_gradient_closed_form():
    # With a = s * g and n ~= g, |a - n| / (|a| + |n|) = |s - 1| / (|s| + 1) entrywise.
    p = smooth_params(12, 5)
    scale = np.array([1.0, 1.0, 2.0, -1.0, 1.0])  # errors 1/3 and 1
    x = np.random.default_rng(13).uniform(-1, 1, 5)
    value = ref.gradient_check(build("smooth", p), build("smooth_grad_scaled", dict(p, scale=scale)), x)
    assert value == pytest.approx(1.0, abs=1e-6)
    scale[3] = 0.5  # now 1/3 at two entries
    value = ref.gradient_check(build("smooth", p), build("smooth_grad_scaled", dict(p, scale=scale)), x)
    assert value == pytest.approx(1 / 3, abs=1e-6)


def test_gradient_check_zero_entries_count_as_zero():
    p = smooth_params(14, 4, independent=[1, 2])
    x = np.random.default_rng(15).uniform(-1, 1, 4)
    assert np.all(ref.numerical_gradient(build("smooth", p), x)[[1, 2]] == 0.0)
    value = ref.gradient_check(build("smooth", p), build("smooth_grad", p), x)
    assert np.isfinite(value) and value < 1e-7


# gradient_descent -----------------------------------------------------------------------------

@pytest.mark.parametrize("lr,steps", [(0.1, 100), (0.3, 7), (0.05, 1), (0.1, 0)])
def test_gradient_descent_closed_form_on_a_quadratic(lr, steps):
    # x_k - x* = (I - lr A)^k (x0 - x*) with x* = -A^{-1} b.
    gen = np.random.default_rng(16)
    M = gen.normal(size=(4, 4))
    A = M @ M.T / 4 + 0.3 * np.eye(4)
    b, x0 = gen.uniform(-1, 1, 4), gen.uniform(-2, 2, 4)
    x_star = -np.linalg.solve(A, b)
    want = x_star + np.linalg.matrix_power(np.eye(4) - lr * A, steps) @ (x0 - x_star)
    before = x0.copy()
    args = {"lr": lr, "steps": steps} if (lr, steps) != (0.1, 100) else {}
    got = ref.gradient_descent(build("quadratic_grad", {"A": A, "b": b}), x0, **args)
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    assert np.array_equal(x0, before) and got.shape == (4,)


def test_gradient_descent_converges_on_a_convex_function():
    gen = np.random.default_rng(17)
    p = {"A": np.diag([0.4, 0.8, 1.0]), "b": gen.uniform(-1, 1, 3), "c": np.full(3, 0.3),
         "m": gen.uniform(-1, 1, 3)}
    x = ref.gradient_descent(build("convex_grad", p), np.zeros(3), lr=0.5, steps=400)
    np.testing.assert_allclose(build("convex_grad", p)(x), 0.0, atol=1e-10)


# The mistakes really differ from the oracles --------------------------------------------------

def test_every_mistake_differs_from_its_oracle():
    p = smooth_params(18, 6)
    x = np.random.default_rng(19).uniform(-1, 1, (2, 3))
    # Two wrong entries where the true gradient is positive: 0.3 g (error -0.7/1.3, the largest in
    # size) and 1.6 g (error +0.6/2.6), so dropping the abs() changes the answer.
    up = np.flatnonzero(build("smooth_grad", p)(x).ravel() > 0)
    scale = np.ones(6)
    scale[up[0]], scale[up[1]] = 0.3, 1.6
    q = {"A": np.diag([0.5, 1.0, 1.5]), "b": np.array([0.5, -0.5, 1.0])}
    calls = {
        "partial_derivative": lambda fn: fn(build("smooth_coords", p), x.ravel().copy(), 2, h=0.02),
        "numerical_gradient": lambda fn: fn(build("smooth", p), x.copy(), h=0.02),
        "gradient_check": lambda fn: fn(build("smooth", p), build("smooth_grad_scaled", dict(p, scale=scale)),
                                        x.copy(), h=0.02),
        "gradient_descent": lambda fn: fn(build("quadratic_grad", q), np.array([1.0, -2.0, 0.5]), lr=0.1, steps=5),
    }
    in_place_only = {"partial_derivative__perturbs_point_in_place", "gradient_descent__updates_x0_in_place"}
    for name in dir(ref):
        function, sep, mistake = name.partition("__")
        if not sep or function not in calls or name in in_place_only:
            continue
        want, got = calls[function](getattr(ref, function)), calls[function](getattr(ref, name))
        assert np.shape(got) != np.shape(want) or not np.allclose(got, want, rtol=1e-6, atol=0), name
