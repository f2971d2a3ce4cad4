# ssh_student(): INGInious lets a student ssh into a student container. Not
# offered by gradebox (yet): it returns 251, the "not available" code, with
# a message on stderr.
import sys

import inginious_container_api
import inginious_container_api.run_student


def ssh_student(setup_script=None, memory_limit=0, hard_time_limit=0, time_limit=0,
                container=None, run_as_root=False, teardown_script=None):
    """Run setup_script then give the student ssh access: not available (251)."""
    return inginious_container_api.run_student._unavailable("ssh_student")
