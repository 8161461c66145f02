"""`python -m contactdesk.sandbox`: run both simulators standalone (placeholder until they land)."""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    print("The practice simulators are being built.")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
