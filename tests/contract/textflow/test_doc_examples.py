"""The public doc's own examples, run against the simulator: every curl command, with real
curl, and the Python example functions, executed as the doc prints them.

Only the host, the key and the example ids are swapped for the simulator's.
"""

from __future__ import annotations

import io
import json
import re
import subprocess
import tokenize
from typing import Any

import pytest

from tests.contract.textflow import seed_doc
from tests.contract.textflow.harness import TextFlowHarness

EXAMPLES = seed_doc.curl_examples()
DOC_ID = "123"
DOC_UUID = "550e8400-e29b-41d4-a716-446655440000"
DOC_NEW_PHONE = "+15551234567"  # the phone the create example posts
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$")
# The doc shows these filled in; for a contact without them the simulator sends null.
NULLABLE = {"first_name", "last_name", "email", "consent_status"}


def assert_same_shape(documented: Any, actual: Any, where: str = "$") -> None:
    """``actual`` has the documented keys (no more, no fewer) and JSON types, recursively.

    ``custom_fields`` is free-form (its keys are the account's), so only its type counts.
    """
    if isinstance(documented, dict):
        assert isinstance(actual, dict), where
        assert sorted(actual) == sorted(documented), where
        for key, value in documented.items():
            if key == "custom_fields":
                assert isinstance(actual[key], dict), f"{where}.{key}"
            elif key in NULLABLE and actual[key] is None:
                continue
            else:
                assert_same_shape(value, actual[key], f"{where}.{key}")
    elif isinstance(documented, list):
        assert isinstance(actual, list), where
        for i, item in enumerate(actual):
            assert_same_shape(documented[0], item, f"{where}[{i}]") if documented else None
    else:
        assert type(actual) is type(documented), f"{where}: {actual!r} vs {documented!r}"


def assert_contact_formats(contact: dict[str, Any]) -> None:
    assert UUID.match(contact["uuid"])
    assert re.fullmatch(r"\+1\d{10}", contact["phone_number"])
    assert ISO_Z.match(contact["created_at"])
    assert ISO_Z.match(contact["updated_at"])


def run_curl(argv: list[str]) -> tuple[int, dict[str, Any]]:
    assert argv[0] == "curl"
    done = subprocess.run(
        [*argv, "--silent", "--show-error", "--max-time", "10", "--write-out", "\n%{http_code}"],
        capture_output=True,
        text=True,
        check=True,
        timeout=20,
    )
    body, _, status = done.stdout.rpartition("\n")
    return int(status), json.loads(body)


@pytest.fixture
def john(tf: TextFlowHarness) -> dict[str, Any]:
    """The doc's contact 123, John Doe, on the simulator.

    The doc's create example posts contact 123's own phone, which a real account would
    refuse as a duplicate; so our John keeps a different phone and the create can succeed.
    """
    assert all(c["phone_number"] != DOC_NEW_PHONE for c in tf.sim.contacts())
    return tf.sim.create_directly(
        "+15550100123",
        firstName="John",
        lastName="Doe",
        email="john@example.com",
        tags=["customer", "vip"],
        customFields={"company": "Acme Inc"},
        consentStatus="explicit",
    )


def test_the_doc_has_the_seven_curl_examples_we_expect() -> None:
    """Guards the parser: a change in the copy of the doc must not silently skip examples."""
    methods = [e.method for e in EXAMPLES]
    assert methods == ["GET", "GET", "GET", "GET", "POST", "PUT", "DELETE"]
    assert [e.response is not None for e in EXAMPLES] == [False, *[True] * 6]


@pytest.mark.parametrize(
    "example", EXAMPLES, ids=[f"{e.method}-{i}" for i, e in enumerate(EXAMPLES)]
)
def test_curl_example_gets_the_documented_answer(
    tf: TextFlowHarness, john: dict[str, Any], example: seed_doc.CurlExample
) -> None:
    argv = example.argv(
        {
            seed_doc.DOC_BASE_URL: tf.base_url,
            seed_doc.DOC_KEY: tf.key,
            f"/v1/contacts/{DOC_ID}": f"/v1/contacts/{john['id']}",
            DOC_UUID: john["uuid"],
        }
    )
    status, body = run_curl(argv)
    # the authentication example lists contacts, so it answers like the list example
    documented = example.response if example.response is not None else EXAMPLES[1].response
    assert status == (201 if example.method == "POST" else 200)
    assert body["success"] is True
    assert_same_shape(documented, body)
    data: Any = body.get("data")
    for contact in data if isinstance(data, list) else [data] if data else []:
        assert_contact_formats(contact)
    if example.method == "GET" and isinstance(data, list):
        if "search=john" in example.command:
            assert body["pagination"]["limit"] == 20
            assert john["id"] in [c["id"] for c in data]
            assert all("john" in json.dumps(c, ensure_ascii=False).lower() for c in data)
        else:
            assert body["pagination"]["total"] == len(tf.sim.contacts())
    elif example.method == "GET":
        assert data == tf.sim.contact(john["id"])
    elif example.method == "POST":
        assert data["phone_number"] == DOC_NEW_PHONE
        assert data["custom_fields"] == {"company": "Acme Inc"}
        assert tf.sim.contact(data["id"]) is not None
    elif example.method == "PUT":
        assert data["first_name"] == "Jonathan"
        assert data["tags"] == ["customer", "vip", "newsletter"]
        assert (data["last_name"], data["custom_fields"]) == ("Doe", {"company": "Acme Inc"})
    else:
        assert body == example.response
        assert tf.sim.contact(john["id"]) is None


def test_python_example_runs_unchanged_but_for_base_url_and_key(
    tf: TextFlowHarness, capsys: pytest.CaptureFixture[str]
) -> None:
    source = seed_doc.python_example()
    source, n_key = re.subn(r'^API_KEY = ".*"$', f"API_KEY = {tf.key!r}", source, flags=re.M)
    source, n_url = re.subn(r'^BASE_URL = ".*"$', f"BASE_URL = {tf.base_url!r}", source, flags=re.M)
    assert (n_key, n_url) == (1, 1)
    namespace: dict[str, Any] = {}
    exec(compile(source, "textflow-doc-example.py", "exec"), namespace)

    printed = capsys.readouterr().out.splitlines()
    created = namespace["result"]
    assert created["success"] is True
    assert created["data"]["phone_number"] == DOC_NEW_PHONE
    assert created["data"]["tags"] == ["customer"]
    assert printed[-1] == f"Found {namespace['contacts']['pagination']['total']} contacts"
    assert namespace["contacts"]["pagination"]["total"] >= 1

    # the functions themselves, as a client of the doc would call them
    again = namespace["create_contact"](DOC_NEW_PHONE)
    assert (again["success"], again["error"], again["code"]) == (
        False,
        "Duplicate contact",
        "DUPLICATE_CONTACT",
    )
    page = namespace["get_contacts"](page=2, limit=7)
    assert len(page["data"]) == 7
    assert page["pagination"]["page"] == 2


def _code_tokens(source: str) -> list[str]:
    skip = {tokenize.NEWLINE, tokenize.NL, tokenize.INDENT, tokenize.DEDENT, tokenize.COMMENT}
    tokens = tokenize.generate_tokens(io.StringIO(source).readline)
    return [t.string for t in tokens if t.type not in skip and t.string]


def test_recovered_python_example_only_adds_line_breaks_and_indentation() -> None:
    """Faithfulness of the recovery: the doc's tokens, in order, none added or lost."""
    raw = "\n".join(line.removeprefix("# Usage") for line in seed_doc.python_block())
    assert _code_tokens(seed_doc.python_example()) == _code_tokens(raw)
