"""The ``backprop`` oracles agree with independent computations: explicit loops, central finite
differences of NumPy losses, and hand-traced examples."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from grader.specs.backprop import mlp_inputs, perceptron_ties, perceptron_train_inputs
from reference import backprop as ref
from tests.support import numeric_grad


@pytest.fixture
def gen():
    return np.random.default_rng(1234)


# linear -------------------------------------------------------------------------------------

def test_linear_forward_matches_loops(gen):
    x, W, b = gen.normal(size=(3, 4)), gen.normal(size=(4, 5)), gen.normal(size=5)
    want = np.array([[sum(x[n, d] * W[d, m] for d in range(4)) + b[m] for m in range(5)] for n in range(3)])
    got = ref.linear_forward(x, W, b)
    assert got.shape == (3, 5) and got.dtype == np.float64
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


def test_linear_forward_hand_example():
    got = ref.linear_forward(np.array([[1.0, 2.0]]), np.array([[1.0, 0.0, -1.0], [2.0, 1.0, 0.5]]),
                             np.array([0.5, -1.0, 0.0]))
    np.testing.assert_array_equal(got, [[5.5, 1.0, 0.0]])


def test_linear_backward_matches_finite_differences(gen):
    N, D, M = 4, 3, 5
    dout, x, W, b = gen.normal(size=(N, M)), gen.normal(size=(N, D)), gen.normal(size=(D, M)), gen.normal(size=M)
    loss = lambda: float(np.sum(dout * (x @ W + b)))
    dx, dW, db = ref.linear_backward(dout, x, W)
    assert (dx.shape, dW.shape, db.shape) == ((N, D), (D, M), (M,))
    np.testing.assert_allclose(dx, numeric_grad(loss, x), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(dW, numeric_grad(loss, W), rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(db, numeric_grad(loss, b), rtol=1e-7, atol=1e-8)


# MLP ----------------------------------------------------------------------------------------

def small_net(gen, N=5, D=3, H=6, C=4):
    X = gen.normal(size=(N, D))
    params = {"W1": gen.normal(size=(D, H)), "b1": gen.normal(size=H) * 0.5,
              "W2": gen.normal(size=(H, C)), "b2": gen.normal(size=C) * 0.5}
    assert np.abs(X @ params["W1"] + params["b1"]).min() > 1e-3  # finite differences stay off the kink
    return X, gen.integers(0, C, size=N), params


def numpy_mlp_loss(X, y, params, reg):
    """Written independently of the oracle: an explicit loop over samples."""
    total = 0.0
    for xi, yi in zip(X, y):
        h = np.maximum(0.0, xi @ params["W1"] + params["b1"])
        s = h @ params["W2"] + params["b2"]
        total += np.log(np.sum(np.exp(s))) - s[yi]
    return total / len(X) + 0.5 * reg * (np.sum(params["W1"] ** 2) + np.sum(params["W2"] ** 2))


def test_mlp_forward_hand_example():
    params = {"W1": np.array([[1.0, -1.0]]), "b1": np.array([0.0, 0.5]),
              "W2": np.array([[2.0], [3.0]]), "b2": np.array([-1.0])}
    # x = 1: h = relu([1, -0.5]) = [1, 0] -> 2 - 1 = 1;  x = -1: h = relu([-1, 1.5]) -> 4.5 - 1 = 3.5
    got = ref.mlp_forward(np.array([[1.0], [-1.0]]), params)
    np.testing.assert_allclose(got, [[1.0], [3.5]], rtol=1e-14)


@pytest.mark.parametrize("reg", [0.0, 0.3])
def test_mlp_loss_and_grads_match_finite_differences(gen, reg):
    X, y, params = small_net(gen)
    loss, grads = ref.mlp_loss_and_grads(X, y, params, reg)
    assert isinstance(loss, float)
    assert loss == pytest.approx(numpy_mlp_loss(X, y, params, reg), rel=1e-12)
    assert set(grads) == {"W1", "b1", "W2", "b2"}
    for key, value in params.items():
        assert grads[key].shape == value.shape
        want = numeric_grad(lambda: numpy_mlp_loss(X, y, params, reg), value)
        np.testing.assert_allclose(grads[key], want, rtol=1e-6, atol=1e-8, err_msg=key)


def test_mlp_loss_default_reg_is_zero_and_inputs_unchanged(gen):
    X, y, params = small_net(gen)
    before = {k: v.copy() for k, v in params.items()}
    assert ref.mlp_loss_and_grads(X, y, params)[0] == ref.mlp_loss_and_grads(X, y, params, 0.0)[0]
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])


def test_solution_agrees_with_oracles(gen):
    from tests.support import load
    sol = load("solutions", "backprop")
    X, y, params = small_net(gen)
    np.testing.assert_allclose(sol.mlp_forward(X, params), ref.mlp_forward(X, params), rtol=1e-12)
    l1, g1 = sol.mlp_loss_and_grads(X, y, params, 0.7)
    l2, g2 = ref.mlp_loss_and_grads(X, y, params, 0.7)
    assert l1 == pytest.approx(l2, rel=1e-12)
    for k in params:
        np.testing.assert_allclose(g1[k], g2[k], rtol=1e-10, atol=1e-14)


# perceptron ---------------------------------------------------------------------------------

AND_X = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])
AND_Y = np.array([0, 0, 0, 1])
# Traced by hand (ties, w.x + b == 0, predict 0): the weights after each number of epochs.
AND_TRACE = {1: ([1, 1], 1), 2: ([2, 1], 0), 3: ([2, 1], -1), 4: ([2, 2], -1), 5: ([2, 1], -2), 100: ([2, 1], -2)}


@pytest.mark.parametrize("epochs", sorted(AND_TRACE))
@pytest.mark.parametrize("lr", [1.0, 0.5])
def test_perceptron_train_hand_trace(epochs, lr):
    w, b = ref.perceptron_train(AND_X, AND_Y, lr=lr, epochs=epochs)
    want_w, want_b = AND_TRACE[epochs]
    assert isinstance(b, float) and w.dtype == np.float64 and w.shape == (2,)
    np.testing.assert_array_equal(w, lr * np.array(want_w, dtype=float))
    assert b == lr * want_b


def test_perceptron_train_defaults_converge_on_and():
    w, b = ref.perceptron_train(AND_X, AND_Y)
    np.testing.assert_array_equal(ref.perceptron_predict(AND_X, w, b), AND_Y)


def test_perceptron_predict_hand_example_with_tie():
    X = np.array([[1.0, 2.0], [0.0, 0.0], [-1.0, 1.0]])
    got = ref.perceptron_predict(X, np.array([1.0, -1.0]), 1.0)  # scores 0, 1, -1
    assert got.dtype == np.int64
    np.testing.assert_array_equal(got, [0, 1, 0])


# the spec's input strategies keep their promises --------------------------------------------

FAST = settings(max_examples=15, deadline=None, database=None, suppress_health_check=list(HealthCheck))


@FAST
@given(mlp_inputs(labels=True))
def test_mlp_inputs_stay_off_the_relu_kink(args):
    p = args["params"]
    assert np.abs(args["X"] @ p["W1"] + p["b1"]).min() >= 1e-3
    assert args["y"].dtype == np.int64 and args["y"].max() < p["W2"].shape[1]


@FAST
@given(perceptron_train_inputs())
def test_perceptron_data_has_no_ties_after_the_start(args):
    assert perceptron_ties(args["X"], args["y"], args["lr"], args["epochs"]) == 0
