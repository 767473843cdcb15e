"""Output formats: each a pure function of a :class:`grader.results.GradeResult`."""

from grader.render.gradescope import render_gradescope
from grader.render.json import render_json
from grader.render.junit import render_junit
from grader.render.markdown import render_markdown
from grader.render.text import render_text

RENDERERS = {"text": render_text, "json": render_json, "junit": render_junit,
             "gradescope": render_gradescope, "markdown": render_markdown}
