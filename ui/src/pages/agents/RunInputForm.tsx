/** The fields of the Run dialog's generated input form (runInput.ts builds and checks the input). */
import { Field, Input, NativeSelect, Textarea } from "@/components/ui/input";
import type { FormValues, InputField } from "@/pages/agents/runInput";

const idFor = (name: string): string => `run-field-${name}`;

function FieldInput({ field, value, error, onChange }: { field: InputField; value: string | boolean; error?: string; onChange: (value: string | boolean) => void }) {
  const id = idFor(field.name);
  const text = typeof value === "string" ? value : "";
  const described = error ? `${id}-error` : field.hint ? `${id}-hint` : undefined;
  switch (field.kind) {
    case "enum":
      return (
        <NativeSelect id={id} value={text} aria-invalid={Boolean(error)} aria-describedby={described} onChange={(e) => onChange(e.target.value)}>
          <option value="">{field.required ? "Choose…" : "—"}</option>
          {field.options?.map((option) => (
            <option key={String(option)} value={String(option)}>
              {String(option)}
            </option>
          ))}
        </NativeSelect>
      );
    case "number":
    case "integer":
      return (
        <Input
          id={id}
          inputMode={field.kind === "integer" ? "numeric" : "decimal"}
          value={text}
          aria-invalid={Boolean(error)}
          aria-describedby={described}
          onChange={(e) => onChange(e.target.value)}
        />
      );
    case "json":
      return (
        <Textarea
          id={id}
          rows={3}
          className="font-mono text-xs"
          value={text}
          aria-invalid={Boolean(error)}
          aria-describedby={described}
          onChange={(e) => onChange(e.target.value)}
        />
      );
    default:
      return <Input id={id} value={text} aria-invalid={Boolean(error)} aria-describedby={described} onChange={(e) => onChange(e.target.value)} />;
  }
}

export function RunInputForm({
  fields,
  values,
  errors,
  onChange,
}: {
  fields: InputField[];
  values: FormValues;
  errors: Record<string, string>;
  onChange: (values: FormValues) => void;
}) {
  return (
    <div className="space-y-3">
      {fields.map((field) => {
        const set = (value: string | boolean) => onChange({ ...values, [field.name]: value });
        if (field.kind === "boolean") {
          return (
            <label key={field.name} className="flex items-center gap-2 text-sm text-slate-700" htmlFor={idFor(field.name)}>
              <input id={idFor(field.name)} type="checkbox" checked={values[field.name] === true} onChange={(e) => set(e.target.checked)} />
              {field.label}
              {field.hint ? <span className="text-xs text-slate-500">— {field.hint}</span> : null}
            </label>
          );
        }
        const label = (
          <>
            {field.label}
            {field.required ? (
              <span className="text-red-600"> *</span>
            ) : null}
          </>
        );
        const hint = field.kind === "json" ? (field.hint ?? "As JSON.") : field.hint;
        return (
          <Field key={field.name} id={idFor(field.name)} label={label} hint={hint} error={errors[field.name]}>
            <FieldInput field={field} value={values[field.name] ?? ""} error={errors[field.name]} onChange={set} />
          </Field>
        );
      })}
    </div>
  );
}
