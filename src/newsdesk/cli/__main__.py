"""``python -m newsdesk.cli``: the same as the installed ``newsdesk`` command."""

from newsdesk.cli import main

main()
