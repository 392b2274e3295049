"""The processes `agentflow up` manages: Postgres, Prefect server, worker, OpenBao, the API."""
