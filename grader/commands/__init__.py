"""One module per ``grade`` command; each exposes a click ``command`` and composes the layers below.

``COMMANDS`` is the order ``grade --help`` lists them in.
"""

COMMANDS = ("run", "list", "cache", "ci", "release", "notebook", "report")
