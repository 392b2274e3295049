/** The right-hand panel: the selected node's name, id, generated config form, retry and timeout; else settings. */
import { Trash2 } from "lucide-react";
import * as React from "react";

import type { ValidationIssue } from "@/api/agents";
import type { JsonObject, JsonSchema, NodeTypeInfo } from "@/api/definition";
import { nodeIdProblem } from "@/builder/ids";
import { IntegrationForm } from "@/builder/panel/IntegrationForm";
import { SchemaForm } from "@/builder/panel/SchemaForm";
import { ToolPicker } from "@/builder/panel/ToolPicker";
import { NODE_LOOKS } from "@/builder/nodes/meta";
import { useBuilderStatus, useNodeIssues } from "@/builder/status";
import { useBuilderStore } from "@/builder/store";
import type { BuilderNode } from "@/builder/types";

/** Only what the form needs: dragging the node (a position change) must not re-render the panel. */
type NodeRef = Pick<BuilderNode, "id" | "data">;
import { validateConfig } from "@/builder/validate";
import { WebhookUrl } from "@/components/WebhookUrl";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/feedback";
import { Field, Input } from "@/components/ui/input";

function IdField({ node }: { node: NodeRef }) {
  const renameNode = useBuilderStore((state) => state.renameNode);
  const [draft, setDraft] = React.useState(node.id);
  const [shownFor, setShownFor] = React.useState(node.id);
  if (shownFor !== node.id) {
    setShownFor(node.id);
    setDraft(node.id);
  }
  const taken = new Set(useBuilderStore.getState().nodes.map((n) => n.id).filter((id) => id !== node.id));
  const problem = draft === node.id ? null : nodeIdProblem(draft, taken);
  const commit = () => {
    if (problem || draft === node.id) return;
    renameNode(node.id, draft);
  };
  return (
    <Field id="node-id" label="Id" hint="Other nodes refer to it as {{id.output…}}; renaming updates those references." error={problem}>
      <Input
        id="node-id"
        className="font-mono text-xs"
        value={draft}
        aria-invalid={Boolean(problem)}
        onChange={(e) => setDraft(e.target.value)}
        onBlur={commit}
        onKeyDown={(e) => e.key === "Enter" && commit()}
      />
    </Field>
  );
}

/** Server issue fields look like `config.url`; the form's paths are relative to config. */
function serverErrors(issues: ValidationIssue[]): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const issue of issues) {
    if (issue.field?.startsWith("config.")) errors[issue.field.slice("config.".length)] ??= issue.message;
  }
  return errors;
}

/** The AI node's tool settings have their own picker; the generated form shows the rest. */
const TOOL_FIELDS = ["tools", "max_tool_rounds", "require_approval_for"];

function withoutProperties(schema: JsonSchema, names: string[]): JsonSchema {
  const properties = Object.fromEntries(Object.entries(schema.properties ?? {}).filter(([name]) => !names.includes(name)));
  return { ...schema, properties, required: schema.required?.filter((name) => !names.includes(name)) };
}

function ConfigForm({ info, node, errors }: { info: NodeTypeInfo; node: NodeRef; errors: Record<string, string> }) {
  const updateNode = useBuilderStore((state) => state.updateNode);
  const onChange = (config: JsonObject) => updateNode(node.id, { config }, "config");
  if (node.data.nodeType === "action.integration") return <IntegrationForm config={node.data.config} errors={errors} onChange={onChange} />;
  if (node.data.nodeType === "ai") {
    const properties = info.config_schema.properties ?? {};
    const rounds = properties.max_tool_rounds;
    return (
      <>
        <SchemaForm schema={withoutProperties(info.config_schema, TOOL_FIELDS)} value={node.data.config} errors={errors} onChange={onChange} />
        <hr className="border-slate-200" />
        <ToolPicker
          config={node.data.config}
          onChange={onChange}
          roundsDefault={typeof rounds?.default === "number" ? rounds.default : undefined}
          supportsRounds={Boolean(rounds)}
          supportsApprovals={Boolean(properties.require_approval_for)}
        />
        {Object.entries(errors)
          .filter(([path]) => TOOL_FIELDS.some((name) => path === name || path.startsWith(`${name}.`)))
          .map(([path, message]) => (
            <p key={path} role="alert" className="text-xs text-red-600">
              {path}: {message}
            </p>
          ))}
      </>
    );
  }
  return <SchemaForm schema={info.config_schema} value={node.data.config} errors={errors} onChange={onChange} />;
}

function NodeConfig({ node }: { node: NodeRef }) {
  const info = useBuilderStore((state) => state.catalog[node.data.nodeType]);
  const updateNode = useBuilderStore((state) => state.updateNode);
  const deleteSelection = useBuilderStore((state) => state.deleteSelection);
  const issues = useNodeIssues(node.id);
  // The server's report describes the last saved draft: while edits are unsaved it may be stale.
  const dirty = useBuilderStore((state) => state.dirty);
  const look = NODE_LOOKS[node.data.nodeType];
  const Icon = look.icon;
  const errors = React.useMemo(
    () => ({
      ...(dirty ? {} : serverErrors(issues)),
      ...(info ? validateConfig(node.data.nodeType, info.config_schema, node.data.config) : {}),
    }),
    [dirty, info, issues, node.data.config, node.data.nodeType],
  );
  const otherIssues = issues.filter((issue) => !issue.field?.startsWith("config."));
  const retry = node.data.retry ?? null;
  return (
    <div className="space-y-4" data-testid="config-panel">
      <div className="flex items-start gap-2">
        <div className={`flex size-9 shrink-0 items-center justify-center rounded-md ${look.accent}`}>
          <Icon className="size-5" />
        </div>
        <div className="min-w-0 flex-1">
          <h2 className="font-semibold text-slate-900">{info?.label ?? node.data.nodeType}</h2>
          <p className="text-xs text-slate-500">{info?.description}</p>
        </div>
        <Button variant="ghost" size="icon" aria-label="Delete node" onClick={deleteSelection}>
          <Trash2 />
        </Button>
      </div>
      {otherIssues.length > 0 ? (
        <Alert>
          <ul className="list-disc pl-4">
            {otherIssues.map((issue, index) => (
              <li key={index}>{issue.message}</li>
            ))}
          </ul>
        </Alert>
      ) : null}
      <Field id="node-name" label="Name">
        <Input id="node-name" value={node.data.name} maxLength={200} onChange={(e) => updateNode(node.id, { name: e.target.value }, "name")} />
      </Field>
      <IdField node={node} />
      <hr className="border-slate-200" />
      {node.data.nodeType === "trigger" ? <WebhookUrl kind={String(node.data.config.kind ?? "manual")} /> : null}
      {info ? (
        <ConfigForm info={info} node={node} errors={errors} />
      ) : (
        <Alert tone="warning">Unknown node type {node.data.nodeType}.</Alert>
      )}
      <details className="rounded-md border border-slate-200 p-3">
        <summary className="cursor-pointer text-sm font-medium text-slate-700">Retries and timeout</summary>
        <div className="mt-3 grid grid-cols-2 gap-3">
          <Field id="retry-max" label="Max retries">
            <Input
              id="retry-max"
              type="number"
              min={0}
              max={10}
              placeholder="agent default"
              value={retry?.max_retries ?? ""}
              onChange={(e) =>
                updateNode(node.id, { retry: e.target.value === "" ? null : { backoff_seconds: 2, ...retry, max_retries: Number(e.target.value) } }, "retry")
              }
            />
          </Field>
          <Field id="retry-backoff" label="Backoff (s)">
            <Input
              id="retry-backoff"
              type="number"
              min={0}
              disabled={!retry}
              value={retry?.backoff_seconds ?? ""}
              onChange={(e) => retry && updateNode(node.id, { retry: { ...retry, backoff_seconds: Number(e.target.value) } }, "retry")}
            />
          </Field>
          <Field id="node-timeout" label="Timeout (s)">
            <Input
              id="node-timeout"
              type="number"
              min={1}
              placeholder="none"
              value={node.data.timeout_seconds ?? ""}
              onChange={(e) => updateNode(node.id, { timeout_seconds: e.target.value === "" ? null : Number(e.target.value) }, "timeout")}
            />
          </Field>
        </div>
      </details>
    </div>
  );
}

const SETTINGS_FIELDS = [
  { key: "timeout_seconds", label: "Run timeout (s)", hint: "Cancel a run that takes longer. Default 3600.", min: 1 },
  { key: "max_concurrency", label: "Max concurrent runs", hint: "Unlimited when empty.", min: 1 },
  { key: "max_parallel_nodes", label: "Parallel branches", hint: "Independent branches run at once. Default 4.", min: 1 },
] as const;

function AgentSettings() {
  const settings = useBuilderStore((state) => state.settings);
  const updateSettings = useBuilderStore((state) => state.updateSettings);
  const graphIssues = useBuilderStatus((state) => state.graphIssues);
  return (
    <div className="space-y-4">
      <div>
        <h2 className="font-semibold text-slate-900">Agent settings</h2>
        <p className="text-xs text-slate-500">Select a node to configure it.</p>
      </div>
      {graphIssues.length > 0 ? (
        <Alert>
          <ul className="list-disc pl-4">
            {graphIssues.map((issue, index) => (
              <li key={index}>{issue.message}</li>
            ))}
          </ul>
        </Alert>
      ) : null}
      {SETTINGS_FIELDS.map(({ key, label, hint, min }) => (
        <Field key={key} id={`settings-${key}`} label={label} hint={hint}>
          <Input
            id={`settings-${key}`}
            type="number"
            min={min}
            value={typeof settings[key] === "number" ? (settings[key] as number) : ""}
            onChange={(e) => {
              const next = { ...settings };
              if (e.target.value === "") delete next[key];
              else next[key] = Number(e.target.value);
              updateSettings(next);
            }}
          />
        </Field>
      ))}
    </div>
  );
}

export function ConfigPanel() {
  const id = useBuilderStore((state) => state.selectedNodeId);
  const data = useBuilderStore((state) => state.nodes.find((n) => n.id === state.selectedNodeId)?.data);
  return (
    <aside aria-label="Configuration" className="w-96 shrink-0 overflow-y-auto border-l border-slate-200 bg-white p-4">
      {id && data ? <NodeConfig key={id} node={{ id, data }} /> : <AgentSettings />}
    </aside>
  );
}
