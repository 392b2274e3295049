"""The approval node type: `model.py` (contract), `spec.py` (rules, outputs, SPEC)."""
