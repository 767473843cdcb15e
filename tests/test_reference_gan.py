"""The ``gan`` oracles against independent computations: hand-worked values, pure-Python losses
and central finite differences of those losses."""

import copy
import math

import numpy as np
import pytest

from reference import gan as ref


def softplus(t):
    return math.log1p(math.exp(-abs(t))) + max(t, 0.0)


def py_d_loss(real_logits, fake_logits):
    """-mean(log sigma(r)) - mean(log(1 - sigma(f))) with -log sigma(t) = softplus(-t)."""
    return (sum(softplus(-t) for t in real_logits) / len(real_logits)
            + sum(softplus(t) for t in fake_logits) / len(fake_logits))


def py_g_loss(fake_logits):
    return sum(softplus(-t) for t in fake_logits) / len(fake_logits)


def d_loss_of(a, b, w, c, real, z):
    return py_d_loss([w * x + c for x in real], [w * (a * u + b) + c for u in z])


def g_loss_of(a, b, w, c, z):
    return py_g_loss([w * (a * u + b) + c for u in z])


def central(f, x, h=1e-6):
    return (f(x + h) - f(x - h)) / (2 * h)


CASES = [
    ({"a": 1.2, "b": -0.3}, {"w": 0.7, "c": 0.2}, np.array([1.5, 0.9, 1.1]), np.array([0.4, -0.8, 0.1]), 0.3),
    ({"a": -0.6, "b": 0.4}, {"w": -1.5, "c": -0.7}, np.array([-1.0, -1.4]), np.array([0.9, -0.2, 0.5, -0.7, 0.3]), 0.5),
    ({"a": 0.9, "b": 0.0}, {"w": 1.9, "c": 0.9}, np.array([0.2, 0.6, -0.1, 0.4, 0.0, 0.3]), np.array([0.5]), 0.1),
]


def test_losses_hand_worked():
    assert ref.discriminator_loss(np.zeros(3), np.zeros(5)) == pytest.approx(2 * math.log(2), rel=1e-15)
    assert ref.generator_loss(np.zeros(4)) == pytest.approx(math.log(2), rel=1e-15)
    # sigma(log 3) = 3/4: real term -log(3/4); fake logit -log 3 gives 1 - sigma = 3/4 as well.
    assert ref.discriminator_loss(np.array([math.log(3)]), np.array([-math.log(3)])) == \
        pytest.approx(-2 * math.log(0.75), rel=1e-14)
    assert isinstance(ref.discriminator_loss(np.zeros(2), np.zeros(2)), float)
    assert isinstance(ref.generator_loss(np.zeros(2)), float)


@pytest.mark.parametrize("n_real,n_fake", [(4, 4), (2, 7), (6, 3)])
def test_losses_match_pure_python(n_real, n_fake):
    gen = np.random.default_rng(n_real * 10 + n_fake)
    real, fake = gen.uniform(-10, 10, n_real), gen.uniform(-10, 10, n_fake)
    assert ref.discriminator_loss(real, fake) == pytest.approx(py_d_loss(real, fake), rel=1e-12)
    assert ref.generator_loss(fake) == pytest.approx(py_g_loss(fake), rel=1e-12)


def test_gan_step_hand_worked():
    # fake = 1, w = c = 0: every logit is 0, so dd/dw = -0.5*2 + 0.5*1 = -0.5 and dd/dc = 0.
    g, d, d_loss, g_loss = ref.gan_step({"a": 1.0, "b": 0.0}, {"w": 0.0, "c": 0.0},
                                        np.array([2.0]), np.array([1.0]), 1.0)
    assert d == pytest.approx({"w": 0.5, "c": 0.0}, abs=1e-15)
    assert d_loss == pytest.approx(2 * math.log(2), rel=1e-15)
    # Generator logit w'*(a*z + b) + c' = 0.5; dg/dlogit = sigma(0.5) - 1, times w' = 0.5 (and z = 1).
    s = 1 / (1 + math.exp(-0.5))
    assert g_loss == pytest.approx(math.log1p(math.exp(-0.5)), rel=1e-15)
    assert g == pytest.approx({"a": 1.0 - 0.5 * (s - 1), "b": -0.5 * (s - 1)}, rel=1e-14, abs=1e-15)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_gan_step_matches_finite_differences(case):
    g_params, d_params, real, z, lr = copy.deepcopy(CASES[case])
    before = copy.deepcopy(CASES[case])
    g_new, d_new, d_loss, g_loss = ref.gan_step(g_params, d_params, real, z, lr)

    a, b, w, c = g_params["a"], g_params["b"], d_params["w"], d_params["c"]
    gw = central(lambda t: d_loss_of(a, b, t, c, real, z), w)
    gc = central(lambda t: d_loss_of(a, b, w, t, real, z), c)
    w1, c1 = w - lr * gw, c - lr * gc
    ga = central(lambda t: g_loss_of(t, b, w1, c1, z), a)
    gb = central(lambda t: g_loss_of(a, t, w1, c1, z), b)

    assert d_loss == pytest.approx(d_loss_of(a, b, w, c, real, z), rel=1e-12)
    assert g_loss == pytest.approx(g_loss_of(a, b, w1, c1, z), rel=1e-8)  # w1, c1 from differences
    assert d_new == pytest.approx({"w": w1, "c": c1}, rel=1e-8, abs=1e-9)
    assert g_new == pytest.approx({"a": a - lr * ga, "b": b - lr * gb}, rel=1e-8, abs=1e-9)
    assert all(type(v) is float for v in (*g_new.values(), *d_new.values(), d_loss, g_loss))

    # Inputs untouched, outputs are new dicts.
    assert g_new is not g_params and d_new is not d_params
    assert g_params == before[0] and d_params == before[1]
    assert np.array_equal(real, before[2]) and np.array_equal(z, before[3])


@pytest.mark.parametrize("case", range(len(CASES)))
def test_mistake_helper_without_switches_is_the_oracle(case):
    """The hand-written NumPy step behind the gan_step mistakes, with no switch on, is correct."""
    got = ref._numpy_step(*copy.deepcopy(CASES[case]))
    want = ref.gan_step(*copy.deepcopy(CASES[case]))
    for g, w in zip(got, want):
        assert g == pytest.approx(w, rel=1e-12, abs=1e-14)


@pytest.mark.parametrize("case", range(len(CASES)))
def test_every_gan_step_mistake_differs_from_the_oracle(case):
    want = ref.gan_step(*copy.deepcopy(CASES[case]))
    n_real, n_z = len(CASES[case][2]), len(CASES[case][3])
    for name in dir(ref):
        if not name.startswith("gan_step__"):
            continue
        if name == "gan_step__one_batch_size_for_both" and n_real == n_z:
            continue  # identical to the oracle when the batches have equal sizes, by design
        got = getattr(ref, name)(*copy.deepcopy(CASES[case]))
        flat = lambda out: [*out[0].values(), *out[1].values(), out[2], out[3]]
        assert not np.allclose(flat(got), flat(want), rtol=1e-6, atol=1e-8), name
