# Run by the grading kernel before any notebook cell (the driver points PYTHONSTARTUP here).
from course.grading.kernel_guard import install as _install_grading_guard

_install_grading_guard()
del _install_grading_guard
