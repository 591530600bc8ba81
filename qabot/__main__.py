"""``python -m qabot`` runs the command line."""

from qabot.cli.app import main

main()
