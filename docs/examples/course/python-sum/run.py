# Run through inginious-ipython: the API's modules are imported already, as
# are json and os; this file imports them anyway, as most tasks do.
import subprocess
from inginious import feedback, input

code = input.get_input("code")
with open("/task/student/solution.py", "w") as f:
    f.write(code + "\n\nprint(total([1, 2, 3]), total([]), total([-5, 5.5]))\n")
# no timeout of our own: the task's time limit ends a student's endless loop
out = subprocess.run(["python3", "/task/student/solution.py"], capture_output=True,
                     text=True).stdout.strip()
if out == "6 0 0.5":
    feedback.set_global_result("success")
    feedback.set_problem_result("success", "code")
    feedback.set_global_feedback("All three lists summed correctly.")
else:
    feedback.set_global_result("failed")
    feedback.set_problem_result("failed", "code")
    feedback.set_problem_feedback("Expected ``6 0 0.5``, got ``%s``." % out[:200], "code")
