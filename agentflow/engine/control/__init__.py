"""The engine's API-process side: publish deployments, dispatch runs to Prefect, fan out step events.

Never imports `agentflow.engine.worker`: the API process does not load the runtime (import-linter checks)."""
