"""The torch tier's harness: run a student's function on fixed inputs, and time it against PyTorch.

Runs inside the sandboxed child.  The torch tier's zygote (``grader/worker.py``) loads this file
by path before it forks, so it imports only the standard library and torch, and everything it
relies on -- the clock, CUDA events and synchronisation, PyTorch's own kernels used as
references, and the functions that read returned tensors and check timed outputs -- is captured
here, before any student code is imported.  Student code that later replaces
``time.perf_counter``, ``torch.cuda.Event`` or ``torch.cuda.synchronize`` changes nothing the
harness uses, and is reported (see :data:`WATCHED`); a replaced ``torch.sub`` or
``Tensor.tolist`` changes nothing either, and the kernel audit neither depends on
``TorchDispatchMode``'s Python methods nor may be taken off the dispatch stack.  The grader imports this module
too, to build the very same inputs for its oracle and to read the tolerances.

Loaded without ``sys.modules`` entry, so annotations here are evaluated (no ``from __future__
import annotations``: dataclasses would look the module up).

Two requests (``serve``):

- ``check``: every correctness case of a task (:data:`TASKS`), in float32 and, where the
  operation supports it, bfloat16.  Inputs are drawn on the CPU from fixed seeds and moved to the
  run's device, so the grader can rebuild them bit for bit.  The child only collects facts -- what
  the function returned (type, shape, dtype, device, values), which inputs it changed, which of
  PyTorch's reference kernels it reached -- and the grader, out of the student's reach, judges them.
- ``time``: the student's function and PyTorch's kernel interleaved on identical fresh inputs
  (a new draw for every pair, so nothing can be cached by ``id`` or content), each call timed
  alone: CUDA events around a device-wide synchronisation (so work hidden on another stream is
  counted) after an L2 flush; ``time.perf_counter`` on the CPU, setting aside the calls another
  program descheduled (see :class:`Clock`).  Every timed output is checked
  against the reference's and every input against its master copy.  Pairs repeat until the
  ratio's relative standard error is small or the time budget is spent; medians are reported.

Reaching the reference itself (``F.scaled_dot_product_attention``, ``F.batch_norm`` and
``nn.BatchNorm*``, ``torch.optim``, the fused Adam kernels) is caught two ways while the student's
code runs: Python-level tripwires on those callables during every call, and, during the
correctness calls, a dispatch mode that sees every ATen operator however it was reached.
"""

import builtins
import copy
import ctypes
import math
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any, Callable, Optional

import torch
import torch.nn.functional as F
from torch import nn
from torch.utils._python_dispatch import TorchDispatchMode

# -- private references, taken before any student code runs ----------------------------------------
_clock = time.perf_counter
_cpu_clock = time.process_time
_type, _isinstance, _len, _float = builtins.type, builtins.isinstance, builtins.len, builtins.float
_Tensor = torch.Tensor
_sdpa = F.scaled_dot_product_attention
_batch_norm = F.batch_norm
_bce_logits = F.binary_cross_entropy_with_logits
_Adam = torch.optim.Adam
_current_frames = sys._current_frames
_zero_ = torch.Tensor.zero_
# What the in-child checks of the timed calls compare with (``_mismatch``, ``_same``) and copy
# with (``_copy_tensors``): taken here, so that student code which replaces ``torch.sub``,
# ``torch.equal`` or a tensor method at import cannot make a wrong timed output look right.  The
# comparisons also run with ``__torch_function__`` handling off (``_plain_torch``), so a
# TorchFunctionMode the student left switched on does not see them either.
_TensorBase = torch._C.TensorBase
_sub, _le, _abs, _mul, _add = torch.sub, torch.le, torch.abs, torch.mul, torch.add
_logical_not, _any, _count, _equal = torch.logical_not, torch.any, torch.count_nonzero, torch.equal
_clone, _size, _numel, _item = _TensorBase.clone, _TensorBase.size, _TensorBase.numel, _TensorBase.item
_dtype_of = _TensorBase.__dict__["dtype"].__get__
_device_of = _TensorBase.__dict__["device"].__get__
_abs_number, _bool, _int, _tuple, _zip = builtins.abs, builtins.bool, builtins.int, builtins.tuple, builtins.zip
_plain_torch = torch._C.DisableTorchFunction
_float_value = float.__float__
_detach, _tensor_to, _reshape, _tolist = _TensorBase.detach, _TensorBase.to, _TensorBase.reshape, _TensorBase.tolist
_named_parameters = nn.Module.named_parameters
_isfinite = math.isfinite
# The kernel audit goes on and off the dispatcher's mode stack through these, not through
# TorchDispatchMode.__enter__/__exit__ (Python methods that student code could replace at import).
_push_dispatch = torch._C._push_on_torch_dispatch_stack
_pop_dispatch = torch._C._pop_torch_dispatch_stack
_dispatch_depth = torch._C._len_torch_dispatch_stack
_cuda_sync = getattr(torch._C, "_cuda_synchronize", None)
_EventBase = getattr(torch._C, "_CudaEventBase", None)


def _watched() -> dict[str, Any]:
    """The timing functions student code has no business replacing, by name."""
    found = {f"time.{n}": getattr(time, n) for n in ("perf_counter", "perf_counter_ns", "monotonic",
                                                      "monotonic_ns", "time", "time_ns", "process_time")}
    found.update({"torch.cuda.synchronize": torch.cuda.synchronize, "torch.cuda.Event": torch.cuda.Event,
                  "torch.cuda.current_stream": torch.cuda.current_stream})
    for name in ("record", "elapsed_time", "synchronize", "query"):
        found[f"torch.cuda.Event.{name}"] = vars(torch.cuda.Event).get(name)
    return found


#: Taken at import; compared (and restored) after every call of student code.
WATCHED = _watched()

#: ``|got - want| <= atol + rtol * |want|`` per dtype, elementwise, with NaN or inf never matching
#: a finite reference.  float32: the reference runs in float32 with TF32 off, and any correct
#: float32 formula agrees to ~1e-6 on these inputs, so 1e-4 leaves a wide margin and still sees
#: every catalogued mistake.  bfloat16: the reference runs in float32 on the same (rounded)
#: inputs; bfloat16 keeps 8 significant bits (a step of 2^-8 = 3.9e-3), and code computed entirely
#: in bfloat16 rounds four or five times on the way (measured: up to 1.2e-2 from the reference on
#: these cases), so 2e-2 passes it while a float32 result, a wrong statistic or an overflow fails.
TOLERANCE = {"float32": (1e-4, 1e-4), "bfloat16": (2e-2, 2e-2)}   # dtype: (rtol, atol)

DTYPES = {"float32": torch.float32, "bfloat16": torch.bfloat16}
F32 = torch.float32  # every draw names its dtype: the grader's process may have another default


# -- tasks: inputs, the reference kernel, what is graded ----------------------------------------------
@dataclass(frozen=True)
class Task:
    """One exercise: how its inputs are drawn, PyTorch's own kernel, and what is compared.

    ``build(case, dtype, gen)`` draws the keyword arguments on the CPU from ``gen``;
    ``outputs(kwargs, returned)`` lists what is graded after a call, as ``(name, value)`` pairs
    (``kwargs`` holds the objects handed over, so an update that is not in place shows);
    ``frozen`` names the arguments that must come back unchanged; ``copy`` duplicates drawn
    arguments (the student's and the reference's copies of one draw).
    """

    name: str
    cases: tuple[dict, ...]
    dtypes: tuple[str, ...]
    timing: dict[str, dict]
    build: Callable[[dict, torch.dtype, torch.Generator], dict]
    reference: Callable[..., Any]
    outputs: Callable[[dict, Any], list]
    frozen: tuple[str, ...]
    copy: Callable[[dict], dict]
    tripwires: tuple[tuple[str, str], ...] = ()   # (owner path, attribute) wrapped during student calls
    kernels: tuple[str, ...] = ()                 # ATen operator names containing one of these
    describe: Callable[[dict], str] = repr
    prepare: Optional[Callable[[dict], Callable[[], Any]]] = None   # the reference's set-up, untimed

    def reference_call(self, kwargs: dict) -> Callable[[], Any]:
        """The reference on ``kwargs`` as a call with nothing left to set up (what is timed)."""
        if self.prepare is not None:
            return self.prepare(kwargs)
        return lambda: self.reference(**kwargs)


def _copy_tensors(kwargs: dict) -> dict:
    """A copy of drawn arguments: tensors cloned, lists of tensors cloned item by item."""
    def one(value):
        if _isinstance(value, _Tensor):
            return _clone(value)
        if _isinstance(value, list):
            return [one(v) for v in value]
        return value
    return {name: one(value) for name, value in kwargs.items()}


def _to(kwargs: dict, device: str) -> dict:
    """``kwargs`` with every tensor (and every tensor in a list) moved to ``device``."""
    def one(value):
        if _isinstance(value, _Tensor):
            return value.to(device, copy=True)
        if _isinstance(value, list):
            return [one(v) for v in value]
        if _isinstance(value, nn.Module):
            return value.to(device)
        return value
    return {name: one(value) for name, value in kwargs.items()}


# attention -------------------------------------------------------------------------------------------
def _attention_inputs(case: dict, dtype: torch.dtype, gen: torch.Generator) -> dict:
    shape = (case["B"], case["H"], case["T"], case["D"])
    q, k, v = (torch.randn(shape, generator=gen, dtype=F32).to(dtype) for _ in range(3))
    return {"q": q, "k": k, "v": v, "causal": case["causal"]}


def _attention_reference(q, k, v, causal=False):
    return _sdpa(q, k, v, is_causal=causal)


ATTENTION = Task(
    "attention",
    cases=({"B": 2, "H": 3, "T": 17, "D": 8, "causal": False}, {"B": 1, "H": 2, "T": 33, "D": 16, "causal": True},
           {"B": 3, "H": 1, "T": 5, "D": 32, "causal": True}, {"B": 1, "H": 4, "T": 64, "D": 64, "causal": False}),
    dtypes=("float32", "bfloat16"),
    timing={"cpu": {"B": 2, "H": 4, "T": 256, "D": 64, "causal": False},
            "cuda": {"B": 8, "H": 16, "T": 1024, "D": 64, "causal": False}},
    build=_attention_inputs, reference=_attention_reference,
    outputs=lambda kwargs, returned: [("out", returned)], frozen=("q", "k", "v"), copy=_copy_tensors,
    tripwires=(("torch.nn.functional", "scaled_dot_product_attention"),
               ("torch._C._nn", "scaled_dot_product_attention"),
               ("torch.nn.functional", "multi_head_attention_forward")),
    kernels=("scaled_dot_product", "flash_attention", "efficient_attention", "cudnn_attention"),
    describe=lambda c: f"q, k, v of shape ({c['B']}, {c['H']}, {c['T']}, {c['D']}), causal={c['causal']}",
)


# batchnorm_train -------------------------------------------------------------------------------------
def _batchnorm_inputs(case: dict, dtype: torch.dtype, gen: torch.Generator) -> dict:
    shape = case["shape"]
    channels, spread = shape[1], [1, -1] + [1] * (len(shape) - 2)
    std = 0.5 + 1.5 * torch.rand(channels, generator=gen, dtype=F32)
    mean = 2 * torch.rand(channels, generator=gen, dtype=F32) - 1
    x = torch.randn(shape, generator=gen, dtype=F32) * std.view(spread) + mean.view(spread)
    gamma = 1 + 0.5 * torch.randn(channels, generator=gen, dtype=F32)
    beta = 0.5 * torch.randn(channels, generator=gen, dtype=F32)
    return {"x": x.to(dtype), "gamma": gamma.to(dtype), "beta": beta.to(dtype), "eps": case["eps"]}


def _batchnorm_reference(x, gamma, beta, eps=1e-5):
    return _batch_norm(x, None, None, gamma, beta, True, 0.0, eps)


BATCHNORM = Task(
    "batchnorm_train",
    cases=({"shape": (8, 5), "eps": 1e-5}, {"shape": (4, 3, 5, 6), "eps": 1e-5},
           {"shape": (16, 7), "eps": 0.1}, {"shape": (2, 4, 3, 3), "eps": 1e-3}),
    dtypes=("float32", "bfloat16"),
    timing={"cpu": {"shape": (32, 32, 16, 16), "eps": 1e-5}, "cuda": {"shape": (64, 256, 56, 56), "eps": 1e-5}},
    build=_batchnorm_inputs, reference=_batchnorm_reference,
    outputs=lambda kwargs, returned: [("out", returned)], frozen=("x", "gamma", "beta"), copy=_copy_tensors,
    tripwires=(("torch.nn.functional", "batch_norm"), ("torch", "batch_norm"), ("torch", "native_batch_norm"),
               ("torch.nn.modules.batchnorm._BatchNorm", "forward"), ("torch.nn.functional", "group_norm"),
               ("torch.nn.functional", "layer_norm"), ("torch.nn.functional", "instance_norm")),
    # PyTorch's other fused normalisations compute batch norm too, given the channels laid out
    # for them (group_norm with one group per channel of a (1, C, N*H*W) view): the same shortcut
    kernels=("batch_norm", "group_norm", "layer_norm", "instance_norm"),
    describe=lambda c: f"x of shape {tuple(c['shape'])}, eps={c['eps']:g}",
)


# adam_step_ ------------------------------------------------------------------------------------------
def _adam_inputs(case: dict, dtype: torch.dtype, gen: torch.Generator) -> dict:
    shapes = case["shapes"]
    params = [torch.randn(s, generator=gen, dtype=F32).to(dtype) for s in shapes]
    grads = [torch.randn(s, generator=gen, dtype=F32).to(dtype) for s in shapes]
    exp_avgs = [(0.1 * torch.randn(s, generator=gen, dtype=F32)).to(dtype) for s in shapes]
    exp_avg_sqs = [(0.01 + 0.1 * torch.rand(s, generator=gen, dtype=F32)).to(dtype) for s in shapes]
    hyper = {k: case[k] for k in ("lr", "beta1", "beta2", "eps") if k in case}
    return {"params": params, "grads": grads, "exp_avgs": exp_avgs, "exp_avg_sqs": exp_avg_sqs,
            "step": case["step"], **hyper}


def _adam_reference(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    """``torch.optim.Adam`` (foreach: the implementation PyTorch picks by default on CUDA) for one
    step from the given moments; the state is filled in so that this step is number ``step``."""
    _adam_optimizer(params, grads, exp_avgs, exp_avg_sqs, step, lr, beta1, beta2, eps).step()


def _adam_optimizer(params, grads, exp_avgs, exp_avg_sqs, step, lr=1e-3, beta1=0.9, beta2=0.999, eps=1e-8):
    for p, g in zip(params, grads):
        p.grad = g
    optimizer = _Adam(params, lr=lr, betas=(beta1, beta2), eps=eps, foreach=True)
    for p, m, v in zip(params, exp_avgs, exp_avg_sqs):
        optimizer.state[p] = {"step": torch.tensor(_float(step - 1), dtype=F32), "exp_avg": m, "exp_avg_sq": v}
    return optimizer


def _adam_outputs(kwargs: dict, returned: Any) -> list:
    return [(f"{name}[{i}]", t) for name in ("params", "exp_avgs", "exp_avg_sqs") for i, t in enumerate(kwargs[name])]


_ADAM_BIG = [(1024, 1024), (1024,), (4096, 1024), (4096,)] * 10
ADAM = Task(
    "adam_step_",
    cases=({"shapes": [(3, 4), (5,), (2, 3, 2)], "step": 1},   # the defaults
           {"shapes": [(4, 3), (9,)], "step": 1, "lr": 0.1},     # bias correction at its largest
           {"shapes": [(7,), (4, 4)], "step": 5, "lr": 0.1, "beta1": 0.8, "beta2": 0.99, "eps": 1e-6},
           {"shapes": [(1,), (6, 3)], "step": 100, "lr": 0.05, "eps": 0.5}),   # eps large enough to matter
    dtypes=("float32", "bfloat16"),
    timing={"cpu": {"shapes": [(256, 256), (256,), (128, 512), (512,)] * 3, "step": 3},
            "cuda": {"shapes": _ADAM_BIG, "step": 3}},
    build=_adam_inputs, reference=_adam_reference, outputs=_adam_outputs, frozen=("grads",), copy=_copy_tensors,
    tripwires=(("torch.optim.adam", "adam"), ("torch.optim.adam", "_single_tensor_adam"),
               ("torch.optim.adam", "_multi_tensor_adam"), ("torch.optim.adam", "_fused_adam"),
               ("torch.optim.Adam", "step"), ("torch.optim.AdamW", "step"),
               ("torch", "_fused_adam_"), ("torch", "_fused_adamw_")),
    kernels=("_fused_adam", "Optimizer."),
    prepare=lambda kwargs: _adam_optimizer(**kwargs).step,
    describe=lambda c: (f"{_len(c['shapes'])} tensors of shapes {', '.join(str(tuple(s)) for s in c['shapes'][:4])}"
                        f"{', ...' if _len(c['shapes']) > 4 else ''}, step={c['step']}"
                        + "".join(f", {k}={c[k]:g}" for k in ("lr", "beta1", "beta2", "eps") if k in c)),
)


# gan_train_step -------------------------------------------------------------------------------------
def _gan_modules(case: dict, gen: torch.Generator) -> tuple[nn.Module, nn.Module]:
    """A small MLP generator and discriminator with weights (and stale gradients) drawn from ``gen``."""
    latent, data, hidden = case["latent"], case["data"], case["hidden"]
    with torch.device("meta"):
        generator = nn.Sequential(nn.Linear(latent, hidden, dtype=F32), nn.ReLU(), nn.Linear(hidden, data, dtype=F32))
        discriminator = nn.Sequential(nn.Linear(data, hidden, dtype=F32), nn.LeakyReLU(0.2),
                                      nn.Linear(hidden, 1, dtype=F32))
    generator, discriminator = generator.to_empty(device="cpu"), discriminator.to_empty(device="cpu")
    for module in (generator, discriminator):
        for p in module.parameters():
            fan_in = p.shape[-1] if p.dim() > 1 else p.shape[0]
            with torch.no_grad():
                p.copy_(torch.randn(p.shape, generator=gen, dtype=F32) / math.sqrt(fan_in))
            p.grad = torch.randn(p.shape, generator=gen, dtype=F32)  # left over from an earlier step: zero it first
    return generator, discriminator


def _gan_inputs(case: dict, dtype: torch.dtype, gen: torch.Generator) -> dict:
    generator, discriminator = _gan_modules(case, gen)
    real = 0.5 * torch.randn(case["batch"], case["data"], generator=gen, dtype=F32) + 1.0
    z = torch.randn(case["batch"], case["latent"], generator=gen, dtype=F32)
    return _gan_kwargs(generator, discriminator, real, z)


def _gan_kwargs(generator, discriminator, real, z) -> dict:
    """The arguments for modules already in place: SGD optimizers over each one's parameters."""
    return {"generator": generator, "discriminator": discriminator,
            "g_opt": torch.optim.SGD(generator.parameters(), lr=0.05, momentum=0.5),
            "d_opt": torch.optim.SGD(discriminator.parameters(), lr=0.05, momentum=0.5),
            "real": real, "z": z}


def _gan_copy(kwargs: dict) -> dict:
    modules = []
    for module in (kwargs["generator"], kwargs["discriminator"]):
        twin = copy.deepcopy(module)
        for mine, theirs in zip(twin.parameters(), module.parameters()):
            mine.grad = None if theirs.grad is None else theirs.grad.clone()
        modules.append(twin)
    return _gan_kwargs(*modules, kwargs["real"].clone(), kwargs["z"].clone())


def _gan_to(kwargs: dict, device: str) -> dict:
    moved = _gan_copy(kwargs)
    for module in (moved["generator"], moved["discriminator"]):
        module.to(device)   # parameters and their gradients move in place
    return _gan_kwargs(moved["generator"], moved["discriminator"], moved["real"].to(device), moved["z"].to(device))


def _gan_reference(generator, discriminator, g_opt, d_opt, real, z):
    """The textbook step: the discriminator on real vs detached fakes, then the generator."""
    d_opt.zero_grad()
    real_logits = discriminator(real)
    fake = generator(z)
    fake_logits = discriminator(fake.detach())
    d_loss = (_bce_logits(real_logits, torch.ones_like(real_logits))
              + _bce_logits(fake_logits, torch.zeros_like(fake_logits)))
    d_loss.backward()
    d_opt.step()
    g_opt.zero_grad()
    logits = discriminator(fake)
    g_loss = _bce_logits(logits, torch.ones_like(logits))
    g_loss.backward()
    g_opt.step()
    return d_loss.item(), g_loss.item()


def _gan_outputs(kwargs: dict, returned: Any) -> list:
    pair = returned if _type(returned) in (tuple, list) and _len(returned) == 2 else (returned, returned)
    named = [("d_loss", pair[0]), ("g_loss", pair[1])]
    for label in ("generator", "discriminator"):
        named += [(f"{label}.{n}", _detach(p)) for n, p in _named_parameters(kwargs[label])]
    return named


GAN = Task(
    "gan_train_step",
    cases=({"batch": 8, "latent": 4, "data": 3, "hidden": 16}, {"batch": 5, "latent": 2, "data": 6, "hidden": 8}),
    dtypes=("float32",),
    timing={"cpu": {"batch": 256, "latent": 64, "data": 128, "hidden": 256},
            "cuda": {"batch": 4096, "latent": 128, "data": 1024, "hidden": 2048}},
    build=_gan_inputs, reference=_gan_reference, outputs=_gan_outputs, frozen=("real", "z"), copy=_gan_copy,
    describe=lambda c: (f"MLPs latent {c['latent']} -> hidden {c['hidden']} -> data {c['data']} -> hidden "
                        f"{c['hidden']} -> 1, batch {c['batch']}, SGD(lr=0.05, momentum=0.5), stale gradients"),
)

TASKS = {task.name: task for task in (ATTENTION, BATCHNORM, ADAM, GAN)}


def generator(seed: int, *path: int) -> torch.Generator:
    """A CPU generator for one draw: the run's seed, then the draw's place (case, dtype, pair)."""
    mixed = seed
    for part in path:
        mixed = (mixed * 1_000_003 + part + 1) % (2**63 - 1)
    return torch.Generator().manual_seed(mixed)


def inputs(task: Task, case: dict, dtype: str, seed: int, path: tuple[int, ...], device: str = "cpu") -> dict:
    """The keyword arguments of one draw, on ``device``: the same values on every device."""
    kwargs = task.build(case, DTYPES[dtype], generator(seed, *path))
    if device == "cpu":
        return kwargs
    return _gan_to(kwargs, device) if task is GAN else _to(kwargs, device)


def case_path(case_index: int, dtype: str) -> tuple[int, int]:
    return (case_index, 0 if dtype == "float32" else 1)


# -- watching student code ----------------------------------------------------------------------------
class _KernelAudit(TorchDispatchMode):
    """Records every ATen operator that reaches the dispatcher (correctness calls only: it is slow)."""

    def __init__(self, names: tuple[str, ...]):
        super().__init__()
        self.names, self.hits = names, []

    @classmethod
    def _should_skip_dynamo(cls) -> bool:
        return False  # keeps torch from importing torch._dynamo (seconds, in every fresh child)

    def __enter__(self):
        self._depth = _dispatch_depth()
        _push_dispatch(self)
        return self

    def __exit__(self, *exc) -> None:
        while _dispatch_depth() > self._depth:   # also whatever the student's call left pushed
            _pop_dispatch(None)

    def __torch_dispatch__(self, func, types, args=(), kwargs=None):
        name = str(getattr(func, "__name__", func))
        if name.startswith("_record_function_enter") and args and _isinstance(args[0], str):
            name = args[0]  # torch.optim marks each step with "Optimizer.step#Adam.step"
        if any(part in name for part in self.names) and name not in self.hits:
            self.hits.append(name)
        return func(*args, **(kwargs or {}))


def _resolve(path: str) -> Any:
    obj = sys.modules[path.split(".")[0]] if path.split(".")[0] in sys.modules else None
    for part in path.split(".")[1:]:
        obj = getattr(obj, part, None)
    return obj


#: Where Python code takes a mode off the dispatcher's stack (``_disable_current_modes`` goes
#: through ``_pop_mode``): watched during audited calls, so a student's call that takes the audit
#: off the stack to reach a kernel unseen is a violation.
_POP_SITES = [(torch._C, "_pop_torch_dispatch_stack"),
              (sys.modules.get("torch.utils._python_dispatch"), "_pop_torch_dispatch_stack"),
              (sys.modules.get("torch.utils._python_dispatch"), "_pop_mode")]


def _pop_wire(original: Callable[..., Any], audit: "_KernelAudit", popped: list) -> Callable[..., Any]:
    def wire(*args, **kwargs):
        mode = original(*args, **kwargs)
        if mode is audit:
            popped.append(True)
        return mode
    return wire


#: The audit's own methods, as defined: student code that finds the class (say through
#: ``TorchDispatchMode.__subclasses__()``) and replaces one is reported, and the method restored.
_AUDIT_METHODS = {name: vars(_KernelAudit)[name] for name in ("__enter__", "__exit__", "__torch_dispatch__")}


def _audit_intact() -> bool:
    intact = True
    for name, method in _AUDIT_METHODS.items():
        if vars(_KernelAudit).get(name) is not method:
            setattr(_KernelAudit, name, method)
            intact = False
    return intact


class Watch:
    """Around every call of student code: tripwires on the reference, the timing functions
    checked, new threads noticed -- all outside the timed region.  ``violations`` collects what
    broke a rule; ``threads_left`` says whether a call left a thread of its own running."""

    def __init__(self, task: Task):
        self.task = task
        self.violations: list[str] = []
        self.threads_left = False
        self._wires = []
        for owner_path, attr in task.tripwires:
            owner = _resolve(owner_path)
            original = getattr(owner, attr, None) if owner is not None else None
            if original is not None:
                self._wires.append((owner, attr, original, f"{owner_path}.{attr}"))

    def call(self, fn: Callable[..., Any], kwargs: dict, audit: bool = False,
             clock: Optional["Clock"] = None) -> Any:
        """``fn(**kwargs)`` watched (and audited for kernels when ``audit``); with ``clock``,
        ``(returned, seconds)`` where only the bare call is timed."""
        self._check_clock()
        threads = set(_current_frames())
        hits: list[str] = []
        for owner, attr, original, label in self._wires:
            setattr(owner, attr, _tripwire(original, label, hits))
        if not _audit_intact():
            self._violate("replaces a method of the grader's kernel audit")
        mode = _KernelAudit(self.task.kernels) if audit and self.task.kernels else None
        guards, popped = [], []
        if mode is not None:
            for owner, attr in _POP_SITES:
                original = getattr(owner, attr, None) if owner is not None else None
                if original is not None:
                    guards.append((owner, attr, original))
                    setattr(owner, attr, _pop_wire(original, mode, popped))
        try:
            if clock is not None:
                return clock.time(lambda: fn(**kwargs))
            if mode is None:
                return fn(**kwargs)
            with mode:
                return fn(**kwargs)
        finally:
            for owner, attr, original, _ in self._wires:
                setattr(owner, attr, original)
            for owner, attr, original in guards:
                setattr(owner, attr, original)
            if popped:
                self._violate("takes the grader's kernel audit off the dispatch stack")
            self._check_clock()
            if not _audit_intact():
                self._violate("replaces a method of the grader's kernel audit")
            self._note(hits, mode)
            if set(_current_frames()) - threads:
                self.threads_left = True

    def _note(self, hits: list[str], mode: Optional[_KernelAudit]) -> None:
        for label in hits:
            self._violate(f"calls {label.replace('torch.nn.functional.', 'F.')}, the reference itself")
        for name in (mode.hits if mode else ()):
            what = "a torch.optim optimizer" if name.startswith("Optimizer.") else f"PyTorch's kernel aten::{name}"
            self._violate(f"runs {what}, the reference itself")

    def _check_clock(self) -> None:
        """Name and undo any replacement of the timing functions (the harness never used them)."""
        for name, original in WATCHED.items():
            owner_path, _, attr = name.rpartition(".")
            owner = _resolve(owner_path)
            if owner is not None and original is not None and getattr(owner, attr, None) is not original:
                setattr(owner, attr, original)
                self._violate(f"replaces {name}, which the grader's timing does not use")

    def _violate(self, what: str) -> None:
        if what not in self.violations:
            self.violations.append(what)


def _tripwire(original: Callable[..., Any], label: str, hits: list) -> Callable[..., Any]:
    def wire(*args, **kwargs):
        if label not in hits:
            hits.append(label)
        return original(*args, **kwargs)
    return wire


# -- the correctness request --------------------------------------------------------------------------
def describe_value(value: Any, values: bool = True) -> dict:
    """What the grader needs to judge one returned value, as plain data."""
    if _type(value) is _Tensor:
        with _plain_torch():   # the methods taken at import: a patched Tensor.tolist reports nothing
            fact = {"kind": "tensor", "shape": list(_tuple(_size(value))),
                    "dtype": str(_dtype_of(value)).replace("torch.", ""), "device": _device_of(value).type}
            if values:
                fact["values"] = _plain_values(value)
        return fact
    if _isinstance(value, _Tensor):
        return {"kind": "subclass", "type": _type(value).__name__}
    if _isinstance(value, float) or (_type(value) is int):
        return {"kind": "number", "value": _plain_number(_float(value))}
    return {"kind": "other", "type": _type(value).__name__}


def _plain_values(tensor: torch.Tensor) -> list:
    with _plain_torch():
        flat = _tolist(_reshape(_tensor_to(_detach(tensor), "cpu", torch.float64), -1))
    return [_plain_number(x) for x in flat]


def _plain_number(x: float) -> Any:
    """JSON carries no NaN or inf: those travel as the strings "nan", "inf" and "-inf"."""
    return x if _isfinite(x) else str(x)


#: torch's global generator is seeded with this before every correctness call.
GLOBAL_SEED = 1234


def run_cases(fn: Callable[..., Any], task: Task, seed: int, device: str) -> dict:
    """Every correctness case: the facts of each call (the grader compares), stopping at the first
    case whose call breaks a rule (a reference reached, the clock replaced)."""
    watch = Watch(task)
    results = []
    for index, case in enumerate(task.cases):
        for dtype in task.dtypes:
            kwargs = inputs(task, case, dtype, seed, case_path(index, dtype), device)
            master = task.copy(kwargs)
            handed = {k: (list(v) if _isinstance(v, list) else v) for k, v in kwargs.items()}
            torch.manual_seed(GLOBAL_SEED)  # code that draws from torch's global generator grades the same every time
            try:
                returned = watch.call(fn, kwargs, audit=True)
            except BaseException:
                if watch.violations:  # broke a rule, then raised: the rule is what is reported
                    return _cases_reply(results, watch, device)
                raise
            outputs = [[name, describe_value(value)] for name, value in task.outputs(handed, returned)]
            changed = [name for name in task.frozen if not _same(handed[name], master[name])]
            results.append({"case": index, "dtype": dtype, "outputs": outputs, "changed": changed})
            if watch.violations:
                return _cases_reply(results, watch, device)
    return _cases_reply(results, watch, device)


def _cases_reply(results: list, watch: Watch, device: str) -> dict:
    return {"device": device, "cases": results, "violations": list(watch.violations)}


def _same(a: Any, b: Any) -> bool:
    if _isinstance(a, list):
        return (_isinstance(b, list) and _len(a) == _len(b)
                and _all_true([_same(x, y) for x, y in _zip(a, b)]))
    if _type(a) is not _Tensor:
        return False
    with _plain_torch():
        return (_tuple(_size(a)) == _tuple(_size(b)) and _dtype_of(a) is _dtype_of(b)
                and _device_of(a) == _device_of(b) and _bool(_equal(a, b)))


def _all_true(flags: list) -> bool:
    for flag in flags:
        if flag is not True:
            return False
    return True


# -- the timing request -------------------------------------------------------------------------------
@dataclass
class Budget:
    """When to stop timing: after ``seconds`` (or ``hard`` times that, counting slow calls), or once
    ``min_pairs`` pairs give the ratio a relative standard error below ``rse``."""

    seconds: float = 1.0
    rse: float = 0.005
    min_pairs: int = 10
    max_pairs: int = 2000
    warmup: int = 2
    hard: float = 3.0


class Clock:
    """Times one call on a device: CUDA events around a device-wide synchronisation after an L2
    flush, or ``time.perf_counter`` on the CPU (the private references taken at import).

    On a CPU shared with other programs a call is sometimes descheduled for a time slice, which
    would dwarf the call itself: the process's CPU time is read alongside, and a call whose wall
    time exceeds it by more than :data:`DESCHEDULED` is marked unclean (its pair is set aside).
    """

    def __init__(self, device: str):
        self.device = device
        if device == "cuda":
            properties = torch.cuda.get_device_properties(torch.cuda.current_device())
            l2 = getattr(properties, "L2_cache_size", 0) or 64 * 2**20
            self.flush_buffer = torch.empty(2 * l2 // 4 + 1, dtype=torch.float32, device="cuda")
            self.stream = torch.cuda.current_stream()

    def time(self, call: Callable[[], Any]) -> tuple[Any, float, bool]:
        """``(returned, seconds, clean)``."""
        if self.device != "cuda":
            cpu, start = _cpu_clock(), _clock()
            out = call()
            seconds, cpu = _clock() - start, _cpu_clock() - cpu
            return out, seconds, seconds - cpu <= DESCHEDULED[0] * seconds + DESCHEDULED[1]
        _zero_(self.flush_buffer)   # the next call starts with a cold L2, like the reference
        _cuda_sync()
        start, end = _EventBase(enable_timing=True), _EventBase(enable_timing=True)
        _EventBase.record(start, self.stream)
        out = call()
        _cuda_sync()                # device-wide: work left on any stream is part of the call
        _EventBase.record(end, self.stream)
        _EventBase.synchronize(end)
        return out, _EventBase.elapsed_time(start, end) / 1e3, True


#: A CPU call is unclean when its wall time exceeds its CPU time by more than this share of the
#: wall time plus this many seconds (a time slice lost to another program is milliseconds).
DESCHEDULED = (0.1, 50e-6)


def measure(fn: Callable[..., Any], task: Task, seed: int, device: str, budget: Budget = Budget()) -> dict:
    """Interleaved, checked timing of ``fn`` against ``task.reference``; medians in seconds."""
    clock, watch = Clock(device), Watch(task)
    case = task.timing[device]
    pairs: list[tuple[float, float, bool]] = []   # (t_student, t_reference, clean), after the warm-up
    started, index = _clock(), 0
    while True:
        try:
            problem, pair = _timed_pair(fn, task, case, seed, index, device, clock, watch)
        except BaseException:
            if not watch.violations:
                raise
            problem, pair = None, None
        if problem or watch.violations:
            return _timing_reply(task, case, device, [], 0, watch, problem)
        if index >= budget.warmup:
            pairs.append(pair)
        index += 1
        clean = [p for p in pairs if p[2]]
        if _done([r / max(s, 1e-9) for s, r, _ in clean], _clock() - started, budget) or (
                pairs and _clock() - started >= budget.seconds * budget.hard):
            used = clean or pairs   # when no pair ran undisturbed, all of them (noisier)
            return _timing_reply(task, case, device, used, len(pairs) - len(used), watch, None)


def _timed_pair(fn, task, case, seed, index, device, clock, watch) -> tuple[Optional[str], tuple]:
    """One draw, both functions timed on copies of it (the order alternates): what went wrong, if
    anything, and ``(t_student, t_reference, both clean)``."""
    master = _draw(task, case, seed, index, device)
    results, times = {}, {}
    for who in (("student", "reference") if index % 2 == 0 else ("reference", "student")):
        kwargs = task.copy(master)
        handed = {k: (list(v) if _isinstance(v, list) else v) for k, v in kwargs.items()}
        if who == "student":
            returned, seconds, clean = watch.call(fn, kwargs, clock=clock)
        else:
            _no_tf32()  # whatever the student's call switched on
            returned, seconds, clean = clock.time(task.reference_call(kwargs))
        results[who], times[who] = (handed, returned), (seconds, clean)
    pair = (times["student"][0], times["reference"][0], times["student"][1] and times["reference"][1])
    return _timed_problem(task, results, master, index), pair


def _no_tf32() -> None:
    """The reference runs in true float32: no TensorFloat-32 in matrix products or convolutions."""
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False


def _draw(task: Task, case: dict, seed: int, pair: int, device: str) -> dict:
    """Fresh timing inputs for one pair, drawn on the device itself (they are large)."""
    if task is GAN:  # modules are drawn on the CPU and moved
        drawn = task.build(case, torch.float32, generator(seed, 1000, pair))
        return _gan_to(drawn, device) if device != "cpu" else drawn
    gen = torch.Generator(device=device).manual_seed(seed * 1_000_003 + 7919 * (pair + 1))
    with torch.device(device):  # factory functions make their tensors here
        return task.build(case, torch.float32, gen)


def _timed_problem(task: Task, results: dict, master: dict, pair: int) -> Optional[str]:
    """Whether the student's timed call returned the reference's result and left its inputs alone."""
    (handed, returned), (ref_handed, ref_returned) = results["student"], results["reference"]
    for name in task.frozen:
        if not _same(handed[name], master[name]):
            return f"timed call {pair + 1} changed its input `{name}` in place"
    got, want = task.outputs(handed, returned), task.outputs(ref_handed, ref_returned)
    rtol, atol = TOLERANCE["float32"]
    for (name, value), (_, expected) in zip(got, want):
        problem = _mismatch(value, expected, rtol, atol)
        if problem:
            return (f"timed call {pair + 1} (fresh inputs) returned a wrong {name}: {problem}; every timed "
                    "output is checked, so a result kept from an earlier call or computed after returning fails")
    return None


def _mismatch(value: Any, expected: Any, rtol: float, atol: float) -> Optional[str]:
    """What is wrong with a timed output, using only the functions taken at import (see above)."""
    if _isinstance(expected, float):
        if not _isinstance(value, float):
            return f"got {value!r}, expected {expected!r}"
        got = _float_value(value)   # the stored number, whatever a float subclass overrides
        if not _abs_number(got - expected) <= atol + rtol * _abs_number(expected):
            return f"got {got!r}, expected {expected!r}"
        return None
    if _type(value) is not _Tensor:
        return f"got a {_type(value).__name__}, not a plain torch.Tensor"
    with _plain_torch():
        if (_tuple(_size(value)) != _tuple(_size(expected)) or _dtype_of(value) is not _dtype_of(expected)
                or _device_of(value) != _device_of(expected)):
            return f"got {_tuple(_size(value))} {_dtype_of(value)} on {_device_of(value)}"
        # float32, as the timing inputs: the tolerance is 1e-4; NaN never passes (a comparison with
        # NaN is False)
        diff = _abs(_sub(value, expected))
        bad = _logical_not(_le(diff, _add(_mul(_abs(expected), rtol), atol)))
        if _bool(_item(_any(bad))):
            return f"{_int(_item(_count(bad)))} of {_numel(value)} values outside the float32 tolerance"
    return None


def _done(ratios: list, elapsed: float, budget: Budget) -> bool:
    """Whether ``ratios`` (the clean pairs so far) are enough after ``elapsed`` seconds."""
    if not ratios:
        return False  # slow calls: the hard limit and the grader's deadline bound this
    if elapsed >= budget.seconds * budget.hard or _len(ratios) >= budget.max_pairs:
        return True
    if _len(ratios) < budget.min_pairs:
        return False
    return elapsed >= budget.seconds or relative_standard_error(ratios) <= budget.rse


def relative_standard_error(values: list) -> float:
    """The standard error of the mean over the mean (inf for fewer than two values)."""
    if _len(values) < 2:
        return math.inf
    mean = statistics.fmean(values)
    return statistics.stdev(values) / math.sqrt(_len(values)) / mean if mean > 0 else math.inf


def _timing_reply(task, case, device, pairs, set_aside, watch, problem) -> dict:
    measured = bool(pairs) and problem is None and not watch.violations
    ratios = [r / max(s, 1e-9) for s, r, _ in pairs]
    return {"device": device, "device_name": _device_name(device), "case": task.describe(case),
            "pairs": _len(pairs), "set_aside": set_aside, "problem": problem,
            "violations": list(watch.violations), "threads_left": watch.threads_left,
            "t_student": statistics.median(s for s, _, _ in pairs) if measured else None,
            "t_reference": statistics.median(r for _, r, _ in pairs) if measured else None,
            "ratio": statistics.median(ratios) if measured else None,
            "rse": relative_standard_error(ratios) if _len(ratios) > 1 and measured else None}


def _device_name(device: str) -> str:
    if device == "cuda":
        return torch.cuda.get_device_name(torch.cuda.current_device())
    return "cpu"


# -- the entry point --------------------------------------------------------------------------------
def warm() -> None:
    """Import now what PyTorch would import on first use (``torch.optim`` pulls in ``torch._dynamo``,
    seconds of imports): called by the zygote before it forks, so every child starts warm."""
    import torch._dynamo  # noqa: F401
    import torch.utils._device  # noqa: F401
    torch.ones(2, 2) @ torch.ones(2, 2)  # reads /proc/cpuinfo once, here: a confined child cannot


def steady_allocator() -> None:
    """Keep freed memory in the process (glibc's malloc), so that every timed call on the CPU
    finds its output's pages already mapped, instead of paying page faults whose number depends
    on what was freed before: without it, ratios move by a third between runs."""
    try:
        libc = ctypes.CDLL(None)
        libc.mallopt(-3, 32 * 2**20)   # M_MMAP_THRESHOLD: glibc's largest; below it, from the heap
        libc.mallopt(-1, 2**30)        # M_TRIM_THRESHOLD: never hand the heap's top back
    except (OSError, AttributeError):  # not glibc
        pass


def device() -> str:
    """The run's device: CUDA when this process can use it, else the CPU."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def serve(fn: Callable[..., Any], request: dict) -> dict:
    """Answer one ``perf`` request for the student's ``fn`` (see the module docstring)."""
    task = TASKS[request["task"]]
    where = device()
    _no_tf32()
    if request["mode"] == "check":
        return run_cases(fn, task, int(request["seed"]), where)
    if where == "cpu":
        steady_allocator()
    budget = Budget(seconds=_float(request.get("budget_s", 1.0)))
    return measure(fn, task, int(request["seed"]), where, budget)
