/** /executions (and an agent's Executions tab) — runs with filters; running rows refresh themselves. */
import { History } from "lucide-react";
import { Link, useParams } from "react-router";

import type { ExecutionStatus } from "@/api/contracts";
import { useExecutions, type ExecutionFilters } from "@/api/executions";
import { ApiError, errorMessage } from "@/api/http";
import { StatusBadge } from "@/components/ui/badge";
import { Alert, EmptyState, Spinner } from "@/components/ui/feedback";
import { Input, NativeSelect } from "@/components/ui/input";
import { Table, Td, Th } from "@/components/ui/table";
import { PageHeader } from "@/layout/AppShell";
import { useUrlParams } from "@/lib/useUrlParams";
import { formatCost, formatDateTime, formatDuration } from "@/lib/utils";

const STATUSES: ExecutionStatus[] = ["pending", "running", "paused", "completed", "failed", "cancelled"];
const TRIGGERS = ["manual", "api", "webhook", "schedule", "test"];

/** `2025-01-31` from a date input → an ISO instant at the start (from) or end (to) of that day, UTC. */
const dayBound = (day: string | null, end: boolean): string | undefined =>
  day ? `${day}T${end ? "23:59:59.999" : "00:00:00"}Z` : undefined;

export function ExecutionsPage() {
  const { agentId } = useParams();
  const [params, setParam] = useUrlParams();
  const filters: ExecutionFilters = {
    agent_id: agentId,
    status: (params.get("status") as ExecutionStatus | null) ?? undefined,
    triggered_by: params.get("triggered_by") ?? undefined,
    from: dayBound(params.get("from"), false),
    to: dayBound(params.get("to"), true),
  };
  const executions = useExecutions(filters);
  const missingApi = executions.error instanceof ApiError && executions.error.status === 404;
  return (
    <div className="p-6">
      {agentId ? null : <PageHeader title="Executions" description="Every run of every agent, newest first." />}
      <div className="mb-4 flex flex-wrap items-center gap-2">
        <NativeSelect aria-label="Status" className="w-36" value={params.get("status") ?? ""} onChange={(e) => setParam("status", e.target.value)}>
          <option value="">Any status</option>
          {STATUSES.map((s) => <option key={s} value={s}>{s}</option>)}
        </NativeSelect>
        <NativeSelect aria-label="Triggered by" className="w-40" value={params.get("triggered_by") ?? ""} onChange={(e) => setParam("triggered_by", e.target.value)}>
          <option value="">Any trigger</option>
          {TRIGGERS.map((s) => <option key={s} value={s}>{s}</option>)}
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
      ) : missingApi ? (
        <EmptyState icon={<History />} title="Executions are not available on this server yet">Run history arrives with the engine (issue 5).</EmptyState>
      ) : executions.error ? (
        <Alert>{errorMessage(executions.error)}</Alert>
      ) : executions.data.items.length === 0 ? (
        <EmptyState icon={<History />} title="No executions">Runs appear here as soon as an agent is triggered or tested.</EmptyState>
      ) : (
        <Table aria-label="Executions">
          <thead>
            <tr>
              {agentId ? null : <Th>Agent</Th>}
              <Th>Status</Th>
              <Th>Triggered by</Th>
              <Th>Started</Th>
              <Th>Duration</Th>
              <Th>Cost</Th>
            </tr>
          </thead>
          <tbody>
            {executions.data.items.map((execution) => (
              <tr key={execution.id} className="hover:bg-slate-50">
                {agentId ? null : <Td>{execution.agent_name ?? execution.agent_id.slice(0, 8)}</Td>}
                <Td>
                  <Link to={`/executions/${execution.id}`} className="hover:underline">
                    <StatusBadge status={execution.status} />
                  </Link>
                </Td>
                <Td>{execution.triggered_by}{execution.is_test ? " (test)" : ""}</Td>
                <Td>
                  <Link to={`/executions/${execution.id}`} className="text-indigo-700 hover:underline">{formatDateTime(execution.started_at ?? execution.created_at)}</Link>
                </Td>
                <Td>{formatDuration(execution.duration_ms)}</Td>
                <Td>{formatCost(execution.cost_usd)}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </div>
  );
}
