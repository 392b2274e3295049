/** /agents — every agent as cards or rows, with filters, search, quick actions and the create dialog. */
import { Archive, Bot, Copy, LayoutGrid, List, MoreHorizontal, Pause, Pencil, Play } from "lucide-react";
import * as React from "react";
import { Link, useNavigate } from "react-router";

import {
  useAgents,
  useArchiveAgent,
  useDuplicateAgent,
  useSetAgentStatus,
  type AgentFilters,
  type AgentStatus,
  type AgentSummary,
  type TriggerType,
} from "@/api/agents";
import { errorMessage } from "@/api/http";
import { useAuth } from "@/auth/AuthProvider";
import { StatusBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Card } from "@/components/ui/card";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { Alert, EmptyState, Spinner, toast } from "@/components/ui/feedback";
import { Input, NativeSelect } from "@/components/ui/input";
import { Table, Td, Th } from "@/components/ui/table";
import { PageHeader } from "@/layout/AppShell";
import { useUrlParams } from "@/lib/useUrlParams";
import { CreateAgentDialog } from "@/pages/agents/CreateAgentDialog";
import { RunAgentButton } from "@/pages/agents/RunAgentDialog";
import { formatPercent, timeAgo } from "@/lib/utils";

// Records, so a status or trigger the API adds fails the typecheck until the filters offer it.
const STATUSES = Object.keys({ draft: 1, active: 1, paused: 1, archived: 1 } satisfies Record<AgentStatus, 1>) as AgentStatus[];
const TRIGGERS = Object.keys({ manual: 1, webhook: 1, schedule: 1, api: 1, integration: 1 } satisfies Record<TriggerType, 1>) as TriggerType[];

function useDebounced<T>(value: T, ms: number): T {
  const [debounced, setDebounced] = React.useState(value);
  React.useEffect(() => {
    const timer = setTimeout(() => setDebounced(value), ms);
    return () => clearTimeout(timer);
  }, [value, ms]);
  return debounced;
}

function QuickActions({ agent }: { agent: AgentSummary }) {
  const { can } = useAuth();
  const navigate = useNavigate();
  const setStatus = useSetAgentStatus();
  const archive = useArchiveAgent();
  const duplicate = useDuplicateAgent();
  const onError = (error: unknown) => toast(errorMessage(error), "error");
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" size="icon" aria-label={`Actions for ${agent.name}`}>
          <MoreHorizontal />
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent>
        <DropdownMenuItem onSelect={() => navigate(`/agents/${agent.id}?test=1`)} disabled={!can("agents:execute")}>
          <Play /> Run a test
        </DropdownMenuItem>
        <DropdownMenuItem onSelect={() => navigate(`/agents/${agent.id}`)}>
          <Pencil /> Edit
        </DropdownMenuItem>
        {agent.status === "active" ? (
          <DropdownMenuItem disabled={!can("agents:publish")} onSelect={() => setStatus.mutate({ id: agent.id, status: "paused" }, { onError })}>
            <Pause /> Pause
          </DropdownMenuItem>
        ) : agent.status === "paused" ? (
          <DropdownMenuItem disabled={!can("agents:publish")} onSelect={() => setStatus.mutate({ id: agent.id, status: "active" }, { onError })}>
            <Play /> Resume
          </DropdownMenuItem>
        ) : null}
        <DropdownMenuItem disabled={!can("agents:write")} onSelect={() => duplicate.mutate(agent.id, { onError, onSuccess: () => toast("Duplicated", "success") })}>
          <Copy /> Duplicate
        </DropdownMenuItem>
        <DropdownMenuSeparator />
        <DropdownMenuItem
          disabled={!can("agents:archive") || agent.status === "archived"}
          onSelect={() => archive.mutate(agent.id, { onError, onSuccess: () => toast(`${agent.name} archived`, "success") })}
        >
          <Archive /> Archive
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}

function AgentCard({ agent }: { agent: AgentSummary }) {
  return (
    <Card className="flex flex-col p-4" data-testid="agent-card">
      <div className="flex items-start justify-between gap-2">
        <Link to={`/agents/${agent.id}`} className="min-w-0 font-semibold text-slate-900 hover:text-indigo-700">
          <span className="block truncate">{agent.name}</span>
        </Link>
        <div className="flex shrink-0 items-center gap-1">
          <RunAgentButton agent={agent} variant="outline" />
          <QuickActions agent={agent} />
        </div>
      </div>
      <p className="mt-1 line-clamp-2 min-h-10 text-sm text-slate-500">{agent.description || "No description."}</p>
      <div className="mt-3 flex flex-wrap items-center gap-1.5">
        <StatusBadge status={agent.status} />
        {agent.restricted ? <span className="rounded bg-amber-50 px-1.5 py-0.5 text-xs text-amber-800">restricted</span> : null}
        {agent.trigger_type ? <span className="rounded bg-slate-100 px-1.5 py-0.5 text-xs text-slate-600">{agent.trigger_type}</span> : null}
        {agent.tags.map((tag) => (
          <span key={tag} className="rounded bg-indigo-50 px-1.5 py-0.5 text-xs text-indigo-700">#{tag}</span>
        ))}
      </div>
      <dl className="mt-3 grid grid-cols-3 gap-2 border-t border-slate-100 pt-3 text-xs">
        <div>
          <dt className="text-slate-400">Last run</dt>
          <dd className="text-slate-700">{timeAgo(agent.last_run_at)}</dd>
        </div>
        <div>
          <dt className="text-slate-400">Success</dt>
          <dd className="text-slate-700">{formatPercent(agent.success_rate)}</dd>
        </div>
        <div>
          <dt className="text-slate-400">Version</dt>
          <dd className="text-slate-700">{agent.current_version ? `v${agent.current_version}` : "unpublished"}</dd>
        </div>
      </dl>
    </Card>
  );
}

function AgentRows({ agents }: { agents: AgentSummary[] }) {
  return (
    <Table aria-label="Agents">
      <thead>
        <tr>
          <Th>Name</Th>
          <Th>Status</Th>
          <Th>Trigger</Th>
          <Th>Last run</Th>
          <Th>Success</Th>
          <Th>Version</Th>
          <Th className="w-32" />
        </tr>
      </thead>
      <tbody>
        {agents.map((agent) => (
          <tr key={agent.id}>
            <Td>
              <Link to={`/agents/${agent.id}`} className="font-medium text-slate-900 hover:text-indigo-700">{agent.name}</Link>
              {agent.restricted ? <span className="ml-2 rounded bg-amber-50 px-1.5 py-0.5 text-xs text-amber-800">restricted</span> : null}
            </Td>
            <Td><StatusBadge status={agent.status} /></Td>
            <Td>{agent.trigger_type ?? "—"}</Td>
            <Td>{timeAgo(agent.last_run_at)}</Td>
            <Td>{formatPercent(agent.success_rate)}</Td>
            <Td>{agent.current_version ? `v${agent.current_version}` : "—"}</Td>
            <Td>
              <div className="flex items-center justify-end gap-1">
                <RunAgentButton agent={agent} variant="outline" />
                <QuickActions agent={agent} />
              </div>
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

export function AgentsPage() {
  const { can } = useAuth();
  const [params, setParam] = useUrlParams();
  const view = params.get("view") === "list" ? "list" : "grid";
  const [q, setQ] = React.useState(params.get("q") ?? "");
  const debouncedQ = useDebounced(q, 250);
  const filters: AgentFilters = {
    q: debouncedQ || undefined,
    status: (params.get("status") as AgentStatus | null) ?? undefined,
    trigger_type: (params.get("trigger") as TriggerType | null) ?? undefined,
  };
  const agents = useAgents(filters);
  const items = agents.data?.pages.flatMap((page) => page.items) ?? [];
  const filtered = Boolean(filters.q || filters.status || filters.trigger_type);

  return (
    <div className="p-6">
      <PageHeader title="Agents" description="Design, publish and run AI agents." actions={can("agents:write") ? <CreateAgentDialog /> : null} />
      <div className="mb-4 flex flex-wrap items-center gap-2">
        <Input type="search" placeholder="Search agents…" aria-label="Search agents" className="w-64" value={q} onChange={(e) => setQ(e.target.value)} />
        <NativeSelect aria-label="Status" className="w-36" value={filters.status ?? ""} onChange={(e) => setParam("status", e.target.value)}>
          <option value="">Any status</option>
          {STATUSES.map((status) => <option key={status} value={status}>{status}</option>)}
        </NativeSelect>
        <NativeSelect aria-label="Trigger" className="w-36" value={filters.trigger_type ?? ""} onChange={(e) => setParam("trigger", e.target.value)}>
          <option value="">Any trigger</option>
          {TRIGGERS.map((trigger) => <option key={trigger} value={trigger}>{trigger}</option>)}
        </NativeSelect>
        <div className="ml-auto flex rounded-md border border-slate-300 bg-white p-0.5" role="group" aria-label="View">
          <Button variant={view === "grid" ? "secondary" : "ghost"} size="icon" aria-label="Grid view" aria-pressed={view === "grid"} onClick={() => setParam("view", "")}>
            <LayoutGrid />
          </Button>
          <Button variant={view === "list" ? "secondary" : "ghost"} size="icon" aria-label="List view" aria-pressed={view === "list"} onClick={() => setParam("view", "list")}>
            <List />
          </Button>
        </div>
      </div>
      {agents.isPending ? (
        <Spinner />
      ) : agents.error ? (
        <Alert>{errorMessage(agents.error)}</Alert>
      ) : items.length === 0 ? (
        <EmptyState icon={<Bot />} title={filtered ? "No agents match" : "No agents yet"} action={filtered || !can("agents:write") ? null : <CreateAgentDialog />}>
          {filtered ? "Try another search or clear the filters." : "Create your first agent and draw it in the builder."}
        </EmptyState>
      ) : view === "grid" ? (
        <div className="grid grid-cols-[repeat(auto-fill,minmax(18rem,1fr))] gap-4">
          {items.map((agent) => <AgentCard key={agent.id} agent={agent} />)}
        </div>
      ) : (
        <AgentRows agents={items} />
      )}
      {agents.hasNextPage ? (
        <div className="mt-4 flex justify-center">
          <Button variant="outline" onClick={() => void agents.fetchNextPage()} disabled={agents.isFetchingNextPage}>
            {agents.isFetchingNextPage ? "Loading…" : "Load more"}
          </Button>
        </div>
      ) : null}
    </div>
  );
}
