"""Fixtures shared by the TextFlow client test modules.

Each of those modules defines its own module-scoped ``shared_env`` (one simulator, with the
keys that module needs); ``env`` hands it to a test freshly reset and closes the test's clients.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.integration.textflow_support import TextFlowEnv


@pytest.fixture
def env(shared_env: TextFlowEnv) -> Iterator[TextFlowEnv]:
    shared_env.fresh()
    yield shared_env
    shared_env.close_clients()
