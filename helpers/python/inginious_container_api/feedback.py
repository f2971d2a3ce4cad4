# Feedback of the run file: /.__output/__feedback.json, rewritten whole by
# every setter (under the directory's lock, through a temp file and a
# rename: see utils.py), in json.dumps' default format. Shapes, as INGInious:
# result/text/grade/state global; problems {id: text} until a result is set,
# then {id: [result, text]}; tests {tag: bool} and {"*auto-tag-<hash>": text};
# custom {name: value}.
import json
import os

import inginious_container_api
import inginious_container_api.lang
from inginious_container_api import utils as _utils
from inginious_container_api.input import get_lang

traceback = _utils.LazyModule("traceback")

_AUTO_TAG_PREFIX = "*auto-tag-"
_TPL_NOT_FOUND = """
.. error::

    Unable to find template named %s. Please contact your administrator.
    

    """
_TPL_ERROR_HEAD = """
.. error::
   
   An error occured while parsing the feedback template. Here is the full error:
   
   ::
   
"""
_TPL_ERROR_TAIL = "\n\tPlease contact your administrator.\n"


class _LazyTemplate:
    """jinja2.Template, imported when first used (jinja2 takes ~20 ms to load)."""

    def _real(self):
        from jinja2 import Template as real
        return real

    def __call__(self, *args, **kwargs):
        return self._real()(*args, **kwargs)

    def __getattr__(self, attr):
        return getattr(self._real(), attr)

    def __repr__(self):
        return repr(self._real())


Template = _LazyTemplate()


def _load_feedback():
    """The current feedback dict ({} when there is none)."""
    return _utils.load_feedback()


load_feedback = _load_feedback  # the legacy `inginious` package's name


def save_feedback(rdict):
    """Replace the whole feedback file by rdict."""
    _utils.modify_feedback(lambda _old: rdict)


def get_feedback():
    """The dictionary holding the feedback."""
    return _load_feedback()


def set_global_result(result):
    """Set the global result (success, failed, crash, timeout, overflow...)."""
    def change(rdict):
        rdict["result"] = result
    _utils.modify_feedback(change)


def set_problem_result(result, problem_id):
    """Set a problem's result, keeping its text: [result, text]."""
    def change(rdict):
        if "problems" not in rdict:
            rdict["problems"] = {}
        cur = rdict["problems"].get(problem_id, "")
        rdict["problems"][problem_id] = [result, cur] if type(cur) == str else [result, cur[1]]
    _utils.modify_feedback(change)


def set_grade(grade):
    """Set the grade, stored as float(grade) (no clamping)."""
    def change(rdict):
        rdict["grade"] = float(grade)
    _utils.modify_feedback(change)


def _check_text(feedback):
    if not isinstance(feedback, str):
        raise ValueError("Feedback doesn't match correct instance")


def set_global_feedback(feedback, append=False):
    """Set (or append to) the global feedback text."""
    _check_text(feedback)

    def change(rdict):
        rdict["text"] = rdict.get("text", "") + feedback if append else feedback
    _utils.modify_feedback(change)


def set_problem_feedback(feedback, problem_id, append=False):
    """Set (or append to) a problem's text: a bare string until a result is set."""
    _check_text(feedback)

    def change(rdict):
        if "problems" not in rdict:
            rdict["problems"] = {}
        cur = rdict["problems"].get(problem_id, "")
        if type(cur) == str:
            rdict["problems"][problem_id] = cur + feedback if append else feedback
        else:
            rdict["problems"][problem_id] = [cur[0], cur[1] + feedback if append else feedback]
    _utils.modify_feedback(change)


def set_state(state):
    """Set the state kept for the student's next submission."""
    def change(rdict):
        rdict["state"] = state
    _utils.modify_feedback(change)


def set_tag(tag, value):
    """Set tag to true (value == True) or false; auto-tag ids are ignored."""
    if tag.startswith(_AUTO_TAG_PREFIX):
        return

    def change(rdict):
        rdict.setdefault("tests", {})[tag] = (value == True)  # noqa: E712 (1 counts)
    _utils.modify_feedback(change)


def tag(value):
    """Add a tag with a generated id (from this process's string hash)."""
    text = str(value)

    def change(rdict):
        rdict.setdefault("tests", {})[_AUTO_TAG_PREFIX + str(hash(text))] = text
    _utils.modify_feedback(change)


def set_custom_value(custom_name, custom_val):
    """Set custom[custom_name] (any JSON-serialisable value)."""
    def change(rdict):
        if "custom" not in rdict:
            rdict["custom"] = {}
        rdict["custom"][custom_name] = custom_val
    _utils.modify_feedback(change)


def _set_text(output, problem_id, append):
    if problem_id is None:
        set_global_feedback(output, append)
    else:
        set_problem_feedback(output, problem_id, append)


def set_feedback_from_tpl(tpl_name, parameters, problem_id=None, append=False):
    """Render a Jinja2 template with parameters (plus _ for translations) and
    set it as the global (or problem_id's) feedback. The template is the
    first of ./NAME.<lang>.tpl, /task/lang/<lang>/NAME.tpl, ./NAME.tpl.
    Returns True, or False after setting an error text when the template is
    missing or fails (also when Jinja2 is not installed)."""
    import builtins
    inginious_container_api.lang.init()
    lang = get_lang()

    candidates = [".".join([tpl_name, lang, "tpl"]),
                  os.path.join(inginious_container_api.lang.get_lang_dir_path(), lang, tpl_name)
                  + ".tpl",
                  ".".join([tpl_name, "tpl"])]
    location = next((path for path in candidates if os.path.exists(path)), None)
    if location is None:
        _set_text(_TPL_NOT_FOUND % tpl_name, problem_id, append)
        return False

    try:
        with open(location, "r") as f:
            template = Template(f.read())
        parameters.update({"_": builtins.__dict__["_"]})
        output = template.render(parameters)
        valid = True
    except Exception:
        output = _TPL_ERROR_HEAD
        output += "\n".join("\t\t" + line for line in traceback.format_exc().split("\n"))
        output += _TPL_ERROR_TAIL
        valid = False

    _set_text(output, problem_id, append)
    return valid
