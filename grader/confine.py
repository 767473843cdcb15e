"""Confine the current process with the kernel: Landlock, then a seccomp filter; no root needed.

Standard library only: the sandbox's worker loads this file by path, so it imports nothing of
the project.  Two layers, each applied when the running kernel has it:

**Landlock** (Linux >= 5.13; ABI from ``landlock_abi()``).  Files: read (and execute) only
beneath the ``read`` paths, the interpreter's standard library, the system's library directories
(``/usr/lib`` and the like, without their ``python*`` entries), a few system files
(``/etc/ld.so.cache``, ``/etc/localtime``, zoneinfo, ``/sys/devices/system/cpu``,
``/dev/urandom``) and the allowed entries of ``site-packages``; list only (``READ_DIR``) the
directories that are split up to leave something out (so ``site-packages`` can be listed while
``site-packages/torch/__init__.py`` cannot be opened, and ``import torch`` fails with
``PermissionError``); read, write, create and remove only beneath the ``write`` paths (scratch)
and ``/dev/null``.  Nothing else: no ``/proc`` (no other process's ``environ``), no home
directory, no project files outside the allowed paths.  ABI >= 4: no TCP bind or connect.
ABI >= 6: no signal to a process outside the domain, no connection to an abstract Unix socket
outside it.  Rights a kernel does not know are dropped (REFER < 2, TRUNCATE < 3, network < 4,
IOCTL_DEV < 5, scoping < 6).  Landlock binds only the calling thread, so ``confine()`` refuses to
run while the process has other threads (call it right after ``fork()``, which leaves one).

**seccomp** (a classic BPF filter, x86_64 and aarch64): fork, vfork and clone without
CLONE_THREAD fail with EPERM and clone3 with ENOSYS (glibc then falls back to clone, so threads
still start); kill, tgkill, rt_sigqueueinfo and rt_tgsigqueueinfo only to the process's own pid
(not 0, not a group); tkill, ptrace, process_vm_readv/writev, pidfd_open, pidfd_send_signal,
socket, socketpair, io_uring_setup (it could open sockets), setrlimit, and prlimit64 with a new
limit fail with EPERM.  A system call of another ABI (i386 ``int 0x80``, x32) kills the process.
Everything else is allowed.  This layer is what stops a fork bomb or a SIGSTOP to the grader
where Landlock or its scoping is missing (Ubuntu 24.04's kernel 6.8 has ABI 4).

Not confined: file descriptors open before ``confine()`` (pipes, sockets, files) keep working,
including a socket's ``connect`` under guard-only; stat() and path lookups anywhere (Landlock
checks opening, not looking); ``execve`` of a readable file (it stays confined); CPU, memory and
time, which are the caller's resource limits; and, under guard-only, every file the user can
read.

Cost, measured on this machine (2 cores, kernel 6.18, ABI 7, Python 3.11, NumPy imported):
``prepare()`` takes about 15 ms for the NumPy policy (~280 rules) and 21 ms for "all packages
but the forbidden" (~540 rules), once per zygote; in the forked child ``restrict()`` takes about
0.6 ms and ``seccomp()`` (build and install the filter) about 0.6 ms, with rare ~9 ms outliers
(likely a garbage collection touching copied pages), so ``confine()`` adds 1-10 ms to a child.  Importing this module
(ctypes, sysconfig) costs about 12 ms, paid once where it is loaded.

Why not the ``landlock`` package on PyPI: it has only 1.0.0.dev releases, covers file-system
rules only (no network rules, no scoping), judges each call by ``errno`` rather than its return
value (so a stale errno from an earlier ctypes call fails a good one), uses 444-446 on any
architecture, and never closes its rulesets; the three calls are a few lines of ctypes here.

``GRADELAB_NO_LANDLOCK=1`` is read by the caller, who passes ``"landlock": False`` in the
policy; ``prepare()`` reads the variable itself only when the policy has no ``"landlock"`` key.
"""

from __future__ import annotations

import ctypes
import errno
import os
import stat
import struct
import sys
import sysconfig
from typing import Iterable, NamedTuple, Optional

# -- Landlock constants (linux/landlock.h) ----------------------------------------------------
EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_DIR, MAKE_REG = 1 << 4, 1 << 5, 1 << 7, 1 << 8
REFER, TRUNCATE, IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FILE_RIGHTS = EXECUTE | WRITE_FILE | READ_FILE | TRUNCATE | IOCTL_DEV  # all a non-directory takes
READ = EXECUTE | READ_FILE | READ_DIR
WRITE = READ_FILE | WRITE_FILE | READ_DIR | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | REFER | TRUNCATE
DEVICE = READ_FILE | WRITE_FILE | IOCTL_DEV  # an accelerator's device files (the torch tier on a GPU)
NET_BIND_TCP, NET_CONNECT_TCP = 1 << 0, 1 << 1
SCOPE_ABSTRACT_UNIX_SOCKET, SCOPE_SIGNAL = 1 << 0, 1 << 1
CREATE_RULESET_VERSION, RULE_PATH_BENEATH, PR_SET_NO_NEW_PRIVS, PR_GET_SECCOMP = 1, 1, 38, 21
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446  # same on x86_64 and aarch64

# -- seccomp: per-architecture numbers (asm/unistd_64.h, asm-generic/unistd.h) ------------------
ARCHES = {
    "x86_64": dict(audit=0xC000003E, x32=True, seccomp=317, clone=56, clone3=435, fork=57, vfork=58, kill=62,
                   tgkill=234, rt_sigqueueinfo=129, rt_tgsigqueueinfo=297, tkill=200, ptrace=101,
                   process_vm_readv=310, process_vm_writev=311, pidfd_open=434, pidfd_send_signal=424,
                   socket=41, socketpair=53, io_uring_setup=425, setrlimit=160, prlimit64=302),
    "aarch64": dict(audit=0xC00000B7, seccomp=277, clone=220, clone3=435, kill=129,
                    tgkill=131, rt_sigqueueinfo=138, rt_tgsigqueueinfo=240, tkill=130, ptrace=117,
                    process_vm_readv=270, process_vm_writev=271, pidfd_open=434, pidfd_send_signal=424,
                    socket=198, socketpair=199, io_uring_setup=425, setrlimit=164, prlimit64=261),
}
DENIED = ("fork", "vfork", "tkill", "ptrace", "process_vm_readv", "process_vm_writev", "pidfd_open",
          "pidfd_send_signal", "socket", "socketpair", "io_uring_setup", "setrlimit")
SELF_ONLY = ("kill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo")  # first argument: a pid
X32_BIT, CLONE_THREAD = 0x40000000, 0x00010000
RET_KILL_PROCESS, RET_ERRNO, RET_ALLOW = 0x80000000, 0x00050000, 0x7FFF0000
LD_ABS, JEQ, JGE, JSET, RET = 0x20, 0x15, 0x35, 0x45, 0x06  # BPF_LD|W|ABS, BPF_JMP|..|K, BPF_RET|K

MACHINE = os.uname().machine if hasattr(os, "uname") else ""
SYSTEM_LIBS = ("/lib", "/lib64", "/usr/lib", "/usr/lib64", "/usr/local/lib")
SYSTEM_READ = ("/etc/ld.so.cache", "/etc/localtime", "/usr/share/zoneinfo", "/sys/devices/system/cpu",
               "/dev/urandom", "/dev/random")
SYSTEM_WRITE = ("/dev/null",)


class Prepared(NamedTuple):
    """A ruleset built ahead of time: ``fd`` is -1 where Landlock is off or missing."""
    abi: int
    fd: int


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("fs", ctypes.c_uint64), ("net", ctypes.c_uint64), ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


class _Fprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


# -- system calls ---------------------------------------------------------------------------------
_LIBC = []


def _libc():
    if not _LIBC:
        _LIBC.append(ctypes.CDLL(None, use_errno=True))
        _LIBC[0].syscall.restype = ctypes.c_long
    return _LIBC[0]


def _syscall(number: int, *args) -> int:
    """syscall(2) with integer arguments passed as longs; raises OSError on -1."""
    argv = [ctypes.c_long(a) if isinstance(a, int) else a for a in args]
    result = _libc().syscall(ctypes.c_long(number), *argv)
    if result == -1:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return result


def _no_new_privs() -> None:
    if _libc().prctl(PR_SET_NO_NEW_PRIVS, ctypes.c_ulong(1), ctypes.c_ulong(0), ctypes.c_ulong(0),
                     ctypes.c_ulong(0)) != 0:
        code = ctypes.get_errno()
        raise OSError(code, "prctl(PR_SET_NO_NEW_PRIVS): " + os.strerror(code))


def landlock_abi() -> int:
    """The kernel's Landlock ABI version; 0 where Landlock is missing, disabled or not vetted."""
    if not sys.platform.startswith("linux") or MACHINE not in ARCHES:
        return 0
    try:
        return _syscall(SYS_CREATE_RULESET, None, 0, CREATE_RULESET_VERSION)
    except OSError:
        return 0


def seccomp_available() -> bool:
    """Whether this kernel and architecture can take the seccomp filter."""
    if not sys.platform.startswith("linux") or MACHINE not in ARCHES:
        return False
    return _libc().prctl(PR_GET_SECCOMP, 0, 0, 0, 0) >= 0


# -- which paths to allow -------------------------------------------------------------------------
def _beneath(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def split_beneath(root: str, holes: Iterable[str], read: set, listing: set) -> None:
    """Allow reading all of ``root`` except the ``holes`` beneath it, one entry at a time.

    A directory with a hole somewhere below gets a list-only rule, and each of its entries is
    split in turn.  Symbolic links among the entries are skipped: a rule follows the link, and
    its target is either another entry (handled there) or outside ``root`` (not ours to grant).
    """
    inner = [h for h in holes if _beneath(h, root)]
    if not inner:
        read.add(root)
        return
    if root in inner or not os.path.isdir(root):
        return
    listing.add(root)
    with os.scandir(root) as entries:
        for entry in entries:
            if not entry.is_symlink():
                split_beneath(entry.path, inner, read, listing)


def _names(entry: str, packages: Iterable[str]) -> bool:
    """Whether a site-packages entry belongs to one of the top-level ``packages``."""
    lowered = entry.lower()
    for name in packages:
        if entry == name or entry.startswith(name + "."):  # numpy, numpy.libs, numpy.py, pyc
            return True
        if lowered.startswith(name.lower() + "-") and lowered.endswith((".dist-info", ".egg-info")):
            return True
    return False


def _site_dirs() -> tuple[set, set]:
    """(site directories on sys.path, every site directory that must stay out of the stdlib)."""
    import site
    candidates = set(site.getsitepackages()) | {sysconfig.get_path("purelib"), sysconfig.get_path("platlib")}
    if site.ENABLE_USER_SITE:
        candidates.add(site.getusersitepackages())
    on_path = {os.path.realpath(p) for p in sys.path if p}
    real = {os.path.realpath(p) for p in candidates if p and os.path.isdir(p)}
    return real & on_path, real


def python_paths(packages: Optional[Iterable[str]] = ("numpy",), forbidden: Iterable[str] = ()) -> tuple[set, set]:
    """(read, listing) path sets that let the running interpreter work and import ``packages``.

    ``packages`` are top-level names read from site-packages (their ``.libs`` and metadata
    come along); ``None`` means every entry except those of ``forbidden``.  Read: the standard
    library without its site directories, the shared-library directories without their
    ``python*`` entries, the allowed site-packages entries and a few system files.
    """
    read, listing = set(), set()
    used, all_sites = _site_dirs()
    stdlib = {os.path.realpath(sysconfig.get_path(k)) for k in ("stdlib", "platstdlib")}
    holes = all_sites | {os.path.join(r, d) for r in stdlib for d in ("site-packages", "dist-packages")}
    for root in stdlib:
        split_beneath(root, holes, read, listing)
    libdir = sysconfig.get_config_var("LIBDIR")
    for root in {os.path.realpath(p) for p in (*SYSTEM_LIBS, libdir) if p and os.path.isdir(p)}:
        pythons = {e.path for e in os.scandir(root) if e.name.startswith("python")}
        split_beneath(root, pythons | all_sites, read, listing)
    forbidden = tuple(forbidden)
    for site_dir in used:
        listing.add(site_dir)
        for entry in os.scandir(site_dir):
            if entry.is_symlink() or _names(entry.name, forbidden):
                continue
            if packages is None and entry.name == "__pycache__":
                listing.add(entry.path)  # cached modules of the allowed single-file modules
                read.update(e.path for e in os.scandir(entry.path) if not _names(e.name, forbidden))
            elif packages is None or _names(entry.name, packages):
                read.add(entry.path)
    read.update(p for p in SYSTEM_READ if os.path.exists(p))
    return read, listing


# -- Landlock ---------------------------------------------------------------------------------------
def _handled_fs(abi: int) -> int:
    rights = (1 << 13) - 1  # EXECUTE .. MAKE_SYM: ABI 1
    return rights | (REFER if abi >= 2 else 0) | (TRUNCATE if abi >= 3 else 0) | (IOCTL_DEV if abi >= 5 else 0)


def _add_rule(ruleset: int, path: str, rights: int, handled: int) -> None:
    try:
        parent = os.open(path, os.O_PATH | os.O_CLOEXEC)
    except FileNotFoundError:
        return
    try:
        if not stat.S_ISDIR(os.fstat(parent).st_mode):
            rights &= FILE_RIGHTS
        rule = _PathBeneath(rights & handled, parent)
        _syscall(SYS_ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(rule), 0)
    finally:
        os.close(parent)


def prepare(policy: dict) -> Prepared:
    """Build the Landlock ruleset for ``policy`` now, to be applied later (after a fork).

    ``policy`` keys: ``read`` (paths to read beneath, besides the interpreter's own), ``list``
    (directories to list only), ``write`` (scratch: read, write, create, remove beneath),
    ``devices`` (device files to read, write and ioctl: a GPU's, for the torch tier),
    ``packages`` and ``forbidden`` (as for :func:`python_paths`), ``landlock`` (False: none).
    """
    enabled = policy.get("landlock", os.environ.get("GRADELAB_NO_LANDLOCK", "") in ("", "0"))
    abi = landlock_abi() if enabled else 0
    if abi == 0:
        return Prepared(0, -1)
    packages = policy.get("packages", ("numpy",))
    forbidden = tuple(policy.get("forbidden", ()))
    if packages is not None:
        packages = [p for p in packages if p not in forbidden]
    read, listing = python_paths(packages, forbidden)
    read.update(os.path.realpath(p) for p in policy.get("read", ()))
    listing.update(os.path.realpath(p) for p in policy.get("list", ()))
    write = {os.path.realpath(p) for p in policy.get("write", ())} | set(SYSTEM_WRITE)
    devices = {os.path.realpath(p) for p in policy.get("devices", ()) if os.path.exists(p)}
    handled = _handled_fs(abi)
    attr = _RulesetAttr(handled, NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 else 0,
                        SCOPE_ABSTRACT_UNIX_SOCKET | SCOPE_SIGNAL if abi >= 6 else 0)
    size = 8 if abi < 4 else 16 if abi < 6 else 24
    fd = _syscall(SYS_CREATE_RULESET, ctypes.byref(attr), size, 0)
    try:
        for paths, rights in ((read, READ), (listing, READ_DIR), (write, WRITE), (devices, DEVICE)):
            for path in sorted(paths):
                _add_rule(fd, path, rights, handled)
    except BaseException:
        os.close(fd)
        raise
    return Prepared(abi, fd)


def _single_threaded() -> bool:
    try:
        return len(os.listdir("/proc/self/task")) == 1
    except OSError:
        return True  # no /proc to ask


def restrict(prepared: Optional[Prepared]) -> int:
    """Apply a prepared ruleset to this process (cheap); returns the ABI in force, 0 for none."""
    if prepared is None or prepared.fd < 0:
        return 0
    if not _single_threaded():
        raise RuntimeError("Landlock confines only the calling thread: restrict before starting threads")
    _no_new_privs()
    _syscall(SYS_RESTRICT_SELF, prepared.fd, 0)
    os.close(prepared.fd)
    return prepared.abi


# -- seccomp ---------------------------------------------------------------------------------------
def bpf_program(arch: dict, pid: int) -> bytes:
    """The filter's instructions (struct sock_filter, native byte order) for one architecture."""
    prog, labels = [], {}

    def op(code, k=0, jt=0, jf=0):
        prog.append([code, jt, jf, k])

    def label(name):
        labels[name] = len(prog)

    op(LD_ABS, 4)                                  # seccomp_data.arch
    op(JEQ, arch["audit"], 0, "kill")
    op(LD_ABS, 0)                                  # seccomp_data.nr
    if arch.get("x32"):                            # x32 calls share x86_64's arch value
        op(JGE, X32_BIT, "kill", 0)
    for name in DENIED:
        if name in arch:
            op(JEQ, arch[name], "eperm", 0)
    op(JEQ, arch["clone3"], "enosys", 0)
    op(JEQ, arch["clone"], "clone", 0)
    for name in SELF_ONLY:
        op(JEQ, arch[name], "self", 0)
    op(JEQ, arch["prlimit64"], "prlimit", 0)
    op(RET, RET_ALLOW)
    label("clone")
    op(LD_ABS, 16)                                 # args[0], low half: the flags
    op(JSET, CLONE_THREAD, "allow", "eperm")
    label("self")
    op(LD_ABS, 16)                                 # args[0], low half: the pid (an int)
    op(JEQ, pid, "allow", "eperm")
    label("prlimit")
    op(LD_ABS, 32)                                 # args[2]: the new limit, both halves NULL
    op(JEQ, 0, 0, "eperm")
    op(LD_ABS, 36)
    op(JEQ, 0, "allow", "eperm")
    label("allow")
    op(RET, RET_ALLOW)
    label("eperm")
    op(RET, RET_ERRNO | errno.EPERM)
    label("enosys")
    op(RET, RET_ERRNO | errno.ENOSYS)
    label("kill")
    op(RET, RET_KILL_PROCESS)
    for i, ins in enumerate(prog):
        for j in (1, 2):
            if isinstance(ins[j], str):
                ins[j] = labels[ins[j]] - i - 1
                assert 0 <= ins[j] < 256, "BPF jump out of range"
    return b"".join(struct.pack("=HBBI", *ins) for ins in prog)


def seccomp() -> bool:
    """Install the filter on every thread of this process; False where seccomp is missing."""
    if not seccomp_available():
        return False
    arch = ARCHES[MACHINE]
    code = bpf_program(arch, os.getpid())
    buffer = ctypes.create_string_buffer(code, len(code))
    program = _Fprog(len(code) // 8, ctypes.addressof(buffer))
    _no_new_privs()
    tid = _syscall(arch["seccomp"], 1, 1, ctypes.byref(program))  # SET_MODE_FILTER, FILTER_FLAG_TSYNC
    if tid != 0:
        raise RuntimeError(f"seccomp: thread {tid} could not take the filter")
    return True


# -- the entry points -------------------------------------------------------------------------------
def _report(abi: int, guarded: bool) -> dict:
    isolation = f"landlock-abi-{abi}" if abi else "guard-only"  # the two words of INTERFACE.md
    return {"isolation": isolation, "landlock_abi": abi, "seccomp": guarded,
            "network": abi >= 4, "scoped": abi >= 6}


def describe(prepared: Optional[Prepared]) -> dict:
    """What ``confine(prepared)`` will put in force, without applying anything."""
    return _report(prepared.abi if prepared and prepared.fd >= 0 else 0, seccomp_available())


def confine(prepared: Optional[Prepared]) -> dict:
    """Confine this (single-threaded) process: Landlock if prepared, then seccomp; say what holds.

    Missing features are reported, never raised; an error while applying one that the kernel
    has (a bad path, a thread that cannot be synchronised) raises ``OSError``/``RuntimeError``.
    """
    abi = restrict(prepared)
    return _report(abi, seccomp())
