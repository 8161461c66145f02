"""Entry script for frozen builds (PyInstaller needs a file, not a console-script entry)."""

from __future__ import annotations

import sys

from contactdesk.app import main

if __name__ == "__main__":
    sys.exit(main())
