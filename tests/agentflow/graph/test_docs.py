"""The node reference in docs/agent-definition.md matches the models it is generated from."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[3]


def load_generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "gen_node_reference", ROOT / "scripts" / "gen_node_reference.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_generated_node_reference_is_up_to_date() -> None:
    generator = load_generator()
    current = (ROOT / "docs" / "agent-definition.md").read_text(encoding="utf-8")
    assert generator.updated(current) == current, "run: python scripts/gen_node_reference.py"


def test_reference_documents_every_config_field() -> None:
    generator = load_generator()
    reference = generator.render_reference()
    for node_type, model in generator.CONFIG_MODELS.items():
        assert f"### `{node_type}`" in reference
        for name, field in model.model_fields.items():
            assert f"| `{field.alias or name}` |" in reference, f"{node_type}.{name} is not documented"
