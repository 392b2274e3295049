"""The execution engine: the graph walker, step running on Prefect, events, approvals."""
