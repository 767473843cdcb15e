"""The one sandbox: a warm child process per submission that runs the student's code.

The parent (this module) never imports student code.  It starts ``worker.py`` with a scrubbed
environment, a scratch working directory and resource limits, sends each call's arguments in
the safe encoding, waits at most ``timeout`` seconds, and decodes the reply without executing
anything.  A child that hangs, crashes, or leaves processes or threads behind is killed with
all its descendants and restarted for the next call.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
from importlib.util import find_spec
from pathlib import Path
from typing import Any, Optional

from grader import codec
from grader.calls import StudentFault, bind_names, check_unmodified, decode_value, encode_args

WORKER = Path(__file__).with_name("worker.py")
GLOBAL_SEED = 1234  # NumPy's and Python's global generators are seeded with this before every call
OUTPUT_KEEP = 4096
STARTUP_SECONDS = 120
_LIVE: set[int] = set()  # pids of running sandbox children in this process

#: What a NumPy exercise may not import (nor read from disk).
NUMPY_FORBIDDEN = ("torch", "scipy", "reference", "solutions", "grader")


def _package_dir(name: str) -> Optional[str]:
    """Where package ``name`` lives (``solutions/`` beside the grader), without importing it."""
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


class Sandbox:
    """Runs one submission's functions in a child process; ``call`` returns decoded values."""

    def __init__(self, files: dict[str, Path], timeout: float = 10.0, memory_mb: int = 4096,
                 forbidden: tuple[str, ...] = NUMPY_FORBIDDEN):
        self.files = {name: Path(path).resolve() for name, path in files.items()}
        self.timeout = timeout
        self.memory_mb = memory_mb
        self.forbidden = forbidden
        self.process: Optional[subprocess.Popen] = None
        self.loaded: dict[str, dict] = {}
        self.scratch = tempfile.mkdtemp(prefix="gradelab-scratch-")
        self._output = bytearray()
        self._output_total = 0
        self._lock = threading.Lock()

    # -- lifecycle -----------------------------------------------------------------------------
    def start(self) -> None:
        """Start the child unless it is running (early, so its imports overlap with the grader's)."""
        if self.process is not None and self.process.poll() is None:
            return
        _become_subreaper()
        request_r, request_w = os.pipe()
        reply_r, reply_w = os.pipe()
        submission_dirs = {str(p.parent) + os.sep for p in self.files.values()}
        forbidden_paths = {name: _package_dir(name) for name in self.forbidden}
        config = {"request_fd": request_r, "reply_fd": reply_w, "memory_bytes": self.memory_mb * 2**20,
                  "file_bytes": 64 * 2**20, "forbidden": list(self.forbidden),
                  "forbidden_paths": {n: d for n, d in forbidden_paths.items() if d and d not in submission_dirs},
                  "allowed_paths": sorted(submission_dirs)}
        self.process = subprocess.Popen(
            [sys.executable, "-s", "-B", "-P", str(WORKER), json.dumps(config)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            pass_fds=(request_r, reply_w), cwd=self.scratch, env=self._environment(),
            start_new_session=True)
        os.close(request_r)
        os.close(reply_w)
        os.set_blocking(request_w, False)
        self._request_w, self._reply_r = request_w, reply_r
        self.loaded = {}
        self._ready = False
        self._inbox = bytearray()
        _LIVE.add(self.process.pid)
        threading.Thread(target=self._drain, args=(self.process.stdout,), daemon=True).start()

    def _environment(self) -> dict[str, str]:
        return {"GRADELAB_SANDBOX": "1", "PATH": os.defpath, "HOME": self.scratch, "TMPDIR": self.scratch, "LANG": "C.UTF-8",
                "PYTHONHASHSEED": "0", "PYTHONDONTWRITEBYTECODE": "1", "OMP_NUM_THREADS": "1",
                "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

    def _drain(self, stream) -> None:
        for chunk in iter(lambda: stream.read1(65536), b""):
            with self._lock:
                self._output_total += len(chunk)
                room = OUTPUT_KEEP - len(self._output)
                if room > 0:
                    self._output += chunk[:room]

    def take_output(self) -> str:
        """What the child printed since the last call (the first few KB of it)."""
        with self._lock:
            text = self._output.decode("utf-8", "replace")
            total = self._output_total
            self._output.clear()
            self._output_total = 0
        if total > OUTPUT_KEEP:
            text += f"\n... ({total - OUTPUT_KEEP} more bytes of output not shown)"
        return text

    def kill(self) -> None:
        """End the child and every process it started."""
        if self.process is None:
            return
        pid = self.process.pid
        victims = _descendants(pid) + [pid]
        for victim in victims:
            try:
                os.kill(victim, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.process.wait()
        _LIVE.discard(pid)
        _reap_orphans(settle=True)
        for fd in (self._request_w, self._reply_r):
            try:
                os.close(fd)
            except OSError:
                pass
        self.process = None
        self.loaded = {}

    def close(self) -> None:
        self.kill()
        _reap_orphans()
        shutil.rmtree(self.scratch, ignore_errors=True)

    def __enter__(self) -> "Sandbox":
        self.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- requests --------------------------------------------------------------------------------
    def _exchange(self, request: dict) -> dict:
        """Send one request and wait for its reply; faults for hangs and crashes."""
        self.start()
        payload = codec.dumps(request)
        try:
            if not self._ready:  # the child's own start-up (importing NumPy) is not the student's time
                if self._receive(time.monotonic() + STARTUP_SECONDS, startup=True).get("status") != "ready":
                    raise codec.CodecError("the sandbox did not start")
                self._ready = True
            deadline = time.monotonic() + self.timeout
            self._write(struct.pack(">Q", len(payload)) + payload, deadline)
            reply = self._receive(deadline)
        except StudentFault:
            self.kill()
            raise
        except (BrokenPipeError, EOFError, OSError):
            raise self._crashed() from None
        except codec.CodecError as exc:
            self.kill()
            raise StudentFault("error", f"returned something the grader cannot read ({exc})") from None
        self._reap_leftovers(reply)
        return reply

    def _receive(self, deadline: float, startup: bool = False) -> dict:
        size = struct.unpack(">Q", self._read(8, deadline, startup))[0]
        if size > codec.MAX_MESSAGE_BYTES:
            raise codec.CodecError(f"a reply of {size} bytes is larger than the limit")
        reply = codec.loads(self._read(size, deadline, startup))
        if type(reply) is not dict or type(reply.get("status")) is not str:
            raise codec.CodecError("a malformed reply")
        return reply

    def _write(self, data: bytes, deadline: float) -> None:
        view = memoryview(data)
        while view:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([], [self._request_w], [], wait)[1]:
                raise self._timed_out()
            try:
                view = view[os.write(self._request_w, view):]
            except BlockingIOError:
                continue

    def _timed_out(self) -> StudentFault:
        return StudentFault("timeout", f"did not return within {self.timeout:g} s "
                                       "(an infinite loop, or far too slow); the process was stopped")

    def _read(self, size: int, deadline: float, startup: bool = False) -> bytes:
        """Exactly ``size`` bytes of reply, reading whatever has arrived in one go."""
        while len(self._inbox) < size:
            wait = deadline - time.monotonic()
            if wait <= 0 or not select.select([self._reply_r], [], [], wait)[0]:
                if startup:
                    raise StudentFault("error", f"the sandbox did not start within {STARTUP_SECONDS} s")
                raise self._timed_out()
            chunk = os.read(self._reply_r, max(size - len(self._inbox), 1 << 16))
            if not chunk:
                raise EOFError
            self._inbox += chunk
        data = bytes(self._inbox[:size])
        del self._inbox[:size]
        return data

    def _crashed(self) -> StudentFault:
        process = self.process
        code = process.wait(timeout=5) if process else None
        output = self.take_output()
        self.kill()
        how = f"killed by signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        if code == -signal.SIGSEGV:
            how += " (segmentation fault)"
        detail = f"\nit printed:\n{output}" if output.strip() else ""
        return StudentFault("crashed", f"the process running your code ended during the call ({how}){detail}")

    def _reap_leftovers(self, reply: dict) -> None:
        """Processes or threads a call left running are not allowed to outlive it.

        The child reports whether student code started anything; only then is the process
        table searched (``close`` searches it regardless).
        """
        if self.process is None:
            return
        if reply.get("spawned") is not False or reply.get("threads", 1) != 1:
            if reply.get("threads", 1) != 1 or _descendants(self.process.pid):
                self.kill()
            _reap_orphans()

    def load(self, module: str) -> dict:
        """Import ``module`` in the child once; its status (ok, error, violation, missing)."""
        if module not in self.loaded:
            if module not in self.files:
                return {"status": "missing", "message": f"no {module}.py in the submission"}
            try:
                reply = self._exchange({"op": "load", "module": module, "path": str(self.files[module])})
            except StudentFault as fault:
                reply = {"status": "error", "message": "importing the module " + fault.message}
            if reply["status"] != "ok":
                output = self.take_output().strip()
                if output:
                    reply["message"] += f"\nit printed:\n{output}"
                return reply
            self.loaded[module] = reply
        return self.loaded[module]

    def call(self, module: str, function: str, args: tuple, kwargs: dict) -> tuple[Any, Any]:
        """Call ``module.function(*args, **kwargs)`` in the child: (value, arguments afterwards)."""
        status = self.load(module)
        if status["status"] != "ok":
            raise StudentFault("error" if status["status"] == "error" else status["status"], status["message"])
        self.take_output()
        reply = self._exchange({"op": "call", "module": module, "function": function,
                                "args": encode_args((args, kwargs)), "global_seed": GLOBAL_SEED})
        if reply["status"] != "ok":
            message = str(reply.get("message", ""))
            if reply["status"] == "error":
                output = self.take_output().strip()
                if output:
                    message += f"\nit printed:\n{output}"
            status = reply["status"] if reply["status"] in ("not_implemented", "missing", "violation") else "error"
            raise StudentFault(status, message)
        try:
            return decode_value(reply["value"]), decode_value(reply["after"])
        except (codec.CodecError, KeyError) as exc:
            raise StudentFault("error", f"returned something the grader cannot read ({exc})") from None

    def function(self, module: str, name: str, param_names: tuple[str, ...], mutable: tuple[str, ...] = ()):
        """A callable the engine can use like the student's function itself."""
        return SandboxFunction(self, module, name, param_names, mutable)


class SandboxFunction:
    def __init__(self, sandbox: Sandbox, module: str, name: str, param_names: tuple[str, ...], mutable: tuple[str, ...]):
        self.sandbox, self.module, self.name = sandbox, module, name
        self.param_names, self.mutable = param_names, mutable

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        value, (args_after, kwargs_after) = self.sandbox.call(self.module, self.name, args, kwargs)
        before = bind_names(self.param_names, args, kwargs)
        check_unmodified(before, bind_names(self.param_names, args_after, kwargs_after), self.mutable)
        return value


# -- the process table ---------------------------------------------------------------------------
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
    for attempt in range(10 if settle else 1):
        if not _reap_orphans_once() and attempt:
            return
        time.sleep(0.005)


def _reap_orphans_once() -> bool:
    found = False
    for pid in _descendants(os.getpid(), depth=1):
        if pid not in _LIVE and _is_orphan_of_a_sandbox(pid):
            found = True
            for victim in _descendants(pid) + [pid]:
                try:
                    os.kill(victim, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            try:
                os.waitpid(pid, 0)
            except ChildProcessError:
                pass
    return found


def _is_orphan_of_a_sandbox(pid: int) -> bool:
    """Processes started by student code carry the sandbox's marker in their environment."""
    try:
        with open(f"/proc/{pid}/environ", "rb") as handle:
            return b"GRADELAB_SANDBOX=1" in handle.read().split(b"\0")
    except OSError:
        return False
