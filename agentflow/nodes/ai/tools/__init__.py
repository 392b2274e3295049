"""The AI node as an agent: its runnable tools (kinds.py) and the tool-calling loop (loop.py)."""
