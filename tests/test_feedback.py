"""Feedback a student can act on when no catalogued mistake is named: what matched, the shape
of the error, plain numbers, readable counterexamples -- and a name only where it is earned."""

from __future__ import annotations

import textwrap

import numpy as np

from grader.compare import Tolerance
from grader.engine import Options
from grader.grading import grade
from grader.hints import matched_outputs, observations
from grader.render import RENDERERS

TOL = Tolerance(1e-9, 1e-12, "test")


def first_problem(tmp_path, module, source, name, **options):
    (tmp_path / f"{module}.py").write_text(textwrap.dedent(source))
    result = grade(str(tmp_path), (f"{module}.{name}",), options=Options(max_examples=10, **options), jobs=1)
    return result, result.exercises[0].functions[0].first_problem


def test_a_wrong_gradient_among_correct_ones_says_which_outputs_match(tmp_path):
    _, check = first_problem(tmp_path, "batchnorm", """
        import numpy as np

        def batchnorm_backward(dout, x, gamma, eps=1e-5):
            mu, var = x.mean(axis=0), x.var(axis=0)
            x_hat = (x - mu) / np.sqrt(var + eps)
            g = dout * gamma
            dx = (g - g.mean(axis=0) - x_hat * (g * x_hat).mean(axis=0)) / np.sqrt(var + eps)
            return dx, (dout * x_hat).sum(axis=0), 3 * dout.sum(axis=0) + 1
        """, "batchnorm_backward")
    assert check.diagnosis is None
    assert "what agrees: dx and dgamma match; only dbeta differs" in check.message


def test_a_sign_error_and_a_clean_factor_are_said_in_words(tmp_path):
    _, check = first_problem(tmp_path, "backprop", """
        def linear_backward(dout, x, W):
            return -(dout @ W.T), x.T @ dout, dout.sum(axis=0)
        """, "linear_backward")
    assert "opposite sign" in check.message and "exactly -1 times" in check.message
    got, want = np.array([2.0, 4.0, 6.0]), np.array([1.0, 2.0, 3.0])
    assert "exactly twice" in observations(got, want, TOL, {})[0]
    assert "1/N with N = x.shape[0] = 3" in observations(want / 3, want, TOL, {"x": np.zeros((3, 4))})[0]


def test_nan_on_the_first_step_says_where_nan_comes_from(tmp_path):
    _, check = first_problem(tmp_path, "optimizers", """
        import numpy as np

        def adam(w, dw, state, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
            state = state or {"m": 0 * w, "v": 0 * w, "t": 0}
            m = beta1 * state["m"] + (1 - beta1) * dw
            v = beta2 * state["v"] + (1 - beta2) * dw ** 2
            t = state["t"]  # the step is counted after the bias correction: t = 0 on the first step
            step = lr * (m / (1 - beta1 ** t)) / (np.sqrt(v / (1 - beta2 ** t)) + eps)
            return w - step, {"m": m, "v": v, "t": t + 1}
        """, "adam")
    assert "w after step 1" in check.message and "NaN" in check.message and "1 - beta**t" in check.message


def test_a_schedule_one_epoch_off_says_so():
    epochs = [{"lr at epoch %d" % i: 0.1 * 0.9 ** i for i in range(6)}]
    want = epochs[0]
    got = {k: 0.1 * 0.9 ** (i + 1) for i, k in enumerate(want)}
    assert "one epoch ahead" in observations(got, want, TOL, {})[0]
    got = {k: 0.1 * 0.9 ** max(i - 1, 0) for i, k in enumerate(want)}
    assert matched_outputs(got, want, TOL) is not None


def test_differences_read_in_plain_numbers_and_counterexamples_in_four_digits(tmp_path):
    result, check = first_problem(tmp_path, "backprop", """
        def linear_forward(x, W, b):
            return x @ W + 2 * b
        """, "linear_forward")
    assert "off by" in check.message and "relative error" not in check.message
    text = RENDERERS["text"](result)
    numbers = [token.strip("[],") for line in text.splitlines() if " = [" in line for token in line.split()]
    digits = [len(n.lstrip("-").replace(".", "").lstrip("0")) for n in numbers if n.replace(".", "").lstrip("-").isdigit()]
    assert digits and max(digits) <= 4


def test_a_name_must_be_earned_on_inputs_that_tell_mistakes_apart(tmp_path):
    # half the sum of the two means equals the mean over pooled samples only when both batches
    # have the same size: the pooled-samples name must not be claimed
    result, check = first_problem(tmp_path, "gan", """
        import numpy as np

        def discriminator_loss(real_logits, fake_logits):
            log_real = -np.logaddexp(0, -real_logits)
            log_fake = -np.logaddexp(0, fake_logits)
            return float(-0.5 * (log_real.mean() + log_fake.mean()))
        """, "discriminator_loss")
    named = [c.diagnosis.id for c in result.exercises[0].functions[0].checks if c.diagnosis]
    assert "discriminator_loss.concatenated_mean" not in named
    assert "exactly half" in check.message


def test_a_catalogued_mistake_is_still_named(tmp_path):
    _, check = first_problem(tmp_path, "backprop", """
        def linear_backward(dout, x, W):
            return dout @ W.T, x.T @ dout / x.shape[0], dout.sum(axis=0)
        """, "linear_backward")
    assert check.diagnosis is not None and check.diagnosis.id == "linear_backward.dW_averaged"


def test_an_optimizer_step_off_by_a_sign_or_the_learning_rate_is_said_in_words():
    """The weights after a wrong step are rarely a clean multiple of the expected weights, but the
    step itself (w after step 1 minus w) is: a sign, a forgotten or a doubled learning rate."""
    w0, dw = np.array([1.0, -2.0, 0.5]), np.array([0.3, -0.1, 0.2])
    args = {"w": w0, "grads": [dw], "hyper": {"lr": 0.1}}
    want = {"w after step 1": w0 - 0.1 * dw}
    said = {scale: observations({"w after step 1": w0 - scale * dw}, want, TOL, args)[0]
            for scale in (-0.1, 1.0, 0.01, 0.3)}
    assert "opposite way" in said[-0.1]
    assert "1/lr (lr = 0.1)" in said[1.0] and "not scaled by lr" in said[1.0]
    assert "lr is applied twice" in said[0.01]
    assert said[0.3].startswith("your first step") and "3 times the expected step" in said[0.3]
    not_clean = observations({"w after step 1": w0 - 0.1 * dw + np.array([0.0, 0.01, 0.0])}, want, TOL, args)
    assert not any("first step" in note for note in not_clean)


def test_one_wrong_number_is_not_called_off_by_a_factor_unless_the_factor_means_something():
    """Any two numbers have a ratio: a wrong scalar loss is said to be off by a factor only when the
    factor is small and exact, or a size of the input (a sum where a mean was asked)."""
    assert observations(1.0, np.pi, TOL, {}) == []
    rng = np.random.default_rng(0)
    assert not any(observations(float(rng.uniform(0.5, 6)), float(rng.uniform(0.5, 3)), TOL, {}) for _ in range(300))
    assert "exactly twice" in observations(2.5, 1.25, TOL, {})[0]
    assert "N = logits.shape[0] = 5" in observations(6.0, 1.2, TOL, {"logits": np.zeros((5, 3))})[0]


def test_a_float32_result_right_to_its_own_precision_is_said_to_be_float32():
    want = 1 / (1 + np.exp(-np.linspace(-5, 5, 12).reshape(3, 4)))
    note = observations(want.astype(np.float32), want, TOL, {})[0]
    assert "float32" in note and "per-feature" not in note
    assert not any("float32" in n for n in observations((2 * want).astype(np.float32), want, TOL, {}))
