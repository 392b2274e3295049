/**
 * Client-side config validation against each node type's JSON Schema, for instant form feedback.
 *
 * An interpreting validator (`jsonschema`), not a compiling one: the app runs under a Content-Security-Policy
 * without `'unsafe-eval'`, which forbids the generated code a compiler such as Ajv evaluates.
 */
import { Validator, type ValidationError } from "jsonschema";

import type { JsonSchema, NodeType } from "@/api/definition";

const validator = new Validator();
// `$ref`s are resolved against a base URI. The library's default base is a bare "/" on a made-up scheme,
// which Chromium's URL parser refuses ("Invalid URL"); an https base resolves the same way everywhere.
const BASE_URI = "https://schemas.agentflow.invalid/node-config";

function messageFor(error: ValidationError): string {
  const argument: unknown = error.argument;
  switch (error.name) {
    case "required":
      return "Required.";
    case "minLength":
      return argument === 1 ? "Required." : `At least ${String(argument)} characters.`;
    case "maxLength":
      return `At most ${String(argument)} characters.`;
    case "enum":
      return `One of: ${(Array.isArray(argument) ? argument : []).join(", ")}.`;
    case "additionalProperties":
      return `Unknown field “${String(argument)}”.`;
    case "maximum":
      return `Must be <= ${String(argument)}.`;
    case "minimum":
      return `Must be >= ${String(argument)}.`;
    case "exclusiveMaximum":
      return `Must be < ${String(argument)}.`;
    case "exclusiveMinimum":
      return `Must be > ${String(argument)}.`;
    case "type":
      return `Must be ${(Array.isArray(argument) ? argument : [argument]).join(" or ")}.`;
    case "minItems":
      return `At least ${String(argument)} items.`;
    case "maxItems":
      return `At most ${String(argument)} items.`;
    default:
      return `${error.message.charAt(0).toUpperCase()}${error.message.slice(1)}.`;
  }
}

/** Errors by field path (`url`, `auth.type`, `conditions.0.op`); the first error per field wins. */
export function validateConfig(_type: NodeType, schema: JsonSchema, config: unknown): Record<string, string> {
  const result = validator.validate(config, schema as Parameters<Validator["validate"]>[1], {
    nestedErrors: true,
    base: BASE_URI,
  });
  const errors: Record<string, string> = {};
  for (const error of result.errors) {
    // anyOf branches repeat the real error; the summary line adds nothing.
    if (error.name === "anyOf" || error.name === "oneOf" || error.name === "allOf") continue;
    let path = error.path.map(String).join(".");
    if (error.name === "required") path = path ? `${path}.${String(error.argument)}` : String(error.argument);
    errors[path] ??= messageFor(error);
  }
  return errors;
}
