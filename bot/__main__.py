"""``python -m bot`` runs the ``ita`` command line."""

from bot.cli import main

main()
