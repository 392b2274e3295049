"""docs/billing.md shows exactly the plans plans.py defines."""

from pathlib import Path

from agentflow.billing.plans import plans_table_markdown

DOC = Path(__file__).parents[3] / "docs" / "billing.md"


def test_docs_plans_table_matches_code() -> None:
    text = DOC.read_text()
    start = text.index("<!-- plans-table:start -->") + len("<!-- plans-table:start -->")
    end = text.index("<!-- plans-table:end -->")
    assert text[start:end].strip() == plans_table_markdown()
