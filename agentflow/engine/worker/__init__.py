"""The engine's worker side: the in-process Prefect worker and what runs inside a `run_agent` flow run
(the walker, the runtime, steps, the engine's fast store). `python -m agentflow.engine.worker` starts it."""
