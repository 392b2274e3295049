/** The organization's audit log: filtered pages for the viewer, and its CSV export. */
import { keepPreviousData, useInfiniteQuery } from "@tanstack/react-query";

import { downloadFile, http, type Schemas } from "@/api/http";

export type AuditEntry = Schemas["AuditLogPublic"];

/** The list's and the export's query parameters (GET /org/audit-logs); empty ones are not sent. */
export interface AuditFilters {
  action?: string;
  /** A user's or an API key's id. */
  actor?: string;
  resource_type?: string;
  resource_id?: string;
  /** ISO 8601, inclusive. */
  from?: string;
  /** ISO 8601, exclusive. */
  to?: string;
}

/** Actions the API records, offered as suggestions in the action filter (any other text is sent as is). */
export const AUDIT_ACTIONS = [
  "agent.created", "agent.updated", "agent.published", "agent.archived", "agent.executed", "agent.status_changed",
  "api_key.created", "api_key.revoked", "execution.approved", "execution.cancelled", "export.requested",
  "integration.connected", "integration.disconnected", "member.invited", "member.joined", "member.removed",
  "org.updated", "role.changed", "role.created", "role.updated", "role.deleted", "secret.created", "secret.updated",
  "secret.deleted", "sso.updated", "team.created", "webhook_endpoint.created", "webhook_endpoint.deleted",
];

const PAGE_SIZE = 50;

export const auditKeys = {
  list: (filters: AuditFilters) => ["org", "audit-logs", filters] as const,
};

export function useAuditLogs(filters: AuditFilters, enabled: boolean) {
  return useInfiniteQuery({
    queryKey: auditKeys.list(filters),
    queryFn: ({ pageParam }) =>
      http.get<Schemas["PageOf_AuditLogPublic_"]>("/org/audit-logs", {
        query: { ...filters, cursor: pageParam, limit: PAGE_SIZE },
      }),
    initialPageParam: null as string | null,
    getNextPageParam: (page) => page.next_cursor,
    placeholderData: keepPreviousData,
    enabled,
  });
}

/** Every entry matching `filters` as CSV (the server streams it; the browser saves it). */
export function exportAuditCsv(filters: AuditFilters) {
  return downloadFile("/org/audit-logs/export", "audit-log.csv", { query: { ...filters, format: "csv" } });
}
