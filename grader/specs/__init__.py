"""One module of checks per curriculum module.

Each ``grader/specs/<module>.py`` builds a ``spec = ModuleSpec(...)`` with one short block per
exercise function: ``spec.check(...)`` for every property graded (its points, the strategy that
draws inputs, the oracle, the tolerance and why it is safe) and ``spec.mistakes(...)`` naming
the catalogued mistakes (implemented in ``reference/<module>.py`` as ``<function>__<name>``).  :mod:`grader.catalog` collects them in curriculum order.
"""
