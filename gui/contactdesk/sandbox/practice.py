"""Both practice simulators together: what practice mode, the GUI tests and
``python -m contactdesk.sandbox`` start.

The two sims are seeded alike and may share one clock. Ports are picked by the OS
unless given, and are known as soon as the sandbox is built (before ``start``).
"""

from __future__ import annotations

import shlex
import threading

from contactdesk.sandbox.flexacore import FlexacoreConfig, FlexacoreSim
from contactdesk.sandbox.server import SandboxServer
from contactdesk.sandbox.textflow import TextFlowConfig, TextFlowSim
from contactdesk.sandbox.textflow_limits import SimClock

PRESET_NAMES = ("small", "default", "large")
DEFAULT_SEED = 7


class PracticeSandbox:
    """A Flexacore and a TextFlow simulator, each behind its own `SandboxServer`.

    Use as a context manager, or call ``start()`` / ``stop()``. ``clock`` (optional) drives
    both sims' timestamps and rate-limit windows, so a test can advance time for both.
    Building the "large" preset takes several seconds (100,000 contacts per platform).
    """

    def __init__(
        self,
        preset: str = "default",
        seed: int = DEFAULT_SEED,
        *,
        clock: SimClock | None = None,
        flexacore_port: int = 0,
        textflow_port: int = 0,
    ) -> None:
        if preset not in PRESET_NAMES:
            raise ValueError(f"unknown preset {preset!r}; pick one of {', '.join(PRESET_NAMES)}")
        self.preset = preset
        self.seed = seed
        self.clock = clock or SimClock()
        self.flexacore = FlexacoreSim(
            FlexacoreConfig.preset(preset, seed=seed, clock=self.clock.now)
        )
        self.textflow = TextFlowSim(TextFlowConfig(preset=preset, seed=seed, clock=self.clock))
        self.flexacore_server = SandboxServer(self.flexacore, port=flexacore_port)
        self.textflow_server = SandboxServer(self.textflow, port=textflow_port)
        self._started = False
        self._stopped = False

    # ---- what a client is configured with

    @property
    def flexacore_url(self) -> str:
        return self.flexacore_server.root_url + "/api/v3"

    @property
    def flexacore_key(self) -> str:
        return self.flexacore.token

    @property
    def textflow_url(self) -> str:
        return self.textflow_server.root_url + "/api"

    @property
    def textflow_key(self) -> str:
        return self.textflow.api_key

    def __repr__(self) -> str:
        # no keys here: a repr can end up in a log
        return (
            f"PracticeSandbox(preset={self.preset!r}, seed={self.seed}, "
            f"flexacore={self.flexacore_url}, textflow={self.textflow_url})"
        )

    def curl_examples(self) -> dict[str, str]:
        """One ready-to-paste read-only curl command per platform."""
        group = self.flexacore.group_uids()[0]
        flexacore = [
            "curl", "-X", "POST", f"{self.flexacore_url}/contacts/{group}/all",
            "-H", f"Authorization: Bearer {self.flexacore_key}",
            "-H", "Accept: application/json",
        ]  # fmt: skip
        textflow = [
            "curl", f"{self.textflow_url}/v1/contacts?limit=5",
            "-H", f"X-API-Key: {self.textflow_key}",
        ]  # fmt: skip
        return {"Flexacore": shlex.join(flexacore), "TextFlow": shlex.join(textflow)}

    # ---- lifecycle

    def start(self) -> PracticeSandbox:
        if self._stopped:
            raise RuntimeError("a stopped practice sandbox cannot be started again")
        if not self._started:
            self.flexacore_server.start()
            self.textflow_server.start()
            self._started = True
        return self

    def stop(self) -> None:
        """Stop both servers (together: each waits for its poll loop to notice).

        Safe to call twice; a sandbox that was never started is started and stopped, which
        releases its ports.
        """
        if self._stopped:
            return
        if not self._started:
            # the servers hold bound sockets from the start; SandboxServer.stop() would wait
            # forever for a loop that never ran, so run it briefly to close them properly
            self.start()
        self._stopped = True
        stoppers = [
            threading.Thread(target=server.stop, name=f"stop-{name}")
            for name, server in (
                ("flexacore", self.flexacore_server),
                ("textflow", self.textflow_server),
            )
        ]
        for thread in stoppers:
            thread.start()
        for thread in stoppers:
            thread.join()

    def __enter__(self) -> PracticeSandbox:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
