"""`python -m contactdesk.sandbox`: run both practice simulators until Ctrl+C or SIGTERM.

Prints each platform's base URL and practice key, and a curl command per platform that
can be pasted as is. Nothing here talks to a real platform.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType
from typing import Any

from contactdesk.sandbox.practice import DEFAULT_SEED, PRESET_NAMES, PracticeSandbox


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m contactdesk.sandbox",
        description="Run the Flexacore and TextFlow practice simulators on 127.0.0.1.",
    )
    parser.add_argument(
        "--preset",
        choices=PRESET_NAMES,
        default="default",
        help="how many practice contacts: small (~100), default (~5,000), large (100,000)",
    )
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="practice data seed")
    parser.add_argument("--flexacore-port", type=int, default=0, help="default: any free port")
    parser.add_argument("--textflow-port", type=int, default=0, help="default: any free port")
    return parser


def _say(text: str) -> None:
    # a windowed (frozen) build has no stdout; practice mode must still run there
    if sys.stdout is not None:
        print(text, flush=True)


def _banner(sandbox: PracticeSandbox) -> list[str]:
    curls = sandbox.curl_examples()
    return [
        f"Contact Desk practice sandbox: preset {sandbox.preset}, seed {sandbox.seed}. "
        "Practice data only; nothing real is touched.",
        f"Flexacore base URL: {sandbox.flexacore_url}",
        f"Flexacore API key:  {sandbox.flexacore_key}",
        f"TextFlow base URL:  {sandbox.textflow_url}",
        f"TextFlow API key:   {sandbox.textflow_key}",
        "Try:",
        *(f"  {curl}" for curl in curls.values()),
        "Press Ctrl+C to stop.",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    stop = threading.Event()
    previous: dict[signal.Signals, Any] = {}
    if threading.current_thread() is threading.main_thread():
        # Ctrl+C and SIGTERM both end the wait below, so the servers always stop cleanly

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        for sig in (signal.SIGINT, signal.SIGTERM):
            previous[sig] = signal.signal(sig, on_signal)
    try:
        _say(f"Building practice data (preset {args.preset})…")
        try:
            sandbox = PracticeSandbox(
                args.preset,
                args.seed,
                flexacore_port=args.flexacore_port,
                textflow_port=args.textflow_port,
            )
        except OSError as exc:
            print(f"Could not open a port for the simulators: {exc}", file=sys.stderr)
            return 2
        with sandbox:
            for line in _banner(sandbox):
                _say(line)
            # a timed wait, so signal handlers get to run promptly on every platform
            while not stop.wait(0.5):
                pass
        _say("Stopped.")
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
