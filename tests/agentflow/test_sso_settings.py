"""The WorkOS settings come from WorkOS's own variable names; SSO is off until both credentials are set."""

from __future__ import annotations

import pytest

from agentflow.config import Settings


def test_workos_variables_turn_sso_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WORKOS_API_KEY", "sk_test_x")
    monkeypatch.setenv("WORKOS_CLIENT_ID", "client_01X")
    monkeypatch.setenv("WORKOS_BASE_URL", "http://127.0.0.1:9999")
    monkeypatch.setenv("WORKOS_WEBHOOK_SECRET", "whsec")
    settings = Settings()
    assert settings.sso_enabled and settings.workos_client_id == "client_01X"
    assert settings.workos_base_url == "http://127.0.0.1:9999"
    assert settings.workos_webhook_secret is not None
    assert "sk_test_x" not in repr(settings)  # a secret, never printed


def test_sso_is_off_without_both_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("WORKOS_API_KEY", "WORKOS_CLIENT_ID", "WORKOS_BASE_URL", "WORKOS_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    assert not Settings().sso_enabled
    monkeypatch.setenv("WORKOS_API_KEY", "")  # compose passes ${WORKOS_API_KEY:-}
    monkeypatch.setenv("WORKOS_CLIENT_ID", "client_01X")
    assert not Settings().sso_enabled
    monkeypatch.delenv("WORKOS_API_KEY")
    monkeypatch.setenv("AGENTFLOW_WORKOS_API_KEY", "sk_test_y")  # the prefixed form works too
    assert Settings().sso_enabled
