"""``python -m sgbus``: the command line, as the ``sgbus`` script runs it."""

from sgbus.cli import main

main()
