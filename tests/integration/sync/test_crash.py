"""THE crash test: kill the sync worker 100 times while it edits and sends; lose nothing.

Both simulators run here, in the test process, so they outlive every kill. A subprocess
(`crash_worker.py`) applies a seeded plan of 300 edits -- creates, updates and deletes on
a Flexacore and a TextFlow account, including updates and deletes of contacts the plan
created moments before -- and sends them while the servers inject faults: 5xx answers,
connections reset before a write, and connections reset after the write was applied
(the case that turns a naive retry into a duplicate). The test SIGKILLs the worker after
a seeded random number of its events, 100 times, restarting it each time; the kill points
are spread so they cover the whole plan (kills that outlast it land on refreshes). Then,
faults off, one last run finishes whatever is left and drains both outboxes.

The servers must then hold exactly the contacts the plan implies: no edit lost, no
contact twice. Both store files must pass ``PRAGMA integrity_check`` and mirror the
servers.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from contactdesk.core.phones import from_flexacore_wire
from contactdesk.sandbox.flexacore import FlexacoreConfig, FlexacoreSim
from contactdesk.sandbox.server import FaultPlan, SandboxServer
from contactdesk.sandbox.textflow import TextFlowConfig, TextFlowSim
from contactdesk.store import Store
from tests.integration.sync.support import Env, assert_mirrors, fast_limiter

ROOT = Path(__file__).resolve().parents[3]
SEED = 20_260_101
KILLS = 100
STEPS = 300
EVENTS_PER_STEP = 2.8  # a little under the ~3 a step makes: the kills end before the plan
FAULTS = {"error_rate": 0.1, "reset_before_write": 0.1, "reset_after_write": 0.1}

Model = dict[str, tuple[object, ...]]  # phone -> what the server should hold for it


def _flexacore_model(sim: FlexacoreSim) -> Model:
    model: Model = {}
    for group in sim.group_uids():
        for c in sim.contacts_in(group):
            model[from_flexacore_wire(c.phone)] = (group, c.first_name, c.last_name)
    return model


def _textflow_model(sim: TextFlowSim) -> Model:
    return {
        c["phone_number"]: (c["first_name"], c["last_name"], c["email"]) for c in sim.contacts()
    }


def build_plan(
    rng: random.Random, groups: list[str], flexacore: Model, textflow: Model
) -> list[dict[str, Any]]:
    """``STEPS`` edits, and the two models moved to the state they imply.

    A third of the targets are contacts touched in the last few steps, so updates land
    on contacts whose create is still on its way, and deletes on fresh updates.
    """
    models = {"flexacore": flexacore, "textflow": textflow}
    recent: dict[str, list[str]] = {"flexacore": [], "textflow": []}
    fresh = {"flexacore": 900000, "textflow": 5550000}
    steps: list[dict[str, Any]] = []
    for i in range(STEPS):
        account = rng.choice(("flexacore", "textflow"))
        model = models[account]
        live = sorted(model)
        roll = rng.random()
        if roll < 0.35:
            while True:
                fresh[account] += 1
                phone = (
                    f"+447700{fresh[account]}"
                    if account == "flexacore"
                    else f"+1415{fresh[account]}"
                )
                if phone not in model:
                    break
            step: dict[str, Any] = {
                "account": account,
                "op": "create",
                "phone": phone,
                "first_name": f"New{i}",
                "last_name": f"Plan{i}",
            }
            if account == "flexacore":
                step["group_id"] = rng.choice(groups)
                model[phone] = (step["group_id"], step["first_name"], step["last_name"])
            else:
                step["email"] = f"new{i}@example.com"
                model[phone] = (step["first_name"], step["last_name"], step["email"])
        else:
            pool = [p for p in recent[account][-4:] if p in model]
            phone = rng.choice(pool) if pool and rng.random() < 0.35 else rng.choice(live)
            if roll < 0.8:
                step = {"account": account, "op": "update", "phone": phone}
                step["first_name"] = f"Upd{i}"
                if rng.random() < 0.5:
                    step["last_name"] = f"Last{i}"
                old = model[phone]
                if account == "flexacore":
                    model[phone] = (old[0], step["first_name"], step.get("last_name", old[2]))
                else:
                    if rng.random() < 0.3:
                        step["email"] = f"upd{i}@example.com"
                    model[phone] = (
                        step["first_name"],
                        step.get("last_name", old[1]),
                        step.get("email", old[2]),
                    )
            else:
                step = {"account": account, "op": "delete", "phone": phone}
                del model[phone]
        recent[account].append(step["phone"])
        steps.append(step)
    return steps


def _events_before_kill(rng: random.Random, workdir: Path, kills: int) -> int:
    """A random kill point, spread so the kills cover the whole plan: on average the
    events left (about three per edit: applied, sent, done) shared by the kills left."""
    cursor = workdir / "cursor.json"
    done = json.loads(cursor.read_text())["next_step"] if cursor.exists() else 0
    mean = EVENTS_PER_STEP * (STEPS - done) / (KILLS - kills)
    return rng.randint(1, max(1, round(2 * mean - 1)))


def _run_until_killed(
    cmd: list[str], env: dict[str, str], events_before_kill: int, log: Path
) -> tuple[bool, int | None]:
    """Start the worker; SIGKILL it after that many events. (killed?, exit code)."""
    with log.open("a") as err:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=err, text=True
        )
        assert proc.stdout is not None
        seen = 0
        killed = False
        for line in proc.stdout:
            if line.startswith("EVENT"):
                seen += 1
                if seen >= events_before_kill:
                    proc.send_signal(signal.SIGKILL)
                    killed = True
                    break
        proc.stdout.close()
        code = proc.wait()
    return killed, None if killed else code


@pytest.mark.slow
@pytest.mark.timeout(300)
def test_killed_at_100_random_points_loses_no_edit_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    rng = random.Random(SEED)
    flexacore = FlexacoreSim(FlexacoreConfig.preset("small", seed=5))
    textflow = TextFlowSim(TextFlowConfig(preset="small", seed=5, practice_per_minute=None))
    with SandboxServer(flexacore) as fs, SandboxServer(textflow) as ts:
        groups = flexacore.group_uids()
        expected_flexacore = _flexacore_model(flexacore)
        expected_textflow = _textflow_model(textflow)
        steps = build_plan(rng, groups, expected_flexacore, expected_textflow)
        stores = {
            "flexacore": tmp_path / "flexacore.sqlite3",
            "textflow": tmp_path / "textflow.sqlite3",
        }
        plan = {
            "accounts": {
                "flexacore": {
                    "kind": "flexacore",
                    "url": fs.root_url + "/api/v3",
                    "store": str(stores["flexacore"]),
                },
                "textflow": {
                    "kind": "textflow",
                    "url": ts.root_url + "/api",
                    "store": str(stores["textflow"]),
                },
            },
            "steps": steps,
            "backoff_base": 0.02,
            "backoff_cap": 0.2,
            "refresh_every": 40,
        }
        (tmp_path / "plan.json").write_text(json.dumps(plan))
        env = {
            **os.environ,
            "CRASH_KEY_flexacore": flexacore.token,
            "CRASH_KEY_textflow": textflow.api_key,
        }
        cmd = [sys.executable, "-m", "tests.integration.sync.crash_worker", str(tmp_path)]
        log = tmp_path / "worker-stderr.log"

        for n, server in enumerate((fs, ts)):
            server.faults = FaultPlan(**FAULTS, seed=SEED + n)  # type: ignore[arg-type]
        kills = 0
        while kills < KILLS:
            point = _events_before_kill(rng, tmp_path, kills)
            killed, code = _run_until_killed(cmd, env, point, log)
            assert killed, f"worker failed (exit {code}): {log.read_text()[-3000:]}"
            kills += 1
        faults = fs.injector.stats.injected + ts.injector.stats.injected
        requests = fs.injector.stats.requests + ts.injector.stats.requests
        cursor = json.loads((tmp_path / "cursor.json").read_text())["next_step"]

        fs.clear_faults()
        ts.clear_faults()
        final = subprocess.run(
            [*cmd, "--final"],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert final.returncode == 0, final.stdout[-2000:] + final.stderr[-3000:]
        assert final.stdout.rstrip().endswith("DONE")

        print(
            f"\ncrash test: {kills} kills, then 1 final run; {len(steps)} edits "
            f"({dict(Counter(s['op'] for s in steps))}); {cursor} edits applied under faults, "
            f"{faults} faults injected in {requests} requests"
        )
        assert kills == KILLS

        # the servers hold exactly what the plan implies: nothing lost, nothing twice
        on_flexacore = [
            (from_flexacore_wire(c.phone), (g, c.first_name, c.last_name))
            for g in groups
            for c in flexacore.contacts_in(g)
        ]
        assert sorted(p for p, _ in on_flexacore) == sorted(expected_flexacore)
        assert dict(on_flexacore) == expected_flexacore
        on_textflow = [
            (c["phone_number"], (c["first_name"], c["last_name"], c["email"]))
            for c in textflow.contacts()
        ]
        assert sorted(p for p, _ in on_textflow) == sorted(expected_textflow)
        assert dict(on_textflow) == expected_textflow

        # the stores are sound, hold no open change, and mirror the servers
        for name, server, sim in (("flexacore", fs, flexacore), ("textflow", ts, textflow)):
            store = Store.open(stores[name])
            try:
                assert store.integrity_check() == ["ok"]
                assert store.outbox.open_entries() == []
                provider: Any
                if name == "flexacore":
                    from contactdesk.providers.flexacore import FlexacoreClient

                    provider = FlexacoreClient(
                        server.root_url + "/api/v3", flexacore.token, limiter=fast_limiter()
                    )
                else:
                    from contactdesk.providers.textflow import TextFlowClient

                    provider = TextFlowClient(
                        server.root_url + "/api", textflow.api_key, limiter=fast_limiter()
                    )
                assert_mirrors(store, Env(name, sim, server, provider, tmp_path))
                provider.close()
            finally:
                store.close()
