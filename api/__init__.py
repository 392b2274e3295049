"""AgentFlow's HTTP edge: the FastAPI app, dependencies, middleware and routers."""
