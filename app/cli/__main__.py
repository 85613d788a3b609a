"""``python -m app.cli``: the same as the ``varshare`` command."""

from app.cli import main

main()
