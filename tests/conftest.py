"""The test session's oracle cache lives in a temporary folder, never in the user's own, and the
suite's own property tests draw the same examples on every run (a red CI is then a real change,
never the luck of the draw); ``HYPOTHESIS_PROFILE=explore`` draws fresh ones."""

import os
import tempfile

from hypothesis import settings

os.environ.setdefault("GRADELAB_CACHE_DIR", tempfile.mkdtemp(prefix="gradelab-test-cache-"))

settings.register_profile("ci", derandomize=True, database=None, deadline=None)
settings.register_profile("explore", database=None, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
