/**
 * Analytics: the overview with its previous period, the usage time series, cost breakdowns and one agent's
 * figures (docs/api.md, Analytics). Dates are days in the org's time zone, inclusive.
 *
 * Typed by hand to the API contract until the generated schema has these routes; every shape is named
 * the way the API's schema will name it, so switching to `Schemas["…"]` aliases is a one-line change each.
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { http } from "@/api/http";

export interface DateRange {
  /** `YYYY-MM-DD`, inclusive. */
  from: string;
  to: string;
}

export interface PeriodFigures {
  from: string;
  to: string;
  executions: number;
  succeeded: number;
  failed: number;
  timed_out: number;
  /** succeeded / finished, 0..1; null when nothing finished. */
  success_rate: number | null;
  avg_duration_ms: number | null;
  p95_duration_ms: number | null;
  active_agents: number;
  tokens: number;
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
}

export interface AnalyticsOverview extends PeriodFigures {
  timezone: string;
  /** The same-length period right before `from`. */
  previous: PeriodFigures;
}

export type UsagePeriod = "daily" | "weekly" | "monthly";

export interface UsagePoint {
  /** The day, the ISO week's Monday or the month's first day. */
  start: string;
  executions: number;
  succeeded: number;
  failed: number;
  timed_out: number;
  tokens: number;
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
  avg_duration_ms: number | null;
}

export interface AnalyticsUsage {
  period: UsagePeriod;
  from: string;
  to: string;
  timezone: string;
  points: UsagePoint[];
}

export type CostGroupBy = "agent" | "provider" | "model";

export interface CostItem {
  key: string;
  name: string;
  executions: number;
  tokens: number;
  tokens_in: number;
  tokens_out: number;
  cost_usd: number;
}

export interface AnalyticsCosts {
  group_by: CostGroupBy;
  from: string;
  to: string;
  total_cost_usd: number;
  /** By cost, then executions, descending. */
  items: CostItem[];
}

export interface AgentTrendPoint {
  date: string;
  executions: number;
  succeeded: number;
  failed: number;
  timed_out: number;
  success_rate: number | null;
  cost_usd: number;
  avg_cost_usd: number | null;
}

export interface HistogramBucket {
  /** Upper bound in ms; null for the overflow bucket. */
  le_ms: number | null;
  count: number;
}

export interface ErrorBreakdown {
  error_kind: string;
  /** null when the run failed outside any step. */
  node_id: string | null;
  count: number;
}

export interface AgentAnalytics {
  agent_id: string;
  name: string;
  from: string;
  to: string;
  timezone: string;
  summary: {
    executions: number;
    succeeded: number;
    failed: number;
    timed_out: number;
    success_rate: number | null;
    avg_duration_ms: number | null;
    p95_duration_ms: number | null;
    tokens: number;
    cost_usd: number;
  };
  trend: AgentTrendPoint[];
  duration_histogram: HistogramBucket[];
  errors: ErrorBreakdown[];
}

export const analyticsKeys = {
  all: ["analytics"] as const,
  overview: (range: DateRange) => ["analytics", "overview", range] as const,
  usage: (period: UsagePeriod, range: DateRange) => ["analytics", "usage", period, range] as const,
  costs: (groupBy: CostGroupBy, range: DateRange) => ["analytics", "costs", groupBy, range] as const,
  agent: (agentId: string, range: DateRange) => ["analytics", "agent", agentId, range] as const,
};

const q = (range: DateRange) => ({ from: range.from, to: range.to });

export const analyticsApi = {
  overview: (range: DateRange) => http.get<AnalyticsOverview>("/analytics/overview", { query: q(range) }),
  usage: (period: UsagePeriod, range: DateRange) =>
    http.get<AnalyticsUsage>("/analytics/usage", { query: { period, ...q(range) } }),
  costs: (groupBy: CostGroupBy, range: DateRange) =>
    http.get<AnalyticsCosts>("/analytics/costs", { query: { group_by: groupBy, ...q(range) } }),
  agent: (agentId: string, range: DateRange) =>
    http.get<AgentAnalytics>(`/analytics/agents/${agentId}`, { query: q(range) }),
};

// A new range keeps the old figures on screen (dimmed) until the new ones arrive, instead of flashing skeletons.
export const useAnalyticsOverview = (range: DateRange) =>
  useQuery({ queryKey: analyticsKeys.overview(range), queryFn: () => analyticsApi.overview(range), placeholderData: keepPreviousData });

export const useAnalyticsUsage = (period: UsagePeriod, range: DateRange) =>
  useQuery({ queryKey: analyticsKeys.usage(period, range), queryFn: () => analyticsApi.usage(period, range), placeholderData: keepPreviousData });

export const useAnalyticsCosts = (groupBy: CostGroupBy, range: DateRange) =>
  useQuery({ queryKey: analyticsKeys.costs(groupBy, range), queryFn: () => analyticsApi.costs(groupBy, range), placeholderData: keepPreviousData });

export const useAgentAnalytics = (agentId: string, range: DateRange) =>
  useQuery({ queryKey: analyticsKeys.agent(agentId, range), queryFn: () => analyticsApi.agent(agentId, range), placeholderData: keepPreviousData });
