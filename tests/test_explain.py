"""grader/explain.py: each rule is fed the message that real buggy code produces under the installed
Python and NumPy, formatted the way the sandbox formats it, together with the call's arguments."""

from __future__ import annotations

import importlib.util
import os
import textwrap
import traceback
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

# explain.py depends on NumPy and the standard library only; load it by path so that these tests
# do not depend on the rest of the grader package importing cleanly.
_SPEC = importlib.util.spec_from_file_location(
    "_gradelab_explain", Path(__file__).resolve().parent.parent / "grader" / "explain.py")
explain = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(explain)
explain_error = explain.explain_error


def describe(exc: BaseException) -> str:
    """The sandbox's description of an exception (as in grader/worker.py): type, str truncated to
    300 characters, then the last three frames with file names reduced to their base names."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:]
    for frame in frames:
        frame.filename = os.path.basename(frame.filename)
    return f"raised {type(exc).__name__}: {str(exc)[:300]}\n{''.join(traceback.format_list(frames))}".rstrip()


def failure(tmp_path: Path, source: str, function: str, **kwargs):
    """Run ``function`` from a student file holding ``source``; return (message, kwargs)."""
    path = tmp_path / "student.py"
    path.write_text(textwrap.dedent(source))
    spec = importlib.util.spec_from_file_location(f"_student_{tmp_path.name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    try:
        getattr(module, function)(**kwargs)
    except Exception as exc:
        exc.__traceback__ = exc.__traceback__.tb_next  # drop this helper's frame, as the worker does
        return describe(exc), kwargs
    raise AssertionError("the buggy snippet did not raise")


def explained(tmp_path, source, function, **kwargs):
    message, args = failure(tmp_path, source, function, **kwargs)
    result = explain_error(message, args)
    assert result is not None, message
    return result[0], result[1], message


X34, D35, W45 = np.ones((3, 4)), np.ones((3, 5)), np.ones((4, 5))


# --- shapes --------------------------------------------------------------------------------------

def test_matmul_names_both_arguments_and_the_transpose_that_fits(tmp_path):
    ident, text, message = explained(tmp_path, """
        def linear_backward(dout, x, W):
            dW = x @ dout
            return dW
        """, "linear_backward", dout=D35, x=X34, W=W45)
    assert "matmul" in message and ident == "error.matmul_shapes"
    assert "x is (3, 4) and dout is (3, 5)" in text
    assert "x.T @ dout has the shape (4, 5) of W" in text


def test_np_dot_message_gives_full_shapes(tmp_path):
    ident, text, message = explained(tmp_path, """
        import numpy as np
        def linear_backward(dout, x, W):
            return np.dot(dout, W)
        """, "linear_backward", dout=D35, x=X34, W=W45)
    assert "not aligned" in message and ident == "error.matmul_shapes"
    assert "dout is (3, 5) and W is (4, 5)" in text
    assert "dout @ W.T has the shape (3, 4) of x" in text


def test_matmul_on_dictionary_entries_and_intermediate_values(tmp_path):
    params = {"W1": np.ones((3, 4)), "W2": np.ones((3, 2))}
    ident, text, _ = explained(tmp_path, """
        import numpy as np
        def mlp_forward(X, params):
            h = np.maximum(0, X @ params["W1"])
            return h @ params["W2"]
        """, "mlp_forward", X=np.ones((2, 3)), params=params)
    assert ident == "error.matmul_shapes"
    assert "h @ params[\"W2\"]" in text and "params[\"W2\"] is (3, 2)" in text
    assert "size 4" in text and "3 rows" in text


def test_matmul_without_a_source_line_finds_the_arguments_by_size():
    message = ("raised ValueError: matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc "
               "signature (n?,k),(k,m?)->(n?,m?) (size 3 is different from 4)")
    ident, text = explain_error(message, {"dout": D35, "x": X34, "W": W45})
    assert ident == "error.matmul_shapes" and "x is (3, 4) and dout is (3, 5)" in text


def test_einsum(tmp_path):
    ident, text, _ = explained(tmp_path, """
        import numpy as np
        def f(x, dout):
            return np.einsum("ij,jk->ik", x, dout)
        """, "f", x=X34, dout=D35)
    assert ident == "error.einsum_shapes" and "x is (3, 4)" in text and "dout is (3, 5)" in text


def test_broadcast_after_a_reduction_without_keepdims(tmp_path):
    ident, text, message = explained(tmp_path, """
        def layernorm_forward(x, gamma, beta, eps=1e-5):
            return (x - x.mean(axis=1)) * gamma + beta
        """, "layernorm_forward", x=X34, gamma=np.ones(4), beta=np.zeros(4))
    assert "could not be broadcast" in message and ident == "error.broadcast_shapes"
    assert "x is (3, 4)" in text and "(3,)" in text
    assert "keepdims=True" in text and "(3, 1)" in text


def test_broadcast_with_a_transposed_operand(tmp_path):
    ident, text, _ = explained(tmp_path, """
        def sgd(w, dw, lr=0.1):
            return w - lr * dw
        """, "sgd", w=X34, dw=np.ones((4, 3)))
    assert ident == "error.broadcast_shapes"
    assert "w is (3, 4)" in text and "dw is (4, 3)" in text and ".T" in text


def test_assignment_into_a_slice_of_another_shape(tmp_path):
    ident, text, _ = explained(tmp_path, """
        import numpy as np
        def f(x):
            out = np.zeros((3, 4))
            out[:, 0] = x[0]
            return out
        """, "f", x=X34)
    assert ident == "error.assign_shape" and "(4,)" in text and "(3,)" in text


def test_concatenate(tmp_path):
    ident, text, _ = explained(tmp_path, """
        import numpy as np
        def f(x, dout):
            return np.concatenate([x, dout])
        """, "f", x=X34, dout=D35)
    assert ident == "error.concat_shapes" and "4 vs 5" in text


def test_index_one_past_the_end_of_a_window_loop(tmp_path):
    ident, text, message = explained(tmp_path, """
        import numpy as np
        def max_pool(x, kernel=2, stride=1):
            H = x.shape[2]
            out = []
            for i in range((H - kernel) // stride + 2):
                out.append(x[:, :, i * stride + kernel - 1])
            return np.stack(out)
        """, "max_pool", x=np.ones((2, 3, 5)))
    assert "index 5 is out of bounds for axis 2 with size 5" in message
    assert ident == "error.index_bounds"
    assert "axis 2 of x" in text and "one past the end" in text and "0..4" in text
    assert "(H + 2*padding - kernel) // stride + 1" in text and "range" in text


def test_too_many_indices(tmp_path):
    ident, text, _ = explained(tmp_path, """
        def f(b):
            return b[0, 0]
        """, "f", b=np.ones(4))
    assert ident == "error.too_many_indices" and "b" in text


def test_axis_out_of_bounds(tmp_path):
    ident, text, message = explained(tmp_path, """
        import numpy as np
        def softmax(x):
            e = np.exp(x)
            return e / e.sum(axis=2, keepdims=True)
        """, "softmax", x=X34)
    assert message.startswith("raised AxisError: axis 2 is out of bounds for array of dimension 2")
    assert ident == "error.axis_bounds" and "x is 2-D" in text and "axis=-1" in text


def test_reshape(tmp_path):
    ident, text, _ = explained(tmp_path, """
        def flatten(x):
            return x.reshape(5, 3)
        """, "flatten", x=X34)
    assert ident == "error.reshape" and "12" in text and "15" in text and "x" in text

    ident, text, _ = explained(tmp_path, """
        def flatten(x):
            return x.reshape(5, -1)
        """, "flatten", x=X34)
    assert ident == "error.reshape" and "12 is not a multiple of 5" in text


# --- signatures, names, dictionaries ------------------------------------------------------------

def test_unexpected_keyword_from_the_grader(tmp_path):
    ident, text, message = explained(tmp_path, """
        def f(x, gamma, beta, epsilon=1e-5):
            return x
        """, "f", x=X34, gamma=np.ones(4), beta=np.ones(4), eps=1e-5)
    assert "unexpected keyword argument 'eps'" in message
    assert ident == "error.signature" and "stub" in text and "eps=" in text


def test_missing_argument_that_the_grader_does_not_pass(tmp_path):
    ident, text, _ = explained(tmp_path, """
        def f(x, W, b, activation, scale):
            return x
        """, "f", x=X34, W=W45, b=np.ones(5))
    assert ident == "error.signature" and "stub" in text and "not activation, scale" in text


def test_too_many_positional_arguments_to_a_helper(tmp_path):
    ident, text, message = explained(tmp_path, """
        def helper(a, b):
            return a
        def f(x):
            return helper(x, x, x)
        """, "f", x=X34)
    assert "takes 2 positional arguments but 3 were given" in message
    assert ident == "error.signature" and "helper()" in text


def test_key_error_lists_the_existing_keys(tmp_path):
    params = {"W1": np.ones((3, 4)), "b1": np.ones(4), "W2": np.ones((4, 2)), "b2": np.ones(2)}
    ident, text, _ = explained(tmp_path, """
        def mlp_forward(X, params):
            h = X
            for layer in range(1, 4):
                h = h @ params[f"W{layer}"] + params[f"b{layer}"]
            return h
        """, "mlp_forward", X=np.ones((2, 3)), params=params)
    assert ident == "error.missing_key"
    assert "no key 'W3'" in text and "params has 'W1', 'b1', 'W2', 'b2'" in text and "len(params)" in text


def test_key_error_on_an_empty_state(tmp_path):
    ident, text, _ = explained(tmp_path, """
        def sgd_momentum(w, dw, state, lr=0.01, momentum=0.9):
            state["v"] = momentum * state["v"] - lr * dw
            return w + state["v"]
        """, "sgd_momentum", w=np.ones(3), dw=np.ones(3), state={})
    assert ident == "error.missing_key" and "'v'" in text and "empty" in text


REPLACEMENTS = {  # names gone in NumPy 2 -> what the explanation must propose
    "float": "float", "int": "int", "bool": "bool", "object": "object", "complex": "complex", "str": "str",
    "asfarray": "np.asarray(x, dtype=float)", "NaN": "np.nan", "Inf": "np.inf", "infty": "np.inf",
    "product": "np.prod", "cumproduct": "np.cumprod", "alltrue": "np.all", "sometrue": "np.any",
    "round_": "np.round", "float_": "np.float64", "complex_": "np.complex128", "string_": "np.bytes_",
    "unicode_": "np.str_", "mat": "np.asarray", "in1d": "np.isin", "row_stack": "np.vstack",
    "trapz": "np.trapezoid", "msort": "np.sort(x, axis=0)", "NINF": "-np.inf", "PINF": "np.inf",
}


def _numpy_has(name: str) -> bool:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return hasattr(np, name)


@pytest.mark.parametrize("name", sorted(n for n in REPLACEMENTS if not _numpy_has(n)))  # np.bool came back
def test_names_removed_in_numpy_2(tmp_path, name):                                        # in NumPy 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ident, text, message = explained(tmp_path, f"""
            import numpy as np
            def f(x):
                return np.{name}
            """, "f", x=X34)
    assert message.startswith("raised AttributeError: ")
    assert ident == "error.numpy2_removed", message
    assert f"np.{name} was removed" in text and "NumPy 2" in text and REPLACEMENTS[name] in text


def test_a_misspelt_numpy_name(tmp_path):
    ident, text, _ = explained(tmp_path, """
        import numpy as np
        def f(x):
            return np.maximun(x, 0)
        """, "f", x=X34)
    assert ident == "error.numpy_attribute" and "np.maximum" in text


def test_missing_numpy_import(tmp_path):
    ident, text, _ = explained(tmp_path, """
        def f(x):
            return np.exp(x)
        """, "f", x=X34)
    assert ident == "error.missing_import" and "import numpy as np" in text


def test_misspelt_argument_name(tmp_path):
    ident, text, _ = explained(tmp_path, """
        def f(dout, x):
            return x * dot
        """, "f", dout=X34, x=X34)
    assert ident == "error.undefined_name" and "'dot'" in text and "'dout'" in text


def test_unbound_local(tmp_path):
    ident, text, _ = explained(tmp_path, """
        def f(x):
            if x.sum() < 0:
                out = x
            return out
        """, "f", x=X34)
    assert ident == "error.unbound_local" and "'out'" in text


def test_recursion_names_the_function(tmp_path):
    ident, text, _ = explained(tmp_path, """
        def softmax(x):
            return softmax(x)
        """, "softmax", x=X34)
    assert ident == "error.recursion" and "softmax()" in text


# --- Python numbers and arrays --------------------------------------------------------------------

@pytest.mark.parametrize("body, ident", [
    ("return float(x.sum()) / len([])", "error.zero_division"),
    ("return 1 // (len(x) - 3)", "error.zero_division"),
    ("return math.log(0.0)", "error.math_domain"),
    ("return math.log(-1.0)", "error.math_domain"),
    ("return math.sqrt(-float(x.sum()))", "error.math_domain"),
    ("return math.exp(1000.0)", "error.math_overflow"),
    ("return 1.5 ** 10000", "error.math_overflow"),
    ("return math.exp(x)", "error.math_on_array"),
    ("return float(x)", "error.math_on_array"),
    ("return x if x > 0 else 0", "error.array_truth"),
    ("return max(x, 0)", "error.array_truth"),
    ("out = np.zeros(3); out[0] = x[0]; return out", "error.array_element_sequence"),
    ("return np.array([x[0], x[0, :2]], dtype=float)", "error.array_element_sequence"),
])
def test_python_number_errors(tmp_path, body, ident):
    got, text, message = explained(tmp_path, f"""
        import math
        import numpy as np
        def f(x):
            {body}
        """, "f", x=X34)
    assert got == ident, message
    assert len(text) > 40


def test_module_import_failure_is_explained_too():
    message = ("importing the module failed: raised NameError: name 'np' is not defined\n"
               '  File "gan.py", line 3, in <module>\n    EPS = np.finfo(float).eps')
    assert explain_error(message, {})[0] == "error.missing_import"


# --- nothing to say, and never a crash ------------------------------------------------------------

@pytest.mark.parametrize("message", [
    "", "raised", "garbage", "raised RuntimeError: the optimiser diverged",
    "raised ValueError: learning rate must be positive", "raised KeyboardInterrupt: ",
    "raised SystemExit: 0", "memory limit exceeded (MemoryError): the call asked for more memory",
    "raised TypeError: unsupported operand type(s) for +: 'int' and 'str'",
    "raised IndexError: list index out of range",
])
def test_unrelated_messages_give_none(message):
    assert explain_error(message, {"x": X34}) is None


_TYPES = ["ValueError", "IndexError", "AxisError", "TypeError", "KeyError", "AttributeError", "NameError",
          "UnboundLocalError", "ZeroDivisionError", "OverflowError", "RecursionError", "numpy.exceptions.AxisError"]
_FRAGMENTS = ["matmul: Input operand 1 has a mismatch (size ", " is different from ", "shapes (", ") and (",
              ") not aligned: ", " (dim 1) != ", "could not be broadcast together with shapes ", "remapped shapes ",
              "->", "index ", " is out of bounds for axis ", " with size ", "axis ", "for array of dimension ",
              "cannot reshape array of size ", " into shape (", "newaxis", "f() got an unexpected keyword argument '",
              "f() missing 1 required positional argument: '", "module 'numpy' has no attribute '", "name '",
              "' is not defined", "local variable '", '\n  File "a.py", line 1, in f\n    ', "~~^~~", "@", "x", "W",
              "too many indices for array: array is ", "-dimensional, but ", " were indexed", "(", ")", ",",
              "along dimension ", ", the array at index 0 has size ", "'", "`np.", "` was removed", "\n"]
_TEMPLATES = [  # real messages with the numbers left open
    "matmul: Input operand 1 has a mismatch in its core dimension 0, with gufunc signature (n?,k),(k,m?)->(n?,m?) "
    "(size {} is different from {})\n  File \"b.py\", line 2, in f\n    y = x @ W\n        ~~^~~",
    "shapes ({},{}) and ({},) not aligned: {} (dim 1) != {} (dim 0)",
    "operands could not be broadcast together with shapes ({},{}) ({},) ({}) ",
    "index {} is out of bounds for axis {} with size {}", "axis {} is out of bounds for array of dimension {}",
    "cannot reshape array of size {} into shape ({},newaxis,{})", "too many indices for array: array is "
    "{}-dimensional, but {} were indexed", "could not broadcast input array from shape ({},) into shape ({},{})",
]
_pieces = st.one_of(st.sampled_from(_FRAGMENTS), st.integers(-3, 20).map(str), st.text(max_size=8))
_messages = st.one_of(
    st.text(),
    st.builds(lambda t, parts: f"raised {t}: " + "".join(parts), st.sampled_from(_TYPES), st.lists(_pieces, max_size=14)),
    st.builds(lambda t, kind, n: f"raised {kind}: " + t.format(*n), st.sampled_from(_TEMPLATES),
              st.sampled_from(_TYPES), st.lists(st.integers(-2, 6), min_size=5, max_size=5)),
)
_arrays = hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=4, min_side=0, max_side=5))
_values = st.recursive(
    st.one_of(_arrays, st.integers(), st.floats(), st.text(max_size=5), st.none(), st.just(object())),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.one_of(st.text(max_size=3), st.integers()), inner, max_size=3)),
    max_leaves=6)
_args = st.dictionaries(st.one_of(st.sampled_from(["x", "W", "params"]), st.text(max_size=6)), _values, max_size=5)


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_messages, _args)
def test_never_raises(message, args):
    result = explain._explain(message, args)  # the unguarded rules: a bug here must show up
    assert result is None or (isinstance(result, tuple) and len(result) == 2
                              and result[0].startswith("error.") and isinstance(result[1], str))
    assert explain_error(message, args) == result


def test_guard_against_nonsense_arguments():
    assert explain_error(None, None) is None
    assert explain_error("raised KeyError: 'W3'", {"params": {"W1": 1}}) is not None
    assert explain_error(12, [1, 2]) is None
