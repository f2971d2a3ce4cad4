# Translations for run files: gettext domain "messages" in /task/lang
# (/task/lang/<lang>/LC_MESSAGES/messages.mo), for the student's @lang.
import builtins
import os

import inginious_container_api
import inginious_container_api.input
from inginious_container_api import utils as _utils

gettext = _utils.LazyModule("gettext")


def get_lang_dir_path():
    """Where the translations and templates live: /task/lang (./__lang in DEBUG)."""
    return _utils.lang_dir()


def init():
    """Install _ as a builtin for the student's language, once per process."""
    if "_" not in builtins.__dict__:
        os.environ["LANGUAGE"] = inginious_container_api.input.get_lang()
        gettext.install("messages", get_lang_dir_path())
