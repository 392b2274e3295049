/**
 * Analytics: the overview with its previous period, the usage time series, cost breakdowns and one agent's
 * figures (docs/api.md, Analytics). Dates are days in the org's time zone, inclusive.
 */
import { keepPreviousData, useQuery } from "@tanstack/react-query";

import { http, type Schemas } from "@/api/http";

export interface DateRange {
  /** `YYYY-MM-DD`, inclusive. */
  from: string;
  to: string;
}

export type PeriodFigures = Schemas["PreviousPeriod"];
/** Figures for the range, with `previous`: the same-length period right before `from`. */
export type AnalyticsOverview = Schemas["Overview"];
export type UsagePeriod = Schemas["Period"];
/** `start` is the day, the ISO week's Monday or the month's first day. */
export type UsagePoint = Schemas["UsagePoint"];
export type AnalyticsUsage = Schemas["UsageSeries"];
export type CostGroupBy = Schemas["CostGrouping"];
export type CostItem = Schemas["CostItem"];
/** Items by cost, then executions, descending. */
export type AnalyticsCosts = Schemas["CostBreakdown"];
export type AgentTrendPoint = Schemas["AgentTrendPoint"];
/** `le_ms` is the upper bound in ms; null for the overflow bucket. */
export type HistogramBucket = Schemas["HistogramBucket"];
/** `node_id` is null when the run failed outside any step. */
export type ErrorBreakdown = Schemas["ErrorCount"];
export type AgentAnalytics = Schemas["AgentAnalytics"];

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
