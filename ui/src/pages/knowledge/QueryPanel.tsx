/** The test-query box: what the knowledge node would retrieve, ranked, with the query's words marked. */
import { Search } from "lucide-react";
import * as React from "react";

import { errorMessage } from "@/api/http";
import { QUERY_MODES, useTestQuery, type QueryMode, type RetrievedChunk } from "@/api/knowledge";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/feedback";
import { Field, Input, NativeSelect } from "@/components/ui/input";
import { highlightParts } from "@/pages/knowledge/highlight";

export const MODE_LABELS: Record<QueryMode, string> = {
  hybrid: "Hybrid (vector + keyword)",
  vector: "Vector (meaning)",
  keyword: "Keyword (full text)",
};

/** Reciprocal-rank-fusion scores are small (≈0.03): show enough digits to tell neighbours apart. */
const formatScore = (score: number): string => (Math.abs(score) >= 1 ? score.toFixed(2) : score.toPrecision(3));

function Highlighted({ text, query }: { text: string; query: string }) {
  return (
    <>
      {highlightParts(text, query).map((part, index) =>
        part.hit ? (
          <mark key={index} className="rounded-sm bg-amber-200 px-0.5 text-slate-900">
            {part.text}
          </mark>
        ) : (
          <React.Fragment key={index}>{part.text}</React.Fragment>
        ),
      )}
    </>
  );
}

function ChunkCard({ chunk, rank, query }: { chunk: RetrievedChunk; rank: number; query: string }) {
  return (
    <li className="rounded-md border border-slate-200 p-3" data-testid="query-result">
      <div className="mb-1.5 flex flex-wrap items-center gap-x-3 gap-y-1 text-xs text-slate-500">
        <span className="font-semibold text-slate-700">#{rank}</span>
        <span className="font-medium text-slate-800">{chunk.document_name}</span>
        {chunk.page != null ? <span>p. {chunk.page}</span> : null}
        {chunk.heading ? <span className="truncate italic">§ {chunk.heading}</span> : null}
        <span className="ml-auto font-mono tabular-nums" title="Score">
          score {formatScore(chunk.score)}
        </span>
      </div>
      <p className="whitespace-pre-wrap text-sm text-slate-700">
        <Highlighted text={chunk.content} query={query} />
      </p>
    </li>
  );
}

export function QueryPanel({ knowledgeBaseId, empty }: { knowledgeBaseId: string; empty: boolean }) {
  const [query, setQuery] = React.useState("");
  const [mode, setMode] = React.useState<QueryMode>("hybrid");
  const [topK, setTopK] = React.useState(5);
  const run = useTestQuery(knowledgeBaseId);
  // The words to mark are those of the query that produced the results, not of what is being typed.
  const [asked, setAsked] = React.useState("");
  return (
    <section aria-labelledby="kb-query-heading" className="space-y-4 rounded-lg border border-slate-200 bg-white p-4">
      <div>
        <h2 id="kb-query-heading" className="text-base font-semibold text-slate-900">Test a query</h2>
        <p className="text-sm text-slate-500">See what an agent's knowledge node would get back.</p>
      </div>
      <form
        className="space-y-3"
        onSubmit={(event) => {
          event.preventDefault();
          setAsked(query);
          run.mutate({ query, mode, top_k: topK, rerank: false });
        }}
      >
        <Field id="kb-query" label="Query">
          <Input id="kb-query" type="search" required value={query} onChange={(e) => setQuery(e.target.value)} placeholder="How do refunds work?" />
        </Field>
        <div className="grid grid-cols-[1fr_6rem] gap-3">
          <Field id="kb-query-mode" label="Mode">
            <NativeSelect id="kb-query-mode" value={mode} onChange={(e) => setMode(e.target.value as QueryMode)}>
              {QUERY_MODES.map((option) => (
                <option key={option} value={option}>
                  {MODE_LABELS[option]}
                </option>
              ))}
            </NativeSelect>
          </Field>
          <Field id="kb-query-top-k" label="Top K">
            <Input id="kb-query-top-k" type="number" min={1} max={50} required value={topK} onChange={(e) => setTopK(Number(e.target.value))} />
          </Field>
        </div>
        <Button type="submit" disabled={run.isPending || query.trim() === ""}>
          <Search /> {run.isPending ? "Searching…" : "Search"}
        </Button>
      </form>
      {run.error ? <Alert>{errorMessage(run.error)}</Alert> : null}
      {run.data ? (
        run.data.chunks.length === 0 ? (
          <Alert tone="info">{empty ? "Nothing to search yet: add documents and wait until they are ready." : "No chunk matched this query."}</Alert>
        ) : (
          <ol aria-label="Results" className="space-y-2">
            {run.data.chunks.map((chunk, index) => (
              <ChunkCard key={`${chunk.document_id}-${index}`} chunk={chunk} rank={index + 1} query={asked} />
            ))}
          </ol>
        )
      ) : null}
    </section>
  );
}
