/**
 * The palette's integration actions: for each connection of the organization, its actions, ready to drag in as
 * an `action.integration` node pre-filled with `{integration, connection_id, action, params: {}}`.
 */
import { Plug } from "lucide-react";
import { Link } from "react-router";

import type { JsonObject } from "@/api/definition";
import { useConnections, type Connection } from "@/api/integrations";
import { useAuth } from "@/auth/AuthProvider";

export const INTEGRATION_MIME = "application/x-agentflow-integration-action";

export interface IntegrationDrop {
  name: string;
  config: JsonObject;
  /** The node's id comes from the action: `listPets` → `list_pets`. */
  idBase?: string;
}

/** A node id (`[a-z][a-z0-9_]*`, at most 64) from an action name, for references that read well. */
export function idFromAction(action: string): string | undefined {
  const id = action
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .toLowerCase()
    .replace(/[^a-z0-9_]+/g, "_")
    .replace(/^[^a-z]+|_+$/g, "")
    .slice(0, 60);
  return id || undefined;
}

export function integrationNode(connection: Connection, action: string): IntegrationDrop {
  const idBase = idFromAction(action);
  // `listPets` / `list_pets` → "List pets".
  const words = (idBase ?? action).replaceAll("_", " ");
  return {
    idBase,
    name: words.charAt(0).toUpperCase() + words.slice(1),
    config: { integration: connection.provider, connection_id: connection.id, action, params: {} },
  };
}

/** What a drop carries; anything else (another page's drag, a malformed payload) is ignored. */
export function parseIntegrationDrop(text: string): IntegrationDrop | null {
  try {
    const value = JSON.parse(text) as Partial<IntegrationDrop>;
    return typeof value.name === "string" && value.config && typeof value.config === "object" ? (value as IntegrationDrop) : null;
  } catch {
    return null;
  }
}

export function IntegrationPalette({ onAdd }: { onAdd: (drop: IntegrationDrop) => void }) {
  const { can } = useAuth();
  const connections = useConnections(can("integrations:read"));
  const usable = connections.data?.filter((connection) => (connection.actions?.length ?? 0) > 0) ?? [];
  return (
    <section className="mb-4" aria-labelledby="palette-integrations">
      <h3 id="palette-integrations" className="mb-1.5 text-[11px] font-semibold uppercase tracking-wide text-slate-400">
        Integrations
      </h3>
      {connections.isPending && connections.fetchStatus !== "idle" ? (
        <p className="text-xs text-slate-400">Loading…</p>
      ) : connections.error ? (
        <p className="text-xs text-red-600">Connections could not be loaded.</p>
      ) : usable.length === 0 ? (
        <p className="text-xs text-slate-500">
          <Link to="/integrations" className="text-indigo-700 underline">
            Connect an integration
          </Link>{" "}
          to use its actions here.
        </p>
      ) : (
        usable.map((connection) => (
          <details key={connection.id} open className="mb-2" data-testid={`palette-connection-${connection.id}`}>
            <summary className="cursor-pointer truncate text-xs font-medium text-slate-700">
              {connection.name}
              {connection.status !== "active" ? <span className="ml-1 text-amber-700">({connection.status.replace("_", " ")})</span> : null}
            </summary>
            <ul className="mt-1 space-y-1">
              {(connection.actions ?? []).map((action) => (
                <li key={action.name}>
                  <button
                    type="button"
                    draggable
                    data-testid={`palette-action-${connection.id}-${action.name}`}
                    title={action.description}
                    onDragStart={(event) => {
                      event.dataTransfer.setData(INTEGRATION_MIME, JSON.stringify(integrationNode(connection, action.name)));
                      event.dataTransfer.effectAllowed = "move";
                    }}
                    onClick={() => onAdd(integrationNode(connection, action.name))}
                    className="flex w-full cursor-grab items-center gap-2 rounded-md border border-slate-200 px-2 py-1 text-left text-xs text-slate-700 hover:border-indigo-300 hover:bg-indigo-50 active:cursor-grabbing"
                  >
                    <span className="flex size-5 shrink-0 items-center justify-center rounded bg-sky-100 text-sky-700">
                      <Plug className="size-3" />
                    </span>
                    <span className="truncate font-mono">{action.name}</span>
                  </button>
                </li>
              ))}
            </ul>
          </details>
        ))
      )}
    </section>
  );
}
