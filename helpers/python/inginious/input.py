# Alias of inginious_container_api.input (see __init__.py).
import sys

import inginious_container_api.input

sys.modules[__name__] = inginious_container_api.input
