/** Settings → Audit log: who changed what, filtered, paged, each entry's details, and a CSV export. */
import { ChevronDown, ChevronRight, Download, ScrollText } from "lucide-react";
import * as React from "react";

import { AUDIT_ACTIONS, exportAuditCsv, useAuditLogs, type AuditEntry, type AuditFilters } from "@/api/audit";
import { errorMessage } from "@/api/http";
import { useApiKeys, useMembers } from "@/api/org";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { Alert, EmptyState, Spinner } from "@/components/ui/feedback";
import { Field, Input, NativeSelect } from "@/components/ui/input";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime, saveFile } from "@/lib/utils";

interface FilterForm {
  action: string;
  actor: string;
  resource_type: string;
  resource_id: string;
  from: string; // yyyy-mm-dd, a local day
  to: string; // yyyy-mm-dd, a local day, included
}

const EMPTY: FilterForm = { action: "", actor: "", resource_type: "", resource_id: "", from: "", to: "" };

/** The form as query parameters: the date range covers whole local days, `to` included. */
function toFilters(form: FilterForm): AuditFilters {
  const filters: AuditFilters = {};
  if (form.action.trim()) filters.action = form.action.trim();
  if (form.actor) filters.actor = form.actor;
  if (form.resource_type.trim()) filters.resource_type = form.resource_type.trim();
  if (form.resource_id.trim()) filters.resource_id = form.resource_id.trim();
  if (form.from) filters.from = new Date(`${form.from}T00:00:00`).toISOString();
  if (form.to) {
    const end = new Date(`${form.to}T00:00:00`);
    end.setDate(end.getDate() + 1);
    filters.to = end.toISOString();
  }
  return filters;
}

/** Members and (for those who may see them) API keys: the actors an entry can name. */
function ActorSelect({ value, onChange }: { value: string; onChange: (value: string) => void }) {
  const { can } = useAuth();
  const members = useMembers(can("members:read"));
  const keys = useApiKeys(can("api_keys:read"));
  return (
    <NativeSelect id="audit-actor" value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">Anyone</option>
      {members.data?.items.length ? (
        <optgroup label="Members">
          {members.data.items.map((m) => (
            <option key={m.user.id} value={m.user.id}>{m.user.email}</option>
          ))}
        </optgroup>
      ) : null}
      {keys.data?.items.length ? (
        <optgroup label="API keys">
          {keys.data.items.map((k) => (
            <option key={k.id} value={k.id}>{k.name} ({k.prefix}…)</option>
          ))}
        </optgroup>
      ) : null}
    </NativeSelect>
  );
}

function Filters({ initial, onApply }: { initial: FilterForm; onApply: (form: FilterForm) => void }) {
  const [form, setForm] = React.useState(initial);
  const set = (key: keyof FilterForm) => (e: React.ChangeEvent<HTMLInputElement | HTMLSelectElement>) =>
    setForm({ ...form, [key]: e.target.value });
  return (
    <form
      aria-label="Audit log filters"
      className="grid grid-cols-2 gap-3 rounded-lg border border-slate-200 bg-white p-3 md:grid-cols-3"
      onSubmit={(event) => {
        event.preventDefault();
        onApply(form);
      }}
    >
      <Field id="audit-action" label="Action">
        <Input id="audit-action" list="audit-actions" maxLength={80} placeholder="e.g. secret.created" value={form.action} onChange={set("action")} />
        <datalist id="audit-actions">
          {AUDIT_ACTIONS.map((action) => (
            <option key={action} value={action} />
          ))}
        </datalist>
      </Field>
      <Field id="audit-actor" label="Actor">
        <ActorSelect value={form.actor} onChange={(actor) => setForm({ ...form, actor })} />
      </Field>
      <Field id="audit-resource-type" label="Resource type">
        <Input id="audit-resource-type" maxLength={60} placeholder="e.g. agent" value={form.resource_type} onChange={set("resource_type")} />
      </Field>
      <Field id="audit-resource-id" label="Resource id">
        <Input id="audit-resource-id" maxLength={200} value={form.resource_id} onChange={set("resource_id")} />
      </Field>
      <Field id="audit-from" label="From">
        <Input id="audit-from" type="date" value={form.from} onChange={set("from")} />
      </Field>
      <Field id="audit-to" label="To (included)">
        <Input id="audit-to" type="date" value={form.to} onChange={set("to")} />
      </Field>
      <div className="col-span-full flex gap-2">
        <Button type="submit">Apply filters</Button>
        <Button
          variant="ghost"
          onClick={() => {
            setForm(EMPTY);
            onApply(EMPTY);
          }}
        >
          Clear
        </Button>
      </div>
    </form>
  );
}

/** A user's email; an API key's creator's email, marked as the key; `system` for sign-up, Stripe and the like. */
function actorLabel(entry: AuditEntry): string {
  if (entry.actor.type === "api_key") return entry.actor.email ? `${entry.actor.email} (API key)` : "API key";
  return entry.actor.email ?? entry.actor.type;
}

function EntryRow({ entry, open, onToggle }: { entry: AuditEntry; open: boolean; onToggle: () => void }) {
  return (
    <>
      <tr>
        <Td className="w-8">
          <Button variant="ghost" size="icon" aria-expanded={open} aria-label={`Details of ${entry.action}`} onClick={onToggle}>
            {open ? <ChevronDown /> : <ChevronRight />}
          </Button>
        </Td>
        <Td className="whitespace-nowrap">{formatDateTime(entry.created_at)}</Td>
        <Td className="font-mono text-xs">{entry.action}</Td>
        <Td className="max-w-48 truncate" title={entry.actor.id ?? undefined}>{actorLabel(entry)}</Td>
        <Td className="max-w-56 truncate text-xs" title={entry.resource_id ?? undefined}>
          {entry.resource_type ?? "—"}
          {entry.resource_id ? <span className="ml-1 font-mono text-slate-500">{entry.resource_id}</span> : null}
        </Td>
        <Td className="font-mono text-xs">{entry.ip ?? "—"}</Td>
      </tr>
      {open ? (
        <tr>
          <Td colSpan={6} className="bg-slate-50">
            <dl className="mb-2 grid grid-cols-[8rem_1fr] gap-x-3 gap-y-1 text-xs">
              <dt className="text-slate-500">Request id</dt>
              <dd className="font-mono">{entry.request_id ?? "—"}</dd>
              <dt className="text-slate-500">User agent</dt>
              <dd className="break-all">{entry.user_agent ?? "—"}</dd>
            </dl>
            <pre data-testid="audit-details" className="max-h-96 overflow-auto rounded-md bg-white p-3 font-mono text-xs text-slate-800">
              {JSON.stringify(entry.details, null, 2)}
            </pre>
          </Td>
        </tr>
      ) : null}
    </>
  );
}

function ExportButton({ filters }: { filters: AuditFilters }) {
  const [state, setState] = React.useState<{ pending: boolean; error: string | null }>({ pending: false, error: null });
  return (
    <div className="flex flex-col items-end gap-1">
      <Button
        variant="outline"
        disabled={state.pending}
        onClick={() => {
          setState({ pending: true, error: null });
          exportAuditCsv(filters)
            .then(({ blob, filename }) => {
              saveFile(blob, filename);
              setState({ pending: false, error: null });
            })
            .catch((error: unknown) => setState({ pending: false, error: errorMessage(error) }));
        }}
      >
        <Download /> {state.pending ? "Exporting…" : "Export CSV"}
      </Button>
      {state.error ? <p role="alert" className="text-xs text-red-600">{state.error}</p> : null}
    </div>
  );
}

export function AuditLogSettings() {
  const { can } = useAuth();
  const [form, setForm] = React.useState<FilterForm>(EMPTY);
  const filters = React.useMemo(() => toFilters(form), [form]);
  const logs = useAuditLogs(filters, can("audit:read"));
  const [openId, setOpenId] = React.useState<string | null>(null);
  if (!can("audit:read")) {
    return <Alert tone="info">Only owners and admins can read the audit log.</Alert>;
  }
  const entries = logs.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section className="space-y-3">
      <div className="flex items-start justify-between gap-4">
        <div>
          <h2 className="text-base font-semibold text-slate-900">Audit log</h2>
          <p className="text-sm text-slate-500">Every change made in this organization, who made it and from where, newest first.</p>
        </div>
        <ExportButton filters={filters} />
      </div>
      <Filters initial={form} onApply={setForm} />
      {logs.isPending ? <Spinner /> : logs.error ? <Alert>{errorMessage(logs.error)}</Alert> : entries.length === 0 ? (
        <EmptyState icon={<ScrollText />} title="No audit log entries">
          {Object.keys(filters).length ? "Nothing matches these filters." : "Changes made in the organization appear here."}
        </EmptyState>
      ) : (
        <>
          <Table aria-label="Audit log">
            <thead>
              <tr>
                <Th />
                <Th>Time</Th>
                <Th>Action</Th>
                <Th>Actor</Th>
                <Th>Resource</Th>
                <Th>IP</Th>
              </tr>
            </thead>
            <tbody>
              {entries.map((entry) => (
                <EntryRow key={entry.id} entry={entry} open={openId === entry.id} onToggle={() => setOpenId(openId === entry.id ? null : entry.id)} />
              ))}
            </tbody>
          </Table>
          {logs.hasNextPage ? (
            <div className="flex justify-center">
              <Button variant="outline" disabled={logs.isFetchingNextPage} onClick={() => void logs.fetchNextPage()}>
                {logs.isFetchingNextPage ? "Loading…" : "Load more"}
              </Button>
            </div>
          ) : null}
        </>
      )}
    </section>
  );
}
