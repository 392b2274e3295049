import { Copy, KeyRound } from "lucide-react";
import * as React from "react";

import { errorMessage } from "@/api/http";
import { useApiKeys, useCreateApiKey, useRevokeApiKey, useRoles, type ApiKey, type ApiKeyCreated } from "@/api/org";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { ConfirmButton } from "@/components/ui/confirm";
import { Dialog, DialogContent, DialogFooter } from "@/components/ui/dialog";
import { Alert, EmptyState, Spinner, toast } from "@/components/ui/feedback";
import { Field, Input, NativeSelect } from "@/components/ui/input";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime, timeAgo } from "@/lib/utils";

/** A key carries all of its creator's permissions, or a role's (a custom role's later edits included). */
function RoleSelect({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const { can } = useAuth();
  const roles = useRoles(can("members:read"));
  const items = roles.data?.items ?? [];
  const builtin = items.filter((r) => r.builtin);
  const custom = items.filter((r) => !r.builtin);
  return (
    <NativeSelect id="key-role" value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">All of my permissions</option>
      {builtin.length ? (
        <optgroup label="Built-in roles">
          {builtin.map((r) => (
            <option key={r.name} value={r.name}>{r.name}</option>
          ))}
        </optgroup>
      ) : null}
      {custom.length ? (
        <optgroup label="Custom roles">
          {custom.map((r) => (
            <option key={r.id ?? r.name} value={r.name} title={r.description}>{r.name}</option>
          ))}
        </optgroup>
      ) : null}
    </NativeSelect>
  );
}

function access(key: ApiKey): string {
  if (key.role) return `role: ${key.role}`;
  return `${key.scopes.length} ${key.scopes.length === 1 ? "permission" : "permissions"}`;
}

function CreateKeyDialog() {
  const [open, setOpen] = React.useState(false);
  const [name, setName] = React.useState("");
  const [days, setDays] = React.useState("");
  const [role, setRole] = React.useState("");
  const [rate, setRate] = React.useState("");
  const [created, setCreated] = React.useState<ApiKeyCreated | null>(null);
  const create = useCreateApiKey();
  const close = (next: boolean) => {
    setOpen(next);
    if (!next) {
      // The key is dropped from memory when the dialog closes: it is shown exactly once.
      setCreated(null);
      setName("");
      setDays("");
      setRole("");
      setRate("");
      create.reset();
    }
  };
  return (
    <Dialog open={open} onOpenChange={close}>
      <Button onClick={() => setOpen(true)}>
        <KeyRound /> Create API key
      </Button>
      <DialogContent title={created ? "Your new API key" : "Create an API key"}>
        {created ? (
          <div className="space-y-3">
            <Alert tone="warning">Copy this key now. It is shown only once and cannot be retrieved later.</Alert>
            <Field id="new-key" label={created.name}>
              <div className="flex gap-2">
                <Input id="new-key" data-testid="new-api-key" readOnly className="font-mono" value={created.key} onFocus={(e) => e.target.select()} />
                <Button
                  variant="outline"
                  size="icon"
                  aria-label="Copy key"
                  onClick={() => {
                    void navigator.clipboard?.writeText(created.key);
                    toast("Copied", "success");
                  }}
                >
                  <Copy />
                </Button>
              </div>
            </Field>
            <DialogFooter>
              <Button onClick={() => close(false)}>I have stored it</Button>
            </DialogFooter>
          </div>
        ) : (
          <form
            className="space-y-4"
            onSubmit={(event) => {
              event.preventDefault();
              create.mutate(
                {
                  name,
                  expires_in_days: days ? Number(days) : null,
                  ...(role ? { role } : {}),
                  ...(rate ? { rate_limit_per_minute: Number(rate) } : {}),
                },
                { onSuccess: setCreated },
              );
            }}
          >
            {create.error ? <Alert>{errorMessage(create.error)}</Alert> : null}
            <Field id="key-name" label="Name" hint="What uses it, e.g. “CI pipeline”.">
              <Input id="key-name" required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} />
            </Field>
            <Field id="key-days" label="Expires after (days)" hint="Leave empty for a key that does not expire.">
              <Input id="key-days" type="number" min={1} max={3650} value={days} onChange={(e) => setDays(e.target.value)} />
            </Field>
            <Field id="key-role" label="Permissions" hint="Never more than yours. A custom role's later changes apply to the key too.">
              <RoleSelect value={role} onChange={setRole} />
            </Field>
            <Field id="key-rate-limit" label="Rate limit per minute" hint="Optional: requests per minute this key may make. Empty: only the organization's limit applies.">
              <Input id="key-rate-limit" type="number" min={1} max={1_000_000} value={rate} onChange={(e) => setRate(e.target.value)} />
            </Field>
            <DialogFooter>
              <Button type="submit" disabled={create.isPending}>
                {create.isPending ? "Creating…" : "Create key"}
              </Button>
            </DialogFooter>
          </form>
        )}
      </DialogContent>
    </Dialog>
  );
}

export function ApiKeysSettings() {
  const { can } = useAuth();
  const keys = useApiKeys(can("api_keys:read"));
  const revoke = useRevokeApiKey();
  if (!can("api_keys:read")) {
    return <Alert tone="info">Only owners and admins manage API keys.</Alert>;
  }
  return (
    <section className="space-y-3">
      <div className="flex items-center justify-between">
        <div>
          <h2 className="text-base font-semibold text-slate-900">API keys</h2>
          <p className="text-sm text-slate-500">Keys call the API as this organization, never with more than their creator's role.</p>
        </div>
        {can("api_keys:write") ? <CreateKeyDialog /> : null}
      </div>
      {keys.isPending ? <Spinner /> : keys.error ? <Alert>{errorMessage(keys.error)}</Alert> : keys.data.items.length === 0 ? (
        <EmptyState icon={<KeyRound />} title="No API keys yet">Create one to call the API from scripts and CI.</EmptyState>
      ) : (
        <Table aria-label="API keys">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Key</Th>
              <Th>Access</Th>
              <Th>Rate limit</Th>
              <Th>Created</Th>
              <Th>Last used</Th>
              <Th>Expires</Th>
              <Th className="w-24" />
            </tr>
          </thead>
          <tbody>
            {keys.data.items.map((key) => (
              <tr key={key.id}>
                <Td className="font-medium">{key.name}</Td>
                <Td className="font-mono text-xs">{key.prefix}…</Td>
                <Td className="text-xs">{access(key)}</Td>
                <Td className="text-xs">{key.rate_limit_per_minute ? `${key.rate_limit_per_minute}/min` : "org limit"}</Td>
                <Td>{formatDateTime(key.created_at)}</Td>
                <Td>{timeAgo(key.last_used_at)}</Td>
                <Td>{key.expires_at ? formatDateTime(key.expires_at) : "never"}</Td>
                <Td>
                  {can("api_keys:write") ? (
                    <ConfirmButton
                      variant="ghost"
                      size="sm"
                      className="text-red-600"
                      title="Revoke API key"
                      description={`Anything using “${key.name}” gets 401 from now on.`}
                      confirmLabel="Revoke"
                      onConfirm={() => revoke.mutate(key.id, { onError: (e) => toast(errorMessage(e), "error") })}
                    >
                      Revoke
                    </ConfirmButton>
                  ) : null}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}
