"""Checks for ``optimizers``: trajectories of several steps compared with ``torch.optim``.

Each check draws a starting ``w`` and a few gradients, runs the optimizer for those steps
(passing the returned state back unchanged) and compares ``w`` after every step.  Values stay
in ``[-1, 1]``, so a few steps of float64 arithmetic written in any order agree with PyTorch to
~1e-15 relative; ``rtol=1e-7`` leaves eight orders of magnitude of headroom while the
smallest catalogued mistake (a missing bias correction, a misplaced eps) moves ``w`` by ~1e-4.
"""

from __future__ import annotations

from hypothesis import strategies as st

from grader.compare import Tolerance
from grader.spec import ModuleSpec
from grader.strategies import dims, rng, seeds, uniform
from reference import optimizers as ref

spec = ModuleSpec("optimizers", "Optimizers")

STEP_TOL = Tolerance(1e-7, 1e-10, "a few float64 steps agree with torch.optim to ~1e-15; "
                     "the smallest catalogued mistake moves w by ~1e-4")


@st.composite
def trajectories(draw, steps=st.integers(1, 4), **hyper):
    """A starting ``w`` (1-D or 2-D, distinct dims), a gradient per step and hyperparameters."""
    shape = tuple(draw(dims(draw(st.integers(1, 2)))))
    gen = rng(draw(seeds))
    drawn_hyper = {name: draw(value) for name, value in hyper.items()}
    return {"w": uniform(gen, shape), "grads": [uniform(gen, shape) for _ in range(draw(steps))],
            "hyper": drawn_hyper}


def trajectory(fn, args):
    """Run ``fn`` for every gradient, threading the state; label ``w`` after each step."""
    w, state, out = args["w"], None, {}
    for t, dw in enumerate(args["grads"], start=1):
        w, state = fn(w, dw, state, **args["hyper"])
        out[f"w after step {t}"] = w
    return out


def trajectory_check(function, name, description, inputs, points=1.0):
    spec.check(function, name, points=points, description=description, inputs=inputs,
               oracle=getattr(ref, function), tol=STEP_TOL, run=trajectory, mutable=("w", "state"))


# sgd ---------------------------------------------------------------------------------------
trajectory_check("sgd", "matches_torch", "w after each step equals torch.optim.SGD",
                 trajectories(lr=st.sampled_from([0.01, 0.1, 0.5])))
trajectory_check("sgd", "default_lr", "the default lr is 0.01", trajectories())
spec.mistake("sgd", "sgd.gradient_ascent",
             "Your step moves w along +dw: gradient descent subtracts lr * dw.", ref.sgd__gradient_ascent)
spec.mistake("sgd", "sgd.forgot_learning_rate",
             "Your step subtracts dw without scaling it by lr.", ref.sgd__forgot_learning_rate)
spec.mistake("sgd", "sgd.returns_update_not_weights",
             "You returned the update -lr * dw instead of the new weights w - lr * dw.",
             ref.sgd__returns_update_not_weights)
