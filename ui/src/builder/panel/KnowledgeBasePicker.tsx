/** The knowledge node's `knowledge_base_id`: chosen from the organization's knowledge bases, not typed. */
import { ExternalLink } from "lucide-react";
import { Link } from "react-router";

import { errorMessage } from "@/api/http";
import { useKnowledgeBases } from "@/api/knowledge";
import { Alert } from "@/components/ui/feedback";
import { NativeSelect } from "@/components/ui/input";
import { formatBytes } from "@/lib/utils";

export function KnowledgeBasePicker({
  id,
  value,
  invalid,
  onChange,
}: {
  id: string;
  value: string;
  invalid?: boolean;
  onChange: (value: string | undefined) => void;
}) {
  const bases = useKnowledgeBases();
  const items = bases.data?.items ?? [];
  // An id that is not in the list (deleted, or from another org's export) stays visible instead of vanishing.
  const unknown = value !== "" && bases.isSuccess && !items.some((kb) => kb.id === value);
  return (
    <div className="space-y-1.5">
      <NativeSelect
        id={id}
        value={value}
        aria-invalid={invalid || unknown}
        disabled={bases.isPending}
        onChange={(e) => onChange(e.target.value === "" ? undefined : e.target.value)}
      >
        <option value="">{bases.isPending ? "Loading knowledge bases…" : "Choose a knowledge base"}</option>
        {unknown ? <option value={value}>Unknown knowledge base ({value})</option> : null}
        {items.map((kb) => (
          <option key={kb.id} value={kb.id}>
            {kb.name} · {kb.document_count} docs · {formatBytes(kb.bytes_used)}
          </option>
        ))}
      </NativeSelect>
      {bases.error ? <Alert>{errorMessage(bases.error)}</Alert> : null}
      {unknown ? <p className="text-xs text-red-600">This knowledge base does not exist in this organization.</p> : null}
      {bases.isSuccess && items.length === 0 ? (
        <p className="text-xs text-slate-500">
          No knowledge bases yet.{" "}
          <Link to="/knowledge" target="_blank" className="inline-flex items-center gap-0.5 text-indigo-700 hover:underline">
            Create one <ExternalLink className="size-3" />
          </Link>
        </p>
      ) : value && !unknown ? (
        <Link to={`/knowledge/${value}`} target="_blank" className="inline-flex items-center gap-0.5 text-xs text-indigo-700 hover:underline">
          Open it <ExternalLink className="size-3" />
        </Link>
      ) : null}
    </div>
  );
}
