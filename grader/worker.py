"""The sandboxed child: imports a submission's modules and calls its functions on request.

Started by :mod:`grader.sandbox` as ``python -s -B -P worker.py CONFIG_JSON``, with a scrubbed
environment and a scratch working directory.  It reads length-prefixed requests on one pipe and
writes replies on another, in the safe encoding of ``codec.py``; the student's prints go to
stdout/stderr, which the parent captures separately.  This file imports only the standard
library and NumPy (plus ``codec.py`` and ``testfns.py``, loaded by path), so nothing of the
grader is importable from here under its own name.
"""

import builtins
import importlib.util
import json
import os
import random
import resource
import struct
import sys
import threading
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
SUBMISSION_DIRS = ()  # set from the configuration at start-up


def _load_private(name):
    spec = importlib.util.spec_from_file_location(f"_gradelab_{name}", os.path.join(HERE, f"{name}.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class ForbiddenImport(ImportError):
    pass


class Guard:
    """Blocks and records forbidden imports and writes outside the scratch directory.

    It is both an audit hook (which cannot be removed: it sees ``import`` statements, opened
    files and file-system changes) and the first import finder (which sees
    ``importlib.import_module``, whose imports raise no audit event).
    """

    def __init__(self, forbidden, forbidden_paths, allowed_paths, writable):
        self.writable = os.path.abspath(writable) + os.sep
        self.forbidden = set(forbidden)
        self.forbidden_paths = dict(forbidden_paths)  # package name -> its directory
        self.allowed_paths = tuple(allowed_paths)
        self.violations = []
        self.active = False  # only student code is watched, not the worker's own bookkeeping
        self.spawned = False  # a process or thread was started: the parent cleans up after the call

    def __call__(self, event, args):
        if not self.active:
            return
        if event in self.STARTS_SOMETHING or event.startswith("os.exec") or event.startswith("os.spawn"):
            self.spawned = True
            environment = {"subprocess.Popen": 3, "os.exec": 2, "os.posix_spawn": 2}.get(event)
            if environment is not None and len(args) > environment and args[environment] is not None:
                self._keeps_marker(args[environment])
        elif event == "import":
            top = str(args[0]).partition(".")[0]
            if top in self.forbidden:
                self._violate(f"imports {top}")
        elif event == "open" and isinstance(args[0], (str, bytes)):
            path = os.path.abspath(os.fsdecode(args[0]))
            mode, flags = args[1], args[2] if len(args) > 2 else 0
            writing = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC))
            if writing:
                self._only_in_scratch(path)
            if path.startswith(self.allowed_paths):
                return
            for name, folder in self.forbidden_paths.items():
                if path.startswith(folder):
                    self._violate(f"imports {name}")
        elif event in self.CHANGES_FILES:
            for target in args[: self.CHANGES_FILES[event]]:
                if isinstance(target, (str, bytes)):
                    self._only_in_scratch(os.path.abspath(os.fsdecode(target)))

    STARTS_SOMETHING = {"os.fork", "os.forkpty", "os.posix_spawn", "os.system", "subprocess.Popen",
                        "_thread.start_new_thread", "os.startfile", "pty.spawn"}

    #: Audit events that change the file system, and how many leading arguments are paths.
    CHANGES_FILES = {"os.remove": 1, "os.rename": 2, "os.rmdir": 1, "os.mkdir": 1, "os.truncate": 1,
                     "os.chmod": 1, "os.symlink": 2, "os.link": 2, "shutil.rmtree": 1, "shutil.move": 2,
                     "shutil.copyfile": 2}

    def _keeps_marker(self, environment):
        """A process may start only with the sandbox's marker, so that it can be found and ended."""
        try:
            marked = any(os.fsdecode(k) == "GRADELAB_SANDBOX" for k in environment)
        except Exception:
            marked = False
        if not marked:
            raise PermissionError("gradelab: processes started by student code must keep the sandbox's "
                                  "environment (pass env=None or a copy of os.environ)")

    def _only_in_scratch(self, path):
        if not (path + os.sep).startswith(self.writable):
            raise PermissionError(f"gradelab: student code may write only in its scratch directory, not {path}")

    def find_spec(self, name, path=None, target=None):
        if self.active and name.partition(".")[0] in self.forbidden:
            self._violate(f"imports {name.partition('.')[0]}")
        return None

    def _violate(self, what):
        if what not in self.violations:
            self.violations.append(what)
        raise ForbiddenImport(f"gradelab: a submission may not do this: {what}")


class Channel:
    def __init__(self, read_fd, write_fd):
        self.reader = os.fdopen(read_fd, "rb", buffering=0)
        self.write_fd = write_fd

    def receive(self):
        header = self._read_exactly(8)
        if header is None:
            return None
        return json.loads(self._read_exactly(struct.unpack(">Q", header)[0]))

    def _read_exactly(self, size):
        chunks, left = [], size
        while left:
            chunk = self.reader.read(left)
            if not chunk:
                return None
            chunks.append(chunk)
            left -= len(chunk)
        return b"".join(chunks)

    def send(self, message):
        payload = json.dumps(message, separators=(",", ":"), allow_nan=False).encode()
        data = struct.pack(">Q", len(payload)) + payload
        while data:
            data = data[os.write(self.write_fd, data):]


def main():
    global SUBMISSION_DIRS
    config = json.loads(sys.argv[1])
    SUBMISSION_DIRS = tuple(config["allowed_paths"])
    memory = config["memory_bytes"]
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (config["file_bytes"], config["file_bytes"]))
    channel = Channel(config["request_fd"], config["reply_fd"])
    codec, testfns = _load_private("codec"), _load_private("testfns")
    import numpy as np  # warm before the first request

    guard = Guard(config["forbidden"], config["forbidden_paths"], config["allowed_paths"], os.getcwd())
    sys.addaudithook(guard)
    sys.meta_path.insert(0, guard)
    modules = {}
    sys.setrecursionlimit(3000)
    channel.send({"status": "ready"})
    while True:
        request = channel.receive()
        if request is None:
            return
        try:
            reply = handle(request, modules, guard, codec, testfns, np)
        except MemoryError:
            reply = {"status": "error", "message": "memory limit exceeded while encoding the result"}
        channel.send(reply)


def handle(request, modules, guard, codec, testfns, np):
    if request["op"] == "load":
        return load(request, modules, guard)
    module = modules[request["module"]]
    function = getattr(module, request["function"], None)
    if not callable(function):
        return {"status": "missing", "message": f"{request['function']} is not defined"}
    try:
        args, kwargs = codec.decode(request["args"], make_fn=testfns.build)
    except Exception as exc:
        return {"status": "error", "message": f"the grader could not decode its own input: {exc}"}
    np.random.seed(request["global_seed"])
    random.seed(request["global_seed"])
    before = len(guard.violations)
    guard.spawned = False
    guard.active = True
    try:
        value = function(*args, **kwargs)
    except NotImplementedError as exc:
        return {"status": "not_implemented", "message": str(exc)[:500]}
    except MemoryError:
        return {"status": "error", "message": "memory limit exceeded (MemoryError): the call asked for more memory than the grader allows"}
    except BaseException as exc:  # SystemExit, KeyboardInterrupt and friends included
        guard.active = False
        if len(guard.violations) > before:
            return {"status": "violation", "message": "; ".join(guard.violations)}
        return {"status": "error", "message": _describe_exception(exc)}
    finally:
        guard.active = False
        _restore_builtins()
    if len(guard.violations) > before:
        return {"status": "violation", "message": "; ".join(guard.violations)}
    return {"status": "ok", "value": codec.encode(value), "after": codec.encode((args, kwargs)),
            "threads": threading.active_count(), "spawned": guard.spawned}


def load(request, modules, guard):
    name, path = request["module"], request["path"]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    guard.spawned = False
    guard.active = True
    try:
        spec.loader.exec_module(module)
    except BaseException as exc:
        guard.active = False
        sys.modules.pop(name, None)
        if guard.violations:
            return {"status": "violation", "message": "; ".join(guard.violations)}
        if isinstance(exc, SystemExit):
            return {"status": "error", "message": f"the module called sys.exit({exc.code!r}) while being imported"}
        return {"status": "error", "message": "importing the module failed: " + _describe_exception(exc)}
    finally:
        guard.active = False
        _restore_builtins()
    if guard.violations:
        return {"status": "violation", "message": "; ".join(guard.violations)}
    modules[name] = module
    functions = sorted(k for k, v in vars(module).items() if callable(v) and not k.startswith("_"))
    return {"status": "ok", "functions": functions, "threads": threading.active_count(),
            "spawned": guard.spawned}


_LIVE_BUILTINS = vars(builtins)
_BUILTINS = dict(_LIVE_BUILTINS)


def _restore_builtins():
    """Undo whatever student code did to ``builtins``: the worker's own encoding relies on them."""
    if _LIVE_BUILTINS != _BUILTINS:
        _LIVE_BUILTINS.clear()
        _LIVE_BUILTINS.update(_BUILTINS)


def _describe_exception(exc):
    """The exception's type and message, then where it was raised in the student's own code."""
    try:
        text = str(exc)[:300]
        frames = [f for f in traceback.extract_tb(exc.__traceback__) if f.filename != __file__][-3:]
        for frame in frames:  # the submission's own files by name: unpacked copies live in temporary folders
            if frame.filename.startswith(SUBMISSION_DIRS):
                frame.filename = os.path.basename(frame.filename)
        where = "".join(traceback.format_list(frames))[-1500:]
    except BaseException:  # a lying __str__ must not take the worker down
        text, where = "(its message could not be printed)", ""
    return f"raised {type(exc).__name__}: {text}\n{where}".rstrip()


if __name__ == "__main__":
    main()
