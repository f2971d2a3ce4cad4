# run_student() from Python: runs the `run_student` command of the helpers
# (helpers/api/run_student.c, on PATH as /.gradebox/bin/run_student) as a
# child process whose stdin/stdout/stderr are the descriptors given here.
# That command hands them to the job's supervisor over /.gradebox/sock, so
# the student's process writes straight into them; Python never speaks the
# socket protocol. The command's exit status is the return value: the
# student's own code, 256-N for a student killed by signal N, 252 memory,
# 253 time, 254 refused or failed, 251 run_student unavailable.
#
# The module-level names (array, os, signal, socket, tempfile, asyncio,
# struct, threading) are those INGInious's module imports, which run files
# receive through `from inginious_container_api.run_student import *`;
# the costly ones are imported on first use.
import array
import math as _math
import os
import shlex as _shlex
import struct
import sys

from inginious_container_api import utils as _utils
from inginious_container_api.utils import read_block

signal = _utils.LazyModule("signal")
socket = _utils.LazyModule("socket")
tempfile = _utils.LazyModule("tempfile")
asyncio = _utils.LazyModule("asyncio")
threading = _utils.LazyModule("threading")

_COMMAND = "run_student"
_SANDBOX_BIN = "/.gradebox/bin"
_RET_UNAVAILABLE = 251
_RET_FAILED = 254
_NO_COMMAND = ["echo", "info: student container started with no command set"]
# Limits arrive in whole seconds/megabytes on the command line
_LIMIT_FLAGS = (("--time", "time_limit"), ("--hard-time", "hard_time_limit"),
                   ("--memory", "memory_limit"))


def _command_path():
    found = None
    for directory in os.environ.get("PATH", "").split(os.pathsep) + [_SANDBOX_BIN]:
        candidate = os.path.join(directory or ".", _COMMAND)
        if os.access(candidate, os.X_OK) and not os.path.isdir(candidate):
            found = candidate
            break
    return found


def _limit_arg(value):
    # the command takes whole seconds/MB: a fractional limit is rounded up,
    # so the student never gets less than asked
    return str(_math.ceil(float(value)))


def _words(cmd):
    # INGInious sends the string and the student side runs _shlex.split on it
    if cmd is None or cmd == "":
        return list(_NO_COMMAND)
    if isinstance(cmd, (list, tuple)):
        return [str(word) for word in cmd]
    return _shlex.split(cmd)


def _fd(stream, devnull):
    if stream is None:
        return devnull
    if isinstance(stream, int):
        return stream
    return stream.fileno()


def _unavailable(what):
    print("run_student: " + what + " is not available in gradebox", file=sys.stderr, flush=True)
    return _RET_UNAVAILABLE


def run_student(cmd, container=None, time_limit=0, hard_time_limit=0, memory_limit=0,
                share_network=False, working_dir=None, stdin=None, stdout=None, stderr=None,
                signal_handler_callback=None, ssh=False, start_student_as_root=False,
                teardown_script=""):
    """Run cmd (a command line, split as a shell would, without a shell) in a
    student sandbox; returns its exit code (see the module comment). stdin,
    stdout, stderr are file descriptors (or objects with fileno()); None is
    /dev/null opened read-only, as INGInious. time_limit, hard_time_limit
    (seconds) and memory_limit (MB) of 0 mean the grading sandbox's own.
    signal_handler_callback, when given, is called with a function that
    sends a signal number to the student's process."""
    import subprocess
    if ssh:
        return _unavailable("ssh")
    command = _command_path()
    if command is None:
        return _unavailable("run_student outside a grading sandbox (no run_student command)")

    args = [command]
    limits = {"time_limit": time_limit, "hard_time_limit": hard_time_limit,
              "memory_limit": memory_limit}
    if container:
        args += ["--container", str(container)]
    for flag, name in _LIMIT_FLAGS:
        if limits[name]:
            args += [flag, _limit_arg(limits[name])]
    if share_network:
        args.append("--share-network")
    if start_student_as_root:
        args.append("--run-as-root")
    if teardown_script:
        args += ["--teardown-script", teardown_script]
    try:
        # The command joins its words with spaces and splits them again as
        # INGInious does (helpers/api/run_student.c): quoted, each word
        # arrives whole.
        args += [_shlex.quote(word) for word in _words(cmd)]
    except ValueError as e:  # unbalanced quotes: the student side could not split it
        print("run_student: " + str(e), file=sys.stderr, flush=True)
        return _RET_FAILED

    devnull = os.open(os.devnull, os.O_RDONLY | os.O_CLOEXEC)
    try:
        proc = subprocess.Popen(args, stdin=_fd(stdin, devnull), stdout=_fd(stdout, devnull),
                                stderr=_fd(stderr, devnull), cwd=working_dir, close_fds=True)
    except OSError as e:
        print("run_student: " + str(e), file=sys.stderr, flush=True)
        return _RET_FAILED
    finally:
        os.close(devnull)

    if signal_handler_callback is not None:
        # the command forwards what it receives to the student's process
        def receive_signal(signum):
            if proc.returncode is None:
                proc.send_signal(int(signum))
        signal_handler_callback(receive_signal)
    code = proc.wait()
    return code if code >= 0 else _RET_FAILED


def _drain(fd, chunks):
    while True:
        block = os.read(fd, 65536)
        if not block:
            break
        chunks.append(block)


def run_student_simple(cmd, cmd_input=None, container=None, time_limit=0, hard_time_limit=0,
                       memory_limit=0, share_network=False, working_dir=None,
                       stdout_err_fuse=False, text="utf-8"):
    """Run cmd with cmd_input (str or bytes) as its stdin; returns
    (stdout, stderr, retval), or (stdout, retval) with stdout_err_fuse. The
    outputs are decoded with the encoding `text` (False: bytes).

    Unlike INGInious, input and output are pumped by threads while the
    student runs, so more than a pipe buffer (64 KiB) never blocks."""
    import threading as _threading
    stdin_r = None
    feeder = None
    if cmd_input is not None:
        stdin_r, stdin_w = os.pipe()
        data = cmd_input.encode("utf-8") if isinstance(cmd_input, str) else bytes(cmd_input)

        def feed():
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(stdin_w, view):]
            except BrokenPipeError:
                pass  # the student stopped reading: its loss, as with a shell pipe
            finally:
                os.close(stdin_w)
        feeder = _threading.Thread(target=feed, daemon=True)

    out_r, out_w = os.pipe()
    if stdout_err_fuse:
        err_r, err_w = out_r, out_w
    else:
        err_r, err_w = os.pipe()
    out_chunks, err_chunks = [], []
    readers = [_threading.Thread(target=_drain, args=(out_r, out_chunks), daemon=True)]
    if not stdout_err_fuse:
        readers.append(_threading.Thread(target=_drain, args=(err_r, err_chunks), daemon=True))
    for thread in readers + ([feeder] if feeder else []):
        thread.start()
    try:
        retval = run_student(cmd, container, time_limit, hard_time_limit, memory_limit,
                             share_network, working_dir, stdin_r, out_w, err_w)
    finally:
        # our write ends closed, the readers see EOF once the student's copies are gone
        os.close(out_w)
        if not stdout_err_fuse:
            os.close(err_w)
        if stdin_r is not None:
            os.close(stdin_r)
    for thread in readers:
        thread.join()
    if feeder:
        feeder.join()
    os.close(out_r)
    if not stdout_err_fuse:
        os.close(err_r)

    def decode(chunks):
        raw = b"".join(chunks)
        return raw if text is False else raw.decode(text)

    if stdout_err_fuse:
        return decode(out_chunks), retval
    return decode(out_chunks), decode(err_chunks), retval


def _hack_signals(receive_signal):
    """Send every catchable signal this process receives to the student."""
    import signal as _signal
    for name in dir(_signal):
        if not name.startswith("SIG") or name.startswith("SIG_") or name in ("SIGKILL", "SIGSTOP"):
            continue
        try:
            _signal.signal(getattr(_signal, name), lambda signum, _frame: receive_signal(signum))
        except (OSError, RuntimeError, ValueError):
            pass
