/** A new node's config: the schema's defaults plus an empty value for each required field. */
import type { JsonObject, JsonSchema, JsonValue, NodeType, NodeTypeInfo } from "@/api/definition";

/** Follow `$ref` and drop `null` from `anyOf`, so forms see the real field type. */
export function resolveSchema(schema: JsonSchema, root: JsonSchema): { schema: JsonSchema; nullable: boolean } {
  let current = schema;
  let nullable = false;
  for (let depth = 0; depth < 8; depth++) {
    if (current.$ref) {
      const name = current.$ref.replace(/^#\/\$defs\//, "");
      current = { ...root.$defs?.[name], ...current, $ref: undefined };
      continue;
    }
    if (current.anyOf) {
      const options = current.anyOf.filter((option) => option.type !== "null");
      nullable = nullable || options.length < current.anyOf.length;
      if (options.length === 1 && options[0]) {
        const { anyOf: _drop, ...rest } = current;
        current = { ...rest, ...options[0] };
        continue;
      }
    }
    break;
  }
  return { schema: current, nullable };
}

function emptyValue(schema: JsonSchema, root: JsonSchema): JsonValue {
  const { schema: resolved } = resolveSchema(schema, root);
  if (resolved.default !== undefined) return resolved.default as JsonValue;
  if (resolved.enum?.length) return resolved.enum[0] as JsonValue;
  switch (resolved.type) {
    case "string":
      return "";
    case "number":
    case "integer":
      return resolved.minimum ?? 0;
    case "boolean":
      return false;
    case "array":
      return [];
    case "object":
      return resolved.properties ? defaultObject(resolved, root) : {};
    default:
      return "";
  }
}

function defaultObject(schema: JsonSchema, root: JsonSchema): JsonObject {
  const config: JsonObject = {};
  const required = new Set(schema.required ?? []);
  for (const [key, property] of Object.entries(schema.properties ?? {})) {
    if (required.has(key)) config[key] = emptyValue(property, root);
  }
  return config;
}

/** Starting configs that make a freshly dropped node meaningful (a condition row, a case). */
const STARTERS: Partial<Record<NodeType, JsonObject>> = {
  "logic.if": { conditions: [{ left: "", op: "eq", right: "" }] },
  "logic.switch": { value: "", cases: [{ name: "case_1", equals: "" }] },
  trigger: { kind: "manual" },
};

export function defaultConfig(info: NodeTypeInfo): JsonObject {
  return { ...defaultObject(info.config_schema, info.config_schema), ...STARTERS[info.type] };
}

export function defaultItem(schema: JsonSchema, root: JsonSchema): JsonValue {
  return emptyValue(schema, root);
}
