# Alias of inginious_container_api.lang (see __init__.py).
import sys

import inginious_container_api.lang

sys.modules[__name__] = inginious_container_api.lang
