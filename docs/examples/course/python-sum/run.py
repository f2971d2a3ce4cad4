# Run through inginious-ipython: the API's modules are imported already
# (run_student_simple among them), as are json and os; this file imports
# feedback and input anyway, as most tasks do.
from inginious import feedback, input

code = input.get_input("code")
with open("/task/student/solution.py", "w") as f:
    f.write(code + "\n\nprint(total([1, 2, 3]), total([]), total([-5, 5.5]))\n")
# The student's code runs in a student sandbox: it cannot see this file,
# the tests or the feedback, and has limits of its own.
out, err, retval = run_student_simple("python3 solution.py", working_dir="/task/student",
                                      time_limit=5, memory_limit=100)
out = out.strip()
if retval == 253:
    feedback.set_global_result("timeout")
    feedback.set_global_feedback("Your function took too long.")
elif retval == 252:
    feedback.set_global_result("overflow")
    feedback.set_global_feedback("Your function used too much memory.")
elif out == "6 0 0.5":
    feedback.set_global_result("success")
    feedback.set_problem_result("success", "code")
    feedback.set_global_feedback("All three lists summed correctly.")
else:
    feedback.set_global_result("failed")
    feedback.set_problem_result("failed", "code")
    feedback.set_problem_feedback("Expected ``6 0 0.5``, got ``%s``." % out[:200], "code")
