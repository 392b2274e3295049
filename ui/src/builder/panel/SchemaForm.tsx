/**
 * A form generated from a node type's config JSON Schema: enums become selects, numbers number inputs,
 * templated text a prompt editor, objects nested fieldsets, lists of objects repeatable groups,
 * free-form objects a JSON editor and untyped values a one-line "any value" input.
 */
import { Plus, Trash2 } from "lucide-react";

import type { JsonObject, JsonSchema, JsonValue } from "@/api/definition";
import { defaultItem, resolveSchema } from "@/builder/defaults";
import { ApproverPicker } from "@/builder/panel/ApproverPicker";
import { AnyValueInput, JsonEditor, PromptEditor, StringListEditor } from "@/builder/panel/editors";
import { KnowledgeBasePicker } from "@/builder/panel/KnowledgeBasePicker";
import { Button } from "@/components/ui/button";
import { Field, NativeSelect } from "@/components/ui/input";
import { Input } from "@/components/ui/input";

/** Long free text: shown in a multi-line prompt editor. */
const LONG_TEXT = new Set(["prompt", "system", "message", "body", "query"]);

interface FieldProps {
  path: string;
  name: string;
  schema: JsonSchema;
  root: JsonSchema;
  value: unknown;
  required: boolean;
  errors: Record<string, string>;
  onChange: (value: JsonValue | undefined) => void;
}

const inputId = (path: string): string => `cfg-${path.replaceAll(".", "-")}`;

/** The property's own title (`Timeout Seconds` → "Timeout seconds"), else its name; never a $defs model name. */
const labelFor = (name: string, schema: JsonSchema): string => {
  const title = schema.title ?? name.replaceAll("_", " ");
  return title.charAt(0).toUpperCase() + title.slice(1).toLowerCase();
};

function SchemaField({ path, name, schema: raw, root, value, required, errors, onChange }: FieldProps) {
  const { schema, nullable } = resolveSchema(raw, root);
  const id = inputId(path);
  const error = errors[path];
  const label = (
    <>
      {labelFor(name, raw)}
      {required ? <span className="text-red-600"> *</span> : null}
    </>
  );
  const hint = raw.description ?? schema.description;
  const templated = schema["x-templated"] !== false && raw["x-templated"] !== false;

  if (schema.enum) {
    return (
      <Field id={id} label={label} hint={hint} error={error}>
        <NativeSelect
          id={id}
          value={value == null ? "" : String(value)}
          aria-invalid={Boolean(error)}
          onChange={(e) => onChange(e.target.value === "" ? undefined : (schema.enum?.find((option) => String(option) === e.target.value) as JsonValue))}
        >
          {nullable || !required ? <option value="">{schema.default != null ? `default (${String(schema.default)})` : "—"}</option> : null}
          {schema.enum.map((option) => (
            <option key={String(option)} value={String(option)}>
              {String(option)}
            </option>
          ))}
        </NativeSelect>
      </Field>
    );
  }

  if (Array.isArray(schema.type)) {
    // A union of scalar types (an imported query parameter): one input that keeps numbers as numbers.
    return (
      <Field id={id} label={label} hint={hint} error={error}>
        <AnyValueInput id={id} value={value} onChange={(next) => onChange(next === "" && !required ? undefined : next)} />
      </Field>
    );
  }

  switch (schema.type) {
    case "string":
      // An id the organization's list answers: a picker rather than a text box (the knowledge node).
      if (name === "knowledge_base_id") {
        return (
          <Field id={id} label={label} hint={hint} error={error}>
            <KnowledgeBasePicker id={id} value={typeof value === "string" ? value : ""} invalid={Boolean(error)} onChange={onChange} />
          </Field>
        );
      }
      return (
        <Field id={id} label={label} hint={hint} error={error}>
          {templated ? (
            <PromptEditor
              id={id}
              singleLine={!LONG_TEXT.has(name)}
              invalid={Boolean(error)}
              value={typeof value === "string" ? value : ""}
              onChange={(next) => onChange(next === "" && nullable ? undefined : next)}
            />
          ) : (
            <Input id={id} value={typeof value === "string" ? value : ""} aria-invalid={Boolean(error)} onChange={(e) => onChange(e.target.value === "" && nullable ? undefined : e.target.value)} />
          )}
        </Field>
      );
    case "number":
    case "integer":
      return (
        <Field id={id} label={label} hint={hint} error={error}>
          <Input
            id={id}
            type="number"
            step={schema.type === "integer" ? 1 : "any"}
            min={schema.minimum ?? schema.exclusiveMinimum}
            max={schema.maximum}
            placeholder={schema.default != null ? String(schema.default) : undefined}
            aria-invalid={Boolean(error)}
            value={typeof value === "number" ? value : ""}
            onChange={(e) => onChange(e.target.value === "" ? undefined : Number(e.target.value))}
          />
        </Field>
      );
    case "boolean":
      return (
        <label className="flex items-center gap-2 text-sm text-slate-700" htmlFor={id}>
          <input id={id} type="checkbox" checked={Boolean(value ?? schema.default)} onChange={(e) => onChange(e.target.checked)} />
          {label}
        </label>
      );
    case "array": {
      const items = resolveSchema(schema.items ?? {}, root).schema;
      // The approval node's approvers: chosen by name (people, roles, teams), stored as ids.
      if (name === "approvers" && items.type === "string") {
        return (
          <Field id={id} label={label} hint="Who may approve or reject. Choosing a team adds the people in it." error={error}>
            <ApproverPicker id={id} value={value} onChange={onChange} />
          </Field>
        );
      }
      if (items.type === "string") {
        return (
          <Field id={id} label={label} hint={hint ?? "One per line."} error={error}>
            <StringListEditor id={id} value={value} onChange={(next) => onChange(next.length === 0 && nullable ? undefined : next)} />
          </Field>
        );
      }
      if (items.type === "object" && items.properties) {
        return <ObjectList path={path} label={label} hint={hint} itemSchema={items} root={root} value={value} errors={errors} onChange={onChange} />;
      }
      break;
    }
    case "object":
      if (schema.properties) {
        return (
          <fieldset className="space-y-3 rounded-md border border-slate-200 p-3">
            <legend className="px-1 text-sm font-medium text-slate-700">{label}</legend>
            <SchemaFields path={path} schema={schema} root={root} value={(value ?? {}) as JsonObject} errors={errors} onChange={(next) => onChange(next)} />
          </fieldset>
        );
      }
      break;
    case undefined:
      if (!schema.anyOf) {
        // Untyped: usually a reference or a literal (`left`, `equals`, `items`), sometimes a JSON body.
        const structured = typeof value === "object" && value !== null;
        return (
          <Field id={id} label={label} hint={hint} error={error}>
            {structured || name === "json" || name === "payload" ? (
              <JsonEditor id={id} value={value} onChange={onChange} />
            ) : (
              <AnyValueInput id={id} value={value} onChange={onChange} />
            )}
          </Field>
        );
      }
      // A union such as number | string: one input that keeps numbers as numbers.
      return (
        <Field id={id} label={label} hint={hint} error={error}>
          <AnyValueInput id={id} value={value} onChange={(next) => onChange(next === "" && nullable ? undefined : next)} />
        </Field>
      );
  }
  return (
    <Field id={id} label={label} hint={hint} error={error}>
      <JsonEditor id={id} value={value} nullable={nullable || !required} onChange={onChange} />
    </Field>
  );
}

function ObjectList({
  path,
  label,
  hint,
  itemSchema,
  root,
  value,
  errors,
  onChange,
}: {
  path: string;
  label: React.ReactNode;
  hint?: string;
  itemSchema: JsonSchema;
  root: JsonSchema;
  value: unknown;
  errors: Record<string, string>;
  onChange: (value: JsonValue) => void;
}) {
  const items = Array.isArray(value) ? (value as JsonObject[]) : [];
  const singular = itemSchema.title ?? "item";
  return (
    <div className="space-y-2">
      <div className="text-sm font-medium text-slate-700">{label}</div>
      {hint ? <p className="text-xs text-slate-500">{hint}</p> : null}
      {errors[path] ? <p className="text-xs text-red-600" role="alert">{errors[path]}</p> : null}
      {items.map((item, index) => (
        <fieldset key={index} className="relative space-y-3 rounded-md border border-slate-200 p-3 pt-2">
          <legend className="px-1 text-xs text-slate-500">
            {singular} {index + 1}
          </legend>
          <Button
            variant="ghost"
            size="icon"
            className="absolute right-1 top-1"
            aria-label={`Remove ${singular.toLowerCase()} ${index + 1}`}
            onClick={() => onChange(items.filter((_, i) => i !== index))}
          >
            <Trash2 />
          </Button>
          <SchemaFields
            path={`${path}.${index}`}
            schema={itemSchema}
            root={root}
            value={item}
            errors={errors}
            onChange={(next) => onChange(items.map((old, i) => (i === index ? next : old)))}
          />
        </fieldset>
      ))}
      <Button variant="outline" size="sm" onClick={() => onChange([...items, defaultItem(itemSchema, root) as JsonObject])}>
        <Plus /> Add {singular.toLowerCase()}
      </Button>
    </div>
  );
}

export function SchemaFields({
  path,
  schema,
  root,
  value,
  errors,
  onChange,
}: {
  path: string;
  schema: JsonSchema;
  root: JsonSchema;
  value: JsonObject;
  errors: Record<string, string>;
  onChange: (value: JsonObject) => void;
}) {
  const required = new Set(schema.required ?? []);
  return (
    <>
      {Object.entries(schema.properties ?? {}).map(([name, property]) => (
        <SchemaField
          key={name}
          path={path ? `${path}.${name}` : name}
          name={name}
          schema={property}
          root={root}
          value={value[name]}
          required={required.has(name)}
          errors={errors}
          onChange={(next) => {
            const copy = { ...value };
            if (next === undefined) delete copy[name];
            else copy[name] = next;
            onChange(copy);
          }}
        />
      ))}
    </>
  );
}

export function SchemaForm({
  schema,
  value,
  errors,
  onChange,
}: {
  schema: JsonSchema;
  value: JsonObject;
  errors: Record<string, string>;
  onChange: (value: JsonObject, field: string) => void;
}) {
  return (
    <div className="space-y-4">
      <SchemaFields path="" schema={schema} root={schema} value={value} errors={errors} onChange={(next) => onChange(next, "config")} />
    </div>
  );
}
