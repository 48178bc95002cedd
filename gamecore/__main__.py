"""``python -m gamecore`` runs the command-line interface (same as the ``gamecore`` script)."""

from gamecore.cli import main

if __name__ == "__main__":
    main()
