"""Output formats: each a pure function of a :class:`grader.results.GradeResult`."""

from grader.render.json import render_json
from grader.render.text import render_text

RENDERERS = {"text": render_text, "json": render_json}
