import { Plus } from "lucide-react";
import * as React from "react";
import { useNavigate } from "react-router";

import { errorMessage } from "@/api/http";
import { CHUNK_STRATEGIES, useCreateKnowledgeBase, type ChunkStrategy } from "@/api/knowledge";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogFooter } from "@/components/ui/dialog";
import { Alert } from "@/components/ui/feedback";
import { Field, Input, NativeSelect, Textarea } from "@/components/ui/input";

/** Suggestions only: any provider model the router knows is accepted, and the API says why one is not. */
const MODEL_SUGGESTIONS = ["openai/text-embedding-3-small", "openai/text-embedding-3-large", "ollama/nomic-embed-text"];

const STRATEGY_LABELS: Record<ChunkStrategy, string> = {
  recursive: "Recursive (size and overlap)",
  structure: "Structure (headings and paragraphs)",
};

export function CreateKnowledgeBaseDialog() {
  const [open, setOpen] = React.useState(false);
  const [name, setName] = React.useState("");
  const [description, setDescription] = React.useState("");
  const [model, setModel] = React.useState("");
  const [size, setSize] = React.useState(512);
  const [overlap, setOverlap] = React.useState(64);
  const [strategy, setStrategy] = React.useState<ChunkStrategy>("recursive");
  const create = useCreateKnowledgeBase();
  const navigate = useNavigate();
  const overlapError = overlap >= size ? "Must be smaller than the chunk size." : null;
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) create.reset();
      }}
    >
      <Button onClick={() => setOpen(true)}>
        <Plus /> New knowledge base
      </Button>
      <DialogContent title="Create a knowledge base" description="Upload documents next; agents search it with the knowledge node.">
        <form
          className="space-y-4"
          onSubmit={(event) => {
            event.preventDefault();
            create.mutate(
              {
                name,
                description,
                // Empty: the server's default, the offline model that needs no API key.
                embedding_model: model.trim() || undefined,
                chunk_size: size,
                chunk_overlap: overlap,
                chunk_strategy: strategy,
              },
              { onSuccess: (kb) => navigate(`/knowledge/${kb.id}`) },
            );
          }}
        >
          {create.error ? <Alert>{errorMessage(create.error)}</Alert> : null}
          <Field id="kb-name" label="Name">
            <Input id="kb-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field id="kb-description" label="Description">
            <Textarea id="kb-description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
          </Field>
          <Field
            id="kb-model"
            label="Embedding model"
            hint="Leave empty for the built-in offline model (no API key, no internet). Others, e.g. openai/text-embedding-3-small, use the provider settings."
          >
            <Input
              id="kb-model"
              list="kb-model-suggestions"
              placeholder="offline default"
              className="font-mono text-xs"
              value={model}
              onChange={(e) => setModel(e.target.value)}
            />
            <datalist id="kb-model-suggestions">
              {MODEL_SUGGESTIONS.map((suggestion) => (
                <option key={suggestion} value={suggestion} />
              ))}
            </datalist>
          </Field>
          <div className="grid grid-cols-2 gap-3">
            <Field id="kb-chunk-size" label="Chunk size (tokens)">
              <Input id="kb-chunk-size" type="number" min={64} max={4096} required value={size} onChange={(e) => setSize(Number(e.target.value))} />
            </Field>
            <Field id="kb-chunk-overlap" label="Overlap (tokens)" error={overlapError}>
              <Input
                id="kb-chunk-overlap"
                type="number"
                min={0}
                max={1024}
                required
                aria-invalid={Boolean(overlapError)}
                value={overlap}
                onChange={(e) => setOverlap(Number(e.target.value))}
              />
            </Field>
          </div>
          <Field id="kb-strategy" label="Chunking strategy">
            <NativeSelect id="kb-strategy" value={strategy} onChange={(e) => setStrategy(e.target.value as ChunkStrategy)}>
              {CHUNK_STRATEGIES.map((option) => (
                <option key={option} value={option}>
                  {STRATEGY_LABELS[option]}
                </option>
              ))}
            </NativeSelect>
          </Field>
          <DialogFooter>
            <Button type="submit" disabled={create.isPending || Boolean(overlapError)}>
              {create.isPending ? "Creating…" : "Create knowledge base"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
