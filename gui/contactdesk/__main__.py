"""`python -m contactdesk` runs the desktop app."""

from __future__ import annotations

from contactdesk.app import main

if __name__ == "__main__":
    raise SystemExit(main())
