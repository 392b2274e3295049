/** Analytics, billing and notification bodies as the API sends them (typed with the API module's types). */
import type { AgentAnalytics, AnalyticsCosts, AnalyticsOverview, AnalyticsUsage, PeriodFigures } from "@/api/analytics";
import type { Me } from "@/api/auth";
import type { Plan, PlansResponse, Subscription, Usage } from "@/api/billing";
import type { AppNotification, NotificationPage } from "@/api/notifications";
import { ownerMe } from "@/test/render";

export const analyticsMe: Me = {
  ...ownerMe,
  org: { ...ownerMe.org, settings: { timezone: "Europe/Berlin" } },
  permissions: [...ownerMe.permissions, "analytics:read", "billing:read", "billing:manage"],
};

export const viewerMe: Me = {
  ...ownerMe,
  role: "viewer",
  permissions: ["org:read", "members:read", "agents:read", "executions:read", "knowledge:read", "analytics:read", "billing:read"],
};

function figures(overrides: Partial<PeriodFigures> = {}): PeriodFigures {
  return {
    from: "2026-02-01",
    to: "2026-03-02",
    executions: 120,
    succeeded: 108,
    failed: 10,
    timed_out: 2,
    success_rate: 0.9,
    avg_duration_ms: 2400,
    p95_duration_ms: 8100,
    active_agents: 4,
    tokens: 250_000,
    tokens_in: 200_000,
    tokens_out: 50_000,
    cost_usd: 3.75,
    ...overrides,
  };
}

export function overview(overrides: Partial<AnalyticsOverview> = {}): AnalyticsOverview {
  return {
    ...figures(),
    timezone: "Europe/Berlin",
    previous: figures({ from: "2026-01-02", to: "2026-01-31", executions: 100, success_rate: 0.8, cost_usd: 5 }),
    ...overrides,
  };
}

export function usage(overrides: Partial<AnalyticsUsage> = {}): AnalyticsUsage {
  return {
    period: "daily",
    from: "2026-03-01",
    to: "2026-03-02",
    timezone: "Europe/Berlin",
    points: [
      { start: "2026-03-01", executions: 60, succeeded: 55, failed: 5, timed_out: 0, tokens: 100_000, tokens_in: 80_000, tokens_out: 20_000, cost_usd: 1.5, avg_duration_ms: 2000 },
      { start: "2026-03-02", executions: 60, succeeded: 53, failed: 5, timed_out: 2, tokens: 150_000, tokens_in: 120_000, tokens_out: 30_000, cost_usd: 2.25, avg_duration_ms: 2800 },
    ],
    ...overrides,
  };
}

export function costs(groupBy: AnalyticsCosts["group_by"]): AnalyticsCosts {
  const items =
    groupBy === "provider"
      ? [
          { key: "openai", name: "openai", executions: 90, tokens: 200_000, tokens_in: 160_000, tokens_out: 40_000, cost_usd: 3 },
          { key: "anthropic", name: "anthropic", executions: 30, tokens: 50_000, tokens_in: 40_000, tokens_out: 10_000, cost_usd: 0.75 },
        ]
      : [
          { key: "agent-1", name: "Ticket triage", executions: 80, tokens: 150_000, tokens_in: 120_000, tokens_out: 30_000, cost_usd: 2.5 },
          { key: "agent-2", name: "Invoice reader", executions: 40, tokens: 100_000, tokens_in: 80_000, tokens_out: 20_000, cost_usd: 1.25 },
        ];
  return { group_by: groupBy, from: "2026-02-01", to: "2026-03-02", total_cost_usd: 3.75, items };
}

export function agentAnalytics(overrides: Partial<AgentAnalytics> = {}): AgentAnalytics {
  return {
    agent_id: "agent-1",
    name: "Ticket triage",
    from: "2026-03-01",
    to: "2026-03-02",
    timezone: "Europe/Berlin",
    summary: { executions: 80, succeeded: 70, failed: 8, timed_out: 2, success_rate: 0.875, avg_duration_ms: 2100, p95_duration_ms: 7000, tokens: 150_000, cost_usd: 2.5 },
    trend: [
      { date: "2026-03-01", executions: 40, succeeded: 36, failed: 4, timed_out: 0, success_rate: 0.9, cost_usd: 1.2, avg_cost_usd: 0.03 },
      { date: "2026-03-02", executions: 40, succeeded: 34, failed: 4, timed_out: 2, success_rate: 0.85, cost_usd: 1.3, avg_cost_usd: 0.0325 },
    ],
    duration_histogram: [
      { le_ms: 1000, count: 20 },
      { le_ms: 5000, count: 50 },
      { le_ms: null, count: 8 },
    ],
    errors: [
      { error_kind: "timeout", node_id: "classify", count: 2 },
      { error_kind: "http_error", node_id: "file_bug", count: 8 },
    ],
    ...overrides,
  };
}

const PLAN_LIMITS = {
  free: { agents: 3, executions: 100, knowledge_bytes: 50 * 1024 * 1024, seats: 2 },
  starter: { agents: 10, executions: 2000, knowledge_bytes: 1024 ** 3, seats: 5 },
  pro: { agents: 50, executions: 20_000, knowledge_bytes: 10 * 1024 ** 3, seats: 20 },
};

export function plan(name: "free" | "starter" | "pro" | "enterprise" | "self_hosted"): Plan {
  const unlimited = { agents: null, executions: null, knowledge_bytes: null, seats: null };
  const base = { name, title: name === "self_hosted" ? "Self-hosted" : name[0]!.toUpperCase() + name.slice(1), features: [`${name} support`] };
  switch (name) {
    case "free":
      return { ...base, monthly_usd: 0, limits: PLAN_LIMITS.free, api_requests_per_minute: 60, self_serve: true };
    case "starter":
      return { ...base, monthly_usd: 29, limits: PLAN_LIMITS.starter, api_requests_per_minute: 300, self_serve: true };
    case "pro":
      return { ...base, monthly_usd: 99, limits: PLAN_LIMITS.pro, api_requests_per_minute: 1200, self_serve: true };
    case "enterprise":
      return { ...base, monthly_usd: null, limits: unlimited, api_requests_per_minute: null, self_serve: false };
    case "self_hosted":
      return { ...base, monthly_usd: null, limits: unlimited, api_requests_per_minute: null, self_serve: false };
  }
}

export function plans(billingEnabled: boolean, current: string): PlansResponse {
  return {
    billing_enabled: billingEnabled,
    current,
    plans: billingEnabled ? [plan("free"), plan("starter"), plan("pro"), plan("enterprise")] : [plan("self_hosted")],
  };
}

export function subscription(overrides: Partial<Subscription> = {}): Subscription {
  return {
    plan: "starter",
    status: "active",
    customer_id: "cus_123",
    current_period_start: "2026-03-01T00:00:00Z",
    current_period_end: "2026-04-01T00:00:00Z",
    cancel_at_period_end: false,
    billing_enabled: true,
    limits: PLAN_LIMITS.starter,
    ...overrides,
  };
}

export function billingUsage(overrides: Partial<Usage> = {}): Usage {
  return {
    plan: "starter",
    period_start: "2026-03-01T00:00:00Z",
    period_end: "2026-04-01T00:00:00Z",
    limits: {
      agents: { used: 9, limit: 10 },
      executions: { used: 500, limit: 2000 },
      knowledge_bytes: { used: 512 * 1024 * 1024, limit: 1024 ** 3 },
      seats: { used: 5, limit: 5 },
    },
    ...overrides,
  };
}

export function notification(overrides: Partial<AppNotification> = {}): AppNotification {
  return {
    id: "n1",
    kind: "approval.requested",
    title: "Approval needed: Refund over $500",
    body: "Ticket triage is waiting for your approval.",
    link: "/executions/exec-1",
    read: false,
    created_at: new Date(Date.now() - 5 * 60_000).toISOString(),
    ...overrides,
  };
}

export function notificationPage(items: AppNotification[]): NotificationPage {
  return { items, next_cursor: null, unread_count: items.filter((n) => !n.read).length };
}
