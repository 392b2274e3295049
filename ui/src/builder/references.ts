/** `{{root.path}}` references in node configs: find them, check them against the variables, rename roots. */
import type { Variable } from "@/api/agents";
import type { JsonValue } from "@/api/definition";

const EXPRESSION = /\{\{\s*(.*?)\s*\}\}/g;
// The leading dotted/indexed path of an expression: `a.b[0].c` in `{{ a.b[0].c | upper }}`.
const PATH = /^([A-Za-z_][A-Za-z0-9_]*)((?:\.[A-Za-z_][A-Za-z0-9_]*|\[\d+\]|\['[^']*'\]|\["[^"]*"\])*)/;

export interface FoundReference {
  /** The whole `{{ … }}` text. */
  text: string;
  root: string;
  /** Dotted path after the root, indexes as `.0`: `output.items.0.name`. */
  path: string;
  /** Config field the string sits in, e.g. `prompt` or `headers.Authorization`. */
  field: string;
}

function normalisePath(raw: string): string {
  return raw
    .replace(/\[(\d+)\]/g, ".$1")
    .replace(/\[['"]([^'"]*)['"]\]/g, ".$1")
    .replace(/^\./, "");
}

export function referencesIn(text: string, field = ""): FoundReference[] {
  const found: FoundReference[] = [];
  for (const match of text.matchAll(EXPRESSION)) {
    const path = match[1]?.match(PATH);
    if (!path?.[1]) continue;
    found.push({ text: match[0], root: path[1], path: normalisePath(path[2] ?? ""), field });
  }
  return found;
}

/** Every reference in a config value (strings nested in objects and lists), with its field path. */
export function referencesInValue(value: unknown, field = ""): FoundReference[] {
  if (typeof value === "string") return referencesIn(value, field);
  if (Array.isArray(value)) return value.flatMap((item, index) => referencesInValue(item, field ? `${field}.${index}` : String(index)));
  if (value && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => referencesInValue(item, field ? `${field}.${key}` : key));
  }
  return [];
}

/** `start.output.body` for a node output, `env.API_TOKEN` for a secret: the reference without braces. */
export function variableKey(variable: Variable): string {
  const fromTemplate = variable.template.match(/^\{\{\s*(.*?)\s*\}\}$/)?.[1];
  return fromTemplate ?? `${variable.root}.${variable.path}`;
}

/** `{{start.output.body}}`: what the variable picker inserts. */
export const variableTemplate = (variable: Variable): string => variable.template;

/** Paths a reference may go below: an object/array/any value can be indexed further, a string cannot. */
const OPEN_SHAPES = new Set(["object", "array", "any"]);

/**
 * A reference is fine when it names an available variable, or goes below one whose shape is open.
 * `trigger` is an alias of the trigger node.
 */
export function isReferenceAvailable(reference: FoundReference, variables: Variable[], triggerId: string | null): boolean {
  const root = reference.root === "trigger" && triggerId ? triggerId : reference.root;
  const full = reference.path ? `${root}.${reference.path}` : root;
  return variables.some((variable) => {
    const base = variableKey(variable);
    if (full === base) return true;
    if (full.startsWith(`${base}.`)) return OPEN_SHAPES.has(variable.shape);
    // `{{start.output}}` names a whole output whose fields are listed.
    return base.startsWith(`${full}.`);
  });
}

export function brokenReferences(config: unknown, variables: Variable[], triggerId: string | null): FoundReference[] {
  return referencesInValue(config).filter((reference) => !isReferenceAvailable(reference, variables, triggerId));
}

/** Rewrite `{{from.…}}` to `{{to.…}}` in every string; returns the same object when nothing changed. */
export function renameReferences(value: JsonValue, from: string, to: string): JsonValue {
  if (typeof value === "string") {
    if (!value.includes(from)) return value;
    const pattern = new RegExp(`(\\{\\{\\s*)${from}(?=[.\\[\\s|}])`, "g");
    return value.replace(pattern, `$1${to}`);
  }
  if (Array.isArray(value)) {
    const next = value.map((item) => renameReferences(item, from, to));
    return next.every((item, index) => item === value[index]) ? value : next;
  }
  if (value && typeof value === "object") {
    let changed = false;
    const next: Record<string, JsonValue> = {};
    for (const [key, item] of Object.entries(value)) {
      next[key] = renameReferences(item, from, to);
      changed ||= next[key] !== item;
    }
    return changed ? next : value;
  }
  return value;
}
