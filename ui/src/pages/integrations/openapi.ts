/**
 * A preview of what an OpenAPI 3 import turns into actions, read in the browser before connecting: one action
 * per operation, named by its `operationId` the way the API names them. The API does the real import (and
 * resolves `$ref`s, builds each params schema, lists what it cannot map); this only lets the person check the
 * document is the one they meant.
 */

/** The API's bounds: the document's size and its operation count. */
export const MAX_DOCUMENT_BYTES = 1024 * 1024;
export const MAX_OPERATIONS = 200;

const METHODS = ["get", "put", "post", "delete", "options", "head", "patch"] as const;
const READ_METHODS = new Set(["GET", "HEAD"]);

export interface PreviewAction {
  name: string;
  method: string;
  path: string;
  description: string;
  sideEffect: boolean;
  /** Why the API will not import it (a request body that cannot be JSON), else null. */
  skipped: string | null;
}

export type OpenApiPreview =
  | { ok: true; document: Record<string, unknown>; title: string; serverUrl: string | null; actions: PreviewAction[] }
  | { ok: false; error: string };

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** An inline request body with content types, none of them JSON (a `$ref`'d body is left to the API). */
function nonJsonBody(operation: Record<string, unknown>): string | null {
  const body = operation.requestBody;
  if (!isObject(body) || !isObject(body.content)) return null;
  const types = Object.keys(body.content);
  return types.length && !types.some((type) => type.includes("json")) ? `body is ${types.join(", ")}, not JSON` : null;
}

/** `operationId` with anything outside `[A-Za-z0-9_]` as `_`; without one, the method and path. */
export function actionName(operationId: unknown, method: string, path: string): string {
  const notName = /[^A-Za-z0-9_]+/g;
  if (typeof operationId === "string" && operationId.trim()) {
    return operationId.replace(notName, "_").replace(/^_+|_+$/g, "").slice(0, 64) || method;
  }
  const slug = path.replace(notName, "_").replace(/_+/g, "_").replace(/^_+|_+$/g, "");
  return `${method}_${slug}`.slice(0, 64).replace(/_+$/, "");
}

function firstServer(document: Record<string, unknown>): string | null {
  const servers = document.servers;
  const url = Array.isArray(servers) && isObject(servers[0]) ? servers[0].url : null;
  return typeof url === "string" && /^https?:\/\//.test(url) && !url.includes("{") ? url : null;
}

export function previewOpenApi(text: string): OpenApiPreview {
  if (new TextEncoder().encode(text).length > MAX_DOCUMENT_BYTES) {
    return { ok: false, error: `The document is larger than ${MAX_DOCUMENT_BYTES / 1024} KiB.` };
  }
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch (error) {
    return { ok: false, error: `Not valid JSON: ${(error as Error).message}` };
  }
  if (!isObject(document)) return { ok: false, error: "The document must be a JSON object." };
  if (typeof document.openapi !== "string" || !document.openapi.startsWith("3.")) {
    return { ok: false, error: "Not an OpenAPI 3 document (its `openapi` field must be 3.x)." };
  }
  if (!isObject(document.paths)) return { ok: false, error: "The document has no paths." };
  const actions: PreviewAction[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    if (!isObject(item)) continue;
    for (const method of METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      const upper = method.toUpperCase();
      const summary = operation.summary ?? operation.description;
      actions.push({
        name: actionName(operation.operationId, method, path),
        method: upper,
        path,
        description: typeof summary === "string" ? summary : "",
        sideEffect: !READ_METHODS.has(upper),
        skipped: nonJsonBody(operation),
      });
    }
  }
  if (actions.length === 0) return { ok: false, error: "The document has no operations." };
  if (actions.length > MAX_OPERATIONS) return { ok: false, error: `The document has more than ${MAX_OPERATIONS} operations.` };
  const info = isObject(document.info) ? document.info : {};
  return { ok: true, document, title: typeof info.title === "string" ? info.title : "", serverUrl: firstServer(document), actions };
}
