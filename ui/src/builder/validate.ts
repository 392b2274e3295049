/** Client-side config validation against each node type's JSON Schema (Ajv), for instant form feedback. */
import Ajv2020, { type ErrorObject, type ValidateFunction } from "ajv/dist/2020";

import type { JsonSchema, NodeType } from "@/api/definition";

const ajv = new Ajv2020({ allErrors: true, strict: false });
const compiled = new Map<NodeType, ValidateFunction>();

function messageFor(error: ErrorObject): string {
  switch (error.keyword) {
    case "required":
      return "Required.";
    case "minLength":
      return (error.params as { limit: number }).limit === 1 ? "Required." : `At least ${(error.params as { limit: number }).limit} characters.`;
    case "enum":
      return `One of: ${((error.params as { allowedValues: unknown[] }).allowedValues ?? []).join(", ")}.`;
    case "additionalProperties":
      return `Unknown field “${(error.params as { additionalProperty: string }).additionalProperty}”.`;
    default:
      return `${error.message ?? "Invalid"}.`.replace(/^must/, "Must");
  }
}

/** Errors by field path (`url`, `auth.type`, `conditions.0.op`); the first error per field wins. */
export function validateConfig(type: NodeType, schema: JsonSchema, config: unknown): Record<string, string> {
  let validate = compiled.get(type);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(type, validate);
  }
  if (validate(config)) return {};
  const errors: Record<string, string> = {};
  for (const error of validate.errors ?? []) {
    // anyOf branches repeat the real error; the summary line adds nothing.
    if (error.keyword === "anyOf") continue;
    let path = error.instancePath.replace(/^\//, "").replaceAll("/", ".");
    if (error.keyword === "required") {
      const missing = (error.params as { missingProperty: string }).missingProperty;
      path = path ? `${path}.${missing}` : missing;
    }
    errors[path] ??= messageFor(error);
  }
  return errors;
}
