"""Provider kinds as data, and building a client for each."""

from __future__ import annotations

import subprocess
import sys

import pytest

from contactdesk.core.models import ProviderKind
from contactdesk.providers import registry
from contactdesk.providers.base import Provider
from contactdesk.providers.ratelimit import RateLimiter
from contactdesk.providers.textflow_schema import MARKETER, STARTER
from tests.integration.textflow_support import running_textflow

FLEXACORE_TOKEN = "49|" + "a1B2c3D4e5" * 4
TEXTFLOW_KEY = "sk_live_" + "Zz9" * 10


def test_both_kinds_with_their_platform_addresses() -> None:
    assert registry.kinds() == (ProviderKind.FLEXACORE, ProviderKind.TEXTFLOW)
    flexacore = registry.info(ProviderKind.FLEXACORE)
    textflow = registry.info("textflow")
    assert flexacore.default_base_url == "https://one.flexacore.com/api/v3"
    assert textflow.default_base_url == "https://textflow.telair.net/api"
    assert (flexacore.name, textflow.name) == ("Flexacore (Ultimate SMS)", "TextFlow")
    assert (flexacore.key_label, textflow.key_label) == ("API token", "API key")


def test_capabilities_and_fields_are_the_clients_own() -> None:
    assert registry.capabilities("flexacore").groups
    assert not registry.capabilities("flexacore").tags
    assert registry.capabilities("textflow").tags
    assert not registry.capabilities("textflow").groups
    assert "tags" in [f.key for f in registry.fields("textflow")]
    assert "tags" not in [f.key for f in registry.fields("flexacore")]


def test_plans() -> None:
    assert registry.default_plan("textflow") == STARTER  # the cautious pace until told
    assert registry.plan_named("textflow", " marketer ") == MARKETER
    assert registry.plan_named("textflow", "Platinum") == STARTER
    assert registry.plan_named("textflow", None) == STARTER


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(ValueError, match="nosuch"):
        registry.info("nosuch")


@pytest.mark.parametrize(
    ("kind", "key", "cls"),
    [
        ("flexacore", FLEXACORE_TOKEN, "FlexacoreClient"),
        ("textflow", TEXTFLOW_KEY, "TextFlowClient"),
    ],
)
def test_create_provider_with_the_default_address(kind: str, key: str, cls: str) -> None:
    client = registry.create_provider(kind, key, limiter=RateLimiter(None))
    try:
        assert isinstance(client, Provider)
        assert type(client).__name__ == cls
        assert registry.info(kind).default_base_url in repr(client)
        assert key not in repr(client)
    finally:
        client.close()


def test_client_modules_load_only_when_asked_for() -> None:
    code = (
        "import sys, contactdesk.providers.registry as r\n"
        "print(any(m in sys.modules for m in "
        "('contactdesk.providers.flexacore', 'contactdesk.providers.textflow')))\n"
        "r.capabilities('textflow')\n"
        "print('contactdesk.providers.textflow' in sys.modules, "
        "'contactdesk.providers.flexacore' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=30
    ).stdout.split("\n")
    assert out[:2] == ["False", "True False"]


def test_a_registry_built_client_talks_to_the_simulator() -> None:
    with running_textflow() as env:
        client = registry.create_provider(
            "textflow", env.sim.api_key, base_url=env.base_url, plan=MARKETER
        )
        try:
            assert client.list_contacts().total == 120
        finally:
            client.close()
