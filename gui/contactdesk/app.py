"""Composition root and command line: builds every service once and passes it in."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from contactdesk import APP_NAME, __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="contactdesk", description=f"{APP_NAME} {__version__}")
    parser.add_argument("--version", action="version", version=f"{APP_NAME} {__version__}")
    parser.add_argument(
        "--practice",
        action="store_true",
        help="start the practice simulators and open two practice accounts (keys in memory only)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.practice:
        from contactdesk.sandbox.__main__ import main as sandbox_main

        return sandbox_main([])
    print(f"{APP_NAME} {__version__}: the main window is not built yet; try --practice.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
