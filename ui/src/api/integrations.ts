/** Integrations: the catalog, the organization's connections, connect (OAuth or credentials), test, disconnect. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import type { Permission } from "@/api/auth";
import type { JsonObject, JsonSchema } from "@/api/definition";
import { http, type Schemas } from "@/api/http";

export type CatalogEntry = Schemas["CatalogEntry"];
export type CatalogField = Schemas["FieldPublic"];
export type Connection = Schemas["ConnectionPublic"];
export type ConnectBody = Schemas["ConnectBody"];
export type ConnectionTestResult = Schemas["ConnectionTestResult"];
/** OpenAPI leaves `params_schema` free-form: it is a JSON Schema, typed as the builder's forms read it. */
export type IntegrationAction = Omit<Schemas["ActionPublic"], "params_schema"> & { params_schema: JsonSchema };

/** The provider names of the connectors built on a URL rather than a catalog of fixed actions. */
export const CUSTOM_API = "custom_api";
export const MCP = "mcp";

/** Admins connect and disconnect; editors use connections in agents; viewers list them. */
export const INTEGRATIONS_CONNECT: Permission = "integrations:connect";

export const integrationKeys = {
  all: ["integrations"] as const,
  catalog: ["integrations", "catalog"] as const,
  connections: ["integrations", "connections"] as const,
};

export type ConnectAnswer = { kind: "authorize"; url: string } | { kind: "connected"; connection: Connection };

export const integrationsApi = {
  catalog: () => http.get<CatalogEntry[]>("/integrations/catalog"),
  connections: () => http.get<Connection[]>("/integrations"),
  /** OAuth answers 200 with the provider's authorize URL; credentials and URL connectors 201 with the connection. */
  connect: async (provider: string, body: ConnectBody | JsonObject): Promise<ConnectAnswer> => {
    const answer = await http.post<Schemas["AuthorizeAnswer"] | Connection>(`/integrations/${encodeURIComponent(provider)}/connect`, body);
    return "authorize_url" in answer ? { kind: "authorize", url: answer.authorize_url } : { kind: "connected", connection: answer };
  },
  test: (id: string) => http.post<ConnectionTestResult>(`/integrations/${id}/test`),
  remove: (id: string) => http.delete(`/integrations/${id}`),
};

export function useCatalog() {
  return useQuery({ queryKey: integrationKeys.catalog, queryFn: integrationsApi.catalog, staleTime: 5 * 60_000 });
}

export function useConnections(enabled = true) {
  return useQuery({ queryKey: integrationKeys.connections, queryFn: integrationsApi.connections, enabled });
}

/** The actions of a connection as the builder's forms read them (the API types the schema as free-form). */
export const actionsOf = (connection: Connection | undefined): IntegrationAction[] =>
  (connection?.actions ?? []) as IntegrationAction[];

export function useConnect() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ provider, body }: { provider: string; body: ConnectBody | JsonObject }) => integrationsApi.connect(provider, body),
    onSuccess: (answer) => (answer.kind === "connected" ? client.invalidateQueries({ queryKey: integrationKeys.connections }) : undefined),
  });
}

/** A test updates the connection's status (`error` with the provider's message, or back to `active`). */
export function useTestConnection() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: integrationsApi.test,
    onSuccess: () => client.invalidateQueries({ queryKey: integrationKeys.connections }),
  });
}

export function useDisconnect() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: integrationsApi.remove,
    onSuccess: () => client.invalidateQueries({ queryKey: integrationKeys.connections }),
  });
}
