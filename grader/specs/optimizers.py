"""Checks for ``optimizers``: trajectories of several steps compared with ``torch.optim``.

Each step check draws a starting ``w`` and a few gradients, runs the optimizer for those steps
(passing the returned state back unchanged) and compares ``w`` after every step.  Values stay
in ``[-1, 1]`` (gradients scaled down to 1e-7 for the adaptive methods), so a few steps of
float64 arithmetic written in any order agree with PyTorch to ~1e-15 relative; ``rtol=1e-7``
leaves eight orders of magnitude of headroom.

Hyperparameters are drawn so that every catalogued mistake moves ``w`` by far more than that:
an eps misplaced inside the square root only shows when ``eps`` is comparable to the squared
gradients, so the adaptive methods see tiny gradients (1e-4 to 1e-7) as well as ordinary ones;
AdamW's decay applied after the update differs by ``lr**2 * weight_decay``, so ``lr`` and
``weight_decay`` go up to 0.1 and 0.5.  Hypothesis shrinks ``sampled_from`` towards the first
value, so each list starts with the value that separates the mistakes best, and stateful
optimizers always take at least two steps (a missing or stale state only shows on step 2).

``linear_regression_sgd`` is graded by convergence (the contract's 1 % relative distance to the
least-squares solution) on well-conditioned data where every correct variant lands within 0.2 %
of it, and where the divergent mistakes are told apart by how fast ``theta`` grows.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import strategies as st

from grader.compare import Tolerance, compare, describe
from grader.spec import ModuleSpec, single_call
from grader.strategies import away_from_zero, dims, rng, seeds, uniform
from reference import optimizers as ref

spec = ModuleSpec("optimizers", "Optimizers", reference=ref)

STEP_TOL = Tolerance(1e-7, 1e-10, "a few float64 steps in any order agree with torch.optim to "
                     "~1e-15; on the draws that expose them, the catalogued mistakes (even a "
                     "misplaced eps or AdamW's decay after the step) land 1e4+ tolerances away")


@st.composite
def trajectories(draw, steps=st.integers(1, 4), scales=(1.0,), **hyper):
    """A starting ``w`` (1-D or 2-D, distinct dims), a gradient per step and hyperparameters.

    Gradients are uniform in ``[-scale, scale]`` for a ``scale`` drawn from ``scales``.
    """
    shape = tuple(draw(dims(draw(st.integers(1, 2)))))
    n_steps = draw(steps)
    scale = draw(st.sampled_from(scales))
    gen = rng(draw(seeds))
    drawn_hyper = {name: draw(value) for name, value in hyper.items()}
    return {"w": uniform(gen, shape), "grads": [scale * uniform(gen, shape) for _ in range(n_steps)],
            "hyper": drawn_hyper}


def trajectory(fn, args):
    """Run ``fn`` for every gradient, threading the state; label ``w`` after each step.

    A step that does not return a ``(w, state)`` pair ends the run; that step and the ones after
    it are labelled with a ``"<...>"`` note that :func:`trajectory_verify` reports.
    """
    w, state, out = args["w"], None, {}
    steps = len(args["grads"])
    for t, dw in enumerate(args["grads"], start=1):
        result = fn(w, dw, state, **args["hyper"])
        if not (isinstance(result, (tuple, list)) and len(result) == 2):
            note = (f"<step {t} returned {describe(result)}; every step must return the pair "
                    f"(w_new, state), even when the optimizer keeps no state>")
            out.update({f"w after step {k}": note for k in range(t, steps + 1)})
            break
        w, state = result
        out[f"w after step {t}"] = w
    return out


def trajectory_verify(got, want, args):
    for value in got.values():
        if isinstance(value, str) and value.startswith("<"):
            return value[1:-1]
    return compare(got, want, STEP_TOL)


def trajectory_check(function, name, description, inputs, points=1.0):
    spec.check(function, name, points=points, description=description, inputs=inputs,
               oracle=getattr(ref, function), tol=STEP_TOL, run=trajectory, mutable=("w", "state"), keep=(1,), hints=True,
               verify=trajectory_verify)


STATEFUL = st.integers(2, 4)  # step 2 is where a lost, stale or reset state first shows
SCALES = (1.0, 1e-4, 1e-7)  # gradient scales for the adaptive methods: ordinary first (what a
                                # counterexample shrinks to), tiny where eps matters

# sgd ---------------------------------------------------------------------------------------
trajectory_check("sgd", "matches_torch", "w after each step equals torch.optim.SGD",
                 trajectories(lr=st.sampled_from([0.01, 0.1, 0.5])))
trajectory_check("sgd", "default_lr", "the default lr is 0.01", trajectories())
spec.mistakes(
    "sgd",
    gradient_ascent="Your step moves w along +dw: gradient descent subtracts lr * dw.",
    forgot_learning_rate="Your step subtracts dw without scaling it by lr.",
    returns_update_not_weights="You returned the update -lr * dw instead of the new weights w - lr * dw.",
)

# sgd_momentum ------------------------------------------------------------------------------
# lr never equals 1 - momentum, where "v = momentum*v + lr*dw" and a dampened velocity coincide
MOMENTUM_HYPER = dict(lr=st.sampled_from([0.3, 0.05, 0.02]), momentum=st.sampled_from([0.9, 0.5, 0.99]))
trajectory_check("sgd_momentum", "matches_torch",
                 "w after each step equals torch.optim.SGD(momentum=...) (nesterov=False)",
                 trajectories(steps=STATEFUL, nesterov=st.just(False), **MOMENTUM_HYPER))
trajectory_check("sgd_momentum", "default_hyperparameters",
                 "called without hyperparameters: lr=0.01, momentum=0.9, nesterov=False",
                 trajectories(steps=STATEFUL))
trajectory_check("sgd_momentum", "nesterov",
                 "with nesterov=True, w after each step equals torch.optim.SGD(nesterov=True)",
                 trajectories(steps=STATEFUL, nesterov=st.just(True), **MOMENTUM_HYPER))
spec.mistakes(
    "sgd_momentum",
    dampened_velocity=("Your velocity is an average, v = momentum*v + (1 - momentum)*dw. torch.optim.SGD adds "
                       "the whole gradient: v = momentum*v + dw (v = dw on the first step), then w -= lr*v."),
    velocity_not_carried=("From the second step on your update is plain SGD: the velocity is not carried over. "
                          "Store v in the state you return and start the next step from state's v."),
    lr_applied_twice=("You scale by lr twice: v = momentum*v + lr*dw and then w -= lr*v. Use one convention: "
                      "v = momentum*v + dw with w -= lr*v (PyTorch), or v = momentum*v - lr*dw with w += v."),
    nesterov_ignored=("With nesterov=True your step is the same as plain momentum (a look-ahead with the "
                      "velocity from before this step, dw + momentum*v_old, is that same vector). Update "
                      "v = momentum*v + dw first, then step along dw + momentum*v with the new v."),
    nesterov_momentum_twice=("Your Nesterov step is (1 + momentum)*v, the look-ahead applied to the velocity instead "
                             "of the gradient: step along dw + momentum*v."),
)

# rmsprop -----------------------------------------------------------------------------------
trajectory_check("rmsprop", "matches_torch", "w after each step equals torch.optim.RMSprop",
                 trajectories(steps=STATEFUL, scales=SCALES, lr=st.sampled_from([0.1, 0.01, 0.001]),
                              alpha=st.sampled_from([0.9, 0.99, 0.8]), eps=st.sampled_from([1e-8, 1e-6])))
trajectory_check("rmsprop", "default_hyperparameters",
                 "called without hyperparameters: lr=0.01, alpha=0.99, eps=1e-8",
                 trajectories(steps=STATEFUL, scales=SCALES))
spec.mistakes(
    "rmsprop",
    eps_inside_sqrt=("You add eps inside the square root; torch.optim.RMSprop adds it outside: "
                     "w -= lr * dw / (sqrt(v) + eps). The difference shows when gradients are tiny."),
    alpha_swapped=("Your running average weights the new squared gradient by alpha and the old average by "
                   "1 - alpha; it is v = alpha*v + (1 - alpha)*dw**2 (alpha close to 1 keeps a long memory)."),
    no_sqrt=("You divide by the running mean of squared gradients itself; divide by its square root "
             "(plus eps), so the step has the units of w."),
    bias_corrected=("You divide v by (1 - alpha**t) as Adam does; RMSprop has no bias correction: "
                    "w -= lr * dw / (sqrt(v) + eps) with v starting at zero."),
)

# adagrad -----------------------------------------------------------------------------------
trajectory_check("adagrad", "matches_torch", "w after each step equals torch.optim.Adagrad",
                 trajectories(steps=STATEFUL, scales=(1.0, 1e-5, 1e-3),
                              lr=st.sampled_from([0.1, 0.5, 0.01]), eps=st.sampled_from([1e-10, 1e-8])))
trajectory_check("adagrad", "default_hyperparameters",
                 "called without hyperparameters: lr=0.01, eps=1e-10",
                 trajectories(steps=STATEFUL, scales=(1.0, 1e-5, 1e-3)))
spec.mistakes(
    "adagrad",
    eps_inside_sqrt=("You add eps inside the square root; torch.optim.Adagrad adds it outside: "
                     "w -= lr * dw / (sqrt(G) + eps). The difference shows when gradients are tiny."),
    accumulator_reset=("Your sum of squared gradients restarts at every step, so every step has size ~lr. "
                       "Keep G in the state and add dw**2 to it: G grows, and the steps shrink over time."),
    no_sqrt=("You divide by the sum of squared gradients itself; divide by its square root "
             "(plus eps)."),
    stale_accumulator=("You divide by the accumulator from before this step, so the first step divides by "
                       "sqrt(0) + eps and jumps by ~lr * dw / eps. Add dw**2 to G first, then step: "
                       "w -= lr * dw / (sqrt(G) + eps)."),
)

# adam --------------------------------------------------------------------------------------
trajectory_check("adam", "matches_torch", "w after each step equals torch.optim.Adam",
                 trajectories(steps=STATEFUL, scales=SCALES, lr=st.sampled_from([0.01, 0.1, 0.001]),
                              beta1=st.sampled_from([0.9, 0.8]), beta2=st.sampled_from([0.999, 0.99]),
                              eps=st.sampled_from([1e-8, 1e-6])))
trajectory_check("adam", "default_hyperparameters",
                 "called without hyperparameters: lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8",
                 trajectories(steps=STATEFUL, scales=SCALES))
spec.mistakes(
    "adam",
    no_bias_correction=("Your update has no bias correction. m and v start at zero, so divide them by "
                        "(1 - beta1**t) and (1 - beta2**t), with t = 1 on the first step."),
    bias_correction_off_by_one=("Your bias correction uses the wrong step number: t must be 1 on the first call "
                                "(increment t before computing 1 - beta**t)."),
    eps_inside_sqrt=("You add eps inside the square root; torch.optim.Adam adds it outside: "
                     "m_hat / (sqrt(v_hat) + eps). The difference shows when gradients are tiny."),
    eps_before_bias_correction=("You fold the bias corrections into the learning rate, lr*sqrt(1 - beta2**t)/(1 - "
                                "beta1**t) * m / (sqrt(v) + eps) (the paper's 'efficient' form, used by Keras), which "
                                "adds eps before v is corrected. torch.optim.Adam uses m_hat / (sqrt(v_hat) + eps)."),
    betas_swapped=("Your moment averages use each other's beta: m = beta1*m + (1 - beta1)*dw and "
                   "v = beta2*v + (1 - beta2)*dw**2."),
    first_moment_squared="Your second moment averages m**2; it averages the squared gradient dw**2.",
    corrected_moments_stored=("You keep the bias-corrected m_hat and v_hat in the state, so the next step corrects "
                              "them again. Store the raw averages m and v; compute m / (1 - beta1**t) and "
                              "v / (1 - beta2**t) afresh each step, only for the update."),
)

# adamw -------------------------------------------------------------------------------------
trajectory_check("adamw", "matches_torch", "w after each step equals torch.optim.AdamW",
                 trajectories(steps=STATEFUL, scales=(0.01, 1.0), lr=st.sampled_from([0.1, 0.01, 0.001]),
                              weight_decay=st.sampled_from([0.5, 0.1, 0.01]),
                              beta1=st.sampled_from([0.9, 0.8]), eps=st.sampled_from([1e-8, 1e-6])))
trajectory_check("adamw", "default_hyperparameters",
                 "called without hyperparameters: lr=1e-3, betas (0.9, 0.999), eps=1e-8, "
                 "weight_decay=0.01", trajectories(steps=STATEFUL, scales=(0.01, 1.0)))
spec.mistakes(
    "adamw",
    l2_in_gradient=("You add weight_decay*w to the gradient (L2 regularisation inside Adam). AdamW decouples "
                    "the decay: w = w*(1 - lr*weight_decay) first, then the Adam step on dw alone."),
    decay_not_scaled_by_lr=("Your decay shrinks w by weight_decay*w; AdamW scales it by the learning rate: "
                            "w = w*(1 - lr*weight_decay)."),
    decay_after_update=("You apply the decay to the weights after the Adam step; torch.optim.AdamW decays the "
                        "weights from before the step: w = w*(1 - lr*weight_decay), then w -= lr*m_hat/(sqrt(v_hat)+eps)."),
    no_weight_decay=("Your update is plain Adam: weight_decay is ignored. Shrink w by (1 - lr*weight_decay) "
                     "before the Adam step."),
)


# linear_regression_sgd ---------------------------------------------------------------------
FIT_TOL = Tolerance(1e-2, 1e-8, "the contract's 1% relative distance; on the drawn data every "
                    "correct variant (either gradient scale, either last-batch rule, with or "
                    "without shuffling) lands within 0.2% of the least-squares solution; used "
                    "to match a finite answer against a mistake's")


@st.composite
def regression_data(draw, with_seed: bool = False, every_batch: bool = False):
    """Well-conditioned ``X (N, D)`` and ``y = X @ theta_true + noise``.

    ``X.T @ X / N`` has eigenvalues in [3, 10], the largest in [9, 10]: the mean-gradient step
    at lr=0.01 contracts every direction by at least 3 % per step (>= 200 steps at N >= 64), while
    a summed gradient (lr*32*9 > 2) or an uphill step grows without bound.  With
    ``every_batch``, N is 256 to 400 and the spectrum is flat in [1, 1.5], so only code that takes
    every mini-batch step of every epoch gets within 1 % in 100 epochs.
    """
    n = draw(st.integers(256, 400) if every_batch else st.integers(64, 200))
    d = draw(st.integers(2, 5))
    gen = rng(draw(seeds))
    z = gen.standard_normal((n, d))
    q, _ = np.linalg.qr(z - z.mean(axis=0))
    u, _ = np.linalg.qr(gen.standard_normal((d, d)))
    if every_batch:
        # Flat spectrum in [1, 1.5]: an epoch of ceil(N/32) >= 8 mean-gradient steps (either scale)
        # contracts every direction by <= 0.99**800 = 3e-4 in 100 epochs, but one step per epoch
        # (a single mini-batch drawn per epoch) leaves >= (1 - 0.02*1.5)**100 = 4.8% even with the
        # factor 2 -- far outside the 1%.
        eigenvalues = gen.uniform(1.0, 1.5, d)
    else:
        eigenvalues = gen.uniform(3.0, 10.0, d)
        eigenvalues[0] = gen.uniform(9.0, 10.0)
    X = math.sqrt(n) * (q * np.sqrt(eigenvalues)) @ u.T
    theta = away_from_zero(gen, d, 0.5, 2.0)
    args = {"X": X, "y": X @ theta + 0.02 * gen.standard_normal(n)}
    if with_seed:
        args["seed"] = draw(st.integers(0, 2**31 - 1))
    return args


def fit_outcome(theta, args):
    """What became of ``theta``: ``{"outcome": label, "theta": theta or None}``.

    ``theta`` is kept only when it is a finite ``(D,)`` array of sane size ("finite"); otherwise
    the label says what went wrong, so a diverged answer matches the catalogued mistake whatever
    the shuffle: ``theta`` growing by less than 10**0.12 per step on average "drifted away" (an
    uphill step grows by 1 + 2*lr*lambda <= 1.2), faster or non-finite growth "blew up" (a
    summed gradient grows by lr*B*lambda - 1 >= 1.9 per step).
    """
    d = args["X"].shape[1]
    if not isinstance(theta, np.ndarray) or theta.dtype.kind not in "iuf":
        return {"outcome": f"returned {describe(theta)}", "theta": None}
    if theta.shape != (d,):
        return {"outcome": f"shape {tuple(theta.shape)}", "theta": None}
    theta = theta.astype(np.float64)
    if not np.isfinite(theta).all():
        return {"outcome": "blew up", "theta": None}
    star = ref.linear_regression_sgd(args["X"], args["y"])
    with np.errstate(over="ignore"):
        ratio = float(np.linalg.norm(theta) / np.linalg.norm(star))
    if ratio > 1e3:
        steps = args.get("epochs", 100) * math.ceil(len(args["X"]) / args.get("batch_size", 32))
        fast = not math.isfinite(ratio) or math.log10(ratio) / steps > 0.12
        return {"outcome": "blew up" if fast else "drifted away", "theta": None}
    return {"outcome": "finite", "theta": theta}


@single_call
def fit(fn, args):
    return fit_outcome(fn(**args), args)


def fit_verify(got, want, args):
    d = args["X"].shape[1]
    outcome = got["outcome"]
    if outcome == "blew up":
        return ("theta diverged: it overflowed or grew by a large factor at every step. With "
                "lr=0.01 SGD is stable only when the gradient is the mean over the batch, "
                "2/B * X_b.T @ (X_b @ theta - y_b), not the sum.")
    if outcome == "drifted away":
        return ("theta moved steadily away from the least-squares solution instead of towards "
                "it: the step must go downhill, theta -= lr * gradient with gradient "
                "2/B * X_b.T @ (X_b @ theta - y_b).")
    if outcome.startswith("shape "):
        return (f"theta has {outcome}; expected a 1-D array of shape ({d},): one coefficient per "
                f"column of X, no intercept, not a column vector")
    if outcome != "finite":
        return f"{outcome}, expected an ndarray of shape ({d},)"
    theta, star = got["theta"], want["theta"]
    distance = float(np.linalg.norm(theta - star) / np.linalg.norm(star))
    if not distance <= 0.01:
        return (f"theta is {distance:.2%} away from the least-squares solution "
                f"np.linalg.lstsq(X, y) (relative distance |theta - theta*| / |theta*|, allowed "
                f"1%) after the default 100 epochs with lr=0.01 and batch_size=32; on this "
                f"well-conditioned data correct mini-batch SGD ends within 0.2%")
    return None


def fit_seeds(fn, args):
    """Three calls: a seed, the same seed again, another seed (the grader re-seeds NumPy's
    global generator before each call, so only code that uses ``seed`` can tell them apart)."""
    first = fit(fn, args)
    again = fit(fn, args)
    other = fit(fn, {**args, "seed": args["seed"] + 1})
    same = lambda a, b: a["outcome"] == b["outcome"] == "finite" and np.array_equal(a["theta"], b["theta"])
    return {"first call": first, "same seed, same theta": same(first, again),
            "another seed, another theta": not same(first, other)}


def seeds_verify(got, want, args):
    problem = fit_verify(got["first call"], want["first call"], args)
    if problem:
        return problem
    if not got["same seed, same theta"]:
        return (f"two calls with the same seed={args['seed']} returned different theta; shuffle "
                "with gen = np.random.default_rng(seed) (one generator per call) so a run can be "
                "reproduced")
    if not got["another seed, another theta"]:
        return (f"seed={args['seed']} and seed={args['seed'] + 1} returned the same theta, so the "
                "shuffle ignores seed (np.random.permutation or np.random.shuffle use a global "
                "generator); shuffle with gen = np.random.default_rng(seed) and gen.permutation")
    return None


spec.check("linear_regression_sgd", "converges", points=1,
           description="at the default settings theta is within 1% (relative distance) of the "
                       "least-squares solution np.linalg.lstsq(X, y)",
           inputs=regression_data(), oracle=ref.linear_regression_sgd, tol=FIT_TOL, run=fit,
           verify=fit_verify)


def every_batch_verify(got, want, args):
    problem = fit_verify(got, want, args)
    if problem and got["outcome"] == "finite":
        n = len(args["X"])
        problem += (f". Here N = {n}, so one epoch is ceil(N/32) = {math.ceil(n / 32)} mini-batch steps that "
                    "together visit every row once; slow convergence on this data (every direction "
                    "has curvature 1 to 1.5) means fewer steps than that were taken, e.g. a single "
                    "mini-batch per epoch or a loop that stops after the first batch")
    return problem


spec.check("linear_regression_sgd", "every_batch_each_epoch", points=1,
           description="with N = 256 to 400 rows and a flat spectrum (X.T @ X / N has eigenvalues in "
                       "[1, 1.5]), theta is within 1% of the least-squares solution: each epoch must "
                       "step through all ceil(N/32) mini-batches",
           inputs=regression_data(every_batch=True), oracle=ref.linear_regression_sgd, tol=FIT_TOL,
           run=fit, verify=every_batch_verify)
spec.check("linear_regression_sgd", "seeded", points=1,
           description="two calls with the same seed return the same (converged) theta, and "
                       "another seed another theta",
           inputs=regression_data(with_seed=True), oracle=ref.linear_regression_sgd, tol=FIT_TOL,
           run=fit_seeds, verify=seeds_verify)
spec.mistakes(
    "linear_regression_sgd",
    gradient_ascent=("Your theta walks away from the solution: the update adds the gradient. Subtract it: "
                     "theta -= lr * grad, with grad = 2/B * X_b.T @ (X_b @ theta - y_b) (mind the sign of "
                     "the residual)."),
    sum_not_mean=("Your gradient is summed over the batch instead of averaged, so each step is about "
                  "batch_size times too large and SGD diverges. Divide by the number of rows in the batch."),
    intercept_added=("You return D + 1 numbers: the model here has no intercept (y ~ X @ theta), so do not "
                     "add a column of ones; return one coefficient per column of X."),
    column_vector=("You return theta as a (D, 1) column (from a (D, 1) zeros or y reshaped to (N, 1)); "
                   "return a 1-D array of shape (D,)."),
    ignores_seed=("Your shuffle ignores seed: np.random.permutation / np.random.shuffle draw from NumPy's "
                  "global generator. Make one generator per call, gen = np.random.default_rng(seed), and "
                  "shuffle with gen.permutation(N)."),
)
