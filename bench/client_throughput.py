"""Client throughput: listing a whole list with our clients vs the seed docs' example style.

Both simulators run on 127.0.0.1 with 50 ms of latency added to every answer (a nearby
server over the internet). For each platform the same list is read twice, side by side:

- "doc style": what the vendors' examples show -- a new ``requests.get``/``requests.post``
  per page (so a new connection each time), one page after the other, default page size;
- "ours": `FlexacoreClient.list_all` (page 1, then the remaining pages concurrently on
  keep-alive sessions) and `TextFlowClient.list_all` (100 a page, paced by the plan).

Flexacore: the 2,500-contact group of the default practice preset. TextFlow: the 5,000
practice contacts, with a key that is not rate limited for the speed comparison. Then the
TextFlow Starter plan (100 requests a minute) is checked from the simulator's own
per-minute request counters: our client reads the list three times (150 requests) and
must never go over 100 in any minute, and never see a 429. That check runs on a
compressed clock (one simulated minute = 6 s) shared by the simulator and our limiter.

Goal: ours at least 3x faster than doc style on Flexacore.

    .venv/bin/python bench/client_throughput.py [--latency 0.05] [--repeat 2]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import requests

from contactdesk.providers.flexacore import FlexacoreClient
from contactdesk.providers.ratelimit import RateLimiter
from contactdesk.providers.textflow import TextFlowClient
from contactdesk.providers.textflow_schema import ENTERPRISE, STARTER
from contactdesk.sandbox.flexacore import FlexacoreConfig, FlexacoreSim
from contactdesk.sandbox.server import FaultPlan, SandboxServer
from contactdesk.sandbox.textflow import TextFlowConfig, TextFlowSim
from contactdesk.sandbox.textflow_limits import ApiKeySpec, SimClock

GOAL = 3.0
UNLIMITED_KEY = "sk_test_bench_unlimited_0123456789abcdef"
STARTER_KEY = "sk_test_bench_starter_0123456789abcdefgh"
COMPRESSION = 10.0  # simulated seconds per real second in the Starter check
STARTER_PASSES = 3


@dataclass
class Run:
    label: str
    seconds: float
    ids: list[str]

    @property
    def rate(self) -> float:
        return len(self.ids) / self.seconds


def best_of(repeat: int, label: str, read: Callable[[], list[str]]) -> Run:
    times: list[float] = []
    ids: list[str] = []
    for _ in range(repeat):
        started = time.perf_counter()
        ids = read()
        times.append(time.perf_counter() - started)
    return Run(label, min(times), ids)


# -- Flexacore --------------------------------------------------------------------------------


def flexacore_doc_style(base: str, token: str, group: str) -> list[str]:
    """The seed doc's curl, per page: POST .../all with the three headers, no session."""
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        "Accept": "application/json",
    }
    ids: list[str] = []
    page = 1
    while True:
        response = requests.post(
            f"{base}/contacts/{group}/all", params={"page": page}, headers=headers, timeout=30
        )
        data = response.json()["data"]
        ids += [row["uid"] for row in data["data"]]
        if data["current_page"] >= data["last_page"]:
            return ids
        page += 1


def bench_flexacore(latency: float, repeat: int) -> tuple[Run, Run]:
    sim = FlexacoreSim(FlexacoreConfig.preset("default"))
    group = max(sim.group_uids(), key=lambda uid: len(sim.contacts_in(uid)))
    with SandboxServer(sim) as server:
        server.faults = FaultPlan(latency=latency)
        base = server.root_url + "/api/v3"
        naive = best_of(repeat, "doc style", lambda: flexacore_doc_style(base, sim.token, group))
        client = FlexacoreClient(base, sim.token)
        try:
            ours = best_of(
                repeat, "ours", lambda: [c.remote_id or "" for c in client.list_all(group_id=group)]
            )
        finally:
            client.close()
    expected = [c.uid for c in sim.contacts_in(group)]
    for run in (naive, ours):
        if run.ids != expected:
            raise SystemExit(f"Flexacore {run.label}: wrong list ({len(run.ids)} rows)")
    return naive, ours


# -- TextFlow ---------------------------------------------------------------------------------


def textflow_doc_style(base: str, key: str) -> list[str]:
    """The seed doc's Python ``get_contacts(page, limit=50)``, called page after page."""
    ids: list[str] = []
    page = 1
    while True:
        response = requests.get(
            f"{base}/v1/contacts",
            params={"page": page, "limit": 50},
            headers={"X-API-Key": key},
            timeout=30,
        )
        body = response.json()
        ids += [str(row["id"]) for row in body["data"]]
        if page >= body["pagination"]["pages"]:
            return ids
        page += 1


class CompressedClock(SimClock):
    """Simulated time running ``factor`` times faster than the wall clock (for the sim)."""

    def __init__(self, factor: float) -> None:
        super().__init__()
        self.factor = factor
        self._wall0 = time.time()
        self._mono0 = time.monotonic()

    def now(self) -> float:
        return self._wall0 + (time.time() - self._wall0) * self.factor

    def monotonic(self) -> float:
        return (time.monotonic() - self._mono0) * self.factor

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds / self.factor)


def textflow_throughput(latency: float, repeat: int) -> tuple[Run, Run, dict[str, tuple[int, int]]]:
    """Doc style vs ours on keys without a rate limit, each side on its own key."""
    keys = {"doc style": UNLIMITED_KEY + "_doc", "ours": UNLIMITED_KEY + "_ours"}
    config = TextFlowConfig(
        preset="default", keys=tuple(ApiKeySpec(k, "Enterprise", None) for k in keys.values())
    )
    sim = TextFlowSim(config)
    expected = {str(c["id"]) for c in sim.contacts()}
    with SandboxServer(sim) as server:
        server.faults = FaultPlan(latency=latency)
        base = server.root_url + "/api"
        naive = best_of(repeat, "doc style", lambda: textflow_doc_style(base, keys["doc style"]))
        fast = TextFlowClient(base, keys["ours"], plan=ENTERPRISE)
        try:
            ours = best_of(repeat, "ours", lambda: [c.remote_id or "" for c in fast.list_all()])
        finally:
            fast.close()
    for run in (naive, ours):
        if set(run.ids) != expected or len(run.ids) != len(expected):
            raise SystemExit(f"TextFlow {run.label}: wrong list ({len(run.ids)} rows)")
    # (requests in all, busiest one-minute window) per side, from the simulator's counters
    usage = {label: (sim.usage(key).total, sim.usage(key).peak) for label, key in keys.items()}
    return naive, ours, usage


def textflow_starter(latency: float) -> dict[str, Any]:
    """Our client on the Starter plan, read from the simulator's per-minute counters."""
    clock = CompressedClock(COMPRESSION)
    config = TextFlowConfig(
        preset="default", clock=clock, keys=(ApiKeySpec.for_plan(STARTER_KEY, "Starter"),)
    )
    sim = TextFlowSim(config)
    count = len(sim.contacts())
    with SandboxServer(sim) as server:
        server.faults = FaultPlan(latency=latency)
        # the limiter shares the simulator's compressed clock, so its minute is the server's
        limiter = RateLimiter(
            STARTER, clock=clock.monotonic, sleep=clock.sleep, wall_clock=clock.now
        )
        starter = TextFlowClient(server.root_url + "/api", STARTER_KEY, limiter=limiter)
        started = time.perf_counter()
        sim_started = clock.now()
        try:
            for _ in range(STARTER_PASSES):
                if len(starter.list_all()) != count:
                    raise SystemExit("TextFlow Starter: wrong list")
        finally:
            starter.close()
    usage = sim.usage(STARTER_KEY)
    return {
        "requests": usage.total,
        "peak": usage.peak,
        "rejected": usage.rejected,
        "real_seconds": time.perf_counter() - started,
        "sim_seconds": clock.now() - sim_started,
        "windows": [usage.per_window[w] for w in sorted(usage.per_window)],
    }


# -- report -----------------------------------------------------------------------------------


def side_by_side(title: str, naive: Run, ours: Run) -> float:
    ratio = naive.seconds / ours.seconds
    print(f"\n{title}")
    for run in (naive, ours):
        print(
            f"  {run.label:<10} {run.seconds:7.2f} s  {len(run.ids):6,d} contacts  "
            f"{run.rate:8,.0f} contacts/s"
        )
    print(f"  ratio      {ratio:7.2f}x faster")
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--latency", type=float, default=0.05, help="seconds added per answer")
    parser.add_argument("--repeat", type=int, default=2, help="runs per side; the best counts")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    print(
        f"Client throughput: {args.latency * 1000:.0f} ms latency on every answer, "
        f"best of {args.repeat} per side"
    )

    f_naive, f_ours = bench_flexacore(args.latency, args.repeat)
    f_ratio = side_by_side(
        "Flexacore: the 2,500-contact group (25 a page; doc style: a new requests.post per page)",
        f_naive,
        f_ours,
    )
    t_naive, t_ours, peaks = textflow_throughput(args.latency, args.repeat)
    side_by_side(
        "TextFlow: 5,000 contacts, keys without rate limit "
        "(doc style: requests.get, limit=50; ours: limit=100)",
        t_naive,
        t_ours,
    )
    for run in (t_naive, t_ours):
        total, peak = peaks[run.label]
        per_read = total // args.repeat
        print(
            f"  {run.label:<10} {per_read} requests per read, {per_read / run.seconds * 60:,.0f} "
            f"a minute at this speed; busiest minute on the server: {peak}"
        )
    print(f"  plan budgets: Starter {STARTER.requests}/minute, Marketer 300/minute")
    check = textflow_starter(args.latency)
    sim_minutes = check["sim_seconds"] / 60
    print(
        f"\nTextFlow Starter plan ({STARTER.requests} requests/minute), {STARTER_PASSES} full "
        f"reads = {check['requests']} requests, clock compressed {COMPRESSION:g}x "
        f"({check['real_seconds']:.1f} s real = {sim_minutes:.1f} simulated minutes)"
    )
    print(
        f"  requests per one-minute window (simulator's counters): {check['windows']}; "
        f"peak {check['peak']} vs budget {STARTER.requests}; 429 answers: {check['rejected']}"
    )
    within = check["peak"] <= (STARTER.requests or 0) and check["rejected"] == 0
    print(f"  within budget: {'yes' if within else 'NO'}")

    print(
        f"\nGoal: ours >= {GOAL:g}x faster on Flexacore -> {f_ratio:.2f}x: "
        f"{'met' if f_ratio >= GOAL else 'NOT met'}"
    )
    print(f"(whole benchmark: {time.perf_counter() - started:.0f} s)")
    ok = f_ratio >= GOAL and within
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
