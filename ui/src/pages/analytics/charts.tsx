/** Shared chart parts: a titled frame that sizes the chart, skeletons, summary cards with a trend. */
import { ArrowDownRight, ArrowRight, ArrowUpRight } from "lucide-react";
import type * as React from "react";
import { ResponsiveContainer } from "recharts";

import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { cn } from "@/lib/utils";

export const CHART_COLORS = ["#4f46e5", "#0ea5e9", "#10b981", "#f59e0b", "#ef4444", "#8b5cf6", "#64748b"];
export const AXIS = { stroke: "#94a3b8", fontSize: 12 } as const;

export function Skeleton({ className }: { className?: string }) {
  return <div aria-hidden className={cn("animate-pulse rounded-md bg-slate-200/70", className)} />;
}

/**
 * A card holding one chart. The figure is labelled with the title, so tests and screen readers find it;
 * `initialDimension` lets the chart draw before the first resize measurement arrives.
 */
export function ChartCard({
  title,
  description,
  height = 256,
  loading,
  children,
  className,
}: {
  title: string;
  description?: string;
  height?: number;
  loading?: boolean;
  children: React.ReactElement;
  className?: string;
}) {
  return (
    <Card className={className}>
      <CardHeader>
        <CardTitle>{title}</CardTitle>
        {description ? <p className="text-xs text-slate-500">{description}</p> : null}
      </CardHeader>
      <CardContent>
        {loading ? (
          <div style={{ height }} data-testid="chart-loading">
            <Skeleton className="h-full w-full" />
          </div>
        ) : (
          <figure aria-label={title} className="m-0" style={{ height }}>
            <ResponsiveContainer width="100%" height="100%" initialDimension={{ width: 600, height }}>
              {children}
            </ResponsiveContainer>
          </figure>
        )}
      </CardContent>
    </Card>
  );
}

/** Which way is good for a figure: more runs is neutral, a higher success rate good, a higher cost or duration bad. */
export type Better = "up" | "down" | "neither";

function change(current: number | null, previous: number | null): number | null {
  if (current == null || previous == null || previous === 0) return null;
  return (current - previous) / previous;
}

export function Trend({
  current,
  previous,
  better,
  points = false,
}: {
  current: number | null;
  previous: number | null;
  better: Better;
  /** Compare ratios by percentage points (a success rate), not relative change. */
  points?: boolean;
}) {
  if (current == null || previous == null) return <span className="text-xs text-slate-400">no previous figure</span>;
  const delta = points ? current - previous : change(current, previous);
  if (delta == null) return <span className="text-xs text-slate-400">{current === 0 ? "no change" : "new"} vs previous period</span>;
  const rounded = Math.round(delta * 1000) / 10;
  const Icon = rounded > 0 ? ArrowUpRight : rounded < 0 ? ArrowDownRight : ArrowRight;
  const good = better === "neither" || rounded === 0 ? null : (rounded > 0) === (better === "up");
  const text = `${rounded > 0 ? "+" : ""}${rounded}${points ? " pts" : "%"}`;
  return (
    <span
      className={cn("inline-flex items-center gap-0.5 text-xs", good === null ? "text-slate-500" : good ? "text-emerald-700" : "text-red-700")}
      title="Compared with the same number of days before this range"
    >
      <Icon className="size-3.5" />
      {text} vs previous period
    </span>
  );
}

export function StatCard({ label, value, trend }: { label: string; value: string; trend?: React.ReactNode }) {
  return (
    <Card>
      <div className="space-y-1 p-4" role="group" aria-label={label}>
        <p className="text-xs font-medium uppercase text-slate-500">{label}</p>
        <p className="text-2xl font-semibold text-slate-900">{value}</p>
        {trend ? <div>{trend}</div> : null}
      </div>
    </Card>
  );
}

export function StatSkeletons({ count }: { count: number }) {
  return (
    <>
      {Array.from({ length: count }, (_, i) => (
        <Card key={i}>
          <div className="space-y-2 p-4">
            <Skeleton className="h-3 w-20" />
            <Skeleton className="h-7 w-24" />
            <Skeleton className="h-3 w-32" />
          </div>
        </Card>
      ))}
    </>
  );
}

export const formatCount = (n: number) => n.toLocaleString("en");
export const formatTokens = (n: number) =>
  n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)}M` : n >= 10_000 ? `${(n / 1000).toFixed(1)}k` : n.toLocaleString("en");
