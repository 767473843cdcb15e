"""The test session's oracle cache lives in a temporary folder, never in the user's own."""

import os
import tempfile

os.environ.setdefault("GRADELAB_CACHE_DIR", tempfile.mkdtemp(prefix="gradelab-test-cache-"))
