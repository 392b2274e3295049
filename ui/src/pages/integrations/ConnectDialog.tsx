/**
 * Connect a catalog integration: OAuth sends the browser to the provider (the callback comes back to
 * /integrations); token and API-key auth fill the provider's credential and config fields.
 */
import * as React from "react";

import { errorMessage } from "@/api/http";
import { useConnect, type CatalogEntry, type CatalogField, type Connection } from "@/api/integrations";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogFooter } from "@/components/ui/dialog";
import { Alert } from "@/components/ui/feedback";
import { Field, Input, NativeSelect } from "@/components/ui/input";

const AUTH_LABELS: Record<string, string> = { oauth2: "Sign in with OAuth", token: "Access token", api_key: "API key", basic: "Username and password", none: "No authentication" };

/** Where the OAuth callback returns: this page, which shows the new connection or the error. */
export const OAUTH_RETURN = "/integrations";

/** Leaves the app for the provider's consent page; a full redirect keeps the flow in one tab. */
export const goTo = (url: string) => window.location.assign(url);

function Fields({ prefix, fields, values, onChange }: { prefix: string; fields: CatalogField[]; values: Record<string, string>; onChange: (values: Record<string, string>) => void }) {
  return (
    <>
      {fields.map((field) => {
        const id = `${prefix}-${field.name}`;
        return (
          <Field key={field.name} id={id} label={<>{field.label}{field.required ? <span className="text-red-600"> *</span> : null}</>} hint={field.description || undefined}>
            <Input
              id={id}
              type={field.secret ? "password" : "text"}
              autoComplete="off"
              required={field.required}
              maxLength={8000}
              value={values[field.name] ?? ""}
              onChange={(e) => onChange({ ...values, [field.name]: e.target.value })}
            />
          </Field>
        );
      })}
    </>
  );
}

const filled = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).filter(([, value]) => value.trim() !== ""));

export function ConnectDialog({
  entry,
  reconnect,
  onOpenChange,
  onConnected,
}: {
  entry: CatalogEntry;
  /** Reconnect this connection (OAuth) instead of adding one. */
  reconnect?: Connection;
  onOpenChange: (open: boolean) => void;
  onConnected: (connection: Connection) => void;
}) {
  const kinds = entry.auth_kinds.length ? entry.auth_kinds : ["none"];
  const [kind, setKind] = React.useState(reconnect?.auth_kind ?? kinds[0] ?? "none");
  const [name, setName] = React.useState(reconnect?.name ?? entry.label);
  const [credentials, setCredentials] = React.useState<Record<string, string>>({});
  const [config, setConfig] = React.useState<Record<string, string>>({});
  const connect = useConnect();
  const oauth = kind === "oauth2";
  const oauthMissing = oauth && !entry.oauth_configured;

  const submit = () =>
    connect.mutate(
      {
        provider: entry.name,
        body: oauth
          ? { name, auth: "oauth2", redirect_to: OAUTH_RETURN, ...(reconnect ? { connection_id: reconnect.id } : {}), ...(Object.keys(filled(config)).length ? { config: filled(config) } : {}) }
          : { name, auth: kind as "token", credentials: filled(credentials), config: filled(config) },
      },
      { onSuccess: (answer) => (answer.kind === "authorize" ? goTo(answer.url) : onConnected(answer.connection)) },
    );

  return (
    <Dialog open onOpenChange={(next) => onOpenChange(next)}>
      <DialogContent title={`${reconnect ? "Reconnect" : "Connect"} ${entry.label}`} description={entry.description}>
        <form className="space-y-4" onSubmit={(event) => { event.preventDefault(); submit(); }}>
          {connect.error ? <Alert>{errorMessage(connect.error)}</Alert> : null}
          {kinds.length > 1 && !reconnect ? (
            <Field id="connect-kind" label="Authentication">
              <NativeSelect id="connect-kind" value={kind} onChange={(e) => setKind(e.target.value)}>
                {kinds.map((option) => (
                  <option key={option} value={option}>
                    {AUTH_LABELS[option] ?? option}
                  </option>
                ))}
              </NativeSelect>
            </Field>
          ) : null}
          <Field id="connect-name" label="Connection name" hint="Tells several connections of one integration apart.">
            <Input id="connect-name" required maxLength={120} value={name} disabled={Boolean(reconnect)} onChange={(e) => setName(e.target.value)} />
          </Field>
          {oauth ? (
            oauthMissing ? (
              <Alert tone="warning">
                {entry.label} sign-in is not set up on this server: an operator must configure its OAuth app (client id and secret). Until then,
                {kinds.some((k) => k !== "oauth2") ? " connect with a token instead." : " it cannot be connected."}
              </Alert>
            ) : (
              <p className="text-sm text-slate-600">
                You will be sent to {entry.label} to grant access{entry.scopes.length ? ` (${entry.scopes.join(", ")})` : ""}, then brought back here.
              </p>
            )
          ) : (
            <Fields prefix="credential" fields={entry.credential_fields} values={credentials} onChange={setCredentials} />
          )}
          <Fields prefix="config" fields={entry.config_fields} values={config} onChange={setConfig} />
          <DialogFooter>
            <Button type="submit" disabled={connect.isPending || oauthMissing}>
              {connect.isPending ? "Connecting…" : oauth ? `Continue to ${entry.label}` : "Connect"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
