/** The custom API's actions: defined by hand (method, path template, query names, JSON body) or imported from OpenAPI 3. */
import { Plus, Trash2, Upload } from "lucide-react";
import * as React from "react";

import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/feedback";
import { Field, Input, NativeSelect, Textarea } from "@/components/ui/input";
import { Table, Td, Th } from "@/components/ui/table";
import { MAX_DOCUMENT_BYTES, previewOpenApi, type OpenApiPreview } from "@/pages/integrations/openapi";

export const METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"] as const;

export interface HandAction {
  name: string;
  method: (typeof METHODS)[number];
  path: string;
  description: string;
  /** Query parameter names, comma separated as typed. */
  query: string;
  body: boolean;
}

export const emptyAction = (): HandAction => ({ name: "", method: "GET", path: "/", description: "", query: "", body: false });

/** The contract's action shape: `{name, method, path, description?}`, plus query names and whether a body is sent. */
export function actionsToConfig(actions: HandAction[]) {
  return actions
    .filter((action) => action.name.trim())
    .map((action) => ({
      name: action.name.trim(),
      method: action.method,
      path: action.path.trim(),
      ...(action.description.trim() ? { description: action.description.trim() } : {}),
      query: action.query.split(",").map((name) => name.trim()).filter(Boolean),
      body: action.body,
    }));
}

export function HandActions({ actions, onChange }: { actions: HandAction[]; onChange: (actions: HandAction[]) => void }) {
  const set = (index: number, patch: Partial<HandAction>) => onChange(actions.map((action, i) => (i === index ? { ...action, ...patch } : action)));
  return (
    <div className="space-y-3">
      {actions.map((action, index) => {
        const n = index + 1;
        return (
          <fieldset key={index} className="relative space-y-2 rounded-md border border-slate-200 p-3 pt-2">
            <legend className="px-1 text-xs text-slate-500">Action {n}</legend>
            <Button variant="ghost" size="icon" className="absolute right-1 top-1" aria-label={`Remove action ${n}`} onClick={() => onChange(actions.filter((_, i) => i !== index))}>
              <Trash2 />
            </Button>
            <div className="grid grid-cols-[1fr_7rem] gap-2">
              <Field id={`action-${n}-name`} label="Name" hint="Letters, digits and _; what agents call.">
                <Input id={`action-${n}-name`} className="font-mono text-xs" required pattern="[A-Za-z0-9_]{1,64}" value={action.name} onChange={(e) => set(index, { name: e.target.value })} />
              </Field>
              <Field id={`action-${n}-method`} label="Method">
                <NativeSelect id={`action-${n}-method`} value={action.method} onChange={(e) => set(index, { method: e.target.value as HandAction["method"] })}>
                  {METHODS.map((method) => (
                    <option key={method}>{method}</option>
                  ))}
                </NativeSelect>
              </Field>
            </div>
            <Field id={`action-${n}-path`} label="Path" hint="Under the base URL; {name} marks a path parameter, e.g. /orders/{order_id}.">
              <Input id={`action-${n}-path`} className="font-mono text-xs" required maxLength={2048} value={action.path} onChange={(e) => set(index, { path: e.target.value })} />
            </Field>
            <Field id={`action-${n}-query`} label="Query parameters" hint="Names, comma separated.">
              <Input id={`action-${n}-query`} className="font-mono text-xs" value={action.query} onChange={(e) => set(index, { query: e.target.value })} />
            </Field>
            <Field id={`action-${n}-description`} label="Description" hint="Agents and the AI node read it.">
              <Input id={`action-${n}-description`} maxLength={1024} value={action.description} onChange={(e) => set(index, { description: e.target.value })} />
            </Field>
            <label className="flex items-center gap-2 text-sm text-slate-700">
              <input type="checkbox" checked={action.body} onChange={(e) => set(index, { body: e.target.checked })} />
              Sends a JSON body (the `body` param)
            </label>
          </fieldset>
        );
      })}
      <Button variant="outline" size="sm" onClick={() => onChange([...actions, emptyAction()])}>
        <Plus /> Add action
      </Button>
    </div>
  );
}

const imported = (actions: { skipped: string | null }[]) => actions.filter((action) => !action.skipped).length;

/** Paste a document or pick a file; the preview lists the actions it will become. */
export function OpenApiImport({ text, onChange }: { text: string; onChange: (text: string) => void }) {
  const [fileError, setFileError] = React.useState<string | null>(null);
  const preview: OpenApiPreview | null = text.trim() ? previewOpenApi(text) : null;
  return (
    <div className="space-y-3">
      <Field id="openapi-document" label="OpenAPI 3 document (JSON)" hint="Every operation becomes an action named by its operationId.">
        <Textarea id="openapi-document" rows={8} className="font-mono text-xs" value={text} onChange={(e) => onChange(e.target.value)} />
      </Field>
      <label className="inline-flex cursor-pointer items-center gap-2 rounded-md border border-slate-200 px-3 py-1.5 text-sm text-slate-700 hover:bg-slate-50">
        <Upload className="size-4" /> Upload a file
        <input
          type="file"
          accept=".json,application/json"
          className="sr-only"
          onChange={(e) => {
            const file = e.target.files?.[0];
            e.target.value = "";
            if (!file) return;
            if (file.size > MAX_DOCUMENT_BYTES) {
              setFileError(`${file.name} is larger than ${MAX_DOCUMENT_BYTES / 1024} KiB.`);
              return;
            }
            setFileError(null);
            void file.text().then(onChange);
          }}
        />
      </label>
      {fileError ? <Alert>{fileError}</Alert> : null}
      {preview && !preview.ok ? <Alert>{preview.error}</Alert> : null}
      {preview?.ok ? (
        <div className="space-y-1">
          <p className="text-sm text-slate-600">
            {preview.title ? <strong>{preview.title}: </strong> : null}
            {imported(preview.actions)} action{imported(preview.actions) === 1 ? "" : "s"}
            {preview.serverUrl ? ` on ${preview.serverUrl}` : ""}
          </p>
          <Table aria-label="Actions to import">
            <thead>
              <tr>
                <Th>Action</Th>
                <Th>Request</Th>
                <Th>Description</Th>
              </tr>
            </thead>
            <tbody>
              {preview.actions.map((action) => (
                <tr key={`${action.method} ${action.path}`}>
                  <Td className="font-mono text-xs">{action.name}</Td>
                  <Td className="whitespace-nowrap font-mono text-xs">
                    <Badge tone={action.sideEffect ? "amber" : "blue"}>{action.method}</Badge> {action.path}
                  </Td>
                  <Td className="text-xs text-slate-500">
                    {action.skipped ? <Badge tone="red">not imported: {action.skipped}</Badge> : action.description || "—"}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        </div>
      ) : null}
    </div>
  );
}
