# Alias of inginious_container_api.feedback (see __init__.py).
import sys

import inginious_container_api.feedback

sys.modules[__name__] = inginious_container_api.feedback
