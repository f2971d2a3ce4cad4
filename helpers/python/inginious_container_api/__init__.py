# gradebox's implementation of the INGInious container API for Python run
# files (standard library only; Jinja2 for templates when it is installed).
# Behaviour and byte formats: docs/gradebox.1 and INGInious's API.
#
# Set DEBUG = True before importing a module to use the files of the current
# directory (./__inputdata.json, ./__feedback.json, ./__lang) instead of the
# grading sandbox's.
DEBUG = False
