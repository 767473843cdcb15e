"""The parent side of the sandbox: student code runs in fresh children of a warm zygote.

The grader never imports student code.  :class:`Sandbox` copies the submission's exercise
modules (``.py`` sources only) into a private folder, starts ``worker.py`` (the zygote) with a
scrubbed environment in a scratch directory, and for every graded function asks it to fork a
fresh child that confines itself and imports that function's module.  Each call's arguments go
to the child in the safe encoding, its reply is awaited at most ``timeout`` seconds and
validated by :mod:`grader.protocol` before anything is decoded.  Whatever the child does -- hang,
crash, close its socket, write garbage, print megabytes, leave threads running -- becomes that
call's :class:`StudentFault`; the child is ended and the next call gets a fresh one with the
module imported again.  A failure of the sandbox itself is a :class:`SandboxError`.
"""

from __future__ import annotations

import glob
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Optional

from grader import protocol
from grader.calls import GLOBAL_SEED, StudentFault, bind_names, decode_value, encode_args, modified_in_place
from grader.policy import GPU_DEVICES, GPU_READ, NUMPY, Policy

WORKER = Path(__file__).with_name("worker.py")
OUTPUT_KEEP = 4096
STARTUP_SECONDS = 120
CONTROL_SECONDS = 30  # a zygote that takes longer than this to fork or reap is restarted


class SandboxError(RuntimeError):
    """The sandbox itself failed (not the student's code): a failure of the grader."""


def package_dir(name: str) -> Optional[str]:
    """Where package ``name`` lives (the project's own beside the grader), without importing it."""
    beside = Path(__file__).resolve().parent.parent / name
    if name in ("reference", "solutions", "grader") and beside.is_dir():
        return str(beside) + os.sep
    try:
        spec = find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.realpath(list(spec.submodule_search_locations)[0]) + os.sep


@dataclass
class _Child:
    pid: int
    sock: socket.socket
    output: int
    module: str
    status: dict = field(default_factory=dict)
    used: bool = False
    inbox: bytearray = field(default_factory=bytearray)  # reply bytes read but not yet used


class Sandbox:
    """Runs one submission's functions in sandboxed children; ``call`` returns decoded values."""

    def __init__(self, files: dict[str, Path], timeout: float = 10.0, memory_mb: int = 4096,
                 policy: Policy = NUMPY):
        self.files = {name: Path(path) for name, path in files.items()}
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.policy = policy
        self.scratch = tempfile.mkdtemp(prefix="gradelab-scratch-")
        self.private = tempfile.mkdtemp(prefix="gradelab-source-")
        self.zygote: Optional[subprocess.Popen] = None
        self.child: Optional[_Child] = None
        self.confinement: dict = {}
        self._control: Optional[socket.socket] = None
        self._ready = False
        self._seq = 0
        self._output = bytearray()
        self._output_total = 0
        self._zygote_errors = bytearray()
        for name, path in self.files.items():  # sources only: no bytecode, no other files
            Path(self.private, f"{name}.py").write_bytes(path.read_bytes())

    def refresh(self, files: dict[str, Path]) -> None:
        """Take the submission's sources again (after an edit): the next child sees them."""
        self._retire()
        if set(files) != set(self.files):  # the zygote knows which modules exist: start a new one
            self._stop_zygote()
        for name in set(self.files) - set(files):
            Path(self.private, f"{name}.py").unlink(missing_ok=True)
        self.files = {name: Path(path) for name, path in files.items()}
        for name, path in self.files.items():
            Path(self.private, f"{name}.py").write_bytes(path.read_bytes())

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the zygote unless it runs (early, so its imports overlap with the grader's)."""
        if self.zygote is not None and self.zygote.poll() is None:
            return
        _become_subreaper()
        control, theirs = socket.socketpair()
        forbidden_paths = {name: package_dir(name) for name in self.policy.forbidden}
        config = {"control_fd": theirs.fileno(), "preload": list(self.policy.preload),
                  "memory_bytes": self._memory_bytes(), "file_bytes": 64 * 2**20,
                  "forbidden": list(self.policy.forbidden),
                  "forbidden_paths": {n: d for n, d in forbidden_paths.items() if d},
                  "packages": None if self.policy.packages is None else list(self.policy.packages),
                  "rule": self.policy.allowed,
                  "submission_dir": self.private, "modules": sorted(self.files),
                  "confinement": self._confinement_request()}
        self.zygote = subprocess.Popen(
            [sys.executable, "-s", "-B", "-P", str(WORKER), json.dumps(config)],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            pass_fds=(theirs.fileno(),), cwd=self.scratch, env=self._environment(),
            start_new_session=True)
        theirs.close()
        self._control = control
        self._ready = False
        self._zygote_errors.clear()
        threading.Thread(target=self._drain_zygote, args=(self.zygote.stderr,), daemon=True).start()

    def _confinement_request(self) -> dict:
        request = {"read": [self.private], "write": [self.scratch], "packages": self.policy.packages,
                   "forbidden": list(self.policy.forbidden),
                   "landlock": os.environ.get("GRADELAB_NO_LANDLOCK", "") in ("", "0")}
        if self.policy.accelerator and _has_gpu():
            request["devices"] = [*GPU_DEVICES, *sorted(glob.glob("/dev/nvidia[0-9]*"))]
            request["read"] += [path for path in GPU_READ if os.path.exists(path)]
        return request

    def _memory_bytes(self) -> int:
        """The child's address-space limit; none for a GPU tier on a GPU (CUDA reserves terabytes)."""
        return -1 if self.policy.accelerator and _has_gpu() else self.memory_mb * 2**20

    def _environment(self) -> dict[str, str]:
        return {"GRADELAB_SANDBOX": "1", "PATH": os.defpath, "HOME": self.scratch, "TMPDIR": self.scratch,
                "LANG": "C.UTF-8", "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1",
                "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

    def _drain_zygote(self, stream) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):
            if len(self._zygote_errors) < 65536:
                self._zygote_errors += chunk

    @property
    def isolation(self) -> str:
        return str(self.confinement.get("isolation", "guard-only"))

    def close(self) -> None:
        self._retire()
        self._stop_zygote()
        _reap_orphans(settle=True)
        shutil.rmtree(self.scratch, ignore_errors=True)
        shutil.rmtree(self.private, ignore_errors=True)

    def __enter__(self) -> "Sandbox":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def _stop_zygote(self) -> None:
        if self.zygote is not None:
            _kill_tree(self.zygote.pid)
            try:
                os.killpg(self.zygote.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            self.zygote.wait()
            self.zygote.stderr.close()
            self.zygote = None
        if self._control is not None:
            self._control.close()
            self._control = None

    # -- the zygote ------------------------------------------------------------------------------
    def _zygote(self, message: dict) -> tuple[dict, list[int]]:
        """One request to the zygote; a spawn restarts it once if it is gone or stuck."""
        for attempt in (1, 2) if message["op"] == "spawn" else (1,):
            try:
                self.start()
                if not self._ready:
                    ready, _ = self._control_reply("ready", 0, time.monotonic() + STARTUP_SECONDS)
                    self.confinement = ready["confinement"]
                    self._ready = True
                seq = self._next_seq()
                self._control.sendall(protocol.frame({**message, "seq": seq}))
                return self._control_reply(message["op"], seq, time.monotonic() + CONTROL_SECONDS)
            except (OSError, EOFError, protocol.ProtocolError) as exc:
                problem = exc
                self._retire(wait=False)
                self._stop_zygote()
        detail = self._zygote_errors.decode("utf-8", "replace").strip()[-2000:]
        raise SandboxError(f"the sandbox's worker process failed ({problem})" + (f":\n{detail}" if detail else ""))

    def _control_reply(self, kind: str, seq: int, deadline: float) -> tuple[dict, list[int]]:
        sock = self._control
        sock.settimeout(max(0.001, deadline - time.monotonic()))
        try:
            first, fds, _, _ = socket.recv_fds(sock, 1, 2)
            if not first:
                raise EOFError("the worker closed its channel")
            header = first + _recv_exactly(sock, protocol.HEADER.size - 1)
            reply = protocol.parse(_recv_exactly(sock, protocol.frame_size(header)))
        except socket.timeout:
            raise EOFError(f"no reply to {kind} in time") from None
        finally:
            sock.settimeout(None)
        return protocol.check_reply(kind, seq, reply), fds

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    # -- children ----------------------------------------------------------------------------------
    def open(self, module: str) -> dict:
        """A fresh child with ``module`` imported; the import's status (ok, error, violation, missing).

        A child that has not served a call yet is fresh, so it is kept.
        """
        if self.child is not None and self.child.module == module and not self.child.used:
            return self.child.status
        self._retire()
        if module not in self.files:
            return {"status": "missing", "message": f"no {module}.py in the submission"}
        reply, fds = self._zygote({"op": "spawn"})
        if len(fds) != 2:
            raise SandboxError("the sandbox's worker did not hand over a child's channels")
        self.child = _Child(reply["pid"], socket.socket(fileno=fds[0]), fds[1], module)
        os.set_blocking(self.child.output, False)
        self.take_output()
        try:
            status = self._exchange("load", {"op": "load", "module": module})
        except StudentFault as fault:
            status = {"status": "timeout" if fault.status == "timeout" else "error",
                      "message": "importing the module " + fault.message}
        if status["status"] == "ok":
            self.confinement = status.pop("confinement")
        elif self.child is not None:
            output = self.take_output().strip()
            if output:
                status["message"] += f"\nit printed:\n{output}"
        status.pop("seq", None)
        if self.child is not None:
            self.child.status = status
        return status

    def call(self, module: str, function: str, args: tuple, kwargs: dict, keep: tuple[int, ...] = ()) -> tuple[Any, Any]:
        """Call ``module.function(*args, **kwargs)`` in the child: (value, the arguments it changed in
        place, as positions and names).

        ``keep`` lists positions of the returned tuple that stay in the child (the student's own
        optimizer state); the grader receives :class:`grader.codec.Ref` placeholders for them.
        """
        outcome = self.call_many(module, function, [(args, kwargs)], keep)[0]
        if isinstance(outcome, StudentFault):
            raise outcome
        return outcome

    def call_many(self, module: str, function: str, calls: list[tuple[tuple, dict]],
                  keep: tuple[int, ...] = (), order: tuple[str, ...] = ()) -> list[Any]:
        """Several calls, pipelined: every request is sent at once and each reply awaited at most
        ``timeout`` seconds after the one before.  The outcomes in order, each ``(value, changed
        arguments)``; the first call that does not return normally ends the list with its
        :class:`StudentFault`, and the child is then ended (it may have run the calls after it).
        ``order`` is the contract's parameter order, for a function that names its parameters
        differently (see ``worker.fit_arguments``).
        """
        self._child_for(module)
        child = self.child
        child.used = True
        self.take_output()
        seqs = [self._next_seq() for _ in calls]
        frames = b"".join(protocol.frame({"op": "call", "function": function, "args": encode_args(call),
                                          "global_seed": GLOBAL_SEED, "keep": list(keep), "order": list(order),
                                          "seq": seq})
                          for call, seq in zip(calls, seqs))
        outcomes: list[Any] = []
        try:
            self._send(child, frames)
            for seq in seqs:
                outcomes.append(self._call_outcome(self._receive(child, "call", seq, self.timeout)))
                if isinstance(outcomes[-1], StudentFault):
                    self._retire()
                    break
        except StudentFault as fault:
            outcomes.append(fault)
        if self.child is not None and not self.confinement.get("seccomp"):  # where the kernel lets student
            leftovers = _descendants(self.child.pid)                         # code start processes, none
            for pid in leftovers:                                            # outlives the call
                _kill_tree(pid)
            _reap_orphans(settle=bool(leftovers))
        return outcomes

    def _child_for(self, module: str) -> None:
        """A child with ``module`` imported, or the fault that prevents one."""
        if self.child is None or self.child.module != module:
            self.open(module)
        if self.child is None or self.child.status.get("status") != "ok":
            status = self.child.status if self.child else {"status": "error", "message": "the module could not be imported"}
            kind = status["status"] if status["status"] in ("violation", "missing", "timeout") else "error"
            raise StudentFault(kind, status["message"])

    def _call_outcome(self, reply: dict) -> Any:
        if reply["status"] != "ok":
            message = reply["message"]
            output = self.take_output().strip()
            if output and reply["status"] == "error":
                message += f"\nit printed:\n{output}"
            return StudentFault(reply["status"], message)
        try:
            return decode_value(reply["value"]), reply["changed"]
        except Exception as exc:  # CodecError, or a structure the decoder refuses
            return StudentFault("error", f"returned something the grader cannot read ({exc})")

    def perf(self, module: str, function: str, task: dict, seconds: float) -> dict:
        """The torch tier: ``grader/perf.py`` checks or times ``module.function`` in the child
        (``task`` says what), within ``seconds``; its plain-data result (the grader validates it)."""
        self._child_for(module)
        self.child.used = True
        self.take_output()
        reply = self._exchange("perf", {"op": "perf", "function": function, "task": task}, seconds)
        if reply["status"] != "ok":
            raise StudentFault(reply["status"], reply["message"])
        return reply["result"]

    def function(self, module: str, name: str, param_names: tuple[str, ...], mutable: tuple[str, ...] = (),
                 keep: tuple[int, ...] = ()):
        """A callable the engine can use like the student's function itself."""
        return SandboxFunction(self, module, name, param_names, mutable, keep)

    def _exchange(self, kind: str, message: dict, seconds: Optional[float] = None) -> dict:
        """Send one request to the child and wait for its validated reply."""
        child = self.child
        seq = self._next_seq()
        self._send(child, protocol.frame({**message, "seq": seq}), seconds)
        return self._receive(child, kind, seq, seconds)

    def _send(self, child: _Child, data: bytes, seconds: Optional[float] = None) -> None:
        """Write ``data`` to the child, keeping what it sends meanwhile; faults as StudentFault."""
        self._talk(child, memoryview(data), seconds)

    def _receive(self, child: _Child, kind: str, seq: int, seconds: Optional[float] = None) -> dict:
        """The child's validated reply to request ``seq``; faults as StudentFault."""
        payload = self._talk(child, None, seconds)
        try:
            return protocol.check_reply(kind, seq, protocol.parse(payload))
        except protocol.ProtocolError as exc:
            self._retire()
            raise StudentFault("error", f"the process running your code sent a reply the grader cannot read "
                                        f"({exc}); was something written to the grader's channel?") from None

    def _talk(self, child: _Child, send: Optional[memoryview], seconds: Optional[float]) -> Optional[bytes]:
        """Send ``send``, or else wait for one whole frame; no more than ``seconds`` without progress."""
        seconds = self.timeout if seconds is None else seconds
        try:
            return self._pump(child, send, seconds)
        except TimeoutError:
            self._retire()
            raise StudentFault("timeout", f"did not return within {seconds:g} s (an infinite loop, or far "
                                          "too slow); the process was stopped") from None
        except (EOFError, ConnectionError, BrokenPipeError):
            raise self._crashed() from None
        except protocol.ProtocolError as exc:
            self._retire()
            raise StudentFault("error", f"the process running your code sent a reply the grader cannot read "
                                        f"({exc})") from None

    def _pump(self, child: _Child, send: Optional[memoryview], seconds: float) -> Optional[bytes]:
        """Send all of ``send`` (``None``: take one frame from the inbox), reading the child's
        replies into its inbox and its output meanwhile; the clock restarts at every step."""
        deadline = time.monotonic() + seconds
        while True:
            if send is None:
                frame = _take_frame(child.inbox)
                if frame is not None:
                    return frame
            elif not send:
                return None
            wait = deadline - time.monotonic()
            if wait <= 0:
                raise TimeoutError
            readable, writable, _ = select.select([child.sock, child.output], [child.sock] if send else [], [], wait)
            if child.output in readable:
                self._drain_output(child)
            if child.sock in readable:
                try:
                    chunk = child.sock.recv(1 << 20, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    chunk = None
                if chunk == b"":
                    raise EOFError
                if chunk:
                    child.inbox += chunk
                    deadline = time.monotonic() + seconds
            if send and child.sock in writable:
                try:
                    sent = child.sock.send(send, socket.MSG_DONTWAIT)
                except BlockingIOError:
                    sent = 0
                if sent:
                    send = send[sent:]
                    deadline = time.monotonic() + seconds

    def _drain_output(self, child: _Child) -> None:
        while True:
            try:
                chunk = os.read(child.output, 1 << 16)
            except (BlockingIOError, OSError):
                return
            if not chunk:
                return
            self._output_total += len(chunk)
            room = OUTPUT_KEEP - len(self._output)
            if room > 0:
                self._output += chunk[:room]

    def take_output(self) -> str:
        """What the child printed since the last call (the first few KB of it)."""
        if self.child is not None:
            self._drain_output(self.child)
        text = protocol.clean_text(self._output.decode("utf-8", "replace"))
        if self._output_total > OUTPUT_KEEP:
            text += f"\n... ({self._output_total - OUTPUT_KEEP} more bytes of output not shown)"
        self._output.clear()
        self._output_total = 0
        return text

    def _crashed(self) -> StudentFault:
        code = self._retire()
        output = self.take_output()
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        if code == -signal.SIGSEGV:
            how += " (segmentation fault)"
        elif code == -signal.SIGKILL:
            how += " (it closed its channel to the grader, or was killed)"
        detail = f"\nit printed:\n{output}" if output.strip() else ""
        return StudentFault("crashed", f"the process running your code ended during the call ({how}){detail}")

    def _retire(self, wait: bool = True) -> Optional[int]:
        """End the current child (and anything it started); how it ended, when known."""
        child, self.child = self.child, None
        if child is None:
            return None
        self._drain_output(child)
        _kill_tree(child.pid)
        child.sock.close()
        code = None
        if wait:
            try:
                code = self._zygote({"op": "wait", "pid": child.pid})[0]["code"]
            except SandboxError:
                code = None
        self._drain_output(child)
        os.close(child.output)
        _reap_orphans()
        return code


class SandboxFunction:
    """The student's function as the engine calls it; ``printed`` collects what the calls printed."""

    def __init__(self, sandbox: Sandbox, module: str, name: str, param_names: tuple[str, ...],
                 mutable: tuple[str, ...], keep: tuple[int, ...] = ()):
        self.sandbox, self.module, self.name = sandbox, module, name
        self.param_names, self.mutable, self.keep = param_names, mutable, keep
        self.printed = ""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        outcome = self.many([(args, kwargs)])[0]
        if isinstance(outcome, StudentFault):
            raise outcome
        return outcome

    def many(self, calls: list[tuple[tuple, dict]]) -> list[Any]:
        """Call with each ``(args, kwargs)`` in ``calls``, pipelined (see :meth:`Sandbox.call_many`):
        the values in order, ending with a StudentFault if one is met (an input changed in place
        is one)."""
        outcomes = self.sandbox.call_many(self.module, self.name, calls, self.keep, self.param_names)
        if len(self.printed) < OUTPUT_KEEP:
            self.printed += self.sandbox.take_output()
        values = []
        for (call_args, call_kwargs), outcome in zip(calls, outcomes):
            if isinstance(outcome, StudentFault):
                values.append(outcome)
                break
            value, changed = outcome
            names = [self.param_names[c] if type(c) is int and c < len(self.param_names) else c for c in changed]
            sent = bind_names(self.param_names, call_args, call_kwargs)
            modified = [name for name in names if name in sent and name not in self.mutable]
            if modified:
                values.append(modified_in_place(modified[0], sent[modified[0]]))
                break
            values.append(value)
        return values

    def fresh(self) -> None:
        """Start over in a fresh child (the next call imports the module again)."""
        self.sandbox._retire()


def kernel_confinement() -> bool:
    """Whether sandboxed children would be confined by Landlock (``GRADELAB_NO_LANDLOCK=1`` says no)."""
    from grader.confine import landlock_abi

    return os.environ.get("GRADELAB_NO_LANDLOCK", "") in ("", "0") and landlock_abi() > 0


def _take_frame(inbox: bytearray) -> Optional[bytes]:
    """The first whole frame's payload in ``inbox`` (removed from it), or None."""
    if len(inbox) < protocol.HEADER.size:
        return None
    size = protocol.frame_size(bytes(inbox[:protocol.HEADER.size]))
    end = protocol.HEADER.size + size
    if len(inbox) < end:
        return None
    payload = bytes(inbox[protocol.HEADER.size:end])
    del inbox[:end]
    return payload


def _has_gpu() -> bool:
    return os.path.exists("/dev/nvidiactl")


def _recv_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(min(size - len(data), 1 << 20))
        if not chunk:
            raise EOFError("the worker closed its channel")
        data += chunk
    return bytes(data)


# -- the process table (where the kernel does not stop student code from starting processes) ----
def _kill_tree(pid: int) -> None:
    for victim in _descendants(pid) + [pid]:
        try:
            os.kill(victim, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _descendants(pid: int, depth: int = 64) -> list[int]:
    """Live descendants of ``pid`` down to ``depth`` generations, from /proc."""
    found, frontier = [], [pid]
    for _ in range(depth):
        if not frontier:
            break
        parents, frontier = frontier, []
        for parent in parents:
            frontier += _children(parent)
        found += frontier
    return found


def _children(parent: int) -> list[int]:
    kids: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{parent}/task")
    except OSError:
        return kids
    for task in tasks:
        try:
            with open(f"/proc/{parent}/task/{task}/children") as handle:
                kids += [int(k) for k in handle.read().split()]
        except OSError:
            continue
    return kids


def _become_subreaper() -> None:
    """Orphans of student code (double forks) are re-parented to us, so they can be ended."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER
    except (OSError, AttributeError):
        pass


def _reap_orphans(settle: bool = False) -> None:
    """Kill and reap processes re-parented to the grader that no sandbox owns.

    With ``settle``, look again until none turns up: killing a process re-parents its own
    children a moment later.
    """
    for _ in range(10 if settle else 1):
        if not _reap_orphans_once():
            return
        time.sleep(0.005)  # killing a process re-parents its own children a moment later


def _reap_orphans_once() -> bool:
    found = False
    for pid in _descendants(os.getpid(), depth=1):
        if _is_orphan_of_a_sandbox(pid):
            found = True
            _kill_tree(pid)
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    return found


def _is_orphan_of_a_sandbox(pid: int) -> bool:
    """Processes started by student code carry the sandbox's marker; zygotes are our own children."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            marked = b"GRADELAB_SANDBOX=1" in handle.read().split(b"\0")
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            zygote = str(WORKER).encode() in handle.read().split(b"\0")
    except OSError:
        return False
    return marked and not zygote
