"""What a BPMN Python worker could reach if code ever escaped the sandbox: as little as the OS allows.

A worker (a10flow.engine.sandbox.worker) confines itself once, after its imports and before its first
evaluation, with what Linux offers an unprivileged process:

- namespaces of its own: a user namespace (so even root keeps no capability over the machine),
  no network at all, its own System V IPC and host name;
- Landlock: it may read Python's own folders and a10flow's code, and nothing else (not the
  instance folder, the keys, the database, /proc); it may write, remove and run nothing, and
  (where the kernel scopes them) send no signal and reach no abstract socket outside itself;
- not dumpable, so its siblings cannot trace or read it, and Landlock keeps it from tracing them;
- seccomp (libseccomp): no sockets of any kind (a database's Unix socket included), no ptrace,
  no reading other processes' memory, no signals, no new programs and no new processes (threads
  only), no io_uring, no typing into a terminal, and nothing that changes the machine: its
  clock, host name, keys, IPC, kernel modules, mounts.

The worker is also started in a session of its own with no descriptor of the service's but its
two pipes (a10flow.engine.sandbox.isolated), and runs under a processor-time limit.

A layer the kernel or the machine lacks is skipped and named, so the service can warn: the
sandbox (a10flow.engine.sandbox.restricted) remains the first wall, these the second.
"""
import ctypes
import ctypes.util
import errno
import os
import sys
import sysconfig

_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long

CLONE_NEWUSER, CLONE_NEWNET, CLONE_NEWIPC, CLONE_NEWUTS = 0x10000000, 0x40000000, 0x08000000, 0x04000000
PR_SET_DUMPABLE, PR_SET_NO_NEW_PRIVS = 4, 38

# Landlock (linux/landlock.h); its system calls have the same numbers on every architecture.
_CREATE_RULESET, _ADD_RULE, _RESTRICT_SELF = 444, 445, 446
_VERSION, _RULE_PATH_BENEATH = 1, 1
_READ = (1 << 2) | (1 << 3)   # READ_FILE, READ_DIR
_FS_BY_ABI = {1: (1 << 13) - 1, 2: (1 << 14) - 1, 3: (1 << 15) - 1, 4: (1 << 15) - 1, 5: (1 << 16) - 1}
_NET_TCP = (1 << 0) | (1 << 1)   # BIND_TCP, CONNECT_TCP (ABI 4)
_SCOPES = (1 << 0) | (1 << 1)    # ABSTRACT_UNIX_SOCKET, SIGNAL (ABI 6)

DENIED_CALLS = (
    # reaching out: the network, other processes, new programs
    "socket", "socketpair", "connect", "bind", "listen", "accept", "accept4", "io_uring_setup",
    "ptrace", "process_vm_readv", "process_vm_writev", "process_madvise", "pidfd_open", "pidfd_getfd",
    "pidfd_send_signal", "kill", "tkill", "tgkill", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "execve", "execveat",
    # the machine's own state: its clock (which evidence and timers read), name, keys, IPC, kernel, mounts
    "clock_settime", "clock_adjtime", "settimeofday", "adjtimex", "sethostname", "setdomainname", "keyctl",
    "add_key", "request_key", "msgget", "semget", "shmget", "reboot", "init_module", "finit_module",
    "delete_module", "kexec_load", "kexec_file_load", "bpf", "perf_event_open", "userfaultfd", "mount",
    "umount2", "pivot_root", "chroot", "move_mount", "open_tree", "fsopen", "fsmount", "fspick", "swapon",
    "swapoff", "open_by_handle_at", "name_to_handle_at", "mknod", "mknodat", "acct", "quotactl", "syslog",
    "iopl", "ioperm", "unshare", "setns",
    # new processes: a worker needs none, and one that escaped its kill would run on unbounded
    "fork", "vfork")
CLONE_THREAD = 0x00010000
# ioctls that type into a terminal or drive its console: the way out to an operator's shell
TIOCSTI, TIOCLINUX = 0x5412, 0x541C


class _ArgCmp(ctypes.Structure):   # struct scmp_arg_cmp
    _fields_ = [("arg", ctypes.c_uint), ("op", ctypes.c_int), ("datum_a", ctypes.c_uint64),
                ("datum_b", ctypes.c_uint64)]


_MASKED_EQ = 7   # SCMP_CMP_MASKED_EQ: (argument & mask) == value
# Each rule: (system call, errno it fails with, None or (argument, mask, value) it must match).
RULES = (*((call, errno.EPERM, None) for call in DENIED_CALLS),
         ("clone", errno.EPERM, (0, CLONE_THREAD, 0)),   # a clone that is no thread is a new process
         ("ioctl", errno.EPERM, (1, 0xFFFFFFFF, TIOCSTI)),
         ("ioctl", errno.EPERM, (1, 0xFFFFFFFF, TIOCLINUX)),
         # clone3 hides its flags from seccomp: "not implemented" makes the C library create its
         # threads with clone, whose flags the rule above reads.
         ("clone3", errno.ENOSYS, None))


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64), ("handled_access_net", ctypes.c_uint64),
                ("scoped", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


def readable():
    """The folders a confined worker may read: Python's, its packages', a10flow's own code."""
    paths = {sys.base_prefix, sys.prefix, os.path.dirname(os.path.dirname(os.path.abspath(__file__)))}
    paths |= {v for k, v in sysconfig.get_paths().items() if k in ("stdlib", "platstdlib", "purelib", "platlib")}
    return sorted(p for p in paths if p and os.path.isdir(p) and p != "/")


def confine():
    """Confine this process (single-threaded, as a new worker is) as far as the OS allows.
    Returns ``{layer: None when in place, or why it is not}``."""
    seccomp = _libseccomp()   # loaded while files can still be read
    layers = {"namespaces": _own_namespaces(), "not dumpable": _call(_libc.prctl, PR_SET_DUMPABLE, 0, 0, 0, 0)}
    layers["files"] = _call(_libc.prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) or _landlock(readable())
    layers["system calls"] = _seccomp(seccomp, RULES) if seccomp else "no libseccomp on this machine"
    return layers


def _call(function, *args):
    """None if ``function(*args)`` succeeded, else why not."""
    if function(*args) < 0:
        return os.strerror(ctypes.get_errno())
    return None


def _own_namespaces():
    # A user namespace of its own, also for root: whatever capabilities it keeps count only inside
    # it, not for the machine (its clock, files, other processes); and its own network (none),
    # System V IPC (not the database's shared memory) and host name.
    why = _call(_libc.unshare, CLONE_NEWUSER | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS)
    return f"no namespaces of its own: {why}" if why else None


def _landlock(paths):
    abi = _libc.syscall(_CREATE_RULESET, None, 0, _VERSION)
    if abi < 0:
        return f"no Landlock: {os.strerror(ctypes.get_errno())}"
    attr = _RulesetAttr(_FS_BY_ABI.get(abi, (1 << 16) - 1), _NET_TCP if abi >= 4 else 0,
                        _SCOPES if abi >= 6 else 0)
    size = ctypes.sizeof(attr) if abi >= 6 else 16 if abi >= 4 else 8
    ruleset = _libc.syscall(_CREATE_RULESET, ctypes.byref(attr), size, 0)
    if ruleset < 0:
        return f"no Landlock ruleset: {os.strerror(ctypes.get_errno())}"
    try:
        for path in paths:
            fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
            try:
                rule = _PathBeneath(_READ, fd)
                if _libc.syscall(_ADD_RULE, ruleset, _RULE_PATH_BENEATH, ctypes.byref(rule), 0) < 0:
                    return f"Landlock refused {path}: {os.strerror(ctypes.get_errno())}"
            finally:
                os.close(fd)
        if _libc.syscall(_RESTRICT_SELF, ruleset, 0) < 0:
            return f"Landlock did not apply: {os.strerror(ctypes.get_errno())}"
    finally:
        os.close(ruleset)
    return None


def _libseccomp():
    try:
        return ctypes.CDLL("libseccomp.so.2")
    except OSError:
        name = ctypes.util.find_library("seccomp")   # slower: it asks ldconfig
        return ctypes.CDLL(name) if name else None


def _seccomp(lib, rules):
    lib.seccomp_init.restype = ctypes.c_void_p
    lib.seccomp_init.argtypes = [ctypes.c_uint32]
    lib.seccomp_rule_add_array.argtypes = [ctypes.c_void_p, ctypes.c_uint32, ctypes.c_int, ctypes.c_uint,
                                           ctypes.POINTER(_ArgCmp)]
    lib.seccomp_load.argtypes = lib.seccomp_release.argtypes = [ctypes.c_void_p]
    lib.seccomp_syscall_resolve_name.argtypes = [ctypes.c_char_p]
    allow, fail = 0x7FFF0000, 0x00050000   # SCMP_ACT_ALLOW, SCMP_ACT_ERRNO(0)
    context = lib.seccomp_init(allow)
    if not context:
        return "seccomp_init failed"
    try:
        for call, error, argument in rules:
            number = lib.seccomp_syscall_resolve_name(call.encode())
            if number < 0:   # not on this architecture
                continue
            count, compare = (1, ctypes.byref(_ArgCmp(argument[0], _MASKED_EQ, *argument[1:]))) if argument \
                else (0, None)
            if lib.seccomp_rule_add_array(context, fail | error, number, count, compare) < 0:
                return f"seccomp refused a rule for {call}"
        if lib.seccomp_load(context) < 0:
            return "seccomp did not apply"
    finally:
        lib.seccomp_release(context)
    return None
