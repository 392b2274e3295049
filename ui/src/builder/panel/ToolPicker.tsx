/**
 * The AI node's tool picker: integration actions, knowledge bases, other agents, MCP tools, HTTP requests and
 * plain functions the model may call; `max_tool_rounds`, and which tools wait for a human approval.
 */
import { Plus, Trash2 } from "lucide-react";
import * as React from "react";

import { useAgents } from "@/api/agents";
import { useAuth } from "@/auth/AuthProvider";
import type { JsonObject } from "@/api/definition";
import { actionsOf, MCP, useConnections, type Connection } from "@/api/integrations";
import { useKnowledgeBases } from "@/api/knowledge";
import { KnowledgeBasePicker } from "@/builder/panel/KnowledgeBasePicker";
import {
  approvalsOf,
  kindOf,
  MAX_TOOLS,
  TOOL_KIND_LABELS,
  TOOL_KINDS,
  TOOL_NAME,
  toolName,
  toolsOf,
  withoutTool,
  withTool,
  type ToolKind,
} from "@/builder/panel/tools";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Field, Input, NativeSelect } from "@/components/ui/input";

const HTTP_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"] as const;

interface Draft {
  kind: ToolKind;
  connectionId: string;
  action: string;
  knowledgeBaseId: string;
  agentId: string;
  name: string;
  description: string;
  method: string;
  url: string;
}

const EMPTY: Draft = { kind: "integration", connectionId: "", action: "", knowledgeBaseId: "", agentId: "", name: "", description: "", method: "GET", url: "" };

/** The tool config the draft describes, or null while something it needs is missing. */
function toolFrom(draft: Draft): JsonObject | null {
  switch (draft.kind) {
    case "integration":
      return draft.connectionId && draft.action ? { type: "integration", connection_id: draft.connectionId, action: draft.action } : null;
    case "mcp":
      return draft.connectionId && draft.action ? { type: "mcp", connection_id: draft.connectionId, tool: draft.action } : null;
    case "knowledge":
      return draft.knowledgeBaseId ? { type: "knowledge", knowledge_base_id: draft.knowledgeBaseId } : null;
    case "agent":
      return draft.agentId ? { type: "agent", agent_id: draft.agentId } : null;
    case "http":
      return TOOL_NAME.test(draft.name) && /^https?:\/\//.test(draft.url) && draft.description.trim()
        ? { type: "http", name: draft.name, description: draft.description.trim(), method: draft.method, url: draft.url }
        : null;
    case "function":
      return TOOL_NAME.test(draft.name) ? { name: draft.name, description: draft.description.trim() } : null;
  }
}

function ConnectionActionPicker({ draft, set, connections }: { draft: Draft; set: (patch: Partial<Draft>) => void; connections: Connection[] }) {
  const mcp = draft.kind === "mcp";
  const shown = connections.filter((c) => (c.provider === MCP) === mcp);
  const connection = shown.find((c) => c.id === draft.connectionId);
  return (
    <>
      <Field id="tool-connection" label={mcp ? "MCP server" : "Connection"} hint={shown.length ? undefined : mcp ? "No MCP server is connected." : "No integration is connected."}>
        <NativeSelect id="tool-connection" value={draft.connectionId} onChange={(e) => set({ connectionId: e.target.value, action: "" })}>
          <option value="">{mcp ? "Choose a server" : "Choose a connection"}</option>
          {shown.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.provider})
            </option>
          ))}
        </NativeSelect>
      </Field>
      <Field id="tool-action" label={mcp ? "Tool" : "Action"}>
        <NativeSelect id="tool-action" value={draft.action} disabled={!connection} onChange={(e) => set({ action: e.target.value })}>
          <option value="">{mcp ? "Choose a tool" : "Choose an action"}</option>
          {actionsOf(connection).map((a) => (
            <option key={a.name} value={a.name}>
              {a.name}
              {a.side_effect ? " (side effect)" : ""}
            </option>
          ))}
        </NativeSelect>
      </Field>
    </>
  );
}

function AgentPicker({ value, onChange }: { value: string; onChange: (id: string) => void }) {
  const agents = useAgents({ status: "active" });
  const items = agents.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <Field id="tool-agent" label="Agent" hint="A published agent, run as a sub-execution; its trigger's input schema is the arguments.">
      <NativeSelect id="tool-agent" value={value} onChange={(e) => onChange(e.target.value)}>
        <option value="">{agents.isPending ? "Loading agents…" : items.length ? "Choose an agent" : "No active agents"}</option>
        {items.map((agent) => (
          <option key={agent.id} value={agent.id}>
            {agent.name}
          </option>
        ))}
      </NativeSelect>
    </Field>
  );
}

function AddTool({ onAdd, connections }: { onAdd: (tool: JsonObject) => void; connections: Connection[] }) {
  const [draft, setDraft] = React.useState<Draft>(EMPTY);
  const set = (patch: Partial<Draft>) => setDraft((current) => ({ ...current, ...patch }));
  const tool = toolFrom(draft);
  const named = draft.kind === "http" || draft.kind === "function";
  return (
    <fieldset className="space-y-3 rounded-md border border-dashed border-slate-300 p-3">
      <legend className="px-1 text-xs font-medium text-slate-600">Add a tool</legend>
      <Field id="tool-kind" label="Kind">
        <NativeSelect id="tool-kind" value={draft.kind} onChange={(e) => setDraft({ ...EMPTY, kind: e.target.value as ToolKind })}>
          {TOOL_KINDS.map((kind) => (
            <option key={kind} value={kind}>
              {TOOL_KIND_LABELS[kind]}
            </option>
          ))}
        </NativeSelect>
      </Field>
      {draft.kind === "integration" || draft.kind === "mcp" ? <ConnectionActionPicker draft={draft} set={set} connections={connections} /> : null}
      {draft.kind === "knowledge" ? (
        <Field id="tool-knowledge" label="Knowledge base" hint="The model searches it with a query.">
          <KnowledgeBasePicker id="tool-knowledge" value={draft.knowledgeBaseId} onChange={(id) => set({ knowledgeBaseId: id ?? "" })} />
        </Field>
      ) : null}
      {draft.kind === "agent" ? <AgentPicker value={draft.agentId} onChange={(agentId) => set({ agentId })} /> : null}
      {named ? (
        <>
          <Field id="tool-name" label="Name" hint="What the model calls: letters, digits, _ and -.">
            <Input id="tool-name" className="font-mono text-xs" maxLength={64} value={draft.name} onChange={(e) => set({ name: e.target.value })} />
          </Field>
          <Field id="tool-description" label="Description" hint="The model reads it to decide when to call the tool.">
            <Input id="tool-description" maxLength={2000} value={draft.description} onChange={(e) => set({ description: e.target.value })} />
          </Field>
        </>
      ) : null}
      {draft.kind === "http" ? (
        <div className="grid grid-cols-[6rem_1fr] gap-2">
          <Field id="tool-method" label="Method">
            <NativeSelect id="tool-method" value={draft.method} onChange={(e) => set({ method: e.target.value })}>
              {HTTP_METHODS.map((method) => (
                <option key={method}>{method}</option>
              ))}
            </NativeSelect>
          </Field>
          <Field id="tool-url" label="URL">
            <Input id="tool-url" type="url" maxLength={2048} value={draft.url} onChange={(e) => set({ url: e.target.value })} />
          </Field>
        </div>
      ) : null}
      <Button
        size="sm"
        disabled={!tool}
        onClick={() => {
          if (!tool) return;
          onAdd(tool);
          setDraft({ ...EMPTY, kind: draft.kind, connectionId: draft.connectionId });
        }}
      >
        <Plus /> Add tool
      </Button>
    </fieldset>
  );
}

/** What a tool points at, by name where the organization's lists know it. */
function useDescribe(connections: Connection[], tools: JsonObject[]) {
  // Knowledge base names are only fetched when a knowledge tool needs one.
  const bases = useKnowledgeBases(tools.some((tool) => kindOf(tool) === "knowledge"));
  return (tool: JsonObject): string => {
    const connection = connections.find((c) => c.id === tool.connection_id);
    switch (kindOf(tool)) {
      case "integration":
        return `${connection?.name ?? "unknown connection"} · ${String(tool.action)}`;
      case "mcp":
        return `${connection?.name ?? "unknown server"} · ${String(tool.tool)}`;
      case "knowledge":
        return bases.data?.items.find((kb) => kb.id === tool.knowledge_base_id)?.name ?? String(tool.knowledge_base_id);
      case "agent":
        return `agent ${String(tool.agent_id)}`;
      case "http":
        return `${String(tool.method ?? "GET")} ${String(tool.url)}`;
      default:
        return String(tool.description || "returned to the flow");
    }
  };
}

export function ToolPicker({
  config,
  onChange,
  roundsDefault,
  supportsRounds = true,
  supportsApprovals = true,
}: {
  config: JsonObject;
  onChange: (config: JsonObject) => void;
  roundsDefault?: number;
  supportsRounds?: boolean;
  supportsApprovals?: boolean;
}) {
  const { can } = useAuth();
  const connections = useConnections(can("integrations:read")).data ?? [];
  const tools = toolsOf(config);
  const describe = useDescribe(connections, tools);
  const approvals = approvalsOf(config);
  const sideEffect = (tool: JsonObject) => {
    const connection = connections.find((c) => c.id === tool.connection_id);
    const name = kindOf(tool) === "mcp" ? tool.tool : tool.action;
    return actionsOf(connection).find((a) => a.name === name)?.side_effect ?? false;
  };
  return (
    <section aria-labelledby="tools-heading" className="space-y-3">
      <div>
        <h3 id="tools-heading" className="text-sm font-medium text-slate-700">
          Tools
        </h3>
        <p className="text-xs text-slate-500">The model may call these; the engine runs them and feeds the results back until it answers.</p>
      </div>
      {tools.length ? (
        <ul aria-label="Tools" className="space-y-1.5">
          {tools.map((tool, index) => {
            const name = toolName(tool);
            return (
              <li key={`${name}-${index}`} className="flex items-start gap-2 rounded-md border border-slate-200 p-2">
                <div className="min-w-0 flex-1">
                  <div className="flex flex-wrap items-center gap-1.5">
                    <span className="font-mono text-xs font-medium text-slate-900">{name}</span>
                    <Badge>{kindOf(tool)}</Badge>
                    {sideEffect(tool) ? <Badge tone="amber">side effect</Badge> : null}
                  </div>
                  <p className="truncate text-xs text-slate-500">{describe(tool)}</p>
                </div>
                <Button variant="ghost" size="icon" aria-label={`Remove tool ${name}`} onClick={() => onChange(withoutTool(config, index))}>
                  <Trash2 />
                </Button>
              </li>
            );
          })}
        </ul>
      ) : (
        <p className="text-xs text-slate-500">No tools: the model answers from the prompt alone.</p>
      )}
      {tools.length < MAX_TOOLS ? <AddTool connections={connections} onAdd={(tool) => onChange({ ...config, tools: withTool(tools, tool) })} /> : null}
      {supportsRounds ? (
        <Field id="cfg-max_tool_rounds" label="Max tool rounds" hint="Model calls at most in one step; then the last answer is the output.">
          <Input
            id="cfg-max_tool_rounds"
            type="number"
            min={1}
            max={32}
            placeholder={String(roundsDefault ?? 8)}
            value={typeof config.max_tool_rounds === "number" ? config.max_tool_rounds : ""}
            onChange={(e) => {
              const next = { ...config };
              if (e.target.value === "") delete next.max_tool_rounds;
              else next.max_tool_rounds = Number(e.target.value);
              onChange(next);
            }}
          />
        </Field>
      ) : null}
      {supportsApprovals && tools.length ? (
        <fieldset className="space-y-1">
          <legend className="text-sm font-medium text-slate-700">Require approval for</legend>
          <p className="text-xs text-slate-500">A person approves each call of these tools before it runs.</p>
          {tools.filter((tool) => kindOf(tool) !== "function").map((tool) => {
            const name = toolName(tool);
            return (
              <label key={name} className="flex items-center gap-2 text-sm text-slate-700">
                <input
                  type="checkbox"
                  checked={approvals.includes(name)}
                  onChange={(e) =>
                    onChange({ ...config, require_approval_for: e.target.checked ? [...approvals, name] : approvals.filter((item) => item !== name) })
                  }
                />
                <span className="font-mono text-xs">{name}</span>
              </label>
            );
          })}
        </fieldset>
      ) : null}
    </section>
  );
}
