/** Connect any HTTP API: base URL, auth from an org secret, default headers, and hand-made or imported actions. */
import * as React from "react";

import { errorMessage } from "@/api/http";
import { CUSTOM_API, useConnect, type Connection } from "@/api/integrations";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogFooter } from "@/components/ui/dialog";
import { Alert } from "@/components/ui/feedback";
import { Field, Input, NativeSelect } from "@/components/ui/input";
import { actionsToConfig, emptyAction, HandActions, OpenApiImport, type HandAction } from "@/pages/integrations/CustomApiActions";
import { PairRows, pairsToObject, SecretSelect, type Pair } from "@/pages/integrations/formParts";
import { goTo } from "@/pages/integrations/ConnectDialog";
import { previewOpenApi } from "@/pages/integrations/openapi";

const AUTH_TYPES = { none: "None", bearer: "Bearer token", basic: "Basic (username + password)", api_key: "API key", oauth2: "OAuth 2" } as const;
type AuthType = keyof typeof AUTH_TYPES;

interface AuthState {
  type: AuthType;
  secret: string;
  username: string;
  header: string;
  in: "header" | "query";
  param: string;
  tokenUrl: string;
  authorizeUrl: string;
  clientId: string;
  grant: "client_credentials" | "authorization_code";
  scopes: string;
}

const INITIAL_AUTH: AuthState = {
  type: "none",
  secret: "",
  username: "",
  header: "",
  in: "header",
  param: "",
  tokenUrl: "",
  authorizeUrl: "",
  clientId: "",
  grant: "client_credentials",
  scopes: "",
};

/** Only the fields the chosen auth type reads: the API refuses unknown ones. */
function authConfig(auth: AuthState) {
  if (auth.type === "none") return { type: "none" };
  const base = { type: auth.type, secret: auth.secret };
  switch (auth.type) {
    case "basic":
      return { ...base, username: auth.username };
    case "api_key":
      return auth.in === "header"
        ? { ...base, in: "header", ...(auth.header.trim() ? { header: auth.header.trim() } : {}) }
        : { ...base, in: "query", ...(auth.param.trim() ? { name: auth.param.trim() } : {}) };
    case "oauth2":
      return {
        ...base,
        grant: auth.grant,
        token_url: auth.tokenUrl.trim(),
        client_id: auth.clientId.trim(),
        scopes: auth.scopes.split(/[\s,]+/).filter(Boolean),
        ...(auth.grant === "authorization_code" ? { authorize_url: auth.authorizeUrl.trim() } : {}),
      };
    default:
      return base;
  }
}

function AuthFields({ auth, onChange }: { auth: AuthState; onChange: (auth: AuthState) => void }) {
  const set = (patch: Partial<AuthState>) => onChange({ ...auth, ...patch });
  return (
    <fieldset className="space-y-3 rounded-md border border-slate-200 p-3">
      <legend className="px-1 text-sm font-medium text-slate-700">Authentication</legend>
      <Field id="custom-auth-type" label="Type">
        <NativeSelect id="custom-auth-type" value={auth.type} onChange={(e) => set({ type: e.target.value as AuthType })}>
          {Object.entries(AUTH_TYPES).map(([value, label]) => (
            <option key={value} value={value}>
              {label}
            </option>
          ))}
        </NativeSelect>
      </Field>
      {auth.type === "none" ? null : (
        <Field
          id="custom-auth-secret"
          label={auth.type === "oauth2" ? "Client secret (org secret)" : auth.type === "basic" ? "Password (org secret)" : "Token (org secret)"}
          hint="Read from Vault for each request; the connection keeps only its name."
        >
          <SecretSelect id="custom-auth-secret" required value={auth.secret} onChange={(secret) => set({ secret })} />
        </Field>
      )}
      {auth.type === "basic" ? (
        <Field id="custom-auth-username" label="Username">
          <Input id="custom-auth-username" required maxLength={256} value={auth.username} onChange={(e) => set({ username: e.target.value })} />
        </Field>
      ) : null}
      {auth.type === "api_key" ? (
        <div className="grid grid-cols-[8rem_1fr] gap-2">
          <Field id="custom-auth-in" label="Sent in">
            <NativeSelect id="custom-auth-in" value={auth.in} onChange={(e) => set({ in: e.target.value as AuthState["in"] })}>
              <option value="header">Header</option>
              <option value="query">Query</option>
            </NativeSelect>
          </Field>
          {auth.in === "header" ? (
            <Field id="custom-auth-header" label="Header name">
              <Input id="custom-auth-header" placeholder="X-API-Key" className="font-mono text-xs" value={auth.header} onChange={(e) => set({ header: e.target.value })} />
            </Field>
          ) : (
            <Field id="custom-auth-param" label="Query parameter">
              <Input id="custom-auth-param" placeholder="api_key" className="font-mono text-xs" value={auth.param} onChange={(e) => set({ param: e.target.value })} />
            </Field>
          )}
        </div>
      ) : null}
      {auth.type === "oauth2" ? (
        <>
          <Field id="custom-auth-grant" label="Grant">
            <NativeSelect id="custom-auth-grant" value={auth.grant} onChange={(e) => set({ grant: e.target.value as AuthState["grant"] })}>
              <option value="client_credentials">Client credentials</option>
              <option value="authorization_code">Authorization code</option>
            </NativeSelect>
          </Field>
          <Field id="custom-auth-client-id" label="Client id">
            <Input id="custom-auth-client-id" required value={auth.clientId} onChange={(e) => set({ clientId: e.target.value })} />
          </Field>
          <Field id="custom-auth-token-url" label="Token URL">
            <Input id="custom-auth-token-url" type="url" required value={auth.tokenUrl} onChange={(e) => set({ tokenUrl: e.target.value })} />
          </Field>
          {auth.grant === "authorization_code" ? (
            <Field id="custom-auth-authorize-url" label="Authorize URL">
              <Input id="custom-auth-authorize-url" type="url" required value={auth.authorizeUrl} onChange={(e) => set({ authorizeUrl: e.target.value })} />
            </Field>
          ) : null}
          <Field id="custom-auth-scopes" label="Scopes" hint="Space or comma separated.">
            <Input id="custom-auth-scopes" value={auth.scopes} onChange={(e) => set({ scopes: e.target.value })} />
          </Field>
        </>
      ) : null}
    </fieldset>
  );
}

export function CustomApiDialog({ open, onOpenChange, onConnected }: { open: boolean; onOpenChange: (open: boolean) => void; onConnected: (connection: Connection) => void }) {
  const [name, setName] = React.useState("");
  const [baseUrl, setBaseUrl] = React.useState("");
  const [auth, setAuth] = React.useState<AuthState>(INITIAL_AUTH);
  const [headers, setHeaders] = React.useState<Pair[]>([]);
  const [source, setSource] = React.useState<"hand" | "openapi">("hand");
  const [actions, setActions] = React.useState<HandAction[]>([emptyAction()]);
  const [openapi, setOpenapi] = React.useState("");
  const connect = useConnect();
  const preview = source === "openapi" && openapi.trim() ? previewOpenApi(openapi) : null;
  const blocked = source === "openapi" && !preview?.ok;

  const submit = () => {
    const config = {
      ...(baseUrl.trim() ? { base_url: baseUrl.trim() } : {}),
      auth: authConfig(auth),
      headers: pairsToObject(headers),
      ...(source === "openapi" && preview?.ok ? { openapi: preview.document } : { actions: actionsToConfig(actions) }),
    };
    connect.mutate(
      { provider: CUSTOM_API, body: { name: name.trim(), config } },
      {
        // The authorization-code grant: the API answers with the API's authorize URL; its callback brings the
        // browser back to Integrations with the new connection.
        onSuccess: (answer) => (answer.kind === "connected" ? onConnected(answer.connection) : goTo(answer.url)),
      },
    );
  };

  return (
    <Dialog open={open} onOpenChange={(next) => { onOpenChange(next); if (!next) connect.reset(); }}>
      <DialogContent title="Connect a custom API" description="Any HTTP API: agents call its actions like any other integration." className="w-[min(44rem,calc(100vw-2rem))]">
        <form className="space-y-4" onSubmit={(event) => { event.preventDefault(); submit(); }}>
          {connect.error ? <Alert>{errorMessage(connect.error)}</Alert> : null}
          <Field id="custom-name" label="Name">
            <Input id="custom-name" required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field id="custom-base-url" label="Base URL" hint={source === "openapi" ? "Empty: the document's first server URL." : "Paths of the actions are appended to it."}>
            <Input id="custom-base-url" type="url" required={source === "hand" || (preview?.ok === true && !preview.serverUrl)} placeholder="https://api.example.com/v1" value={baseUrl} onChange={(e) => setBaseUrl(e.target.value)} />
          </Field>
          <AuthFields auth={auth} onChange={setAuth} />
          <div className="space-y-1">
            <div className="text-sm font-medium text-slate-700">Default headers</div>
            <p className="text-xs text-slate-500">Sent with every request. A value may use an org secret as {"{{env.NAME}}"}.</p>
            <PairRows id="custom-headers" pairs={headers} onChange={setHeaders} keyLabel="Header" valueLabel="Header value" />
          </div>
          <div role="radiogroup" aria-label="Actions" className="flex gap-4 text-sm">
            <label className="flex items-center gap-1.5">
              <input type="radio" name="custom-source" checked={source === "hand"} onChange={() => setSource("hand")} /> Define actions
            </label>
            <label className="flex items-center gap-1.5">
              <input type="radio" name="custom-source" checked={source === "openapi"} onChange={() => setSource("openapi")} /> Import OpenAPI
            </label>
          </div>
          {source === "hand" ? <HandActions actions={actions} onChange={setActions} /> : <OpenApiImport text={openapi} onChange={setOpenapi} />}
          <DialogFooter>
            <Button type="submit" disabled={connect.isPending || blocked}>
              {connect.isPending ? "Connecting…" : "Connect"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
