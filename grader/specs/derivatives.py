"""Checks for ``derivatives``: central differences, the gradient check and gradient descent.

The graded value of a finite difference *is* the central difference with the given ``h``, so most
checks pass a large step (1e-2 to 5e-2) explicitly.  At such a step the central difference of the
smooth test functions (:mod:`grader.testfns`, ``smooth``: sines and exponentials whose second and
third derivatives are of order one) differs from a forward difference by ~h·f''/2 ~ 1e-3 and from
the central difference at another step by ~h²·f'''/6 ~ 1e-5, while two correct implementations
evaluate ``f`` at the very same points and differ only in how the last division rounds (or, for
code that builds ``x - h`` as ``(x + h) - 2h``, by the rounding of ``f`` over ``2h``: ~1e-13 at
these steps, ~1e-9 at the default h = 1e-5, which its own checks allow for).  Separate checks
cover the default step, arrays of several axes, and the gradient check's exact-zero entries
(0/0 must count as 0, hence the 1e-12 floor).
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from grader.compare import Tolerance
from grader.spec import ModuleSpec
from grader.strategies import away_from_zero, dims, rng, seeds, uniform
from grader.testfns import Fn
from reference import derivatives as ref

spec = ModuleSpec("derivatives", "Partial derivatives and gradients", reference=ref)

DIFF_TOL = Tolerance(1e-8, 1e-10, "at h >= 1e-2 correct central differences agree to ~1e-13 "
                     "(the rounding of f, ~1e-15, over 2h); the nearest mistake (another step) "
                     "moves the result by ~h^2 f3/6 ~ 1e-5, a forward difference by ~h f2/2 ~ 1e-3")
DEFAULT_STEP_TOL = Tolerance(1e-8, 1e-8, "at h = 1e-5 the rounding of f (values up to ~50) over 2h "
                             "leaves up to ~2e-9 between correct codes that build x - h differently; "
                             "a forward difference is off by ~h f2/2 ~ 5e-6")
CHECK_TOL = Tolerance(1e-6, 1e-12, "correct implementations agree to ~1e-9 relative on this value "
                      "(even on the ~1e-5 truncation error at a large h); each mistake changes it "
                      "by a factor, or by far more than 1e-6 relative")
DESCENT_TOL = Tolerance(1e-9, 1e-12, "plain descent on a contracting map keeps rounding differences "
                        "(fused or not) near 1e-14; one step more or less moves x by >= 1e-8")

STEPS = (1e-2, 2e-2, 5e-2)  # explicit h: truncation errors ~1e-5..1e-3 dwarf rounding (~1e-13)


def smooth_params(gen, n, independent=()):
    """Parameters of ``smooth``/``smooth_coords``/``smooth_grad`` for n coordinates.

    Coordinates listed in ``independent`` get a zero column of W and c = 0: f ignores them
    exactly, so both gradients are exactly 0 there.
    """
    W = uniform(gen, (3, n))
    c = uniform(gen, (n,), 0.2, 0.5)
    W[:, list(independent)] = 0.0
    c[list(independent)] = 0.0
    return {"W": W, "a": away_from_zero(gen, (3,), 0.5, 1.5), "b": uniform(gen, (3,), -np.pi, np.pi),
            "c": c}


def wrong_scale(gen, n, allowed):
    """Entrywise factors: 1 everywhere but one to three of ``allowed`` entries (a wrong term)."""
    scale = np.ones(n)
    wrong = gen.choice(allowed, size=min(len(allowed), int(gen.integers(1, 4))), replace=False)
    scale[wrong] = 1.0 + away_from_zero(gen, (len(wrong),), 0.2, 1.5)
    return scale


@st.composite
def partial_inputs(draw, steps=STEPS):
    """A smooth f of n separate coordinates, a point in [-1, 1]^n, an index and maybe h."""
    n = draw(st.integers(2, 6))
    i = draw(st.integers(0, n - 1))
    gen = rng(draw(seeds))
    args = {"f": Fn("smooth_coords", **smooth_params(gen, n)), "point": uniform(gen, (n,)), "i": i}
    if steps:
        args["h"] = draw(st.sampled_from(steps))
    return args


def _shape(draw, ranks):
    rank = draw(st.sampled_from(ranks))
    return tuple(draw(dims(rank, 2, 7 if rank == 1 else 5)))


@st.composite
def gradient_inputs(draw, ranks, steps=STEPS):
    """A smooth scalar f of an array x (distinct dimensions), x in [-1, 1], and maybe h."""
    shape = _shape(draw, ranks)
    gen = rng(draw(seeds))
    args = {"f": Fn("smooth", **smooth_params(gen, int(np.prod(shape)))), "x": uniform(gen, shape)}
    if steps:
        args["h"] = draw(st.sampled_from(steps))
    return args


@st.composite
def check_inputs(draw, wrong, steps=(), zeros=False):
    """f, grad_f (exact, or wrong in a few entries) and x; ``zeros``: f ignores some entries."""
    shape = _shape(draw, (1, 2))
    n = int(np.prod(shape))
    gen = rng(draw(seeds))
    independent = gen.choice(n, size=int(gen.integers(1, n)), replace=False) if zeros else []
    params = smooth_params(gen, n, independent)
    if wrong:
        grad = Fn("smooth_grad_scaled", scale=wrong_scale(gen, n, np.setdiff1d(np.arange(n), independent)),
                  **params)
    else:
        grad = Fn("smooth_grad", **params)
    args = {"f": Fn("smooth", **params), "grad_f": grad, "x": uniform(gen, shape)}
    if steps:
        args["h"] = draw(st.sampled_from(steps))
    return args


def spd(gen, n, low, high):
    """A symmetric positive definite (n, n) matrix with eigenvalues in [low, high], low included."""
    q, _ = np.linalg.qr(gen.normal(size=(n, n)))
    lam = gen.uniform(low, high, n)
    lam[0] = low
    A = (q * lam) @ q.T
    return (A + A.T) / 2


@st.composite
def descent_inputs(draw, convex=False, hyper=True):
    """A well-conditioned convex grad_f (quadratic, or quadratic + log cosh), x0 and lr/steps."""
    (n,) = draw(dims(1))
    gen = rng(draw(seeds))
    if convex:
        grad = Fn("convex_grad", A=spd(gen, n, 0.3, 1.0), b=uniform(gen, (n,)),
                  c=uniform(gen, (n,), 0.2, 0.5), m=uniform(gen, (n,)))
    else:
        grad = Fn("quadratic_grad", A=spd(gen, n, 0.3, 1.5), b=uniform(gen, (n,)))
    args = {"grad_f": grad, "x0": uniform(gen, (n,), -2.0, 2.0)}
    if hyper:
        args["lr"] = draw(st.sampled_from((0.05, 0.1, 0.3)))
        args["steps"] = draw(st.integers(1, 30))
    return args


# partial_derivative ------------------------------------------------------------------------
spec.check("partial_derivative", "central_difference", points=1,
           description="equals (f(p + h e_i) - f(p - h e_i)) / (2h) for the h passed in (1e-2 to 5e-2)",
           inputs=partial_inputs(), oracle=ref.partial_derivative, tol=DIFF_TOL)
spec.check("partial_derivative", "default_step", points=1,
           description="without h, the central difference with the default h = 1e-5",
           inputs=partial_inputs(steps=()), oracle=ref.partial_derivative, tol=DEFAULT_STEP_TOL)
spec.mistakes(
    "partial_derivative",
    forward_difference=("You used the forward difference (f(p + h e_i) - f(p)) / h. Use the central difference "
                        "(f(p + h e_i) - f(p - h e_i)) / (2h): its error shrinks like h² instead of h."),
    divides_by_h=("Your result is twice the expected one: the two points p - h e_i and p + h e_i are 2h "
                  "apart, so divide the difference by 2*h, not by h."),
    perturbs_all_coordinates=("You shifted every coordinate by h at once, which gives the slope along the diagonal "
                              "(the sum of all partial derivatives). Shift only coordinate i."),
    ignores_h=("Your result does not depend on the h passed in: you used a fixed step of 1e-5. Use the "
               "argument h (1e-5 is only its default)."),
    multiplies_by_h=("Your result is about h**2 times the derivative: `(up - down) / 2 * h` divides by 2 and "
                     "then multiplies by h, since / and * bind equally and run left to right. Write "
                     "(up - down) / (2 * h)."),
    perturbs_point_in_place=("You changed `point` itself (point[i] += h). Perturb copies instead: "
                             "plus = point.copy(); plus[i] += h, and the same for minus."),
)

# numerical_gradient ------------------------------------------------------------------------
spec.check("numerical_gradient", "vector", points=1,
           description="for a 1-D x, entry j is the central difference along x[j] with the h passed in",
           inputs=gradient_inputs((1,)), oracle=ref.numerical_gradient, tol=DIFF_TOL)
spec.check("numerical_gradient", "any_shape", points=1,
           description="for an x with 2 or 3 axes, the gradient has x's shape and every entry is "
                       "perturbed on its own",
           inputs=gradient_inputs((2, 3)), oracle=ref.numerical_gradient, tol=DIFF_TOL)
spec.check("numerical_gradient", "default_step", points=1,
           description="without h, the central differences with the default h = 1e-5",
           inputs=gradient_inputs((1, 2), steps=()), oracle=ref.numerical_gradient,
           tol=DEFAULT_STEP_TOL)
spec.mistakes(
    "numerical_gradient",
    forward_difference=("You used the forward difference (f(x + h e) - f(x)) / h. Use the central difference "
                        "(f(x + h e) - f(x - h e)) / (2h) for every entry."),
    divides_by_h=("Your gradient is twice the expected one: divide each difference by 2*h, the distance "
                  "between x - h and x + h."),
    perturbs_all_at_once=("Every entry of your gradient holds the same number: you shifted all of x by h at once. "
                          "Perturb one entry at a time, leaving the others as they are."),
    first_axis_only=("You looped over range(len(x)), so when x has several axes x[i] is a whole row and each "
                     "row is shifted at once. Visit every single entry, e.g. for idx in np.ndindex(x.shape)."),
    returns_flat=("You returned a flat vector of x.size values. The gradient must have x's shape: build it "
                  "with np.zeros_like(x) or reshape it to x.shape."),
    multiplies_by_h=("Your gradient is about h**2 times too small: `(f_plus - f_minus) / 2 * h` divides by 2 "
                     "and then multiplies by h (/ and * run left to right). Write "
                     "(f_plus - f_minus) / (2 * h)."),
    copy_is_an_alias=("Your gradient is all zeros: `x_plus = x` does not copy, so x_plus and x_minus are the "
                      "same array and f is evaluated twice at the same point. Use x.copy()."),
    does_not_restore_x=("You changed x in place while perturbing it and did not put every entry back exactly, "
                        "so the caller's x is changed (and later entries may be measured at a shifted point). "
                        "Save old = x[idx], evaluate f at old + h and old - h, then restore x[idx] = old "
                        "(adding and subtracting h need not give back the same float) -- or perturb a copy."),
)

# gradient_check ----------------------------------------------------------------------------
spec.check("gradient_check", "exact_gradient", points=1,
           description="with a correct grad_f and a large h (1e-2 to 5e-2), returns the largest "
                       "|a - n| / (|a| + |n|): the small truncation error of the central difference",
           inputs=check_inputs(wrong=False, steps=STEPS), oracle=ref.gradient_check, tol=CHECK_TOL)
spec.check("gradient_check", "wrong_gradient", points=1,
           description="with a grad_f that is wrong in a few entries and the default h, returns the "
                       "largest relative error over all entries",
           inputs=check_inputs(wrong=True), oracle=ref.gradient_check, tol=CHECK_TOL)
spec.check("gradient_check", "zero_entries", points=1,
           description="entries where both gradients are exactly 0 count as error 0 (the "
                       "denominator is floored at 1e-12, so 0/0 never makes a NaN)",
           inputs=check_inputs(wrong=True, zeros=True), oracle=ref.gradient_check, tol=CHECK_TOL)
spec.mistakes(
    "gradient_check",
    no_abs=("You took the largest signed error (a - n) / (|a| + |n|), so entries where the analytic "
            "value is below the numerical one count as negative. Take |a - n| before the maximum."),
    max_denominator=("You divided by max(|a|, |n|). This check's relative error divides by the sum "
                     "|a| + |n| (floored at 1e-12)."),
    absolute_error=("You returned the largest absolute error |a - n|. Divide by max(|a| + |n|, 1e-12): a "
                    "relative error means the same thing whatever the scale of the gradient."),
    mean_not_max=("You averaged the relative errors. Report the largest one, so that a single wrong "
                  "entry cannot hide among many right ones."),
    norm_ratio=("You compared whole vectors, ||a - n|| / (||a|| + ||n||). The check asks for the "
                "largest entrywise relative error |a - n| / (|a| + |n|)."),
    forward_difference=("Your numerical gradient uses the forward difference (f(x + h e) - f(x)) / h. Use the "
                        "central difference (f(x + h e) - f(x - h e)) / (2h)."),
    ignores_h=("Your numerical gradient ignores the h passed to gradient_check (you used 1e-5). Pass "
               "h on to it."),
)

# gradient_descent --------------------------------------------------------------------------
spec.check("gradient_descent", "matches_torch_sgd", points=1,
           description="x after `steps` updates x <- x - lr * grad_f(x) on a convex quadratic equals "
                       "torch.optim.SGD",
           inputs=descent_inputs(), oracle=ref.gradient_descent, tol=DESCENT_TOL)
spec.check("gradient_descent", "non_quadratic", points=1,
           description="the same on a convex function that is not quadratic (its gradient changes "
                       "nonlinearly with x)",
           inputs=descent_inputs(convex=True), oracle=ref.gradient_descent, tol=DESCENT_TOL)
spec.check("gradient_descent", "defaults", points=1,
           description="without lr and steps: lr = 0.1 and 100 steps",
           inputs=descent_inputs(hyper=False), oracle=ref.gradient_descent, tol=DESCENT_TOL)
spec.mistakes(
    "gradient_descent",
    gradient_ascent=("Your x moves uphill: you added lr * grad. Gradient descent subtracts it: "
                     "x = x - lr * grad_f(x)."),
    forgot_learning_rate="You subtracted the raw gradient. Scale it by the learning rate: x = x - lr * grad_f(x).",
    one_step_short="You made steps - 1 updates. Make exactly `steps` of them: for _ in range(steps).",
    one_step_extra="You made steps + 1 updates. Make exactly `steps` of them: for _ in range(steps).",
    gradient_at_x0_only=("You computed the gradient once, at x0, and reused it. Evaluate grad_f at the current x "
                         "in every step."),
    returns_history="You returned every iterate. Return only the final x, an array shaped like x0.",
    updates_x0_in_place=("You updated x0 in place: `x = x0` makes x a second name for the same array, and "
                         "`x -= ...` then changes the caller's x0. Start from x = x0.copy(), or write "
                         "x = x - lr * grad_f(x)."),
)
