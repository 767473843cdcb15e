"""Correct implementations written differently from the model answers.

``tests/alternatives/<module>.py`` defines ``<function>__<variant>`` functions; each must score
full marks, which is how the project shows that grading never fails a correct answer merely
because it is written another way (loops instead of vectorisation, another formula order,
NumPy scalars instead of floats, booleans instead of 0/1 integers, ...).
"""
