"""Grading the course with nbgrader: each submission in its own process, against the reference
library of the modules before it, with a guarded kernel; then feedback and the grade table."""
