"""``python -m geociv`` runs the command line."""

from geociv.cli import main

main()
