# The legacy package name of INGInious's container API: `from inginious
# import feedback, input, rst, lang` (and run_student, ssh_student, utils)
# give the modules of inginious_container_api themselves, so both names
# share one state. DEBUG here works as inginious_container_api.DEBUG.
import os

DEBUG = False
