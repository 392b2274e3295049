/** /knowledge — the organization's knowledge bases with their sizes, and the create dialog. */
import { BookOpen } from "lucide-react";
import { Link } from "react-router";

import { errorMessage } from "@/api/http";
import { KNOWLEDGE_WRITE, useKnowledgeBases } from "@/api/knowledge";
import { useAuth } from "@/auth/AuthProvider";
import { Alert, EmptyState, Spinner } from "@/components/ui/feedback";
import { Table, Td, Th } from "@/components/ui/table";
import { PageHeader } from "@/layout/AppShell";
import { formatBytes } from "@/lib/utils";
import { CreateKnowledgeBaseDialog } from "@/pages/knowledge/CreateKnowledgeBaseDialog";

export function KnowledgeBasesPage() {
  const { can } = useAuth();
  const writable = can(KNOWLEDGE_WRITE);
  const bases = useKnowledgeBases();
  return (
    <div className="p-6">
      <PageHeader
        title="Knowledge"
        description="Documents your agents search with the knowledge node: upload files or add pages, then query them."
        actions={writable ? <CreateKnowledgeBaseDialog /> : null}
      />
      {bases.isPending ? (
        <Spinner />
      ) : bases.error ? (
        <Alert>{errorMessage(bases.error)}</Alert>
      ) : bases.data.items.length === 0 ? (
        <EmptyState icon={<BookOpen />} title="No knowledge bases yet" action={writable ? <CreateKnowledgeBaseDialog /> : null}>
          Create one, upload PDFs, Word files, CSV, Markdown, text or web pages, and agents can answer from them.
        </EmptyState>
      ) : (
        <Table aria-label="Knowledge bases">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Description</Th>
              <Th className="text-right">Documents</Th>
              <Th className="text-right">Chunks</Th>
              <Th className="text-right">Size</Th>
              <Th>Model</Th>
            </tr>
          </thead>
          <tbody>
            {bases.data.items.map((kb) => (
              <tr key={kb.id}>
                <Td>
                  <Link to={`/knowledge/${kb.id}`} className="font-medium text-slate-900 hover:text-indigo-700">
                    {kb.name}
                  </Link>
                </Td>
                <Td className="max-w-sm truncate text-slate-500">{kb.description || "—"}</Td>
                <Td className="text-right tabular-nums">{kb.document_count}</Td>
                <Td className="text-right tabular-nums">{kb.chunk_count}</Td>
                <Td className="text-right tabular-nums">{formatBytes(kb.bytes_used)}</Td>
                <Td className="font-mono text-xs">{kb.embedding_model}</Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </div>
  );
}
