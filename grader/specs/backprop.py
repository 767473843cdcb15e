"""Checks for ``backprop``: a linear layer, a two-layer ReLU network and the perceptron.

Layers and the network are compared with PyTorch autograd on float64 values in a few units,
where any correct evaluation order agrees to ~1e-15 relative; ``rtol=1e-7`` leaves eight orders
of magnitude of headroom while every catalogued mistake moves some output by ~1e-2 or more.
Hidden pre-activations are kept at least 1e-3 away from ReLU's kink, so a rounding difference can
never flip the ReLU mask.  Perceptron data use multiples of 1/32 (or small integers) and
power-of-two learning rates, so every score is computed exactly in any order: ties
(``w.x + b == 0``) are deterministic, and outputs are compared almost exactly.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from grader.compare import Tolerance
from grader.spec import ModuleSpec, part
from grader.strategies import dims, rng, seeds, uniform
from reference import backprop as ref

spec = ModuleSpec("backprop", "Backpropagation by hand", reference=ref)

TOL = Tolerance(1e-7, 1e-10, "float64 matrix products and a log-sum-exp agree with autograd to "
                "~1e-15 relative in any order; the nearest catalogued mistake moves an output by ~1e-2")
EXACT_SCORES = Tolerance(1e-12, 1e-12, "dyadic features and power-of-two learning rates make every "
                         "perceptron step exact; a wrong update moves w or b by at least lr/32")
KINK = 1e-3  # smallest allowed |hidden pre-activation|


# linear_forward -----------------------------------------------------------------------------

@st.composite
def linear_inputs(draw, one_sample=False):
    D, M = draw(dims(2))
    N = 1 if one_sample else draw(st.integers(2, 7).filter(lambda n: n not in (D, M)))
    gen = rng(draw(seeds))
    return {"x": uniform(gen, (N, D)), "W": uniform(gen, (D, M)), "b": uniform(gen, (M,))}


spec.check("linear_forward", "matches_torch", points=1,
           description="x @ W + b equals F.linear for a batch (N, D) -> (N, M)",
           inputs=linear_inputs(), oracle=ref.linear_forward, tol=TOL)
spec.check("linear_forward", "one_sample", points=1,
           description="a batch of one sample (1, D) gives scores of shape (1, M)",
           inputs=linear_inputs(one_sample=True), oracle=ref.linear_forward, tol=TOL)
spec.mistakes(
    "linear_forward",
    forgot_bias="Your output is x @ W without the bias: add b (shape (M,)), which broadcasts over the rows.",
    subtracted_bias="You subtracted the bias; the affine layer is x @ W + b.",
    applied_relu=("You applied a ReLU inside the linear layer; linear_forward returns the raw affine "
                  "scores x @ W + b (the activation is a separate step)."),
)


# linear_backward ----------------------------------------------------------------------------

@st.composite
def linear_backward_inputs(draw):
    N, D, M = draw(dims(3))
    gen = rng(draw(seeds))
    return {"dout": uniform(gen, (N, M)), "x": uniform(gen, (N, D)), "W": uniform(gen, (D, M))}


for index, name in enumerate(("dx", "dW", "db")):
    shape = {"dx": "(N, D)", "dW": "(D, M)", "db": "(M,)"}[name]
    spec.check("linear_backward", f"{name}_matches_autograd", points=1,
               description=f"{name} {shape} equals the autograd gradient of sum(dout * (x @ W + b))",
               inputs=linear_backward_inputs(), oracle=ref.linear_backward, tol=TOL,
               run=part("linear_backward", index, name, 3))
spec.mistakes(
    "linear_backward",
    dW_transposed=("Your dW has shape (M, D): dout.T @ x is the transpose. dW must have W's shape (D, M): "
                   "use x.T @ dout."),
    dW_averaged=("You divided dW by the batch size. dout already carries any 1/N of the loss; "
                 "dW = x.T @ dout sums over the batch."),
    db_kept_axis=("Your db has shape (1, M) (sum with keepdims=True). A gradient has its parameter's "
                  "shape: b is (M,), so db = dout.sum(axis=0); a (1, M) gradient would silently turn b "
                  "into a (1, M) array in an update."),
    db_wrong_axis=("You summed dout over axis 1 (the outputs), which gives one number per sample. db sums "
                   "over the batch axis: dout.sum(axis=0), shape (M,)."),
    db_mean=("You averaged dout over the batch for db. b is added to every row, so its gradient "
             "is the sum: dout.sum(axis=0)."),
)


# mlp_forward --------------------------------------------------------------------------------

def mlp_params(gen, X, H, C):
    """W1, b1, W2, b2 with every hidden pre-activation at least KINK away from 0."""
    D = X.shape[1]
    W1 = uniform(gen, (D, H))
    while True:
        b1 = uniform(gen, (H,), -0.5, 0.5)
        if np.abs(X @ W1 + b1).min() >= KINK:
            break
    return {"W1": W1, "b1": b1, "W2": uniform(gen, (H, C)), "b2": uniform(gen, (C,), -0.5, 0.5)}


@st.composite
def mlp_inputs(draw, labels=False, reg=None, one_sample=False):
    D, H, C = draw(dims(3))
    N = 1 if one_sample else draw(st.integers(2, 8).filter(lambda n: n not in (D, H, C)))
    gen = rng(draw(seeds))
    X = uniform(gen, (N, D), -2.0, 2.0)
    args = {"X": X}
    if labels:
        args["y"] = gen.integers(0, C, size=N).astype(np.int64)
    args["params"] = mlp_params(gen, X, H, C)
    if reg is not None:
        args["reg"] = draw(reg)
    return args


spec.check("mlp_forward", "matches_torch", points=1,
           description="scores equal relu(X @ W1 + b1) @ W2 + b2 computed by PyTorch",
           inputs=mlp_inputs(), oracle=ref.mlp_forward, tol=TOL)
spec.check("mlp_forward", "one_sample", points=1,
           description="a batch of one sample (1, D) gives scores of shape (1, C)",
           inputs=mlp_inputs(one_sample=True), oracle=ref.mlp_forward, tol=TOL)
spec.mistakes(
    "mlp_forward",
    relu_on_output=("You applied ReLU to the output scores as well. Only the hidden layer is rectified; "
                    "the scores are linear (they may be negative)."),
    forgot_hidden_bias="The hidden layer is missing its bias: h = relu(X @ W1 + b1).",
    forgot_output_bias="The output layer is missing its bias: scores = h @ W2 + b2.",
    sigmoid_hidden="You used a sigmoid in the hidden layer; this network uses ReLU, max(0, z).",
    no_hidden_activation=("The hidden layer has no activation, so the network collapses to one linear map: "
                          "apply ReLU, max(0, z), to X @ W1 + b1."),
    hidden_bias_after_relu=("You added b1 after the ReLU, relu(X @ W1) + b1; the bias belongs inside: "
                            "h = relu(X @ W1 + b1), so it shifts where each unit switches on."),
)


# mlp_loss_and_grads -------------------------------------------------------------------------

spec.check("mlp_loss_and_grads", "loss_matches_torch", points=1,
           description="with the default reg=0, the loss equals F.cross_entropy (mean over the batch)",
           inputs=mlp_inputs(labels=True), oracle=ref.mlp_loss_and_grads, tol=TOL,
           run=part("mlp_loss_and_grads", 0, "loss", count=2))
spec.check("mlp_loss_and_grads", "grads_match_autograd", points=1,
           description="with the default reg=0, the grads dict equals autograd's gradients, each "
                       "with its parameter's shape",
           inputs=mlp_inputs(labels=True), oracle=ref.mlp_loss_and_grads, tol=TOL,
           run=part("mlp_loss_and_grads", 1, "grads", count=2))
spec.check("mlp_loss_and_grads", "regularized", points=1,
           description="with reg > 0, loss and grads include 0.5 * reg * (sum W1**2 + sum W2**2) "
                       "(biases are not regularized)",
           inputs=mlp_inputs(labels=True, reg=st.sampled_from([0.1, 0.5, 1.0])),
           oracle=ref.mlp_loss_and_grads, tol=TOL, outputs=("loss", "grads"))
spec.mistakes(
    "mlp_loss_and_grads",
    loss_summed="Your loss is the sum over the batch; the contract asks for the mean: divide by N.",
    grads_not_divided_by_n=("Your gradients are N times too large: the loss is a mean, so dscores = (probs - "
                            "one_hot(y)) / N."),
    forgot_relu_mask=("You passed the gradient through the ReLU unchanged. Backprop through ReLU zeroes it "
                      "where the pre-activation was not positive: dz1 = dh * (z1 > 0)."),
    bias_grads_kept_axis=("Your bias gradients have shape (1, H) / (1, C) (sum with keepdims=True). Each gradient "
                          "has its parameter's shape: b1 is (H,) and b2 is (C,), so sum over axis 0 without "
                          "keepdims."),
    reg_without_half=("Your penalty is reg * sum(W**2) (gradient 2 * reg * W); the contract's is "
                      "0.5 * reg * sum(W**2), whose gradient is reg * W."),
    regularized_biases="You regularized b1 and b2 too; the penalty covers only W1 and W2.",
    reg_missing_from_grads=("The penalty is in your loss but not in your gradients: add reg * W1 to dW1 and "
                            "reg * W2 to dW2."),
)


# perceptron_train ---------------------------------------------------------------------------

def perceptron_ties(X, y, lr, epochs):
    """How many times a score is exactly 0 once the weights are no longer all zero."""
    w, b, ties = np.zeros(X.shape[1]), 0.0, 0
    for _ in range(epochs):
        for xi, yi in zip(X, y):
            s = float(xi @ w) + b
            ties += s == 0 and (b != 0 or w.any())
            err = int(yi) - (1 if s > 0 else 0)
            w, b = w + lr * err * xi, b + lr * err
    return ties


@st.composite
def perceptron_train_inputs(draw, lr=st.sampled_from([1.0, 0.5, 0.25, 2.0]), epochs=st.integers(2, 6),
                            integer_ties=False, defaults=False):
    """Noisy linearly separated data; ``integer_ties``: small integers with ties mid-training,
    otherwise multiples of 1/32 where no tie happens after the very first (all-zero) prediction."""
    N, D = draw(dims(2, 3, 8))
    gen = rng(draw(seeds))
    hyper = {} if defaults else {"lr": draw(lr), "epochs": draw(epochs)}
    run_lr, run_epochs = hyper.get("lr", 1.0), hyper.get("epochs", 100)
    while True:
        if integer_ties:
            X = gen.integers(-2, 3, size=(N, D)).astype(np.float64)
        else:
            X = gen.integers(-64, 65, size=(N, D)) / 32.0
        y = (X @ gen.normal(size=D) + gen.normal(scale=0.3) > 0).astype(np.int64)
        flip = gen.random(N) < 0.2
        y = np.where(flip, 1 - y, y)
        if y.min() == y.max():
            continue
        ties = perceptron_ties(X, y, run_lr, run_epochs)
        if (ties > 0) == integer_ties:
            return {"X": X, "y": y, **hyper}


spec.check("perceptron_train", "matches_rule", points=1,
           description="(w, b) after the given epochs of the perceptron rule, samples in order, "
                       "predicting 1 when w.x + b > 0 (data with no ties after the first sample)",
           inputs=perceptron_train_inputs(), oracle=ref.perceptron_train, tol=EXACT_SCORES, outputs=("w", "b"))
spec.check("perceptron_train", "default_hyperparameters", points=1,
           description="with the defaults lr=1.0 and epochs=100",
           inputs=perceptron_train_inputs(defaults=True), oracle=ref.perceptron_train, tol=EXACT_SCORES,
           outputs=("w", "b"))
spec.check("perceptron_train", "ties_predict_zero", points=1,
           description="integer features where w.x + b == 0 happens during training: a score of "
                       "exactly 0 predicts 0",
           inputs=perceptron_train_inputs(integer_ties=True), oracle=ref.perceptron_train,
           tol=EXACT_SCORES, outputs=("w", "b"))
spec.mistakes(
    "perceptron_train",
    labels_pm1=("Your w and b are exactly twice the expected ones: you used -1/+1 labels and "
                "predictions, so y - pred is ±2. Labels and predictions here are 0/1."),
    bias_not_updated="Your bias never changes: update it along with w, b += lr * (y - pred).",
    bias_without_lr="Your bias step ignores the learning rate: b += lr * (y - pred), like w.",
    single_epoch="You made only one pass over the data: repeat the pass `epochs` times.",
    one_epoch_short=("You made epochs - 1 passes over the data (for example `for epoch in range(1, epochs)`); "
                     "make exactly `epochs` passes: `for _ in range(epochs)`."),
    ge_threshold=("You predict 1 when w.x + b >= 0; the rule predicts 1 only when w.x + b > 0 "
                  "(a score of exactly 0, as at the very first sample with zero weights, predicts 0)."),
    sign_prediction=("You turned np.sign(score) into a prediction; at a score of exactly 0 (the very first "
                     "sample, with zero weights) that gives 0.5 instead of 0. Predict 1 if score > 0 else 0."),
)


# perceptron_predict -------------------------------------------------------------------------

@st.composite
def perceptron_predict_inputs(draw, ties=False):
    N, D = draw(dims(2, 4, 9)) if ties else draw(dims(2))
    gen = rng(draw(seeds))
    if ties:
        X = gen.integers(-3, 4, size=(N, D)).astype(np.float64)
        w = gen.integers(-3, 4, size=D).astype(np.float64)
        w[w == 0] = 1.0
        b = float(-(X[gen.integers(N)] @ w))  # that sample's score is exactly 0
        return {"X": X, "w": w, "b": b}
    while True:
        X, w, b = uniform(gen, (N, D)), uniform(gen, (D,)), float(gen.uniform(-1.0, 1.0))
        if np.abs(X @ w + b).min() >= 1e-3:
            return {"X": X, "w": w, "b": b}


spec.check("perceptron_predict", "matches_rule", points=1,
           description="0/1 predictions, 1 exactly where X @ w + b > 0 (scores away from 0)",
           inputs=perceptron_predict_inputs(), oracle=ref.perceptron_predict, tol=EXACT_SCORES)
spec.check("perceptron_predict", "zero_score_predicts_zero", points=1,
           description="integer data where some scores are exactly 0: those predict 0",
           inputs=perceptron_predict_inputs(ties=True), oracle=ref.perceptron_predict, tol=EXACT_SCORES)
spec.mistakes(
    "perceptron_predict",
    ge_threshold="You predict 1 when the score is >= 0; a score of exactly 0 predicts 0 (the rule is > 0).",
    forgot_bias="You thresholded X @ w without adding b: predict 1 where X @ w + b > 0.",
    raw_score=("You returned the raw scores X @ w + b; return 0/1 predictions, e.g. "
               "(X @ w + b > 0).astype(np.int64)."),
    labels_pm1="You returned -1/+1 labels; the perceptron here predicts 0/1.",
)
