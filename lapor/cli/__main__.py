"""``python -m lapor.cli``: the same command line as ``lapor``."""

from lapor.cli import app

app()
