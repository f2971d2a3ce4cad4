# Alias of inginious_container_api.ssh_student (see __init__.py).
import sys

import inginious_container_api.ssh_student

sys.modules[__name__] = inginious_container_api.ssh_student
