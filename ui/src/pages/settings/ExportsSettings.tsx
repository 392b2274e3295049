/** Settings → Exports: request a file of the executions or the audit log, watch it being written, download it. */
import { Download, FileDown } from "lucide-react";
import * as React from "react";

import { useCreateExport, useExportLink, useExports, type Export, type ExportCreate } from "@/api/exports";
import { errorMessage } from "@/api/http";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { Alert, EmptyState, Spinner, toast } from "@/components/ui/feedback";
import { Field, Input, NativeSelect } from "@/components/ui/input";
import { Table, Td, Th } from "@/components/ui/table";
import { formatBytes, formatDateTime } from "@/lib/utils";

const KINDS: { value: ExportCreate["kind"]; label: string }[] = [
  { value: "executions", label: "Executions" },
  { value: "audit_logs", label: "Audit log" },
];

function isoDay(date: Date): string {
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;
}

/** Whole local days, the last one included: [from 00:00, day after `to` 00:00). */
function rangeOf(from: string, to: string): { from: string; to: string } {
  const end = new Date(`${to}T00:00:00`);
  end.setDate(end.getDate() + 1);
  return { from: new Date(`${from}T00:00:00`).toISOString(), to: end.toISOString() };
}

/** The range as the days it covers (`to` is exclusive: the day before it is the last one included). */
function daysOf(item: Export): string {
  const day = (d: Date) => d.toLocaleDateString("en", { dateStyle: "medium" });
  return `${day(new Date(item.from))} – ${day(new Date(new Date(item.to).getTime() - 1))}`;
}

function CreateExportForm() {
  const today = new Date();
  const monthAgo = new Date(today);
  monthAgo.setDate(monthAgo.getDate() - 30);
  const [kind, setKind] = React.useState<ExportCreate["kind"]>("executions");
  const [format, setFormat] = React.useState<ExportCreate["format"]>("csv");
  const [from, setFrom] = React.useState(isoDay(monthAgo));
  const [to, setTo] = React.useState(isoDay(today));
  const create = useCreateExport();
  return (
    <form
      aria-label="New export"
      className="grid grid-cols-2 gap-3 rounded-lg border border-slate-200 bg-white p-3 md:grid-cols-4"
      onSubmit={(event) => {
        event.preventDefault();
        create.mutate({ kind, format, ...rangeOf(from, to) }, { onSuccess: () => toast("Export requested: it is being written", "success") });
      }}
    >
      {create.error ? <Alert className="col-span-full">{errorMessage(create.error)}</Alert> : null}
      <Field id="export-kind" label="What">
        <NativeSelect id="export-kind" value={kind} onChange={(e) => setKind(e.target.value as ExportCreate["kind"])}>
          {KINDS.map((k) => (
            <option key={k.value} value={k.value}>{k.label}</option>
          ))}
        </NativeSelect>
      </Field>
      <Field id="export-format" label="Format">
        <NativeSelect id="export-format" value={format} onChange={(e) => setFormat(e.target.value as ExportCreate["format"])}>
          <option value="csv">CSV</option>
          <option value="json">JSON</option>
        </NativeSelect>
      </Field>
      <Field id="export-from" label="From">
        <Input id="export-from" type="date" required value={from} onChange={(e) => setFrom(e.target.value)} />
      </Field>
      <Field id="export-to" label="To (included)" hint="At most a year.">
        <Input id="export-to" type="date" required value={to} onChange={(e) => setTo(e.target.value)} />
      </Field>
      <div className="col-span-full">
        <Button type="submit" disabled={create.isPending || !from || !to}>
          <FileDown /> {create.isPending ? "Requesting…" : "Create export"}
        </Button>
      </div>
    </form>
  );
}

/** Opens the download in the browser: the link's token is the credential, so a plain navigation does. */
function openDownload(url: string): void {
  const link = document.createElement("a");
  link.href = url;
  link.rel = "noreferrer";
  document.body.append(link);
  link.click();
  link.remove();
}

function DownloadButton({ item }: { item: Export }) {
  const link = useExportLink();
  return (
    <Button
      variant="outline"
      size="sm"
      disabled={link.isPending}
      aria-label={`Download export of ${item.kind} (${item.format})`}
      onClick={() =>
        link.mutate(item.id, {
          onSuccess: (made) => openDownload(made.download_url),
          onError: (e) => toast(errorMessage(e), "error"),
        })
      }
    >
      <Download /> Download
    </Button>
  );
}

function StatusCell({ item }: { item: Export }) {
  if (item.status === "failed") return <span className="text-red-700" title={item.error ?? undefined}>failed{item.error ? `: ${item.error}` : ""}</span>;
  if (item.status === "succeeded") return <span className="text-emerald-700">ready</span>;
  return <Spinner label={item.status === "running" ? "writing…" : "queued…"} />;
}

export function ExportsSettings() {
  const { can } = useAuth();
  const exports = useExports(can("exports:create"));
  if (!can("exports:create")) {
    return <Alert tone="info">Only owners and admins export the organization's data.</Alert>;
  }
  return (
    <section className="space-y-3">
      <div>
        <h2 className="text-base font-semibold text-slate-900">Exports</h2>
        <p className="text-sm text-slate-500">
          A file of the executions or the audit log over a date range. It is written in the background; you are also notified when it is ready. Files expire after a while.
        </p>
      </div>
      <CreateExportForm />
      {exports.isPending ? <Spinner /> : exports.error ? <Alert>{errorMessage(exports.error)}</Alert> : exports.data.items.length === 0 ? (
        <EmptyState icon={<FileDown />} title="No exports yet">Create one above.</EmptyState>
      ) : (
        <Table aria-label="Exports">
          <thead>
            <tr>
              <Th>What</Th>
              <Th>Range</Th>
              <Th>Status</Th>
              <Th>Rows</Th>
              <Th>Size</Th>
              <Th>Requested</Th>
              <Th>Expires</Th>
              <Th className="w-28" />
            </tr>
          </thead>
          <tbody>
            {exports.data.items.map((item) => (
              <tr key={item.id}>
                <Td className="whitespace-nowrap">
                  {KINDS.find((k) => k.value === item.kind)?.label ?? item.kind} <span className="text-xs uppercase text-slate-500">{item.format}</span>
                </Td>
                <Td className="whitespace-nowrap text-xs" title={`${item.from} – ${item.to}`}>{daysOf(item)}</Td>
                <Td><StatusCell item={item} /></Td>
                <Td>{item.row_count ?? "—"}</Td>
                <Td className="whitespace-nowrap">{formatBytes(item.size_bytes)}</Td>
                <Td className="whitespace-nowrap">{formatDateTime(item.created_at)}</Td>
                <Td className="whitespace-nowrap">{formatDateTime(item.expires_at)}</Td>
                <Td>
                  {item.downloadable ? <DownloadButton item={item} /> : item.status === "succeeded" ? <span className="text-xs text-slate-500">expired</span> : null}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}
