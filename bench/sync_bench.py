"""Sync benchmark: a full refresh of 100,000 contacts into a fresh store, per platform.

The two simulators run in a child process (their own interpreter, as a real server
would be), with the "large" preset (Flexacore: groups of 500, 9,500 and 90,000; TextFlow:
100,000 contacts) and no rate limits. For each platform one ``AccountSync.refresh`` runs
into a new store file; printed: wall time, contacts/s, pages, what the report counted,
and a second refresh of the now-current store (nothing added, nothing deleted).

``--latency`` adds that many seconds to every answer (a server across the internet),
which shows what reading pages ahead (``--prefetch``) buys.

The plan note: the same number of requests under a paced plan, computed with the same
budget arithmetic the rate limiter uses (TextFlow Starter: 100 requests a minute;
Flexacore's only throttled build, Ultimate SMS 3.0: 1,000 a minute).

    .venv/bin/python bench/sync_bench.py [--preset large] [--prefetch N] [--latency S]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from contactdesk.core.schema import RatePlan
from contactdesk.providers.base import Provider
from contactdesk.providers.flexacore import FlexacoreClient
from contactdesk.providers.flexacore_schema import RATE_PLANS as FLEXACORE_PLANS
from contactdesk.providers.textflow import TextFlowClient
from contactdesk.providers.textflow_schema import STARTER
from contactdesk.store import ContactQuery
from contactdesk.sync import AccountSync, SyncProgress, budget_seconds

FLEXACORE_THROTTLED = FLEXACORE_PLANS[1]


def serve(preset: str, seed: int, latency: float) -> None:
    """Child process: both simulators, rate limits off, until stdin closes."""
    from contactdesk.sandbox.flexacore import FlexacoreConfig, FlexacoreSim
    from contactdesk.sandbox.server import FaultPlan, SandboxServer
    from contactdesk.sandbox.textflow import TextFlowConfig, TextFlowSim

    flexacore = FlexacoreSim(FlexacoreConfig.preset(preset, seed=seed))
    textflow = TextFlowSim(TextFlowConfig(preset=preset, seed=seed, practice_per_minute=None))
    with SandboxServer(flexacore) as fs, SandboxServer(textflow) as ts:
        if latency:
            fs.faults = ts.faults = FaultPlan(latency=latency)
        info = {
            "flexacore_url": fs.root_url + "/api/v3",
            "flexacore_key": flexacore.token,
            "textflow_url": ts.root_url + "/api",
            "textflow_key": textflow.api_key,
        }
        print(json.dumps(info), flush=True)
        sys.stdin.read()  # the parent closes our stdin when it is done


@dataclass
class Result:
    name: str
    seconds: float
    contacts: int
    pages: int
    report: str
    second_seconds: float
    second: str


def run_one(name: str, provider: Provider, path: Path, prefetch: int | None) -> Result:
    sync = AccountSync(provider, path, prefetch=prefetch)
    last: list[SyncProgress] = []
    ticks = threading.Event()

    def progress(event: SyncProgress) -> None:
        last[:] = [event]
        ticks.set()

    started = time.perf_counter()
    report = sync.refresh(progress=progress)
    seconds = time.perf_counter() - started
    if not report.complete:
        raise SystemExit(f"{name}: refresh did not complete: {report.errors}")
    stored = sync.store.count(ContactQuery())
    summary = (
        f"added {report.added:,}, changed {report.changed:,}, deleted {report.deleted:,}, "
        f"unchanged {report.unchanged:,}"
    )
    started = time.perf_counter()
    again = sync.refresh()
    second_seconds = time.perf_counter() - started
    second = (
        f"added {again.added:,}, changed {again.changed:,}, deleted {again.deleted:,}, "
        f"unchanged {again.unchanged:,}"
    )
    sync.close()
    return Result(name, seconds, stored, report.pages, summary, second_seconds, second)


def plan_note(result: Result, plan: RatePlan, groups_requests: int) -> str:
    requests = result.pages + groups_requests
    seconds = budget_seconds(requests, plan)
    return (
        f"  with the {plan.name} budget ({plan.requests} requests/{plan.per_seconds:.0f} s): "
        f"{requests:,} requests -> about {seconds / 60:.1f} min"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--preset", default="large", choices=("small", "default", "large"))
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--prefetch", type=int, default=None, help="pages read ahead")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds the servers add to every answer"
    )
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.preset, args.seed, args.latency)
        return 0

    print(f"Building the '{args.preset}' simulators in a child process...", flush=True)
    built = time.perf_counter()
    child = subprocess.Popen(
        [
            *(sys.executable, __file__, "--serve", "--preset", args.preset),
            *("--seed", str(args.seed), "--latency", str(args.latency)),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdin is not None
    info = json.loads(child.stdout.readline())
    print(f"  ready in {time.perf_counter() - built:.1f} s", flush=True)
    results: list[Result] = []
    try:
        with tempfile.TemporaryDirectory() as tmp:
            flexacore = FlexacoreClient(info["flexacore_url"], info["flexacore_key"])
            textflow = TextFlowClient(info["textflow_url"], info["textflow_key"])
            for name, client in (("Flexacore", flexacore), ("TextFlow", textflow)):
                print(f"Refreshing {name} into a fresh store...", flush=True)
                results.append(run_one(name, client, Path(tmp) / f"{name}.sqlite3", args.prefetch))
                client.close()
    finally:
        child.stdin.close()
        child.wait(timeout=30)

    prefetch = "default" if args.prefetch is None else str(args.prefetch)
    print()
    print(
        f"== sync_bench: full refresh into a fresh store, preset {args.preset} "
        f"(rate limits off, prefetch {prefetch}, added latency {args.latency * 1000:.0f} ms)"
    )
    for r in results:
        print(
            f"{r.name:<10} {r.contacts:>8,} contacts  {r.pages:>5,} pages  {r.seconds:7.1f} s  "
            f"{r.contacts / r.seconds:>8,.0f} contacts/s"
        )
        print(f"  report: {r.report}")
        print(f"  second refresh (nothing new): {r.second_seconds:.1f} s; {r.second}")
    flex, tf = results
    print("Estimated time for the same refresh under a paced plan:")
    print("TextFlow" + plan_note(tf, STARTER, 0)[1:])
    print("Flexacore" + plan_note(flex, FLEXACORE_THROTTLED, 1)[1:])
    print("Flexacore" + plan_note(flex, STARTER, 1)[1:] + " (if it had Starter's budget)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
