"""`python -m agentflow …` is the same as the `agentflow` command."""

from agentflow.cli.app import main

main()
