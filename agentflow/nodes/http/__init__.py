"""The http node type: `model.py` (contract), `spec.py` (rules, outputs, SPEC), `handler.py` (runtime)."""
