/** /executions (and an agent's Executions tab) — runs with filters; running rows refresh themselves. */
import { History } from "lucide-react";
import { Link, useParams } from "react-router";

import {
  EXECUTION_STATUSES,
  TRIGGERED_BY,
  useExecutions,
  type ExecutionFilters,
  type ExecutionStatus,
  type TriggeredBy,
} from "@/api/executions";
import { errorMessage } from "@/api/http";
import { Alert, EmptyState, Spinner } from "@/components/ui/feedback";
import { Input, NativeSelect } from "@/components/ui/input";
import { Table, Td, Th } from "@/components/ui/table";
import { PageHeader } from "@/layout/AppShell";
import { useUrlParams } from "@/lib/useUrlParams";
import { formatCost, formatDateTime, formatDuration } from "@/lib/utils";
import { AgentName } from "@/pages/executions/AgentName";
import { RunStatusBadge, versionLabel } from "@/pages/executions/RunStatus";

/** `2025-01-31` from a date input → the API's `since` (that day, 00:00 UTC) or `until` (the next day, 00:00 UTC). */
const dayBound = (day: string | null, end: boolean): string | undefined => {
  if (!day) return undefined;
  const start = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(start.getTime())) return undefined;
  if (end) start.setUTCDate(start.getUTCDate() + 1); // `until` is exclusive: created before it
  return start.toISOString();
};

export function ExecutionsPage() {
  const { agentId } = useParams();
  const [params, setParam] = useUrlParams();
  const filters: ExecutionFilters = {
    agent_id: agentId,
    status: (params.get("status") as ExecutionStatus | null) ?? undefined,
    triggered_by: (params.get("triggered_by") as TriggeredBy | null) ?? undefined,
    since: dayBound(params.get("from"), false),
    until: dayBound(params.get("to"), true),
  };
  const executions = useExecutions(filters);
  return (
    <div className="p-6">
      {agentId ? null : <PageHeader title="Executions" description="Every run of every agent, newest first." />}
      <div className="mb-4 flex flex-wrap items-center gap-2">
        <NativeSelect aria-label="Status" className="w-36" value={params.get("status") ?? ""} onChange={(e) => setParam("status", e.target.value)}>
          <option value="">Any status</option>
          {EXECUTION_STATUSES.map((s) => <option key={s} value={s}>{s === "paused" ? "paused (waiting for approval)" : s.replace("_", " ")}</option>)}
        </NativeSelect>
        <NativeSelect aria-label="Triggered by" className="w-40" value={params.get("triggered_by") ?? ""} onChange={(e) => setParam("triggered_by", e.target.value)}>
          <option value="">Any trigger</option>
          {TRIGGERED_BY.map((s) => <option key={s} value={s}>{s}</option>)}
        </NativeSelect>
        <label className="flex items-center gap-1 text-sm text-slate-600">
          From <Input type="date" className="w-40" value={params.get("from") ?? ""} onChange={(e) => setParam("from", e.target.value)} />
        </label>
        <label className="flex items-center gap-1 text-sm text-slate-600">
          To <Input type="date" className="w-40" value={params.get("to") ?? ""} onChange={(e) => setParam("to", e.target.value)} />
        </label>
      </div>
      {executions.isPending ? (
        <Spinner />
      ) : executions.error ? (
        <Alert>{errorMessage(executions.error)}</Alert>
      ) : executions.data.items.length === 0 ? (
        <EmptyState icon={<History />} title="No executions">Runs appear here as soon as an agent is triggered or tested.</EmptyState>
      ) : (
        <>
        {executions.data.items.some((e) => e.triggered_by === "test") ? (
          <p className="mb-2 text-xs text-slate-500">Runs marked Test tried out a draft: they are not counted in an agent's success rate.</p>
        ) : null}
        <Table aria-label="Executions">
          <thead>
            <tr>
              {agentId ? null : <Th>Agent</Th>}
              <Th>Status</Th>
              <Th>Triggered by</Th>
              <Th>Version</Th>
              <Th>Started</Th>
              <Th>Duration</Th>
              <Th>Cost</Th>
            </tr>
          </thead>
          <tbody>
            {executions.data.items.map((execution) => (
              <tr key={execution.id} className="hover:bg-slate-50">
                {agentId ? null : <Td><AgentName agentId={execution.agent_id} /></Td>}
                <Td>
                  <Link to={`/executions/${execution.id}`} className="hover:underline">
                    <RunStatusBadge run={execution} />
                  </Link>
                </Td>
                <Td>{execution.triggered_by}</Td>
                <Td>{versionLabel(execution)}</Td>
                <Td>
                  <Link to={`/executions/${execution.id}`} className="text-indigo-700 hover:underline">{formatDateTime(execution.started_at ?? execution.created_at)}</Link>
                </Td>
                <Td>{formatDuration(execution.duration_ms)}</Td>
                <Td>{formatCost(execution.total_cost_usd)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
        </>
      )}
    </div>
  );
}
