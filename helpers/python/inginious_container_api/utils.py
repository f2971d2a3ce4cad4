# Shared plumbing of the Python container API: where the API's files are,
# the feedback file's read-modify-write protocol, lazily imported modules,
# and the small process helpers INGInious's utils module offers.
#
# Paths: the sandbox's fixed paths (/.__input, /.__output, /task) are taken
# relative to $GRADEBOX_API_ROOT when set (tests run the API on the host in
# a temp dir); DEBUG mode (inginious_container_api.DEBUG or the legacy
# inginious.DEBUG) uses the current directory instead, as INGInious does.
#
# Feedback protocol, shared with the C helpers (helpers/api): open the
# directory .__output (created 0777 if missing), flock(LOCK_EX) its fd, read
# __feedback.json, apply the change, write the whole JSON to
# .__feedback.json.<pid> in that directory, rename it over __feedback.json,
# unlock. Readers never see a half-written file and concurrent writers
# (Python or C, several processes) never lose an update. The bytes are
# json.dumps' defaults, exactly what INGInious writes.
import fcntl
import importlib
import json
import os
import resource
import stat
import sys
import types

ROOT_ENV = "GRADEBOX_API_ROOT"
FEEDBACK_NAME = "__feedback.json"
FEEDBACK_TMP_PREFIX = ".__feedback.json."
WORKER_UID = 4242
WORKER_NPROC = 1000
MODIFIED_BY_USER = {"result": "crash", "text": "Feedback file has been modified by user !"}


def debug():
    """True when either package's DEBUG flag is set."""
    api = sys.modules.get("inginious_container_api")
    legacy = sys.modules.get("inginious")
    return bool(getattr(api, "DEBUG", False) or getattr(legacy, "DEBUG", False))


def api_path(*parts):
    """A sandbox path (given without its leading /) under $GRADEBOX_API_ROOT."""
    return os.path.join(os.environ.get(ROOT_ENV) or "/", *parts)


def sandbox_path(path):
    """An absolute path found in the input (an upload's file) under the root."""
    root = os.environ.get(ROOT_ENV)
    if root and os.path.isabs(path):
        return os.path.join(root, path.lstrip("/"))
    return path


def input_file():
    return "./__inputdata.json" if debug() else api_path(".__input", "__inputdata.json")


def feedback_dir():
    return "./" if debug() else api_path(".__output")


def lang_dir():
    return "./__lang" if debug() else api_path("task", "lang")


def _parse_feedback(cont):
    # INGInious: "" is {}, anything Python's parser refuses (even "\n") is the
    # crash record; valid JSON that is not an object is returned as is and
    # makes the caller's item assignment fail (TypeError), file untouched.
    if not cont:
        return {}
    try:
        return json.loads(cont)
    except ValueError:
        return dict(MODIFIED_BY_USER)


def _read_feedback(dir_fd):
    try:
        fd = os.open(FEEDBACK_NAME, os.O_RDONLY | os.O_CLOEXEC, dir_fd=dir_fd)
    except FileNotFoundError:
        return {}
    with open(fd, "r", encoding="utf-8") as f:
        return _parse_feedback(f.read())


def load_feedback():
    """The feedback dict as every API call sees it (absent file: {})."""
    try:
        dir_fd = os.open(feedback_dir(), os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except FileNotFoundError:
        return {}
    try:
        return _read_feedback(dir_fd)
    finally:
        os.close(dir_fd)


def _write_feedback(dir_fd, rdict):
    data = json.dumps(rdict)  # raises before anything is written
    tmp = FEEDBACK_TMP_PREFIX + str(os.getpid())
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC | os.O_NOFOLLOW,
                 0o666, dir_fd=dir_fd)
    try:
        with open(fd, "w", encoding="ascii", closefd=True) as f:
            f.write(data)
        os.rename(tmp, FEEDBACK_NAME, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
    except BaseException:
        try:
            os.unlink(tmp, dir_fd=dir_fd)
        except OSError:
            pass
        raise


def modify_feedback(change):
    """Apply change(rdict) to the feedback file under the directory's lock.

    change() may replace the dict by returning a new one. An exception from
    change() or from json.dumps leaves the file as it was."""
    path = feedback_dir()
    os.makedirs(path, 0o777, exist_ok=True)
    dir_fd = os.open(path, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        fcntl.flock(dir_fd, fcntl.LOCK_EX)
        rdict = _read_feedback(dir_fd)
        replaced = change(rdict)
        _write_feedback(dir_fd, rdict if replaced is None else replaced)
    finally:
        os.close(dir_fd)  # releases the lock


class LazyModule(types.ModuleType):
    """A module imported on first use.

    INGInious's modules import json, os, re, asyncio, tempfile ... at their top,
    so `from inginious_container_api.X import *` hands those names to the run
    file, and run files use them without importing. Importing the heavy ones
    eagerly would cost tens of milliseconds per run file; this placeholder
    behaves as the module once touched."""

    def __init__(self, name):
        super().__init__(name)

    def _real(self):
        return importlib.import_module(self.__name__)

    def __getattr__(self, attr):
        return getattr(self._real(), attr)

    def __setattr__(self, attr, value):
        setattr(self._real(), attr, value)

    def __dir__(self):
        return dir(self._real())

    def __repr__(self):
        return repr(self._real())


def set_limits_user(user):
    """Become the worker user (when root) with INGInious's process limit."""
    if user == "worker" and os.getuid() == 0:
        os.setgid(WORKER_UID)
        os.setuid(WORKER_UID)
    os.environ["HOME"] = "/task"
    resource.setrlimit(resource.RLIMIT_NPROC, (WORKER_NPROC, WORKER_NPROC))


def set_executable(filename):
    st = os.stat(filename)
    os.chmod(filename, st.st_mode | stat.S_IEXEC)


def execute_process(args, stdin_string="", internal_command=False, user="worker"):
    """Run args with stdin_string as input; returns (stdout, stderr) bytes."""
    import subprocess
    import tempfile
    if not isinstance(args, list):
        args = [args]
    with tempfile.TemporaryFile() as stdin, tempfile.TemporaryFile() as stdout, \
            tempfile.TemporaryFile() as stderr:
        stdin.write(stdin_string.encode("utf-8"))
        stdin.seek(0)
        if internal_command:
            proc = subprocess.Popen(args, stdin=stdin, stdout=stdout, stderr=stderr)
        else:
            set_executable(args[0])
            proc = subprocess.Popen(args, preexec_fn=lambda: set_limits_user(user),
                                    stdin=stdin, stdout=stdout, stderr=stderr)
        proc.wait()
        stdout.seek(0)
        stderr.seek(0)
        return stdout.read(), stderr.read()


def read_block(stream, size):
    """Up to size bytes from stream; b"" only at its end."""
    return stream.read(size)
