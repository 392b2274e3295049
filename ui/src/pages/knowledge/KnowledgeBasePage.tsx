/** /knowledge/:knowledgeBaseId — add documents, follow their ingestion, test queries, delete the knowledge base. */
import { useQueryClient } from "@tanstack/react-query";
import { ArrowLeft } from "lucide-react";
import * as React from "react";
import { Link, useNavigate, useParams } from "react-router";

import { errorMessage } from "@/api/http";
import {
  BUSY_STATUSES,
  KNOWLEDGE_WRITE,
  knowledgeKeys,
  useDeleteKnowledgeBase,
  useDocuments,
  useKnowledgeBase,
  type KnowledgeBase,
} from "@/api/knowledge";
import { useAuth } from "@/auth/AuthProvider";
import { ConfirmButton } from "@/components/ui/confirm";
import { Alert, Spinner, toast } from "@/components/ui/feedback";
import { PageHeader } from "@/layout/AppShell";
import { formatBytes } from "@/lib/utils";
import { DocumentsTable } from "@/pages/knowledge/DocumentsTable";
import { QueryPanel } from "@/pages/knowledge/QueryPanel";
import { UploadPanel } from "@/pages/knowledge/UploadPanel";

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? "" : "s"}`;

function DeleteKnowledgeBase({ kb }: { kb: KnowledgeBase }) {
  const remove = useDeleteKnowledgeBase();
  const navigate = useNavigate();
  return (
    <ConfirmButton
      variant="outline"
      className="text-red-600"
      title={`Delete ${kb.name}?`}
      description={`This deletes ${plural(kb.document_count, "document")} and their ${plural(kb.chunk_count, "chunk")}, with the stored files. Agents whose knowledge node uses it will fail until it is replaced. This cannot be undone.`}
      confirmLabel="Delete knowledge base"
      onConfirm={() =>
        remove.mutate(kb.id, {
          onSuccess: () => {
            toast(`${kb.name} deleted`, "success");
            void navigate("/knowledge");
          },
          onError: (error) => toast(errorMessage(error), "error"),
        })
      }
    >
      Delete
    </ConfirmButton>
  );
}

function Settings({ kb }: { kb: KnowledgeBase }) {
  const items: [string, string][] = [
    ["Documents", String(kb.document_count)],
    ["Chunks", String(kb.chunk_count)],
    ["Size", formatBytes(kb.bytes_used)],
    ["Model", kb.dimensions ? `${kb.embedding_model} (${kb.dimensions} dims)` : kb.embedding_model],
    ["Chunking", `${kb.chunk_strategy}, ${kb.chunk_size} tokens, ${kb.chunk_overlap} overlap`],
  ];
  return (
    <dl className="mb-5 flex flex-wrap gap-x-8 gap-y-2 rounded-lg border border-slate-200 bg-white px-4 py-3 text-sm" aria-label="Knowledge base settings">
      {items.map(([label, value]) => (
        <div key={label}>
          <dt className="text-xs text-slate-400">{label}</dt>
          <dd className="font-medium text-slate-800" data-testid={`kb-${label.toLowerCase()}`}>{value}</dd>
        </div>
      ))}
    </dl>
  );
}

export function KnowledgeBasePage() {
  const { knowledgeBaseId = "" } = useParams();
  const { can } = useAuth();
  const writable = can(KNOWLEDGE_WRITE);
  // Shares the documents query with the table: while any is being ingested the counts above move too.
  const documents = useDocuments(knowledgeBaseId);
  const busy = documents.data?.items.some((doc) => BUSY_STATUSES.has(doc.status)) ?? false;
  const kb = useKnowledgeBase(knowledgeBaseId, busy);
  // The last poll while busy may predate the final chunk count: read the totals once more when ingestion ends.
  const client = useQueryClient();
  const wasBusy = React.useRef(busy);
  React.useEffect(() => {
    if (wasBusy.current && !busy) {
      void client.invalidateQueries({ queryKey: knowledgeKeys.detail(knowledgeBaseId) });
      void client.invalidateQueries({ queryKey: knowledgeKeys.list });
    }
    wasBusy.current = busy;
  }, [busy, client, knowledgeBaseId]);
  if (kb.isPending) return <Spinner className="p-6" />;
  if (kb.error) {
    return (
      <div className="space-y-3 p-6">
        <Alert>{errorMessage(kb.error)}</Alert>
        <Link to="/knowledge" className="text-sm text-indigo-700 hover:underline">Back to knowledge bases</Link>
      </div>
    );
  }
  return (
    <div className="p-6">
      <Link to="/knowledge" className="mb-2 inline-flex items-center gap-1 text-sm text-slate-500 hover:text-slate-800">
        <ArrowLeft className="size-4" /> Knowledge
      </Link>
      <PageHeader title={kb.data.name} description={kb.data.description || undefined} actions={writable ? <DeleteKnowledgeBase kb={kb.data} /> : null} />
      <Settings kb={kb.data} />
      <div className="grid gap-5 xl:grid-cols-[minmax(0,1fr)_28rem]">
        <div className="min-w-0 space-y-5">
          {writable ? <UploadPanel knowledgeBaseId={knowledgeBaseId} /> : null}
          <section aria-labelledby="kb-documents-heading" className="space-y-3">
            <h2 id="kb-documents-heading" className="text-base font-semibold text-slate-900">Documents</h2>
            <DocumentsTable knowledgeBaseId={knowledgeBaseId} writable={writable} />
          </section>
        </div>
        <div>
          <QueryPanel knowledgeBaseId={knowledgeBaseId} empty={kb.data.chunk_count === 0} />
        </div>
      </div>
    </div>
  );
}
