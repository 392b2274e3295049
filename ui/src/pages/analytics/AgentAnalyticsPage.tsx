/** /agents/:id/analytics — one agent's success-rate trend, durations, errors and cost per execution. */
import { BarChart3 } from "lucide-react";
import { useParams } from "react-router";
import { Bar, BarChart, CartesianGrid, Line, LineChart, Tooltip, XAxis, YAxis } from "recharts";

import { useAgentAnalytics, type AgentAnalytics, type HistogramBucket } from "@/api/analytics";
import { errorMessage } from "@/api/http";
import { Card } from "@/components/ui/card";
import { Alert, EmptyState } from "@/components/ui/feedback";
import { Table, Td, Th } from "@/components/ui/table";
import { formatCost, formatDuration, formatPercent } from "@/lib/utils";
import { AXIS, CHART_COLORS, ChartCard, formatCount, formatTokens, StatCard, StatSkeletons } from "@/pages/analytics/charts";
import { formatDay } from "@/pages/analytics/range";
import { RangePicker, useDateRange } from "@/pages/analytics/RangePicker";

/** "≤ 1 s", "> 5 min": a bucket by its upper bound; the overflow bucket by the bound before it. */
export function bucketLabel(buckets: HistogramBucket[], index: number): string {
  const bucket = buckets[index];
  if (bucket?.le_ms != null) return `≤ ${formatDuration(bucket.le_ms)}`;
  const previous = buckets[index - 1]?.le_ms;
  return previous != null ? `> ${formatDuration(previous)}` : "all";
}

function Summary({ data }: { data: AgentAnalytics }) {
  const s = data.summary;
  return (
    <section aria-label="Summary" className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
      <StatCard label="Executions" value={formatCount(s.executions)} />
      <StatCard label="Success rate" value={formatPercent(s.success_rate)} />
      <StatCard label="Avg duration" value={formatDuration(s.avg_duration_ms)} />
      <StatCard label="p95 duration" value={formatDuration(s.p95_duration_ms)} />
      <StatCard label="Tokens" value={formatTokens(s.tokens)} />
      <StatCard label="Cost" value={formatCost(s.cost_usd)} />
    </section>
  );
}

function Charts({ data }: { data: AgentAnalytics }) {
  const histogram = data.duration_histogram.map((bucket, index, all) => ({ label: bucketLabel(all, index), count: bucket.count }));
  const tick = (d: string) => formatDay(d);
  return (
    <div className="grid gap-4 lg:grid-cols-2">
      <ChartCard title="Success rate" description="Succeeded among finished runs, per day">
        <LineChart data={data.trend} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          <XAxis dataKey="date" tickFormatter={tick} {...AXIS} />
          <YAxis domain={[0, 1]} tickFormatter={(v: number) => formatPercent(v)} width={44} {...AXIS} />
          <Tooltip labelFormatter={(v) => formatDay(String(v), true)} formatter={(v) => formatPercent(v == null ? null : Number(v))} />
          <Line type="monotone" dataKey="success_rate" name="Success rate" stroke={CHART_COLORS[2]} strokeWidth={2} connectNulls dot={false} isAnimationActive={false} />
        </LineChart>
      </ChartCard>
      <ChartCard title="Cost per execution" description="Average cost of a run, per day">
        <LineChart data={data.trend} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          <XAxis dataKey="date" tickFormatter={tick} {...AXIS} />
          <YAxis tickFormatter={(v: number) => formatCost(v)} width={56} {...AXIS} />
          <Tooltip labelFormatter={(v) => formatDay(String(v), true)} formatter={(v) => formatCost(v == null ? null : Number(v))} />
          <Line type="monotone" dataKey="avg_cost_usd" name="Cost per execution" stroke={CHART_COLORS[5]} strokeWidth={2} connectNulls dot={false} isAnimationActive={false} />
        </LineChart>
      </ChartCard>
      <ChartCard title="Duration" description="Finished runs by how long they took">
        <BarChart data={histogram} margin={{ top: 8, right: 16, bottom: 0, left: 0 }}>
          <CartesianGrid stroke="#e2e8f0" vertical={false} />
          <XAxis dataKey="label" {...AXIS} />
          <YAxis allowDecimals={false} width={40} {...AXIS} />
          <Tooltip />
          <Bar dataKey="count" name="Runs" fill={CHART_COLORS[0]} isAnimationActive={false} />
        </BarChart>
      </ChartCard>
      <Card>
        <div className="p-4 pb-2">
          <h3 className="text-base font-semibold text-slate-900">Errors</h3>
          <p className="text-xs text-slate-500">Failed and timed-out runs by the failing step</p>
        </div>
        <div className="p-4 pt-2">
          {data.errors.length === 0 ? (
            <p className="text-sm text-slate-500">No failed runs in this range.</p>
          ) : (
            <Table aria-label="Errors">
              <thead>
                <tr>
                  <Th>Error</Th>
                  <Th>Step</Th>
                  <Th className="text-right">Runs</Th>
                </tr>
              </thead>
              <tbody>
                {data.errors.map((row) => (
                  <tr key={`${row.error_kind}/${row.node_id ?? ""}`}>
                    <Td className="font-mono text-xs">{row.error_kind}</Td>
                    <Td className="font-mono text-xs">{row.node_id ?? "—"}</Td>
                    <Td className="text-right tabular-nums">{formatCount(row.count)}</Td>
                  </tr>
                ))}
              </tbody>
            </Table>
          )}
        </div>
      </Card>
    </div>
  );
}

export function AgentAnalyticsPage() {
  const { agentId = "" } = useParams();
  const rangeState = useDateRange();
  const { range } = rangeState;
  const analytics = useAgentAnalytics(agentId, range);
  const timezone = analytics.data?.timezone ?? rangeState.timeZone;
  return (
    <div className="h-full overflow-auto">
      <div className="mx-auto max-w-7xl space-y-4 p-6">
        <div className="flex flex-wrap items-end justify-between gap-3">
          <div>
            <h1 className="text-xl font-semibold text-slate-900">Analytics{analytics.data ? `: ${analytics.data.name}` : ""}</h1>
            <p className="mt-0.5 text-sm text-slate-500">
              {formatDay(range.from, true)} – {formatDay(range.to, true)} · days in {timezone}
            </p>
          </div>
          <RangePicker key={`${range.from}/${range.to}`} state={rangeState} />
        </div>
        {analytics.error ? <Alert>{errorMessage(analytics.error)}</Alert> : null}
        {analytics.data ? (
          <>
            <Summary data={analytics.data} />
            {analytics.data.summary.executions === 0 ? (
              <EmptyState icon={<BarChart3 />} title="No executions in this range">
                This agent's runs appear here once it is triggered. Test runs from the builder are not counted.
              </EmptyState>
            ) : (
              <Charts data={analytics.data} />
            )}
          </>
        ) : analytics.isPending ? (
          <section aria-label="Loading" className="grid grid-cols-2 gap-3 md:grid-cols-3 xl:grid-cols-6">
            <StatSkeletons count={6} />
          </section>
        ) : null}
      </div>
    </div>
  );
}
