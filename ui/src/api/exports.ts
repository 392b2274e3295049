/** Exports of the org's executions or audit log: requested, written by a flow run, downloaded by link. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { http, type Schemas } from "@/api/http";

export type Export = Schemas["ExportPublic"];
export type ExportCreate = Schemas["ExportCreate"];

export const exportKeys = { list: ["exports"] as const };

const POLL_MS = 2000;

function inProgress(item: Export): boolean {
  return item.status === "pending" || item.status === "running";
}

/** Polls while any export is still being written, then stops. */
export function useExports(enabled: boolean) {
  return useQuery({
    queryKey: exportKeys.list,
    queryFn: () => http.get<Schemas["PageOf_ExportPublic_"]>("/exports", { query: { limit: 50 } }),
    enabled,
    refetchInterval: (query) => (query.state.data?.items.some(inProgress) ? POLL_MS : false),
  });
}

export function useCreateExport() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: ExportCreate) => http.post<Export>("/exports", body),
    onSuccess: () => client.invalidateQueries({ queryKey: exportKeys.list }),
  });
}

/** A fresh download link (the previous one stops working). */
export function useExportLink() {
  return useMutation({
    mutationFn: (id: string) => http.post<Schemas["ExportLink"]>(`/exports/${id}/link`),
  });
}
