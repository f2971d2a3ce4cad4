# Alias of inginious_container_api.run_student (see __init__.py).
import sys

import inginious_container_api.run_student

sys.modules[__name__] = inginious_container_api.run_student
