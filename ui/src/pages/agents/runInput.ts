/**
 * The Run dialog's input form, generated from the trigger's `input_schema`: one field per top-level
 * property, validated with messages for people before the run is sent (the API checks the schema again).
 */
import type { JsonObject, JsonSchema, JsonValue } from "@/api/definition";

export type InputKind = "string" | "number" | "integer" | "boolean" | "enum" | "json";

export interface InputField {
  name: string;
  label: string;
  kind: InputKind;
  required: boolean;
  hint?: string;
  options?: JsonValue[];
  schema: JsonSchema;
}

/** What the person typed: text for inputs and JSON fields, a flag for checkboxes. */
export type FormValues = Record<string, string | boolean>;

const labelFor = (name: string, schema: JsonSchema): string => {
  const title = schema.title ?? name.replaceAll("_", " ");
  return title.charAt(0).toUpperCase() + title.slice(1);
};

/** `["string", "null"]` reads as a string: the form leaves it out when empty. */
const mainType = (schema: JsonSchema): string | undefined =>
  Array.isArray(schema.type) ? schema.type.find((type) => type !== "null") : schema.type;

function kindOf(schema: JsonSchema): InputKind {
  if (schema.enum?.length) return "enum";
  const type = mainType(schema);
  return type === "string" || type === "number" || type === "integer" || type === "boolean" ? type : "json";
}

/** The schema's fields, or null when it does not describe an object with properties (then: JSON only). */
export function formFields(schema: JsonSchema | null | undefined): InputField[] | null {
  if (!schema || (mainType(schema) !== "object" && !schema.properties)) return null;
  const entries = Object.entries(schema.properties ?? {});
  if (entries.length === 0) return null;
  const required = new Set(schema.required ?? []);
  return entries.map(([name, property]) => ({
    name,
    label: labelFor(name, property),
    kind: kindOf(property),
    required: required.has(name),
    hint: property.description,
    options: property.enum as JsonValue[] | undefined,
    schema: property,
  }));
}

const asText = (value: unknown, kind: InputKind): string | boolean => {
  if (kind === "boolean") return value === true;
  if (value === undefined || value === null) return "";
  if (kind === "json") return JSON.stringify(value, null, 2);
  return String(value);
};

/** Start from the given input (switching from the JSON editor), else the schema's defaults. */
export function initialValues(fields: InputField[], from?: JsonValue): FormValues {
  const source = from && typeof from === "object" && !Array.isArray(from) ? from : {};
  return Object.fromEntries(fields.map((field) => [field.name, asText(source[field.name] ?? field.schema.default, field.kind)]));
}

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

/** One field's value, or the sentence that says what is wrong with it. */
function readField(field: InputField, raw: string | boolean): { value?: JsonValue; error?: string } {
  const { label, schema } = field;
  if (field.kind === "boolean") return { value: raw === true };
  const text = typeof raw === "string" ? raw : "";
  if (text.trim() === "") return field.required ? { error: `${label} is required.` } : {};
  switch (field.kind) {
    case "enum":
      return { value: field.options?.find((option) => String(option) === text) ?? text };
    case "number":
    case "integer": {
      const number = Number(text);
      if (!Number.isFinite(number)) return { error: `${label} must be a number.` };
      if (field.kind === "integer" && !Number.isInteger(number)) return { error: `${label} must be a whole number.` };
      if (schema.minimum !== undefined && number < schema.minimum) return { error: `${label} must be at least ${schema.minimum}.` };
      if (schema.exclusiveMinimum !== undefined && number <= schema.exclusiveMinimum)
        return { error: `${label} must be more than ${schema.exclusiveMinimum}.` };
      if (schema.maximum !== undefined && number > schema.maximum) return { error: `${label} must be at most ${schema.maximum}.` };
      return { value: number };
    }
    case "string":
      if (schema.minLength !== undefined && text.length < schema.minLength)
        return { error: `${label} must be at least ${plural(schema.minLength, "character")}.` };
      if (schema.maxLength !== undefined && text.length > schema.maxLength)
        return { error: `${label} can be at most ${plural(schema.maxLength, "character")}.` };
      if (schema.pattern !== undefined && !new RegExp(schema.pattern, "u").test(text))
        return { error: `${label} doesn't have the expected format.` };
      return { value: text };
    case "json": {
      let value: JsonValue;
      try {
        value = JSON.parse(text) as JsonValue;
      } catch {
        return { error: `${label} isn't valid JSON.` };
      }
      const type = mainType(schema);
      if (type === "object" && (typeof value !== "object" || value === null || Array.isArray(value)))
        return { error: `${label} must be a JSON object, like {"key": "value"}.` };
      if (type === "array" && !Array.isArray(value)) return { error: `${label} must be a JSON list, like ["a", "b"].` };
      return { value };
    }
  }
}

/** The run input the form describes, and a message per field that is not right yet (empty when it is). */
export function buildInput(fields: InputField[], values: FormValues): { input: JsonObject; errors: Record<string, string> } {
  const input: JsonObject = {};
  const errors: Record<string, string> = {};
  for (const field of fields) {
    const { value, error } = readField(field, values[field.name] ?? "");
    if (error) errors[field.name] = error;
    else if (value !== undefined) input[field.name] = value;
  }
  return { input, errors };
}

/** The JSON editor's text as input, or a sentence saying why it cannot be sent. */
export function parseJsonInput(text: string): { input?: JsonValue; error?: string } {
  if (text.trim() === "") return { input: null };
  try {
    return { input: JSON.parse(text) as JsonValue };
  } catch (error) {
    return { error: `This isn't valid JSON yet: ${error instanceof Error ? error.message : String(error)}` };
  }
}
