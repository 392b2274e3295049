/** One meter per plan limit: used of allowed, amber from 80 %, red when reached; "Unlimited" when there is no limit. */
import { LIMIT_NAMES, type LimitName, type LimitUsage } from "@/api/billing";
import { cn, formatBytes } from "@/lib/utils";

export const LIMIT_TITLES: Record<LimitName, string> = {
  agents: "Agents",
  executions: "Executions this period",
  knowledge_bytes: "Knowledge storage",
  seats: "Seats",
};

/** Share of the limit from which a meter turns amber (the API notifies admins at the same share). */
export const WARNING_SHARE = 0.8;

export function formatLimitValue(name: LimitName, value: number): string {
  return name === "knowledge_bytes" ? formatBytes(value) : value.toLocaleString("en");
}

export function meterLevel({ used, limit }: LimitUsage): "ok" | "warning" | "full" | "unlimited" {
  if (limit == null) return "unlimited";
  if (limit <= 0 || used >= limit) return "full";
  return used / limit >= WARNING_SHARE ? "warning" : "ok";
}

function Meter({ name, usage }: { name: LimitName; usage: LimitUsage }) {
  const level = meterLevel(usage);
  const title = LIMIT_TITLES[name];
  const used = formatLimitValue(name, usage.used);
  const share = usage.limit ? Math.min(1, usage.used / usage.limit) : 0;
  return (
    <div className="space-y-1.5" data-level={level} aria-label={title} role="group">
      <div className="flex items-baseline justify-between gap-2 text-sm">
        <span className="font-medium text-slate-700">{title}</span>
        <span className={cn("tabular-nums text-slate-600", level === "warning" && "text-amber-700", level === "full" && "text-red-700")}>
          {usage.limit == null ? `${used} · Unlimited` : `${used} of ${formatLimitValue(name, usage.limit)}`}
        </span>
      </div>
      {usage.limit == null ? (
        <div className="h-2 rounded-full bg-slate-100" />
      ) : (
        <div
          role="meter"
          aria-label={`${title} used`}
          aria-valuemin={0}
          aria-valuemax={usage.limit}
          aria-valuenow={Math.min(usage.used, usage.limit)}
          aria-valuetext={`${used} of ${formatLimitValue(name, usage.limit)}`}
          className="h-2 overflow-hidden rounded-full bg-slate-100"
        >
          <div
            className={cn("h-full rounded-full", level === "ok" ? "bg-indigo-500" : level === "warning" ? "bg-amber-500" : "bg-red-600")}
            style={{ width: `${Math.round(share * 100)}%` }}
          />
        </div>
      )}
    </div>
  );
}

export function UsageMeters({ limits }: { limits: Record<LimitName, LimitUsage> }) {
  return (
    <div className="grid gap-5 sm:grid-cols-2">
      {LIMIT_NAMES.map((name) => (
        <Meter key={name} name={name} usage={limits[name]} />
      ))}
    </div>
  );
}
