"""``python -m gamecore.cli`` (same as the ``gamecore`` script)."""

from gamecore.cli import main

if __name__ == "__main__":  # pragma: no cover
    main()
