# reStructuredText snippets for feedback, as INGInious's rst-* commands print
# them (without print's final newline).
import base64
import os

_ADMONITION_CLASSES = ("info", "danger", "warning", "success")


def get_codeblock(language, text):
    """A code-block directive holding text, one tab-indented line per line."""
    rst = "\n\n.. code-block:: " + language + "\n\n"
    for line in text.splitlines():
        rst += "\t" + line + "\n"
    return rst + "\n"


def get_imageblock(filename, format=""):
    """A raw html <img> with the file inlined as base64; the type is format,
    else the file's extension."""
    extension = os.path.splitext(filename)[1]
    with open(filename, "rb") as image:
        encoded = base64.b64encode(image.read()).decode("utf-8")
    return ("\n\n.. raw:: html\n\n\t<img src=\"data:image/" + (format if format else extension[1:])
            + ";base64," + encoded + "\">\n")


def get_admonition(cssclass, title, text):
    """An admonition (a note when title is empty) with a bootstrap alert class."""
    if cssclass not in _ADMONITION_CLASSES:
        cssclass = "info"
    rst = ("\n\n.. admonition:: " + title + "\n") if title else "\n\n.. note:: \n"
    rst += "\t:class: alert alert-" + cssclass + "\n\n"
    for line in text.splitlines():
        rst += "\t" + line + "\n"
    return rst + "\n"


def indent_block(amount, text, indent_char="\t"):
    """Prefix each line with indent_char * amount; amount <= 0 removes every
    indent_char found at an index below -amount."""
    rst = ""
    for line in text.splitlines():
        if amount > 0:
            rst += indent_char * amount + line + "\n"
        else:
            rst += "".join(c for i, c in enumerate(line)
                           if c != indent_char or i >= abs(amount)) + "\n"
    return rst
