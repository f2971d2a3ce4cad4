# Alias of inginious_container_api.utils (see __init__.py).
import sys

import inginious_container_api.utils

sys.modules[__name__] = inginious_container_api.utils
