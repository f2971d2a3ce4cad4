# The body of helpers/inginious-ipython, the launcher of Python run files
# (run.py, run.py3): it lives in the package so that Python caches its
# bytecode, and the launcher script stays a few lines.
#
# The run file gets the globals of `from inginious_container_api.{input,
# feedback,lang,rst,run_student,ssh_student} import *` (which include json,
# os, re, datetime ... as with INGInious), __file__ = FILE and sys.argv =
# [FILE, ARG...]. Under IPython (when `import IPython` works) it is IPython
# code: `!cmd`, `out = !cmd` and `%env` work, and `$VAR` in a `!cmd` line is
# a Python name, else an environment variable. Without IPython it runs as
# plain Python with the same globals; a `!cmd` or `%magic` line then stops the
# run with a message naming the line. A run file that IPython would run
# unchanged (see _needs_ipython) runs as plain Python even where IPython is.
import os
import re
import sys

API_MODULES = ("input", "feedback", "lang", "rst", "run_student", "ssh_student")
EXIT_USAGE = 1


def _set_path(run_file):
    # The run file's directory replaces this launcher's, so a task's own
    # modules import (as IPython's safe_execfile_ipy does)
    sys.path[0] = os.path.dirname(os.path.abspath(run_file))


def _run_ipython(run_file, interactiveshell):
    import string

    from IPython.utils.text import DollarFormatter

    class Expander(DollarFormatter):
        """IPython's `!cmd` expansion, field by field: IPython gives up on
        the whole line as soon as one name is unknown, so `!gcc $src -o
        $HOME/a` would lose $src. Here `$name` is a Python name, else an
        environment variable, else left as `$name` for the shell; `{expr}` is
        evaluated, else left as is (so the shell's `${VAR}` still works)."""

        # $name or $$name outside single quotes (IPython's rule)
        dollar = re.compile(r"(.*?)\$(\$?[\w.]+)(?=([^']*'[^']*')*[^']*$)", re.S)

        def parse(self, text):
            for literal, field, spec, conversion in string.Formatter.parse(self, text):
                rest = 0
                pending = ""
                for m in self.dollar.finditer(literal):
                    before, name = m.group(1, 2)
                    if name.startswith("$"):  # $$name: a literal $name
                        pending += before + name
                    else:
                        yield pending + before, "$" + name, "", None
                        pending = ""
                    rest = m.end()
                yield pending + literal[rest:], field, spec, conversion

        def vformat(self, text, args, kwargs):
            out = []
            for literal, field, spec, conversion in self.parse(text):
                out.append(literal)
                if field is None:
                    continue
                if field.startswith("$"):
                    name = field[1:]
                    try:
                        out.append(self.format_field(eval(name, dict(kwargs)), ""))
                    except Exception:
                        out.append(os.environ.get(name, field))
                    continue
                expr = field + (":" + spec if spec else "")
                try:
                    value = self.convert_field(eval(expr, dict(kwargs)), conversion)
                    out.append(self.format_field(value, ""))
                except Exception:
                    out.append("{" + field + ("!" + conversion if conversion else "")
                               + (":" + spec if spec else "") + "}")
            return "".join(out)

    class Shell(interactiveshell.InteractiveShell):
        def var_expand(self, cmd, depth=0, formatter=None):
            names = dict(self.user_ns)
            try:
                names.update(sys._getframe(depth + 1).f_locals)
            except ValueError:
                pass
            try:
                return Expander().vformat(cmd, args=[], kwargs=names)
            except Exception:
                return cmd

    # No history database: a run file never reads it back, and opening and
    # syncing the sqlite file in $HOME/.ipython costs ~0.5 s per run.
    from traitlets.config import Config
    config = Config()
    config.HistoryManager.enabled = False
    # colour codes only where someone reads a terminal, not in a result's stdout
    shell = Shell(colors="Linux" if sys.stdout.isatty() else "NoColor", config=config)
    # one cell: each run_cell goes through IPython's input transformers
    shell.run_cell("\n".join("from inginious_container_api.%s import *" % module
                              for module in API_MODULES), store_history=False)
    shell.user_ns["__file__"] = run_file
    shell.safe_execfile_ipy(run_file)


def _ipython_line(source):
    """The first line that only IPython understands, as (number, text)."""
    shell_line = re.compile(r"^\s*(!|%|[\w.,\s]+=\s*!)")
    for number, line in enumerate(source.splitlines(), 1):
        if shell_line.match(line):
            return number, line.strip()
    return None


def _run_python(run_file):
    with open(run_file, "rb") as f:
        source = f.read()
    run_globals = {"__name__": "__main__", "__file__": run_file, "__builtins__": __builtins__}
    for module in API_MODULES:
        exec("from inginious_container_api.%s import *" % module, run_globals)
    try:
        code = compile(source, run_file, "exec")
    except SyntaxError:
        found = _ipython_line(source.decode("utf-8", "replace"))
        if found is None:
            raise
        print("inginious-ipython: %s:%d: `%s` needs IPython, which this environment lacks"
              " (install ipython3, or use subprocess)" % (run_file, found[0], found[1]),
              file=sys.stderr)
        sys.exit(EXIT_USAGE)
    exec(code, run_globals)


def _needs_ipython(run_file):
    """IPython changes only what plain Python cannot run (`!cmd`, `%magic`,
    `out = !cmd`: syntax errors for Python) and what asks for it by name: a
    run file that compiles as Python and never names get_ipython or display
    runs the same without it, half a second of CPU sooner."""
    try:
        with open(run_file, "rb") as f:
            source = f.read()
    except OSError:
        return True
    if b"get_ipython" in source or b"display" in source:
        return True
    try:
        compile(source, run_file, "exec")
    except (SyntaxError, ValueError):
        return True
    return False


def main(argv):
    """Run argv[1] as the launcher does (argv[0] is the launcher)."""
    if len(argv) < 2:
        print("No file given", file=sys.stderr)
        sys.exit(EXIT_USAGE)
    run_file = argv[1]
    sys.argv = argv[1:]
    _set_path(run_file)
    interactiveshell = None
    if _needs_ipython(run_file):
        try:
            import IPython.core.interactiveshell as interactiveshell
        except ImportError:
            pass
    if interactiveshell is not None:
        _run_ipython(run_file, interactiveshell)
    else:
        _run_python(run_file)
