/** /analytics — the org's runs, success, speed, tokens and cost over a date range, against the previous period. */
import { BarChart3 } from "lucide-react";
import { Link } from "react-router";
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";

import {
  useAnalyticsCosts,
  useAnalyticsOverview,
  useAnalyticsUsage,
  type AnalyticsOverview,
  type CostItem,
  type UsagePeriod,
  type UsagePoint,
} from "@/api/analytics";
import { errorMessage } from "@/api/http";
import { Card } from "@/components/ui/card";
import { Alert, EmptyState } from "@/components/ui/feedback";
import { NativeSelect } from "@/components/ui/input";
import { Table, Td, Th } from "@/components/ui/table";
import { PageHeader } from "@/layout/AppShell";
import { useUrlParams } from "@/lib/useUrlParams";
import { formatCost, formatDuration, formatPercent } from "@/lib/utils";
import { AXIS, CHART_COLORS, ChartCard, formatCount, formatTokens, StatCard, StatSkeletons, Trend } from "@/pages/analytics/charts";
import { formatDay, formatMonth } from "@/pages/analytics/range";
import { RangePicker, useDateRange } from "@/pages/analytics/RangePicker";

const PERIODS: Record<UsagePeriod, string> = { daily: "Daily", weekly: "Weekly", monthly: "Monthly" };
const TOP_AGENTS = 10;

function SummaryCards({ overview }: { overview: AnalyticsOverview }) {
  const p = overview.previous;
  return (
    <>
      <StatCard label="Executions" value={formatCount(overview.executions)} trend={<Trend current={overview.executions} previous={p.executions} better="neither" />} />
      <StatCard
        label="Success rate"
        value={formatPercent(overview.success_rate)}
        trend={<Trend current={overview.success_rate} previous={p.success_rate} better="up" points />}
      />
      <StatCard
        label="Avg duration"
        value={formatDuration(overview.avg_duration_ms)}
        trend={<Trend current={overview.avg_duration_ms} previous={p.avg_duration_ms} better="down" />}
      />
      <StatCard
        label="p95 duration"
        value={formatDuration(overview.p95_duration_ms)}
        trend={<Trend current={overview.p95_duration_ms} previous={p.p95_duration_ms} better="down" />}
      />
      <StatCard label="Active agents" value={formatCount(overview.active_agents)} trend={<Trend current={overview.active_agents} previous={p.active_agents} better="neither" />} />
      <StatCard label="Tokens" value={formatTokens(overview.tokens)} trend={<Trend current={overview.tokens} previous={p.tokens} better="neither" />} />
      <StatCard label="Cost" value={formatCost(overview.cost_usd)} trend={<Trend current={overview.cost_usd} previous={p.cost_usd} better="down" />} />
    </>
  );
}

function pointLabel(period: UsagePeriod) {
  return (start: string) => (period === "monthly" ? formatMonth(start) : period === "weekly" ? `Week of ${formatDay(start)}` : formatDay(start));
}

function ExecutionsChart({ points, period, loading }: { points: UsagePoint[]; period: UsagePeriod; loading: boolean }) {
  const label = pointLabel(period);
  return (
    <ChartCard title="Executions over time" loading={loading} className="lg:col-span-2">
      <LineChart data={points} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
        <CartesianGrid stroke="#e2e8f0" vertical={false} />
        <XAxis dataKey="start" tickFormatter={period === "monthly" ? formatMonth : (d: string) => formatDay(d)} {...AXIS} />
        <YAxis allowDecimals={false} width={40} {...AXIS} />
        <Tooltip labelFormatter={(value) => label(String(value))} />
        <Legend />
        <Line type="monotone" dataKey="executions" name="Executions" stroke={CHART_COLORS[0]} strokeWidth={2} dot={false} isAnimationActive={false} />
        <Line type="monotone" dataKey="succeeded" name="Succeeded" stroke={CHART_COLORS[2]} dot={false} isAnimationActive={false} />
        <Line type="monotone" dataKey="failed" name="Failed" stroke={CHART_COLORS[4]} dot={false} isAnimationActive={false} />
      </LineChart>
    </ChartCard>
  );
}

function TokensByProviderChart({ items, loading }: { items: CostItem[]; loading: boolean }) {
  return (
    <ChartCard title="Tokens by provider" loading={loading}>
      <BarChart data={items} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
        <CartesianGrid stroke="#e2e8f0" vertical={false} />
        <XAxis dataKey="name" {...AXIS} />
        <YAxis tickFormatter={formatTokens} width={48} {...AXIS} />
        <Tooltip formatter={(value) => formatCount(Number(value))} />
        <Legend />
        <Bar dataKey="tokens_in" name="Input tokens" stackId="tokens" fill={CHART_COLORS[0]} isAnimationActive={false} />
        <Bar dataKey="tokens_out" name="Output tokens" stackId="tokens" fill={CHART_COLORS[1]} isAnimationActive={false} />
      </BarChart>
    </ChartCard>
  );
}

function CostByAgentChart({ items, loading }: { items: CostItem[]; loading: boolean }) {
  const top = items.slice(0, TOP_AGENTS);
  return (
    <ChartCard title="Cost by agent" description={items.length > TOP_AGENTS ? `The ${TOP_AGENTS} most expensive agents` : undefined} loading={loading}>
      <BarChart data={top} layout="vertical" margin={{ top: 8, right: 16, bottom: 0, left: 8 }}>
        <CartesianGrid stroke="#e2e8f0" horizontal={false} />
        <XAxis type="number" tickFormatter={(v: number) => formatCost(v)} {...AXIS} />
        <YAxis type="category" dataKey="name" width={120} {...AXIS} />
        <Tooltip formatter={(value) => formatCost(Number(value))} />
        <Bar dataKey="cost_usd" name="Cost" fill={CHART_COLORS[5]} isAnimationActive={false} />
      </BarChart>
    </ChartCard>
  );
}

function TopAgentsTable({ items, total }: { items: CostItem[]; total: number }) {
  const top = [...items].sort((a, b) => b.executions - a.executions || b.cost_usd - a.cost_usd).slice(0, TOP_AGENTS);
  return (
    <Card className="lg:col-span-2">
      <div className="p-4 pb-2">
        <h3 className="text-base font-semibold text-slate-900">Top agents</h3>
      </div>
      <div className="p-4 pt-2">
        <Table aria-label="Top agents">
          <thead>
            <tr>
              <Th>Agent</Th>
              <Th className="text-right">Executions</Th>
              <Th className="text-right">Tokens</Th>
              <Th className="text-right">Cost</Th>
              <Th className="text-right">Share of cost</Th>
            </tr>
          </thead>
          <tbody>
            {top.map((item) => (
              <tr key={item.key}>
                <Td>
                  <Link to={`/agents/${item.key}/analytics`} className="font-medium text-indigo-700 hover:underline">
                    {item.name}
                  </Link>
                </Td>
                <Td className="text-right tabular-nums">{formatCount(item.executions)}</Td>
                <Td className="text-right tabular-nums">{formatCount(item.tokens)}</Td>
                <Td className="text-right tabular-nums">{formatCost(item.cost_usd)}</Td>
                <Td className="text-right tabular-nums">{total > 0 ? formatPercent(item.cost_usd / total) : "—"}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      </div>
    </Card>
  );
}

export function AnalyticsPage() {
  const rangeState = useDateRange();
  const { range } = rangeState;
  const [params, setParam] = useUrlParams();
  const period = (Object.keys(PERIODS) as UsagePeriod[]).find((p) => p === params.get("period")) ?? "daily";
  const overview = useAnalyticsOverview(range);
  const usage = useAnalyticsUsage(period, range);
  const byProvider = useAnalyticsCosts("provider", range);
  const byAgent = useAnalyticsCosts("agent", range);
  const error = overview.error ?? usage.error ?? byProvider.error ?? byAgent.error;
  const timezone = overview.data?.timezone ?? rangeState.timeZone;
  const empty = overview.data?.executions === 0;

  return (
    <div className="mx-auto max-w-7xl p-6">
      <PageHeader
        title="Analytics"
        description={`${formatDay(range.from, true)} – ${formatDay(range.to, true)} · days in ${timezone}`}
        actions={<RangePicker key={`${range.from}/${range.to}`} state={rangeState} />}
      />
      {error ? <Alert className="mb-4">{errorMessage(error)}</Alert> : null}
      <section aria-label="Summary" className="mb-5 grid grid-cols-2 gap-3 md:grid-cols-4 xl:grid-cols-7">
        {overview.data ? <SummaryCards overview={overview.data} /> : <StatSkeletons count={7} />}
      </section>
      {empty ? (
        <EmptyState icon={<BarChart3 />} title="No executions in this range">
          Runs of your agents appear here once they start. Test runs from the builder are not counted.
        </EmptyState>
      ) : (
        <div className="grid gap-4 lg:grid-cols-2">
          <div className="flex items-center justify-end gap-2 lg:col-span-2">
            <label htmlFor="usage-period" className="text-sm text-slate-600">
              Group by
            </label>
            <NativeSelect id="usage-period" className="w-32" value={period} onChange={(e) => setParam("period", e.target.value === "daily" ? "" : e.target.value)}>
              {Object.entries(PERIODS).map(([value, label]) => (
                <option key={value} value={value}>
                  {label}
                </option>
              ))}
            </NativeSelect>
          </div>
          <ExecutionsChart points={usage.data?.points ?? []} period={period} loading={!usage.data} />
          <TokensByProviderChart items={byProvider.data?.items ?? []} loading={!byProvider.data} />
          <CostByAgentChart items={byAgent.data?.items ?? []} loading={!byAgent.data} />
          {byAgent.data ? <TopAgentsTable items={byAgent.data.items} total={byAgent.data.total_cost_usd} /> : null}
        </div>
      )}
    </div>
  );
}
