/**
 * The `action.integration` node's form: which connection, which of its actions, and the action's params
 * rendered from its params schema (text fields take `{{…}}` references through the variable picker).
 */
import { Link } from "react-router";

import type { JsonObject, JsonSchema } from "@/api/definition";
import { errorMessage } from "@/api/http";
import { actionsOf, useConnections, type Connection } from "@/api/integrations";
import { SchemaFields } from "@/builder/panel/SchemaForm";
import { Badge } from "@/components/ui/badge";
import { Alert, Spinner } from "@/components/ui/feedback";
import { Field, NativeSelect } from "@/components/ui/input";

const asObject = (value: unknown): JsonObject => (value && typeof value === "object" && !Array.isArray(value) ? (value as JsonObject) : {});

/** Required params left empty; the rest is checked at publish time, once references are known. */
export function missingParams(schema: JsonSchema, params: JsonObject): Record<string, string> {
  const errors: Record<string, string> = {};
  for (const name of schema.required ?? []) {
    const value = params[name];
    if (value === undefined || value === null || value === "") errors[`params.${name}`] = "Required.";
  }
  return errors;
}

export function IntegrationForm({ config, errors, onChange }: { config: JsonObject; errors: Record<string, string>; onChange: (config: JsonObject) => void }) {
  const connections = useConnections();
  const connectionId = typeof config.connection_id === "string" ? config.connection_id : "";
  const actionName = typeof config.action === "string" ? config.action : "";
  const params = asObject(config.params);
  const all = connections.data ?? [];
  const connection: Connection | undefined = all.find((c) => c.id === connectionId);
  const actions = actionsOf(connection);
  const action = actions.find((a) => a.name === actionName);
  const schema = action?.params_schema;
  const shownErrors = { ...errors, ...(schema ? missingParams(schema, params) : {}) };

  const pickConnection = (id: string) => {
    const next = all.find((c) => c.id === id);
    if (!next) return;
    // Another connection of the same provider keeps the action and params; another provider starts over.
    const same = next.provider === config.integration && actionsOf(next).some((a) => a.name === actionName);
    onChange({ ...config, integration: next.provider, connection_id: next.id, action: same ? actionName : "", params: same ? params : {} });
  };

  if (connections.isPending) return <Spinner label="Loading connections…" />;
  if (connections.error) return <Alert>{errorMessage(connections.error)}</Alert>;
  return (
    <div className="space-y-4">
      {all.length === 0 ? (
        <Alert tone="info">
          No integration is connected. <Link to="/integrations" className="underline">Connect one</Link> to use its actions.
        </Alert>
      ) : null}
      <Field id="cfg-connection_id" label={<>Connection<span className="text-red-600"> *</span></>} error={shownErrors.connection_id ?? (connectionId && !connection ? "This connection no longer exists: pick another." : null)}>
        <NativeSelect id="cfg-connection_id" value={connection ? connectionId : ""} onChange={(e) => pickConnection(e.target.value)}>
          <option value="">Choose a connection</option>
          {all.map((c) => (
            <option key={c.id} value={c.id}>
              {c.name} ({c.provider}){c.status !== "active" ? ` — ${c.status.replace("_", " ")}` : ""}
            </option>
          ))}
        </NativeSelect>
      </Field>
      <Field id="cfg-action" label={<>Action<span className="text-red-600"> *</span></>} hint={action?.description} error={shownErrors.action ?? (actionName && connection && !action ? `${connection.name} has no action ${actionName}.` : null)}>
        <NativeSelect
          id="cfg-action"
          value={action ? actionName : ""}
          disabled={!connection}
          onChange={(e) => onChange({ ...config, action: e.target.value, params: {} })}
        >
          <option value="">Choose an action</option>
          {actions.map((a) => (
            <option key={a.name} value={a.name}>
              {a.name}
            </option>
          ))}
        </NativeSelect>
      </Field>
      {action?.side_effect ? (
        <p className="text-xs text-slate-500">
          <Badge tone="amber">side effect</Badge> Test runs show the request instead of sending it.
        </p>
      ) : null}
      {schema && Object.keys(schema.properties ?? {}).length ? (
        <fieldset className="space-y-3 rounded-md border border-slate-200 p-3" aria-label="Parameters">
          <legend className="px-1 text-sm font-medium text-slate-700">Parameters</legend>
          <SchemaFields path="params" schema={schema} root={schema} value={params} errors={shownErrors} onChange={(next) => onChange({ ...config, params: next })} />
        </fieldset>
      ) : schema ? (
        <p className="text-xs text-slate-500">This action takes no parameters.</p>
      ) : null}
    </div>
  );
}
