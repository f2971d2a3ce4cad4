# The submission's answers: /.__input/__inputdata.json, re-read on every call
# (a run file may rewrite it), uploads read from the file their "value"
# names. Module-level imports are part of the API: run files get os, re,
# json and datetime from `from inginious_container_api.input import *`.
import datetime
import json
import os
import re

import inginious_container_api
from inginious_container_api import utils as _utils

_TIME_FORMAT = "%Y-%m-%d %H:%M:%S.%f"


def _load_input():
    """The whole input file as a dict (NUL bytes and blanks at both ends stripped)."""
    with open(_utils.input_file(), "r", encoding="utf-8") as f:
        return json.loads(f.read().strip("\0").strip())


def load_input():
    """Legacy name of _load_input()."""
    return _load_input()


def _is_upload(value):
    return isinstance(value, dict) and "filename" in value and "value" in value


def get_input(problem):
    """The answer to problem: its JSON value, or for an upload its bytes
    ("id" or "id:value") or its name ("id:filename"). KeyError when absent."""
    pbsplit = problem.split(":")
    answer = _load_input()["input"][pbsplit[0]]
    if not _is_upload(answer):
        return answer
    if len(pbsplit) > 1 and pbsplit[1] == "filename":
        return answer["filename"]
    with open(_utils.sandbox_path(answer["value"]), "rb") as f:
        return f.read()


def get_username():
    """The username being graded (group: members joined by ',')."""
    return get_input("@username")


def get_lang():
    """The student's language (e.g. "en" or "fr_FR")."""
    return get_input("@lang")


def get_submission_time():
    """The submission time as a naive datetime.

    INGInious parses "%Y-%m-%d %H:%M:%S.%f" only, and so rejects what its own
    front-end sends ("2026-11-22 10:00:00.123456+00:00", no fraction when it
    is 0). gradebox also reads those ISO forms; an offset is converted to UTC
    and dropped, so the value compares with naive UTC deadlines."""
    value = get_input("@time")
    try:
        return datetime.datetime.strptime(value, _TIME_FORMAT)
    except ValueError as first_error:
        try:
            when = datetime.datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise first_error from None
        if when.tzinfo is not None:
            when = when.astimezone(datetime.timezone.utc).replace(tzinfo=None)
        return when


def parse_template(input_filename, output_filename=""):
    """Replace every @PREFIX@id@SUFFIX@ of input_filename by the answer to id,
    one PREFIX+line+SUFFIX per line; write output_filename (default: the
    input file itself)."""
    data = _load_input()
    with open(input_filename, "rb") as f:
        template = f.read().decode("utf-8")
    if "input" not in data:
        raise ValueError("Could not find 'input' in data")

    for field, answer in data["input"].items():
        subs = ["filename", "value"] if _is_upload(answer) else [""]
        for sub in subs:
            marker_id = field + (":" + sub if sub else "")
            # the id goes into the pattern unescaped, as INGInious does
            pattern = re.compile("@([^@]*)@" + marker_id + "@([^@]*)@")
            for prefix, suffix in set(pattern.findall(template)):
                if sub == "value":
                    with open(_utils.sandbox_path(answer["value"]), "rb") as f:
                        text = f.read().decode("utf-8")
                elif sub:
                    text = answer[sub]
                else:
                    text = answer
                lines = "\n".join(prefix + line + suffix for line in text.splitlines())
                template = template.replace("@{0}@{1}@{2}@".format(prefix, marker_id, suffix),
                                            lines)

    if output_filename == "":
        output_filename = input_filename
    try:  # as INGInious: a failure here shows when the file is opened
        os.makedirs(os.path.dirname(output_filename))
    except OSError:
        pass
    with open(output_filename, "wb") as f:
        f.write(template.encode("utf-8"))
