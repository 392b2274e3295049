/** A knowledge base's documents with their live ingestion status, failure reasons, reindex and delete. */
import { FileText, Loader2, RefreshCw } from "lucide-react";

import { errorMessage } from "@/api/http";
import { BUSY_STATUSES, useDeleteDocument, useDocuments, useReindexDocument, type KnowledgeDocument } from "@/api/knowledge";
import { StatusBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmButton } from "@/components/ui/confirm";
import { Alert, EmptyState, Spinner, toast } from "@/components/ui/feedback";
import { Table, Td, Th } from "@/components/ui/table";
import { formatBytes, timeAgo } from "@/lib/utils";

function DocumentName({ doc }: { doc: KnowledgeDocument }) {
  return (
    <div className="min-w-0">
      <div className="truncate font-medium text-slate-900" title={doc.name}>{doc.name}</div>
      {doc.source_url ? (
        <a href={doc.source_url} target="_blank" rel="noreferrer noopener" className="block truncate text-xs text-indigo-700 hover:underline">
          {doc.source_url}
        </a>
      ) : doc.kind ? (
        <div className="text-xs uppercase text-slate-400">{doc.kind}</div>
      ) : null}
    </div>
  );
}

function DocumentRow({ knowledgeBaseId, doc, writable }: { knowledgeBaseId: string; doc: KnowledgeDocument; writable: boolean }) {
  const reindex = useReindexDocument(knowledgeBaseId);
  const remove = useDeleteDocument(knowledgeBaseId);
  const onError = (error: unknown) => toast(errorMessage(error), "error");
  const busy = BUSY_STATUSES.has(doc.status);
  return (
    <tr data-testid="document-row" data-status={doc.status}>
      <Td className="max-w-xs">
        <DocumentName doc={doc} />
      </Td>
      <Td>
        <div className="flex items-center gap-1.5">
          {busy ? <Loader2 className="size-3.5 animate-spin text-sky-600" aria-hidden /> : null}
          <StatusBadge status={doc.status} />
        </div>
        {doc.status === "failed" && doc.error ? (
          <p className="mt-1 max-w-sm text-xs text-red-700">{doc.error}</p>
        ) : null}
      </Td>
      <Td className="text-right tabular-nums">{doc.pages ?? "—"}</Td>
      <Td className="text-right tabular-nums">{doc.status === "ready" ? doc.chunks : "—"}</Td>
      <Td className="text-right tabular-nums">{formatBytes(doc.bytes)}</Td>
      <Td title={doc.created_at}>{timeAgo(doc.created_at)}</Td>
      <Td>
        {writable ? (
          <div className="flex justify-end gap-1">
            <Button
              variant="ghost"
              size="sm"
              disabled={busy || reindex.isPending}
              aria-label={`Reindex ${doc.name}`}
              onClick={() => reindex.mutate(doc.id, { onError, onSuccess: () => toast(`Reindexing ${doc.name}`, "info") })}
            >
              <RefreshCw /> Reindex
            </Button>
            <ConfirmButton
              variant="ghost"
              size="sm"
              className="text-red-600"
              aria-label={`Delete ${doc.name}`}
              title={`Delete ${doc.name}`}
              description="Its chunks and stored file are deleted; agents stop finding it."
              confirmLabel="Delete document"
              onConfirm={() => remove.mutate(doc.id, { onError })}
            >
              Delete
            </ConfirmButton>
          </div>
        ) : null}
      </Td>
    </tr>
  );
}

export function DocumentsTable({ knowledgeBaseId, writable }: { knowledgeBaseId: string; writable: boolean }) {
  const documents = useDocuments(knowledgeBaseId);
  if (documents.isPending) return <Spinner label="Loading documents…" />;
  if (documents.error) return <Alert>{errorMessage(documents.error)}</Alert>;
  if (documents.data.items.length === 0) {
    return (
      <EmptyState icon={<FileText />} title="No documents yet">
        {writable ? "Drop files above or add a web page; each is parsed, chunked and embedded in the background." : "An editor adds documents here."}
      </EmptyState>
    );
  }
  return (
    <Table aria-label="Documents">
      <thead>
        <tr>
          <Th>Document</Th>
          <Th>Status</Th>
          <Th className="text-right">Pages</Th>
          <Th className="text-right">Chunks</Th>
          <Th className="text-right">Size</Th>
          <Th>Added</Th>
          <Th className="w-44" />
        </tr>
      </thead>
      <tbody>
        {documents.data.items.map((doc) => (
          <DocumentRow key={doc.id} knowledgeBaseId={knowledgeBaseId} doc={doc} writable={writable} />
        ))}
      </tbody>
    </Table>
  );
}
