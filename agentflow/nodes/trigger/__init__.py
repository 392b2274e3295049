"""The trigger node type: `model.py` (contract), `spec.py` (rules, outputs, SPEC), `handler.py` (runtime)."""
