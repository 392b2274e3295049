/** /integrations — the organization's connections and the catalog of integrations to connect. */
import { Plug } from "lucide-react";
import * as React from "react";
import { useSearchParams } from "react-router";

import { errorMessage } from "@/api/http";
import { CUSTOM_API, INTEGRATIONS_CONNECT, MCP, useCatalog, useConnections, type CatalogEntry, type Connection } from "@/api/integrations";
import { useAuth } from "@/auth/AuthProvider";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Alert, EmptyState, Spinner, toast } from "@/components/ui/feedback";
import { PageHeader } from "@/layout/AppShell";
import { ConnectDialog } from "@/pages/integrations/ConnectDialog";
import { ConnectionsList } from "@/pages/integrations/ConnectionsList";
import { CustomApiDialog } from "@/pages/integrations/CustomApiDialog";
import { McpDialog } from "@/pages/integrations/McpDialog";

const CATEGORY_LABELS: Record<string, string> = {
  communication: "Communication",
  engineering: "Engineering",
  productivity: "Productivity",
  crm: "CRM",
  data: "Data",
  developer: "Developer",
};

/** What the OAuth callback's `?error=` codes mean to a person. */
const OAUTH_ERRORS: Record<string, string> = {
  access_denied: "Access was not granted at the provider.",
  invalid_request: "The provider sent no authorization code.",
  invalid_state: "The sign-in link is not valid or was already used: start again.",
  expired_state: "The sign-in took longer than ten minutes: start again.",
  oauth_not_configured: "The operator has not configured this provider's OAuth app.",
  exchange_failed: "The provider refused to issue a token.",
  name_taken: "A connection with that name exists already.",
};

type Opened = { kind: "catalog"; entry: CatalogEntry; reconnect?: Connection } | { kind: "custom" } | { kind: "mcp" } | null;

function CatalogCard({ entry, canConnect, onConnect }: { entry: CatalogEntry; canConnect: boolean; onConnect: () => void }) {
  const builtin = entry.kind === "builtin";
  return (
    <li className="flex flex-col gap-2 rounded-lg border border-slate-200 bg-white p-4" data-testid={`catalog-${entry.name}`}>
      <div className="flex items-center gap-2">
        <h3 className="font-medium text-slate-900">{entry.label}</h3>
        {builtin ? <Badge>built in</Badge> : null}
      </div>
      <p className="flex-1 text-sm text-slate-500">{entry.description}</p>
      <p className="text-xs text-slate-400">
        {entry.actions.length ? `${entry.actions.length} action${entry.actions.length === 1 ? "" : "s"}` : builtin ? "No connection needed" : "Actions defined when connecting"}
      </p>
      {builtin ? null : canConnect ? (
        <Button size="sm" variant="outline" className="self-start" aria-label={`Connect ${entry.label}`} onClick={onConnect}>
          Connect
        </Button>
      ) : (
        <p className="text-xs text-slate-400">An admin connects integrations.</p>
      )}
    </li>
  );
}

function useCallbackOutcome() {
  const [params, setParams] = useSearchParams();
  const connected = params.get("connected");
  const error = params.get("error");
  React.useEffect(() => {
    if (!connected) return;
    toast("Integration connected", "success");
    setParams((current) => {
      current.delete("connected");
      return current;
    }, { replace: true });
  }, [connected, setParams]);
  return { error, dismiss: () => setParams((current) => { current.delete("error"); return current; }, { replace: true }) };
}

export function IntegrationsPage() {
  const { can } = useAuth();
  const canConnect = can(INTEGRATIONS_CONNECT);
  const catalog = useCatalog();
  const connections = useConnections();
  const [opened, setOpened] = React.useState<Opened>(null);
  const callback = useCallbackOutcome();
  const labels = Object.fromEntries((catalog.data ?? []).map((entry) => [entry.name, entry.label]));
  const needsReauth = connections.data?.filter((connection) => connection.status === "needs_reauth") ?? [];

  const open = (entry: CatalogEntry, reconnect?: Connection) => {
    if (entry.name === CUSTOM_API) setOpened({ kind: "custom" });
    else if (entry.name === MCP) setOpened({ kind: "mcp" });
    else setOpened({ kind: "catalog", entry, reconnect });
  };
  const connected = (connection: Connection) => {
    setOpened(null);
    toast(`${connection.name} connected`, "success");
  };
  const reconnect = (connection: Connection) => {
    const entry = catalog.data?.find((item) => item.name === connection.provider);
    if (entry) open(entry, connection);
  };
  const categories = [...new Set((catalog.data ?? []).map((entry) => entry.category))];

  return (
    <div className="space-y-8 p-6">
      <PageHeader title="Integrations" description="Connect the tools your team uses; agents act in them with integration nodes and AI tools." />
      {callback.error ? (
        <Alert>
          Connecting failed: {OAUTH_ERRORS[callback.error] ?? callback.error}{" "}
          <button type="button" className="underline" onClick={callback.dismiss}>
            Dismiss
          </button>
        </Alert>
      ) : null}
      {needsReauth.length ? (
        <Alert tone="warning">
          {needsReauth.map((c) => c.name).join(", ")} {needsReauth.length === 1 ? "needs" : "need"} to be reconnected: the provider no longer accepts the saved
          sign-in, so agents using {needsReauth.length === 1 ? "it" : "them"} fail until then.
        </Alert>
      ) : null}

      <section aria-labelledby="connections-heading" className="space-y-3">
        <h2 id="connections-heading" className="text-base font-semibold text-slate-900">
          Connected
        </h2>
        {connections.isPending ? (
          <Spinner />
        ) : connections.error ? (
          <Alert>{errorMessage(connections.error)}</Alert>
        ) : connections.data.length === 0 ? (
          <EmptyState icon={<Plug />} title="Nothing connected yet">
            {canConnect ? "Connect an integration below; its actions then appear in the builder's palette." : "An admin of the organization connects integrations."}
          </EmptyState>
        ) : (
          <ConnectionsList connections={connections.data} labels={labels} canConnect={canConnect} onReconnect={reconnect} />
        )}
      </section>

      <section aria-labelledby="catalog-heading" className="space-y-4">
        <h2 id="catalog-heading" className="text-base font-semibold text-slate-900">
          Catalog
        </h2>
        {catalog.isPending ? (
          <Spinner />
        ) : catalog.error ? (
          <Alert>{errorMessage(catalog.error)}</Alert>
        ) : (
          categories.map((category) => (
            <div key={category} className="space-y-2">
              <h3 className="text-[11px] font-semibold uppercase tracking-wide text-slate-400">{CATEGORY_LABELS[category] ?? category}</h3>
              <ul aria-label={CATEGORY_LABELS[category] ?? category} className="grid gap-3 sm:grid-cols-2 xl:grid-cols-3">
                {catalog.data
                  .filter((entry) => entry.category === category)
                  .map((entry) => (
                    <CatalogCard key={entry.name} entry={entry} canConnect={canConnect} onConnect={() => open(entry)} />
                  ))}
              </ul>
            </div>
          ))
        )}
      </section>

      {opened?.kind === "catalog" ? (
        <ConnectDialog entry={opened.entry} reconnect={opened.reconnect} onOpenChange={(next) => !next && setOpened(null)} onConnected={connected} />
      ) : null}
      <CustomApiDialog open={opened?.kind === "custom"} onOpenChange={(next) => !next && setOpened(null)} onConnected={connected} />
      <McpDialog open={opened?.kind === "mcp"} onOpenChange={(next) => !next && setOpened(null)} onConnected={connected} />
    </div>
  );
}
