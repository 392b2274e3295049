/** The organization's connections: status, account, scopes, connected date; Test, Reconnect and Disconnect. */
import { CheckCircle2, RefreshCw, Trash2, XCircle } from "lucide-react";
import * as React from "react";

import { errorMessage } from "@/api/http";
import { useDisconnect, useTestConnection, type Connection, type ConnectionTestResult } from "@/api/integrations";
import { Badge, type BadgeTone } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmButton } from "@/components/ui/confirm";
import { toast } from "@/components/ui/feedback";
import { formatDateTime } from "@/lib/utils";

const STATUS: Record<string, { tone: BadgeTone; label: string }> = {
  active: { tone: "green", label: "active" },
  needs_reauth: { tone: "amber", label: "needs reconnect" },
  error: { tone: "red", label: "error" },
};

function TestOutcome({ result }: { result: ConnectionTestResult }) {
  return result.ok ? (
    <p role="status" className="flex items-center gap-1 text-xs text-emerald-700">
      <CheckCircle2 className="size-3.5" /> Connection works{result.connection.account ? ` (as ${result.connection.account})` : ""}.
    </p>
  ) : (
    <p role="alert" className="flex items-center gap-1 text-xs text-red-700">
      <XCircle className="size-3.5" /> {result.error ?? "The test failed."}
    </p>
  );
}

function ConnectionRow({ connection, label, canConnect, onReconnect }: { connection: Connection; label: string; canConnect: boolean; onReconnect: (connection: Connection) => void }) {
  const test = useTestConnection();
  const disconnect = useDisconnect();
  const [result, setResult] = React.useState<ConnectionTestResult | null>(null);
  const status = STATUS[connection.status] ?? { tone: "neutral" as const, label: connection.status };
  return (
    <li className="flex flex-wrap items-start gap-3 rounded-lg border border-slate-200 bg-white p-4" data-testid={`connection-${connection.id}`}>
      <div className="min-w-0 flex-1 space-y-1">
        <div className="flex flex-wrap items-center gap-2">
          <span className="font-medium text-slate-900">{connection.name}</span>
          <span className="text-xs text-slate-500">{label}</span>
          <Badge tone={status.tone} data-status={connection.status}>
            {status.label}
          </Badge>
        </div>
        <dl className="flex flex-wrap gap-x-4 gap-y-0.5 text-xs text-slate-500">
          {connection.account ? (
            <div>
              <dt className="inline">Account: </dt>
              <dd className="inline text-slate-700">{connection.account}</dd>
            </div>
          ) : null}
          <div>
            <dt className="inline">Connected: </dt>
            <dd className="inline">{formatDateTime(connection.connected_at)}</dd>
          </div>
          <div>
            <dt className="inline">Actions: </dt>
            <dd className="inline">{connection.actions?.length ?? 0}</dd>
          </div>
          {connection.scopes.length ? (
            <div>
              <dt className="inline">Scopes: </dt>
              <dd className="inline font-mono">{connection.scopes.join(" ")}</dd>
            </div>
          ) : null}
        </dl>
        {connection.last_error && connection.status !== "active" ? <p className="text-xs text-red-700">{connection.last_error}</p> : null}
        {result ? <TestOutcome result={result} /> : null}
      </div>
      <div className="flex items-center gap-2">
        {connection.status === "needs_reauth" && canConnect ? (
          <Button size="sm" onClick={() => onReconnect(connection)}>
            <RefreshCw /> Reconnect
          </Button>
        ) : null}
        <Button
          size="sm"
          variant="outline"
          disabled={test.isPending}
          onClick={() =>
            test.mutate(connection.id, {
              onSuccess: setResult,
              onError: (error) => toast(errorMessage(error), "error"),
            })
          }
        >
          {test.isPending ? "Testing…" : "Test"}
        </Button>
        {canConnect ? (
          <ConfirmButton
            size="sm"
            variant="ghost"
            aria-label={`Disconnect ${connection.name}`}
            title={`Disconnect ${connection.name}?`}
            description="Its credentials are deleted (and revoked at the provider where it allows). Agents that use this connection fail until you pick another."
            confirmLabel="Disconnect"
            onConfirm={() =>
              disconnect.mutate(connection.id, {
                onSuccess: () => toast(`${connection.name} disconnected`, "success"),
                onError: (error) => toast(errorMessage(error), "error"),
              })
            }
          >
            <Trash2 />
          </ConfirmButton>
        ) : null}
      </div>
    </li>
  );
}

export function ConnectionsList({
  connections,
  labels,
  canConnect,
  onReconnect,
}: {
  connections: Connection[];
  labels: Record<string, string>;
  canConnect: boolean;
  onReconnect: (connection: Connection) => void;
}) {
  return (
    <ul aria-label="Connected integrations" className="space-y-2">
      {connections.map((connection) => (
        <ConnectionRow key={connection.id} connection={connection} label={labels[connection.provider] ?? connection.provider} canConnect={canConnect} onReconnect={onReconnect} />
      ))}
    </ul>
  );
}
