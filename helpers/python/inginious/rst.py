# Alias of inginious_container_api.rst (see __init__.py).
import sys

import inginious_container_api.rst

sys.modules[__name__] = inginious_container_api.rst
