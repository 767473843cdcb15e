"""The last pass over a result before any format renders it: no secret, no control character.

The child starts with an empty environment, and where the kernel allows it cannot read another
process's environment either.  Where it could anyway (no Landlock), a secret it found would
reach the report through what the student controls: printed output, exception messages,
returned strings.  So the values of the grader's own environment variables whose names look
secret are replaced by ``***`` in every message of the result, before any format renders it.
The same pass removes control characters (terminal escapes, characters XML forbids), whoever
wrote the text.
"""

from __future__ import annotations

import os
import re
from typing import Any, Mapping, Optional

from grader.protocol import clean_text
from grader.results import GradeResult

SECRET_NAME = re.compile(r"TOKEN|SECRET|KEY|PASSWORD|PASSWD|CREDENTIAL|AUTH", re.IGNORECASE)
MIN_LENGTH = 6  # shorter values ("1", "true") would blank out ordinary words
MASK = "***"


def secrets(environ: Optional[Mapping[str, str]] = None) -> list[str]:
    """Values of secret-looking variables, longest first (so no secret is half-masked)."""
    environ = os.environ if environ is None else environ
    found = {value for name, value in environ.items() if SECRET_NAME.search(name) and len(value) >= MIN_LENGTH}
    return sorted(found, key=len, reverse=True)


def redact(value: Any, hidden: list[str]) -> Any:
    """``value`` (a string, or strings nested in lists and dicts) with every secret masked."""
    if isinstance(value, str):
        for secret in hidden:
            value = value.replace(secret, MASK)
        return clean_text(value)
    if isinstance(value, list):
        return [redact(v, hidden) for v in value]
    if isinstance(value, dict):
        return {redact(k, hidden): redact(v, hidden) for k, v in value.items()}
    return value


def scrub_result(result: GradeResult, environ: Optional[Mapping[str, str]] = None) -> None:
    """Mask secrets and control characters in every message, counterexample and diagnosis of
    ``result``, in place."""
    hidden = secrets(environ)
    result.submission = redact(result.submission, hidden)
    for _, function in result.functions():
        for check in function.checks:
            check.message = redact(check.message, hidden)
            check.counterexample = redact(check.counterexample, hidden)
            if check.diagnosis is not None:
                check.diagnosis.message = redact(check.diagnosis.message, hidden)
