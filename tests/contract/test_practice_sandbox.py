"""Both practice simulators together, in process and as ``python -m contactdesk.sandbox``."""

from __future__ import annotations

import json
import re
import shlex
import signal
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from contactdesk.sandbox.__main__ import main
from contactdesk.sandbox.practice import PracticeSandbox
from contactdesk.sandbox.textflow_limits import SimClock

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


@pytest.fixture(scope="module")
def sandbox() -> Iterator[PracticeSandbox]:
    with PracticeSandbox("small", clock=SimClock(start=T0)) as running:
        yield running


def test_both_simulators_answer_with_their_practice_keys(sandbox: PracticeSandbox) -> None:
    with requests.Session() as http:
        listed = http.get(
            f"{sandbox.textflow_url}/v1/contacts",
            headers={"X-API-Key": sandbox.textflow_key},
            timeout=5,
        )
        assert listed.status_code == 200
        assert listed.json()["pagination"]["total"] == 120
        refused = http.get(
            f"{sandbox.textflow_url}/v1/contacts", headers={"X-API-Key": "sk_test_x"}, timeout=5
        )
        assert refused.status_code == 401

        group = sandbox.flexacore.group_uids()[0]
        url = f"{sandbox.flexacore_url}/contacts/{group}/all"
        good = http.post(
            url,
            headers={
                "Authorization": f"Bearer {sandbox.flexacore_key}",
                "Accept": "application/json",
            },
            timeout=5,
        )
        assert good.status_code == 200
        assert good.json()["status"] == "success"
        assert good.json()["data"]["data"]
        bad = http.post(
            url,
            headers={"Authorization": "Bearer 49|nope", "Accept": "application/json"},
            timeout=5,
        )
        assert bad.json() == {"status": "error", "message": "Unauthenticated."}


def test_the_shared_clock_drives_textflow_stamps(sandbox: PracticeSandbox) -> None:
    created = sandbox.textflow.create_directly("5550107000")
    assert created["created_at"] == "2026-01-01T00:00:00Z"
    sandbox.clock.advance(60)
    changed = sandbox.textflow.update_directly(created["id"], firstName="Later")
    assert changed["updated_at"] == "2026-01-01T00:01:00Z"


def test_keys_stay_out_of_the_repr(sandbox: PracticeSandbox) -> None:
    text = repr(sandbox)
    assert sandbox.textflow_key not in text
    assert sandbox.flexacore_key not in text
    assert sandbox.textflow_url in text


def test_urls_are_known_before_start_and_a_never_started_sandbox_stops() -> None:
    idle = PracticeSandbox("small")
    assert idle.textflow_url.startswith("http://127.0.0.1:")
    idle.stop()
    idle.stop()
    with pytest.raises(RuntimeError):
        idle.start()
    with pytest.raises(requests.ConnectionError):
        requests.get(idle.textflow_url, timeout=2)


def test_unknown_preset_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown preset"):
        PracticeSandbox("huge")
    with pytest.raises(SystemExit) as exited:
        main(["--preset", "huge"])
    assert exited.value.code == 2


def _start_cli() -> tuple[subprocess.Popen[str], list[str]]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "contactdesk.sandbox", "--preset", "small"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    lines: list[str] = []
    while True:
        line = proc.stdout.readline()
        if not line:  # the process ended before it was ready
            _, err = proc.communicate(timeout=10)
            pytest.fail(f"sandbox exited early: {lines} {err}")
        lines.append(line.rstrip("\n"))
        if line.startswith("Press Ctrl+C"):
            return proc, lines


def _value(lines: list[str], label: str) -> str:
    found = [line.split(":", 1)[1].strip() for line in lines if line.startswith(label + ":")]
    assert len(found) == 1, (label, lines)
    return found[0]


@pytest.mark.parametrize("stop_with", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "Ctrl+C"])
def test_cli_prints_urls_keys_and_curl_commands_that_work(stop_with: signal.Signals) -> None:
    proc, lines = _start_cli()
    try:
        flexacore_url = _value(lines, "Flexacore base URL")
        textflow_url = _value(lines, "TextFlow base URL")
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api/v3", flexacore_url)
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+/api", textflow_url)
        assert re.fullmatch(r"49\|\w{40}", _value(lines, "Flexacore API key"))
        assert re.fullmatch(r"sk_test_\w{32}", _value(lines, "TextFlow API key"))
        curls = [line.strip() for line in lines if line.strip().startswith("curl ")]
        assert len(curls) == 2
        for curl in curls:
            done = subprocess.run(
                [*shlex.split(curl), "--silent", "--show-error", "--max-time", "10"],
                capture_output=True,
                text=True,
                check=True,
                timeout=20,
            )
            body = json.loads(done.stdout)
            assert body.get("success") is True or body.get("status") == "success", body
    finally:
        proc.send_signal(stop_with)
        out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0
    assert out.strip().endswith("Stopped.")
