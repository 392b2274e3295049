/** Connect an MCP server (streamable HTTP): its tools become actions and AI tools. */
import * as React from "react";

import { errorMessage } from "@/api/http";
import { MCP, useConnect, type Connection } from "@/api/integrations";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogFooter } from "@/components/ui/dialog";
import { Alert } from "@/components/ui/feedback";
import { Field, Input } from "@/components/ui/input";
import { PairRows, pairsToObject, type Pair } from "@/pages/integrations/formParts";

export function McpDialog({ open, onOpenChange, onConnected }: { open: boolean; onOpenChange: (open: boolean) => void; onConnected: (connection: Connection) => void }) {
  const [name, setName] = React.useState("");
  const [url, setUrl] = React.useState("");
  const [headers, setHeaders] = React.useState<Pair[]>([]);
  const connect = useConnect();
  return (
    <Dialog open={open} onOpenChange={(next) => { onOpenChange(next); if (!next) connect.reset(); }}>
      <DialogContent title="Connect an MCP server" description="A Model Context Protocol server over streamable HTTP; AgentFlow lists its tools when connecting.">
        <form
          className="space-y-4"
          onSubmit={(event) => {
            event.preventDefault();
            connect.mutate(
              { provider: MCP, body: { name: name.trim(), config: { url: url.trim(), headers: pairsToObject(headers) } } },
              { onSuccess: (answer) => answer.kind === "connected" && onConnected(answer.connection) },
            );
          }}
        >
          {connect.error ? <Alert>{errorMessage(connect.error)}</Alert> : null}
          <Field id="mcp-name" label="Name">
            <Input id="mcp-name" required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field id="mcp-url" label="Server URL" hint="The streamable HTTP endpoint, e.g. https://mcp.example.com/mcp.">
            <Input id="mcp-url" type="url" required maxLength={2048} value={url} onChange={(e) => setUrl(e.target.value)} />
          </Field>
          <div className="space-y-1">
            <div className="text-sm font-medium text-slate-700">Headers</div>
            <p className="text-xs text-slate-500">Put credentials in an org secret and reference it: {"Authorization: Bearer {{env.MCP_TOKEN}}"}.</p>
            <PairRows id="mcp-headers" pairs={headers} onChange={setHeaders} keyLabel="Header" valueLabel="Header value" valuePlaceholder="{{env.SECRET_NAME}}" />
          </div>
          <DialogFooter>
            <Button type="submit" disabled={connect.isPending}>
              {connect.isPending ? "Connecting…" : "Connect"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
