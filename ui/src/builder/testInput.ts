/**
 * The Test dialog's starting point: sample input generated from the trigger's `input_schema`, in the shape the
 * trigger produces (a webhook's run input is the delivery, `{body, headers, query}`, and its schema describes the
 * body), and the schema problems of what the person typed, shown before the run instead of as a failed step.
 */
import { Validator, type ValidationError } from "jsonschema";

import type { JsonObject, JsonSchema, JsonValue } from "@/api/definition";

/** Triggers whose run input is a delivery: `{body, headers, query}`, the schema describing the body. */
const DELIVERY_KINDS = new Set(["webhook", "integration"]);

export function isDelivery(trigger: JsonObject | null | undefined): boolean {
  return DELIVERY_KINDS.has(String(trigger?.kind ?? ""));
}

const mainType = (schema: JsonSchema): string | undefined =>
  Array.isArray(schema.type) ? schema.type.find((type) => type !== "null") : schema.type;

/** A value that fits `schema`: its default or first example if it has one, else the simplest that passes. */
export function sampleFromSchema(schema: JsonSchema | null | undefined, depth = 0): JsonValue {
  if (!schema || depth > 8) return null;
  if (schema.default !== undefined) return schema.default as JsonValue;
  if (schema.examples?.length) return schema.examples[0] as JsonValue;
  if (schema.enum?.length) return schema.enum[0] as JsonValue;
  if (schema.anyOf?.length) {
    const branch = schema.anyOf.find((option) => mainType(option) !== "null") ?? schema.anyOf[0];
    return sampleFromSchema(branch, depth + 1);
  }
  const type = mainType(schema) ?? (schema.properties ? "object" : undefined);
  switch (type) {
    case "object": {
      const value: JsonObject = {};
      for (const [name, property] of Object.entries(schema.properties ?? {})) value[name] = sampleFromSchema(property, depth + 1);
      return value;
    }
    case "array":
      return [];
    case "string": {
      const text = "example";
      const least = schema.minLength ?? 0;
      const padded = text.length >= least ? text : text.padEnd(least, "x");
      return schema.maxLength !== undefined ? padded.slice(0, Math.max(least, schema.maxLength)) : padded;
    }
    case "integer":
    case "number": {
      if (schema.minimum !== undefined) return schema.minimum;
      if (schema.exclusiveMinimum !== undefined) return type === "integer" ? Math.floor(schema.exclusiveMinimum) + 1 : schema.exclusiveMinimum + 1;
      if (schema.maximum !== undefined && schema.maximum < 0) return schema.maximum;
      return 0;
    }
    case "boolean":
      return false;
    default:
      return null;
  }
}

/** The test input to start from: the schema's sample (an empty object without one), as the trigger delivers it. */
export function sampleInput(trigger: JsonObject | null | undefined): JsonValue {
  const schema = (trigger?.input_schema ?? null) as JsonSchema | null;
  const sample = schema ? sampleFromSchema(schema) : {};
  if (isDelivery(trigger)) return { body: sample, headers: { "content-type": "application/json" }, query: {} };
  return sample;
}

const validator = new Validator();

const TYPE_WORDS: Record<string, string> = {
  string: "text",
  integer: "a whole number",
  number: "a number",
  boolean: "true or false",
  object: "an object",
  array: "a list",
  null: "empty",
};

/** `prefix` is "body" for a delivery: the schema describes the body. */
function sentence(error: ValidationError, prefix: string | null): string {
  const argument: unknown = error.argument;
  const path = [...(prefix ? [prefix] : []), ...error.path.map(String)].join(".");
  const at = path || "The input";
  switch (error.name) {
    case "required":
      return `${at} needs “${String(argument)}”.`;
    case "type":
      return `${at} must be ${(Array.isArray(argument) ? argument : [argument]).map((type) => TYPE_WORDS[String(type)] ?? String(type)).join(" or ")}.`;
    case "enum":
      return `${at} must be one of: ${(Array.isArray(argument) ? argument : []).map((v) => JSON.stringify(v)).join(", ")}.`;
    case "minLength":
      return argument === 1 ? `${at} can't be empty.` : `${at} must be at least ${String(argument)} characters long.`;
    case "maxLength":
      return `${at} can be at most ${String(argument)} characters long.`;
    case "minimum":
      return `${at} must be at least ${String(argument)}.`;
    case "maximum":
      return `${at} must be at most ${String(argument)}.`;
    case "additionalProperties":
      return `${at} has “${String(argument)}”, which the input schema does not allow.`;
    default:
      return `${at} ${error.message}.`;
  }
}

/**
 * What does not match the trigger's input schema (empty: it fits, or there is no schema). For a delivery the
 * schema is of `body`, and the input must be `{body, headers, query}`.
 */
export function inputProblems(trigger: JsonObject | null | undefined, input: JsonValue): string[] {
  const delivery = isDelivery(trigger);
  if (delivery && (typeof input !== "object" || input === null || Array.isArray(input) || !("body" in input)))
    return ["A webhook run's input is the delivery: an object with body, headers and query."];
  const schema = (trigger?.input_schema ?? null) as JsonSchema | null;
  if (!schema) return [];
  const subject = delivery ? (input as JsonObject).body ?? null : input;
  const result = validator.validate(subject, schema as Parameters<Validator["validate"]>[1], { base: "https://schemas.agentflow.invalid/input" });
  return result.errors.slice(0, 5).map((error) => sentence(error, delivery ? "body" : null));
}
