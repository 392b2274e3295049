"""The plans and their limits, defined once: billing, limit checks, the API and the docs read them from here.

`limit = None` means unlimited. Without a Stripe key (`agentflow up`, any self-hosted install) every org is on
`self_hosted`, which has no limits, so nothing is ever refused for billing reasons.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

MiB = 1024 * 1024
GiB = 1024 * MiB


class PlanName(StrEnum):
    free = "free"
    starter = "starter"
    pro = "pro"
    enterprise = "enterprise"
    self_hosted = "self_hosted"


class LimitName(StrEnum):
    agents = "agents"  # agents not archived
    executions = "executions"  # executions started this billing period (test runs excluded)
    knowledge_bytes = "knowledge_bytes"  # bytes of stored knowledge documents
    seats = "seats"  # members plus pending invitations


@dataclass(frozen=True)
class Plan:
    name: PlanName
    title: str
    # The list price shown in the UI; Stripe's price (AGENTFLOW_STRIPE_PRICE_<PLAN>) is what is charged.
    monthly_usd: int | None
    limits: dict[LimitName, int | None]
    # API requests per minute per org (enforced by the rate limiter).
    api_requests_per_minute: int | None
    features: tuple[str, ...]
    # Whether the plan can be bought through Checkout (free is the default, enterprise is sold by contract).
    self_serve: bool


def _limits(
    agents: int | None, executions: int | None, storage: int | None, seats: int | None
) -> dict[LimitName, int | None]:
    return {
        LimitName.agents: agents,
        LimitName.executions: executions,
        LimitName.knowledge_bytes: storage,
        LimitName.seats: seats,
    }


PLANS: dict[PlanName, Plan] = {
    PlanName.free: Plan(
        PlanName.free,
        "Free",
        0,
        _limits(3, 1_000, 100 * MiB, 3),
        60,
        ("3 agents", "1,000 executions a month", "100 MB of knowledge", "3 seats", "Community support"),
        False,
    ),
    PlanName.starter: Plan(
        PlanName.starter,
        "Starter",
        29,
        _limits(10, 10_000, 1 * GiB, 5),
        300,
        ("10 agents", "10,000 executions a month", "1 GB of knowledge", "5 seats", "Email support"),
        True,
    ),
    PlanName.pro: Plan(
        PlanName.pro,
        "Pro",
        99,
        _limits(50, 100_000, 10 * GiB, 20),
        1_000,
        ("50 agents", "100,000 executions a month", "10 GB of knowledge", "20 seats", "Priority support"),
        True,
    ),
    PlanName.enterprise: Plan(
        PlanName.enterprise,
        "Enterprise",
        None,
        _limits(None, None, None, None),
        5_000,
        ("Unlimited agents and executions", "Unlimited knowledge", "Unlimited seats", "SSO and audit log"),
        False,
    ),
    PlanName.self_hosted: Plan(
        PlanName.self_hosted,
        "Self-hosted",
        None,
        _limits(None, None, None, None),
        None,
        ("Everything, unlimited",),
        False,
    ),
}


def plan_named(name: str) -> Plan:
    """The plan stored on an org; an unknown name (a plan retired since) reads as free."""
    try:
        return PLANS[PlanName(name)]
    except ValueError:
        return PLANS[PlanName.free]


def effective_plan(stored: str, *, billing_enabled: bool) -> Plan:
    """The plan an org is held to: its stored plan when billing is on, else the unlimited self_hosted plan."""
    if not billing_enabled:
        return PLANS[PlanName.self_hosted]
    return plan_named(stored)


def _amount(value: int | None, unit: str = "") -> str:
    if value is None:
        return "unlimited"
    if unit == "bytes":
        return f"{value // GiB} GB" if value >= GiB else f"{value // MiB} MB"
    return f"{value:,}"


def plans_table_markdown() -> str:
    """The plans as docs/billing.md shows them (a test keeps the two equal)."""
    rows = [
        "| Plan | Price (USD / month) | Agents | Executions / period | Knowledge | Seats "
        "| API requests / min |",
        "|---|---|---|---|---|---|---|",
    ]
    for plan in PLANS.values():
        price = "free" if plan.monthly_usd == 0 else _amount(plan.monthly_usd) if plan.monthly_usd else "—"
        rows.append(
            f"| `{plan.name}` | {price} | {_amount(plan.limits[LimitName.agents])} | "
            f"{_amount(plan.limits[LimitName.executions])} | "
            f"{_amount(plan.limits[LimitName.knowledge_bytes], 'bytes')} | "
            f"{_amount(plan.limits[LimitName.seats])} | {_amount(plan.api_requests_per_minute)} |"
        )
    return "\n".join(rows)
