"""Checks for ``rnn``: a vanilla RNN step, a whole sequence, backpropagation through time, and
one LSTM step, against ``torch.nn.RNNCell``, ``torch.nn.RNN`` (autograd for the gradients) and
``torch.nn.LSTMCell`` in float64, with the contract's ``x @ Wx`` weights passed to PyTorch as
``weight_ih = Wx.T`` and its single bias as ``bias_ih = b``, ``bias_hh = 0``.

Sizes are distinct -- batch ``N``, input ``D`` and hidden ``H`` in 2..6 and, for sequences,
``T`` in 2..4, all different from each other -- so a transposed weight, a swapped ``Wx``/``Wh``
or a time axis taken for the batch axis changes a shape or the values (a swap of ``Wx`` and
``Wh`` cannot even be multiplied, and is reported as an error).  Every sequence has at least two
steps and upstream gradients at every step, so the gradient carried from the next step matters.
Inputs, states, weights and biases are uniform in [-1, 1] (the LSTM's previous cell state in
[-2, 2]), which keeps pre-activations within a few units: tanh and the sigmoids are neither
linear nor saturated there, so every catalogued mistake moves some output by more than 1e-2,
while any correct float64 order of operations agrees with PyTorch to ~1e-14.
"""

from __future__ import annotations

import itertools

from hypothesis import strategies as st

from grader.compare import Tolerance
from grader.spec import ModuleSpec, part
from grader.strategies import rng, seeds, uniform
from reference import rnn as ref

spec = ModuleSpec("rnn", "Recurrent networks", reference=ref)

TOL = Tolerance(1e-9, 1e-11, "a few float64 matrix products of at most 24 terms in [-1, 1], then tanh or a "
                "sigmoid: any correct order (einsum, concatenated weights, tanh via exp) agrees with PyTorch "
                "to ~1e-14; every catalogued mistake moves an output by >1e-2")
BPTT_TOL = Tolerance(1e-8, 1e-10, "backpropagation through at most 4 steps sums at most 24 products per "
                     "entry: any correct order agrees with autograd to ~1e-13; every catalogued mistake moves "
                     "a gradient by >1e-2")
GRADS = ("dx", "dh0", "dWx", "dWh", "db")


#: Every (N, D, H) of distinct sizes in 2..6, and every (N, T, D, H) of distinct sizes with T in
#: 2..4, shortest sequences first (one sampled_from is much cheaper to draw and to shrink than
#: several constrained integers).
_TRIPLES = list(itertools.permutations(range(2, 7), 3))
STEP_SIZES = st.sampled_from(_TRIPLES)
SEQUENCE_SIZES = st.sampled_from([(N, T, D, H) for T in (2, 3, 4) for N, D, H in _TRIPLES if T not in (N, D, H)])


@st.composite
def step_inputs(draw, lstm=False):
    """One step: ``x (N, D)``, ``h_prev (N, H)`` (and ``c_prev``), ``Wx``, ``Wh``, ``b``."""
    N, D, H = draw(STEP_SIZES)
    gen = rng(draw(seeds))
    G = 4 * H if lstm else H
    args = {"x": uniform(gen, (N, D)), "h_prev": uniform(gen, (N, H))}
    if lstm:
        args["c_prev"] = uniform(gen, (N, H), -2.0, 2.0)
    args.update(Wx=uniform(gen, (D, G)), Wh=uniform(gen, (H, G)), b=uniform(gen, (G,)))
    return args


@st.composite
def sequence_inputs(draw, backward=False):
    """``x (N, T, D)``, ``h0 (N, H)``, ``Wx``, ``Wh``, ``b`` (and ``dh (N, T, H)``); T in 2..4."""
    N, T, D, H = draw(SEQUENCE_SIZES)
    gen = rng(draw(seeds))
    args = {"x": uniform(gen, (N, T, D)), "h0": uniform(gen, (N, H)), "Wx": uniform(gen, (D, H)),
            "Wh": uniform(gen, (H, H)), "b": uniform(gen, (H,))}
    if backward:
        args = {"dh": uniform(gen, (N, T, H)), **args}
    return args


# rnn_step ------------------------------------------------------------------------------------
spec.check("rnn_step", "matches_torch", points=1,
           description="tanh(x @ Wx + h_prev @ Wh + b) equals torch.nn.RNNCell (weight_ih = Wx.T, "
                       "weight_hh = Wh.T, bias_ih = b, bias_hh = 0)",
           inputs=step_inputs(), oracle=ref.rnn_step, tol=TOL)
spec.mistakes(
    "rnn_step",
    tanh_missing="You returned the pre-activation; the new state is tanh(x @ Wx + h_prev @ Wh + b).",
    sigmoid_instead_of_tanh=("You squashed with a sigmoid; the vanilla RNN uses tanh, whose outputs lie in (-1, 1) "
                             "and are centred on 0."),
    forgot_bias="Your step is missing the bias: tanh(x @ Wx + h_prev @ Wh + b).",
    ignored_h_prev=("Your step ignores the previous state, so the network has no memory: add h_prev @ Wh inside "
                    "the tanh."),
    hidden_weights_transposed=("You multiplied h_prev by Wh.T. In this contract weights are applied as h_prev @ Wh "
                               "(PyTorch's weight_hh is the transpose of Wh)."),
)

# rnn_forward ---------------------------------------------------------------------------------
spec.check("rnn_forward", "matches_torch", points=1,
           description="all hidden states (N, T, H) equal torch.nn.RNN(batch_first=True) started from h0",
           inputs=sequence_inputs(), oracle=ref.rnn_forward, tol=TOL)
spec.mistakes(
    "rnn_forward",
    last_state_only=("You returned only the last hidden state (N, H); return every state, stacked along the time "
                     "axis: shape (N, T, H)."),
    h0_every_step=("Every step starts from h0: feed each new state back in, h_t = tanh(x_t @ Wx + h_{t-1} @ Wh + b), "
                   "so the network remembers earlier inputs."),
    states_shifted=("Your states are shifted by one step: you returned h0 .. h_{T-1}. out[:, t] is the state after "
                    "reading x[:, t], i.e. h1 .. hT; h0 itself is not part of the output."),
    time_reversed="You ran the sequence backwards in time; step t = 0, 1, ..., T-1 in order, starting from h0.",
    time_major_reshaped=("Your states are in the wrong places: a list of T states of shape (N, H) stacks to "
                         "(T, N, H), and reshape(N, T, H) reorders the numbers without moving the time axis. "
                         "Stack along axis 1 (np.stack(states, axis=1)) or transpose(1, 0, 2)."),
)

# rnn_backward --------------------------------------------------------------------------------
for index, name in enumerate(GRADS):
    shape = {"dx": "(N, T, D)", "dh0": "(N, H)", "dWx": "(D, H)", "dWh": "(H, H)", "db": "(H,)"}[name]
    spec.check("rnn_backward", f"{name}_matches_autograd", points=1,
               description=f"{name} {shape} equals the autograd gradient of sum(dh * rnn_forward(...)) "
                           "through torch.nn.RNN, with upstream gradients at every time step",
               inputs=sequence_inputs(backward=True), oracle=ref.rnn_backward, tol=BPTT_TOL,
               run=part("rnn_backward", index, name, count=5))
spec.mistakes(
    "rnn_backward",
    no_tanh_derivative=("Your gradients skip the tanh: multiply the incoming gradient by tanh's derivative, "
                        "1 - h_t**2 (h_t the state after the tanh), before using it for the weights."),
    tanh_derivative_of_preactivation=("You used 1 - a**2 with the pre-activation a; tanh's derivative is 1 - "
                                      "tanh(a)**2 = 1 - h_t**2, with the state after the tanh."),
    no_carried_gradient=("Each step uses only its own dh[:, t]. h_t also feeds step t+1, so add the gradient "
                         "coming back from there: dh_t = dh[:, t] + dnext, going backwards in time."),
    dWh_uses_current_state=("Your dWh pairs each step's gradient with h_t. Step t computed h_{t-1} @ Wh, so "
                            "dWh += h_{t-1}.T @ dz_t (h0 for the first step)."),
    db_kept_dims=("Your db has shape (1, H) (a sum with keepdims=True). b has shape (H,), and so must its "
                  "gradient: sum dz over the batch without keepdims."),
    dh0_missing=("Your dh0 is zero. h0 feeds the first step: dh0 is the gradient carried past step 0, "
                 "dz_0 @ Wh.T."),
    dWx_transposed=("Your dWx has shape (H, D): dz.T @ x is the transpose. A gradient has its parameter's shape: "
                    "dWx += x_t.T @ dz_t, shape (D, H)."),
)

# lstm_step -----------------------------------------------------------------------------------
for index, name in enumerate(("h", "c")):
    spec.check("lstm_step", f"{name}_matches_torch", points=1,
               description=f"the new {'hidden' if name == 'h' else 'cell'} state equals torch.nn.LSTMCell's "
                           "(weight_ih = Wx.T with gates input, forget, cell, output; bias_ih = b, bias_hh = 0)",
               inputs=step_inputs(lstm=True), oracle=ref.lstm_step, tol=TOL,
               run=part("lstm_step", index, name, count=2))
spec.mistakes(
    "lstm_step",
    gates_ifog=("You read the gate blocks as input, forget, output, cell. PyTorch's order (and this contract's) "
                "is input, forget, cell (g), output: columns [0:H], [H:2H], [2H:3H], [3H:4H]."),
    sigmoid_for_g=("You squashed the cell candidate g with a sigmoid. The three gates use sigmoids; g uses tanh, "
                   "so the cell can move down as well as up."),
    tanh_for_gates=("You used tanh for the gates. Gates are fractions between 0 and 1: i, f and o use the "
                    "sigmoid; only the candidate g uses tanh."),
    forget_applied_to_g=("You swapped the roles of the input and forget gates: the forget gate scales the old cell "
                         "and the input gate the candidate, c = f * c_prev + i * g."),
    h_without_tanh="Your h is o * c; the cell is squashed before the output gate: h = o * tanh(c).",
    h_from_previous_cell=("Your h squashes the previous cell c_prev: update the cell first, c = f * c_prev + "
                          "i * g, then h = o * tanh(c) with the new c."),
    returned_c_then_h="You returned (c, h); the contract's order is (h, c).",
)
