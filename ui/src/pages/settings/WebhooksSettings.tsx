import { Copy, Webhook } from "lucide-react";
import * as React from "react";

import { errorMessage } from "@/api/http";
import {
  WEBHOOK_EVENTS,
  useCreateWebhookEndpoint,
  useDeleteWebhookEndpoint,
  useRedeliver,
  useRotateWebhookSecret,
  useSendWebhookTest,
  useUpdateWebhookEndpoint,
  useWebhookDeliveries,
  useWebhookEndpoints,
  type WebhookEndpoint,
  type WebhookEvent,
} from "@/api/webhooks";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { ConfirmButton } from "@/components/ui/confirm";
import { Dialog, DialogContent, DialogFooter } from "@/components/ui/dialog";
import { Alert, EmptyState, Spinner, toast } from "@/components/ui/feedback";
import { Field, Input } from "@/components/ui/input";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/lib/utils";

/** A signing secret, shown once: copy it now. */
function SecretOnce({ secret, onDone }: { secret: string; onDone: () => void }) {
  return (
    <div className="space-y-3">
      <Alert tone="warning">Copy this signing secret now. It is shown only once and cannot be retrieved later.</Alert>
      <Field id="webhook-secret" label="Signing secret">
        <div className="flex gap-2">
          <Input id="webhook-secret" data-testid="webhook-secret" readOnly className="font-mono" value={secret} onFocus={(e) => e.target.select()} />
          <Button
            variant="outline"
            size="icon"
            aria-label="Copy secret"
            onClick={() => {
              void navigator.clipboard?.writeText(secret);
              toast("Copied", "success");
            }}
          >
            <Copy />
          </Button>
        </div>
      </Field>
      <p className="text-sm text-slate-500">Verify deliveries with any Standard Webhooks library, e.g. Python's <code>standardwebhooks</code>.</p>
      <DialogFooter>
        <Button onClick={onDone}>I have stored it</Button>
      </DialogFooter>
    </div>
  );
}

function AddEndpointDialog() {
  const [open, setOpen] = React.useState(false);
  const [url, setUrl] = React.useState("");
  const [events, setEvents] = React.useState<WebhookEvent[]>(["execution.completed", "execution.failed"]);
  const [secret, setSecret] = React.useState<string | null>(null);
  const create = useCreateWebhookEndpoint();
  const close = (next: boolean) => {
    setOpen(next);
    if (!next) {
      setSecret(null); // dropped from memory with the dialog: shown exactly once
      setUrl("");
      create.reset();
    }
  };
  return (
    <Dialog open={open} onOpenChange={close}>
      <Button onClick={() => setOpen(true)}>
        <Webhook /> Add endpoint
      </Button>
      <DialogContent title={secret ? "Endpoint added" : "Add a webhook endpoint"}>
        {secret ? (
          <SecretOnce secret={secret} onDone={() => close(false)} />
        ) : (
          <form
            className="space-y-4"
            onSubmit={(event) => {
              event.preventDefault();
              create.mutate({ url, events, description: "" }, { onSuccess: (made) => setSecret(made.secret) });
            }}
          >
            {create.error ? <Alert>{errorMessage(create.error)}</Alert> : null}
            <Field id="webhook-url" label="URL" hint="Where AgentFlow POSTs the events (https recommended).">
              <Input id="webhook-url" type="url" required maxLength={2048} value={url} onChange={(e) => setUrl(e.target.value)} />
            </Field>
            <fieldset className="space-y-1">
              <legend className="text-sm font-medium text-slate-700">Events</legend>
              {WEBHOOK_EVENTS.map((event) => (
                <label key={event.value} className="flex items-center gap-2 text-sm">
                  <input
                    type="checkbox"
                    checked={events.includes(event.value)}
                    onChange={(e) =>
                      setEvents(e.target.checked ? [...events, event.value] : events.filter((v) => v !== event.value))
                    }
                  />
                  {event.label} <code className="text-xs text-slate-500">{event.value}</code>
                </label>
              ))}
            </fieldset>
            <DialogFooter>
              <Button type="submit" disabled={create.isPending || events.length === 0}>
                {create.isPending ? "Adding…" : "Add endpoint"}
              </Button>
            </DialogFooter>
          </form>
        )}
      </DialogContent>
    </Dialog>
  );
}

function RotateSecretButton({ endpoint }: { endpoint: WebhookEndpoint }) {
  const rotate = useRotateWebhookSecret();
  const [secret, setSecret] = React.useState<string | null>(null);
  return (
    <>
      <ConfirmButton
        variant="ghost"
        size="sm"
        title="Rotate signing secret"
        description="Deliveries are signed with the new secret at once; the receiver must switch to it."
        confirmLabel="Rotate"
        onConfirm={() =>
          rotate.mutate(endpoint.id, { onSuccess: (made) => setSecret(made.secret), onError: (e) => toast(errorMessage(e), "error") })
        }
      >
        Rotate secret
      </ConfirmButton>
      <Dialog open={secret !== null} onOpenChange={(next) => (next ? null : setSecret(null))}>
        <DialogContent title="New signing secret">{secret ? <SecretOnce secret={secret} onDone={() => setSecret(null)} /> : null}</DialogContent>
      </Dialog>
    </>
  );
}

function DeliveryLog({ endpoint, manage }: { endpoint: WebhookEndpoint; manage: boolean }) {
  const deliveries = useWebhookDeliveries(endpoint.id);
  const redeliver = useRedeliver();
  if (deliveries.isPending) return <Spinner />;
  if (deliveries.error) return <Alert>{errorMessage(deliveries.error)}</Alert>;
  if (deliveries.data.items.length === 0) return <p className="text-sm text-slate-500">No deliveries yet.</p>;
  return (
    <Table aria-label="Deliveries">
      <thead>
        <tr>
          <Th>Event</Th>
          <Th>Status</Th>
          <Th>Response</Th>
          <Th>Attempt</Th>
          <Th>Latency</Th>
          <Th>Next retry</Th>
          <Th>Created</Th>
          <Th className="w-24" />
        </tr>
      </thead>
      <tbody>
        {deliveries.data.items.map((d) => (
          <tr key={d.id}>
            <Td className="font-mono text-xs">{d.event}</Td>
            <Td title={d.error ?? undefined}>{d.status}</Td>
            <Td>{d.response_status ?? "—"}</Td>
            <Td>{d.attempt}</Td>
            <Td>{d.latency_ms != null ? `${d.latency_ms} ms` : "—"}</Td>
            <Td>{d.next_retry_at ? formatDateTime(d.next_retry_at) : "—"}</Td>
            <Td>{formatDateTime(d.created_at)}</Td>
            <Td>
              {manage ? (
                <Button
                  variant="ghost"
                  size="sm"
                  onClick={() =>
                    redeliver.mutate(
                      { endpointId: endpoint.id, deliveryId: d.id },
                      { onSuccess: () => toast("Redelivery queued", "success"), onError: (e) => toast(errorMessage(e), "error") },
                    )
                  }
                >
                  Redeliver
                </Button>
              ) : null}
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

function EndpointRow({ endpoint, manage, open, onOpen }: { endpoint: WebhookEndpoint; manage: boolean; open: boolean; onOpen: () => void }) {
  const test = useSendWebhookTest();
  const update = useUpdateWebhookEndpoint();
  const remove = useDeleteWebhookEndpoint();
  return (
    <>
      <tr>
        <Td className="max-w-xs truncate font-mono text-xs" title={endpoint.url}>{endpoint.url}</Td>
        <Td className="text-xs">{endpoint.events.join(", ")}</Td>
        <Td title={endpoint.disabled_reason ?? undefined}>{endpoint.enabled ? "enabled" : "disabled"}</Td>
        <Td className="space-x-1 whitespace-nowrap">
          <Button variant="ghost" size="sm" onClick={onOpen}>{open ? "Hide log" : "Delivery log"}</Button>
          {manage ? (
            <>
              <Button
                variant="ghost"
                size="sm"
                onClick={() =>
                  test.mutate(endpoint.id, {
                    onSuccess: () => {
                      toast("Test event queued", "success");
                      if (!open) onOpen();
                    },
                    onError: (e) => toast(errorMessage(e), "error"),
                  })
                }
              >
                Send test
              </Button>
              <Button
                variant="ghost"
                size="sm"
                onClick={() => update.mutate({ id: endpoint.id, body: { enabled: !endpoint.enabled } }, { onError: (e) => toast(errorMessage(e), "error") })}
              >
                {endpoint.enabled ? "Disable" : "Enable"}
              </Button>
              <RotateSecretButton endpoint={endpoint} />
              <ConfirmButton
                variant="ghost"
                size="sm"
                className="text-red-600"
                title="Delete webhook endpoint"
                description="Nothing more is sent to it; its delivery log and secret are deleted."
                confirmLabel="Delete"
                onConfirm={() => remove.mutate(endpoint.id, { onError: (e) => toast(errorMessage(e), "error") })}
              >
                Delete
              </ConfirmButton>
            </>
          ) : null}
        </Td>
      </tr>
      {open ? (
        <tr>
          <Td colSpan={4}>
            <DeliveryLog endpoint={endpoint} manage={manage} />
          </Td>
        </tr>
      ) : null}
    </>
  );
}

export function WebhooksSettings() {
  const { can } = useAuth();
  const endpoints = useWebhookEndpoints(can("webhooks:read"));
  const [openId, setOpenId] = React.useState<string | null>(null);
  if (!can("webhooks:read")) {
    return <Alert tone="info">Only owners and admins manage webhooks.</Alert>;
  }
  const manage = can("webhooks:manage");
  return (
    <section className="space-y-3">
      <div className="flex items-center justify-between">
        <div>
          <h2 className="text-base font-semibold text-slate-900">Webhooks</h2>
          <p className="text-sm text-slate-500">AgentFlow POSTs signed events (Standard Webhooks) to these endpoints and retries failures for about a day.</p>
        </div>
        {manage ? <AddEndpointDialog /> : null}
      </div>
      {endpoints.isPending ? <Spinner /> : endpoints.error ? <Alert>{errorMessage(endpoints.error)}</Alert> : endpoints.data.items.length === 0 ? (
        <EmptyState icon={<Webhook />} title="No webhook endpoints yet">Add one to hear about finished runs and published agents.</EmptyState>
      ) : (
        <Table aria-label="Webhook endpoints">
          <thead>
            <tr>
              <Th>URL</Th>
              <Th>Events</Th>
              <Th>State</Th>
              <Th />
            </tr>
          </thead>
          <tbody>
            {endpoints.data.items.map((endpoint) => (
              <EndpointRow
                key={endpoint.id}
                endpoint={endpoint}
                manage={manage}
                open={openId === endpoint.id}
                onOpen={() => setOpenId(openId === endpoint.id ? null : endpoint.id)}
              />
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}
