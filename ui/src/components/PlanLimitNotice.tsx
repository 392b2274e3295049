/** The one place a plan-limit refusal is explained: whichever action hit the limit, this says so and links to billing. */
import { AlertTriangle, X } from "lucide-react";
import * as React from "react";
import { createPortal } from "react-dom";
import { Link } from "react-router";

import { BILLING_PATH, type LimitName, type PlanLimitDetails } from "@/api/billing";
import { planLimits, type ApiError } from "@/api/http";
import { formatBytes } from "@/lib/utils";

const LIMIT_LABELS: Record<LimitName, string> = {
  agents: "agents",
  executions: "executions this period",
  knowledge_bytes: "knowledge storage",
  seats: "seats",
};

function amount(limit: LimitName, value: number): string {
  return limit === "knowledge_bytes" ? formatBytes(value) : value.toLocaleString("en");
}

function isDetails(details: unknown): details is PlanLimitDetails {
  const d = details as Partial<PlanLimitDetails> | null;
  return !!d && typeof d.limit === "string" && d.limit in LIMIT_LABELS && typeof d.used === "number" && typeof d.allowed === "number";
}

export function planLimitSummary(error: ApiError): string | null {
  if (!isDetails(error.details)) return null;
  const { limit, used, allowed } = error.details;
  return `Your plan allows ${amount(limit, allowed)} ${LIMIT_LABELS[limit]}; you are using ${amount(limit, used)}.`;
}

export function PlanLimitNotice() {
  const [error, setError] = React.useState<ApiError | null>(null);
  React.useEffect(() => planLimits.subscribe(setError), []);
  if (!error) return null;
  const summary = planLimitSummary(error);
  // A portal on <body>, clickable (pointer-events: auto) and not aria-hidden: the refusal often comes from a
  // modal dialog (New agent, Invite member), which disables and hides everything that existed behind it.
  return createPortal(
    <div
      role="alert"
      aria-label="Plan limit reached"
      style={{ pointerEvents: "auto" }}
      className="fixed left-1/2 top-4 z-[60] flex w-[min(36rem,calc(100vw-2rem))] -translate-x-1/2 gap-3 rounded-lg border border-amber-300 bg-amber-50 p-4 text-sm text-amber-900 shadow-lg"
    >
      <AlertTriangle className="mt-0.5 size-5 shrink-0" />
      <div className="min-w-0 flex-1 space-y-1">
        <p className="font-semibold">Plan limit reached</p>
        <p>{error.message}</p>
        {summary ? <p>{summary}</p> : null}
        <Link to={BILLING_PATH} className="inline-block font-medium underline" onClick={() => setError(null)}>
          See plans and usage
        </Link>
      </div>
      <button type="button" aria-label="Dismiss" className="self-start rounded p-0.5 hover:bg-amber-100" onClick={() => setError(null)}>
        <X className="size-4" />
      </button>
    </div>,
    document.body,
  );
}
