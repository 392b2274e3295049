/** Organization settings → the IP allowlist and how long executions are kept. */
import * as React from "react";

import { ApiError, errorMessage } from "@/api/http";
import { useOrg, useUpdateOrg, type Org } from "@/api/org";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert, Spinner, toast } from "@/components/ui/feedback";
import { Field, NativeSelect, Textarea } from "@/components/ui/input";
import { formatDateTime } from "@/lib/utils";

const MAX_ENTRIES = 200; // the API's bound

function listOf(value: unknown): string[] {
  return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function entriesOf(text: string): string[] {
  return text.split(/[\s,]+/).map((entry) => entry.trim()).filter(Boolean);
}

/** The caller's address from a 409 `would_lock_out`, so it can be added in one click. */
function lockoutAddress(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.code !== "would_lock_out") return null;
  const ip = (error.details as { your_ip?: unknown } | null)?.your_ip;
  return typeof ip === "string" ? ip : null;
}

function IpAllowlistForm({ org, editable }: { org: Org; editable: boolean }) {
  const saved = listOf(org.settings.ip_allowlist);
  const [text, setText] = React.useState(saved.join("\n"));
  const update = useUpdateOrg();
  const entries = entriesOf(text);
  const yourIp = lockoutAddress(update.error);
  const tooMany = entries.length > MAX_ENTRIES;
  return (
    <form
      className="max-w-md space-y-4"
      onSubmit={(event) => {
        event.preventDefault();
        // Empty means from anywhere: the key is removed rather than saved as an empty list.
        update.mutate(
          { settings: { ip_allowlist: entries.length ? entries : null } },
          { onSuccess: () => toast("IP allowlist saved", "success") },
        );
      }}
    >
      {update.error ? (
        <Alert>
          <p>{errorMessage(update.error)}</p>
          {yourIp ? (
            <Button
              variant="outline"
              size="sm"
              className="mt-2"
              onClick={() => {
                setText(entries.concat(yourIp).join("\n"));
                update.reset();
              }}
            >
              Add my address ({yourIp})
            </Button>
          ) : null}
        </Alert>
      ) : null}
      <Field
        id="ip-allowlist"
        label="Allowed addresses"
        error={tooMany ? `At most ${MAX_ENTRIES} entries.` : null}
        hint="One IPv4 or IPv6 address or CIDR range (e.g. 203.0.113.0/24) per line. Requests from anywhere else are refused. Empty: from anywhere."
      >
        <Textarea
          id="ip-allowlist"
          className="font-mono"
          rows={5}
          disabled={!editable}
          value={text}
          aria-invalid={tooMany}
          onChange={(e) => setText(e.target.value)}
        />
      </Field>
      <p className="text-sm text-slate-500">
        {saved.length ? `In force: ${saved.length} ${saved.length === 1 ? "entry" : "entries"}.` : "Not restricted: the organization can be used from anywhere."}
      </p>
      {editable ? (
        <Button type="submit" disabled={update.isPending || tooMany || entries.join("\n") === saved.join("\n")}>
          {update.isPending ? "Saving…" : "Save allowlist"}
        </Button>
      ) : null}
    </form>
  );
}

const RETENTION: { value: string; label: string }[] = [
  { value: "30", label: "30 days" },
  { value: "90", label: "90 days" },
  { value: "365", label: "1 year" },
  { value: "unlimited", label: "Unlimited (keep forever)" },
];

function RetentionForm({ org, editable }: { org: Org; editable: boolean }) {
  const days = org.settings.retention_days;
  const saved = typeof days === "number" ? String(days) : "unlimited";
  const [value, setValue] = React.useState(saved);
  const update = useUpdateOrg();
  return (
    <form
      className="max-w-md space-y-4"
      onSubmit={(event) => {
        event.preventDefault();
        const retention_days = value === "unlimited" ? null : (Number(value) as 30 | 90 | 365);
        update.mutate({ settings: { retention_days } }, { onSuccess: () => toast("Retention saved", "success") });
      }}
    >
      {update.error ? <Alert>{errorMessage(update.error)}</Alert> : null}
      <Field
        id="retention-days"
        label="Keep executions for"
        hint="Older executions are deleted every day with their steps, logs and events. A new or shorter period first deletes a week after it is saved; the owners are told at once."
      >
        <NativeSelect id="retention-days" disabled={!editable} value={value} onChange={(e) => setValue(e.target.value)}>
          {RETENTION.map((option) => (
            <option key={option.value} value={option.value}>{option.label}</option>
          ))}
        </NativeSelect>
      </Field>
      {org.retention_purge_from ? (
        <Alert tone="warning">Nothing is deleted under this setting before {formatDateTime(org.retention_purge_from)}.</Alert>
      ) : null}
      {editable ? (
        <Button type="submit" disabled={update.isPending || value === saved}>
          {update.isPending ? "Saving…" : "Save retention"}
        </Button>
      ) : null}
    </form>
  );
}

export function OrgGovernanceCards() {
  const org = useOrg();
  const { can } = useAuth();
  const editable = can("org:update");
  const body = (form: (org: Org) => React.ReactNode) =>
    org.isPending ? <Spinner /> : org.error ? <Alert>{errorMessage(org.error)}</Alert> : form(org.data);
  return (
    <>
      <Card>
        <CardHeader>
          <CardTitle>IP allowlist</CardTitle>
        </CardHeader>
        <CardContent>
          {body((data) => (
            <IpAllowlistForm key={listOf(data.settings.ip_allowlist).join(",")} org={data} editable={editable} />
          ))}
        </CardContent>
      </Card>
      <Card>
        <CardHeader>
          <CardTitle>Data retention</CardTitle>
        </CardHeader>
        <CardContent>
          {body((data) => (
            <RetentionForm key={String(data.settings.retention_days ?? "unlimited")} org={data} editable={editable} />
          ))}
        </CardContent>
      </Card>
    </>
  );
}
