/** The agent's webhook URL with a copy button and rotation behind a confirmation: on the agent page and in
 * the trigger's config panel. */
import { Copy, RefreshCw } from "lucide-react";
import { useParams } from "react-router";

import { useAgent, useRotateWebhook } from "@/api/agents";
import { errorMessage } from "@/api/http";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { ConfirmButton } from "@/components/ui/confirm";
import { toast } from "@/components/ui/feedback";
import { Input, Label } from "@/components/ui/input";
import { cn } from "@/lib/utils";

/** Trigger kinds that start runs from requests to the webhook URL. */
const WEBHOOK_KINDS = new Set(["webhook", "integration"]);

export function copyText(text: string, what: string): void {
  if (!navigator.clipboard) {
    toast(`Select the ${what} and copy it`, "info");
    return;
  }
  navigator.clipboard.writeText(text).then(
    () => toast(`${what.charAt(0).toUpperCase()}${what.slice(1)} copied`, "success"),
    () => toast(`Couldn't copy: select the ${what} and copy it`, "error"),
  );
}

/**
 * `kind`: the trigger kind being edited (the config panel); nothing is shown for kinds without a URL, and a
 * hint until the agent is published with one. Without it (the agent page) only an existing URL is shown.
 */
export function WebhookUrl({ agentId: given, kind, compact = false }: { agentId?: string; kind?: string; compact?: boolean }) {
  const params = useParams();
  const agentId = given ?? params.agentId ?? "";
  const { can } = useAuth();
  const agent = useAgent(agentId);
  const rotate = useRotateWebhook();
  if (kind !== undefined && !WEBHOOK_KINDS.has(kind)) return null;
  const url = agent.data?.webhook_url;
  if (!url) {
    if (kind === undefined || !agent.data) return null;
    return <p className="text-xs text-slate-500">The webhook URL appears here once the agent is published with this trigger.</p>;
  }
  return (
    <div className={cn(compact ? "flex items-center gap-1.5" : "space-y-1")} data-testid="webhook-url">
      <Label htmlFor={`webhook-url-${compact ? "bar" : "panel"}`} className={cn(compact && "whitespace-nowrap text-xs text-slate-500")}>
        Webhook URL
      </Label>
      <div className="flex items-center gap-1.5">
        <Input
          id={`webhook-url-${compact ? "bar" : "panel"}`}
          readOnly
          value={url}
          className={cn("font-mono text-xs", compact ? "h-8 w-80" : "min-w-0 flex-1")}
          onFocus={(e) => e.target.select()}
        />
        <Button variant="outline" size="icon" aria-label="Copy webhook URL" onClick={() => copyText(url, "webhook URL")}>
          <Copy />
        </Button>
        {can("agents:publish") ? (
          <ConfirmButton
            variant="outline"
            size="icon"
            aria-label="Rotate webhook URL"
            title="Rotate the webhook URL?"
            description="The agent gets a new URL and the current one stops working at once: every sender must switch to the new one."
            confirmLabel="Rotate URL"
            onConfirm={() =>
              rotate.mutate(agentId, {
                onSuccess: () => toast("New webhook URL ready: the old one no longer works", "success"),
                onError: (error) => toast(errorMessage(error), "error"),
              })
            }
          >
            <RefreshCw />
          </ConfirmButton>
        ) : null}
      </div>
      {compact ? null : <p className="text-xs text-slate-500">POST JSON or a form to it to start the published agent.</p>}
    </div>
  );
}
