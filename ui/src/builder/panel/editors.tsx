/** Field editors for the config form: prompt (with variables), JSON, any-value and string lists. */
import { Braces, CircleAlert, CircleCheck } from "lucide-react";
import * as React from "react";

import type { JsonValue } from "@/api/definition";
import { VariablePicker } from "@/builder/panel/VariablePicker";
import { VariablesContext } from "@/builder/panel/variables";
import { isReferenceAvailable, referencesIn } from "@/builder/references";
import { Input, Textarea } from "@/components/ui/input";
import { cn } from "@/lib/utils";

/** The references in a text, each marked available or broken. */
export function ReferenceList({ text }: { text: string }) {
  const { variables, triggerId, loading } = React.useContext(VariablesContext);
  const references = referencesIn(text);
  if (references.length === 0) return null;
  return (
    <ul className="flex flex-wrap gap-1" aria-label="References">
      {references.map((reference, index) => {
        const ok = loading || isReferenceAvailable(reference, variables, triggerId);
        return (
          <li
            key={`${reference.text}-${index}`}
            data-broken={!ok}
            className={cn(
              "inline-flex items-center gap-1 rounded px-1.5 py-0.5 font-mono text-[11px]",
              ok ? "bg-emerald-50 text-emerald-800" : "bg-red-100 text-red-800 ring-1 ring-red-300",
            )}
            title={ok ? "Available upstream" : "Not available: no upstream node produces this"}
          >
            {ok ? <CircleCheck className="size-3" /> : <CircleAlert className="size-3" />}
            {reference.text}
            {ok ? null : <span className="sr-only">(broken reference)</span>}
          </li>
        );
      })}
    </ul>
  );
}

/** A text area for templates: insert variables at the cursor (button or typing `{{`), broken refs flagged. */
export function PromptEditor({
  id,
  value,
  onChange,
  rows = 5,
  invalid,
  singleLine = false,
}: {
  id: string;
  value: string;
  onChange: (value: string) => void;
  rows?: number;
  invalid?: boolean;
  singleLine?: boolean;
}) {
  const ref = React.useRef<HTMLTextAreaElement & HTMLInputElement>(null);
  const [pickerOpen, setPickerOpen] = React.useState(false);
  const insert = (template: string) => {
    const element = ref.current;
    const start = element?.selectionStart ?? value.length;
    const end = element?.selectionEnd ?? value.length;
    // Typing `{{` opened the picker: replace those braces rather than doubling them.
    const before = value.slice(0, start).endsWith("{{") ? value.slice(0, start - 2) : value.slice(0, start);
    const next = before + template + value.slice(end);
    onChange(next);
    setPickerOpen(false);
    requestAnimationFrame(() => {
      element?.focus();
      const caret = before.length + template.length;
      element?.setSelectionRange(caret, caret);
    });
  };
  const common = {
    id,
    value,
    "aria-invalid": invalid,
    className: "font-mono text-xs",
    onChange: (event: React.ChangeEvent<HTMLTextAreaElement | HTMLInputElement>) => {
      const next = event.target.value;
      onChange(next);
      if (next.slice(0, event.target.selectionStart ?? 0).endsWith("{{") && !value.endsWith("{{")) setPickerOpen(true);
    },
  };
  return (
    <div className="space-y-1.5">
      <div className="relative">
        {singleLine ? <Input ref={ref} {...common} className="pr-9 font-mono text-xs" /> : <Textarea ref={ref} rows={rows} {...common} />}
        <div className={cn("absolute right-1", singleLine ? "top-1" : "bottom-1")}>
          <VariablePicker open={pickerOpen} onOpenChange={setPickerOpen} onPick={insert} />
        </div>
      </div>
      <ReferenceList text={value} />
    </div>
  );
}

const pretty = (value: unknown): string => (value === undefined ? "" : JSON.stringify(value, null, 2));

/** JSON text that is applied only while it parses; the parse error is shown in place. */
export function JsonEditor({
  id,
  value,
  onChange,
  nullable = true,
  rows = 6,
}: {
  id: string;
  value: unknown;
  onChange: (value: JsonValue | undefined) => void;
  nullable?: boolean;
  rows?: number;
}) {
  const [text, setText] = React.useState(() => (value == null ? "" : pretty(value)));
  const [error, setError] = React.useState<string | null>(null);
  const lastApplied = React.useRef<unknown>(value);
  // Undo/redo or another editor changed the value: show it, unless it is what this editor just applied.
  if (value !== lastApplied.current) {
    lastApplied.current = value;
    const shown = value == null ? "" : pretty(value);
    if (shown !== text) setText(shown);
    if (error) setError(null);
  }
  return (
    <div className="space-y-1">
      <Textarea
        id={id}
        rows={rows}
        spellCheck={false}
        aria-invalid={Boolean(error)}
        className="font-mono text-xs"
        value={text}
        onChange={(event) => {
          const next = event.target.value;
          setText(next);
          if (next.trim() === "") {
            setError(null);
            lastApplied.current = nullable ? undefined : {};
            onChange(nullable ? undefined : {});
            return;
          }
          try {
            const parsed = JSON.parse(next) as JsonValue;
            setError(null);
            lastApplied.current = parsed;
            onChange(parsed);
          } catch (problem) {
            setError(problem instanceof Error ? problem.message : "Invalid JSON");
          }
        }}
      />
      {error ? (
        <p className="flex items-center gap-1 text-xs text-red-600" role="alert">
          <Braces className="size-3" /> Invalid JSON: {error}
        </p>
      ) : null}
      {typeof value === "object" && value !== null ? <ReferenceList text={JSON.stringify(value)} /> : null}
    </div>
  );
}

/** Any JSON value in one line: `42`, `true`, `["a"]` are parsed; anything else is a string (often `{{ref}}`). */
export function parseLoose(text: string): JsonValue {
  const trimmed = text.trim();
  if (trimmed === "") return "";
  if (/^(-?\d+(\.\d+)?([eE][+-]?\d+)?|true|false|null|\[.*\]|\{.*\}|".*")$/s.test(trimmed)) {
    try {
      return JSON.parse(trimmed) as JsonValue;
    } catch {
      return text;
    }
  }
  return text;
}

export const showLoose = (value: unknown): string =>
  typeof value === "string" ? (parseLoose(value) === value ? value : JSON.stringify(value)) : value == null ? "" : JSON.stringify(value);

export function AnyValueInput({ id, value, onChange }: { id: string; value: unknown; onChange: (value: JsonValue) => void }) {
  const [text, setText] = React.useState(() => showLoose(value));
  const lastApplied = React.useRef<unknown>(value);
  if (value !== lastApplied.current) {
    lastApplied.current = value;
    setText(showLoose(value));
  }
  return (
    <PromptEditor
      id={id}
      singleLine
      value={text}
      onChange={(next) => {
        setText(next);
        const parsed = parseLoose(next);
        lastApplied.current = parsed;
        onChange(parsed);
      }}
    />
  );
}

/** A list of strings, one per line. */
export function StringListEditor({ id, value, onChange }: { id: string; value: unknown; onChange: (value: string[]) => void }) {
  const list = Array.isArray(value) ? value.map(String) : [];
  const [text, setText] = React.useState(list.join("\n"));
  const lastApplied = React.useRef<unknown>(value);
  if (value !== lastApplied.current) {
    lastApplied.current = value;
    setText(list.join("\n"));
  }
  return (
    <Textarea
      id={id}
      rows={Math.max(2, list.length + 1)}
      className="font-mono text-xs"
      value={text}
      onChange={(event) => {
        setText(event.target.value);
        const next = event.target.value.split("\n").map((line) => line.trim()).filter(Boolean);
        lastApplied.current = next;
        onChange(next);
      }}
    />
  );
}
