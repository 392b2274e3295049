/** Catalog entries and connections as the API sends them (typed with the API's types: a drift fails the typecheck). */
import type { Schemas } from "@/api/http";
import type { CatalogEntry, Connection, IntegrationAction } from "@/api/integrations";

/** The wire shape; overrides may give `params_schema` as the builder reads it. */
export function integrationAction(overrides: Partial<IntegrationAction> = {}): Schemas["ActionPublic"] {
  const action: IntegrationAction = {
    name: "create_issue",
    description: "Open an issue in a repository.",
    side_effect: true,
    result_schema: null,
    params_schema: {
      type: "object",
      properties: {
        repo: { type: "string", title: "Repo", description: "owner/name" },
        title: { type: "string", title: "Title" },
        draft: { type: "boolean", title: "Draft" },
        priority: { type: "integer", title: "Priority", minimum: 1, maximum: 5 },
        state: { type: "string", enum: ["open", "closed"], title: "State" },
        labels: { type: "array", items: { type: "string" }, title: "Labels" },
        fields: { type: "object", title: "Fields", additionalProperties: true },
      },
      required: ["repo", "title"],
    },
    ...overrides,
  };
  return { ...action, params_schema: action.params_schema as Record<string, unknown> };
}

export function catalogEntry(overrides: Partial<CatalogEntry> = {}): CatalogEntry {
  return {
    name: "github",
    label: "GitHub",
    description: "Issues, comments and pull requests.",
    category: "engineering",
    kind: "integration",
    auth_kinds: ["oauth2", "token"],
    scopes: ["repo"],
    oauth_configured: true,
    credential_fields: [{ name: "token", label: "Personal access token", secret: true, required: true, description: "" }],
    config_fields: [],
    actions: [integrationAction()],
    ...overrides,
  };
}

export function connection(overrides: Partial<Connection> = {}): Connection {
  return {
    id: "conn-1",
    provider: "github",
    name: "Engineering GitHub",
    auth_kind: "token",
    status: "active",
    scopes: ["repo"],
    account: "octo-org",
    config: {},
    last_error: null,
    token_expires_at: null,
    connected_at: "2026-03-01T10:00:00Z",
    connected_by: "u1",
    created_at: "2026-03-01T10:00:00Z",
    updated_at: "2026-03-01T10:00:00Z",
    actions: [integrationAction()],
    ...overrides,
  };
}
