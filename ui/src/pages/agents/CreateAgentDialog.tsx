import { Plus } from "lucide-react";
import * as React from "react";
import { useNavigate } from "react-router";

import { useCreateAgent } from "@/api/agents";
import type { AgentDefinition } from "@/api/definition";
import { errorMessage } from "@/api/http";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogFooter } from "@/components/ui/dialog";
import { Alert } from "@/components/ui/feedback";
import { Field, Input, Textarea } from "@/components/ui/input";

/** A new agent starts with a manual trigger so the canvas is never empty. */
export const STARTER_DEFINITION: AgentDefinition = {
  nodes: [{ id: "start", type: "trigger", name: "Start", config: { kind: "manual" }, position: { x: 0, y: 0 } }],
  edges: [],
  settings: {},
};

export function CreateAgentDialog() {
  const [open, setOpen] = React.useState(false);
  const [name, setName] = React.useState("");
  const [description, setDescription] = React.useState("");
  const [tags, setTags] = React.useState("");
  const create = useCreateAgent();
  const navigate = useNavigate();
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) create.reset();
      }}
    >
      <Button onClick={() => setOpen(true)}>
        <Plus /> New agent
      </Button>
      <DialogContent title="Create an agent" description="You land in the builder with a manual trigger to start from.">
        <form
          className="space-y-4"
          onSubmit={(event) => {
            event.preventDefault();
            create.mutate(
              {
                name,
                description,
                tags: tags.split(",").map((t) => t.trim()).filter(Boolean),
                definition: STARTER_DEFINITION,
              },
              { onSuccess: (agent) => navigate(`/agents/${agent.id}`) },
            );
          }}
        >
          {create.error ? <Alert>{errorMessage(create.error)}</Alert> : null}
          <Field id="agent-name" label="Name">
            <Input id="agent-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field id="agent-description" label="Description">
            <Textarea id="agent-description" rows={2} value={description} onChange={(e) => setDescription(e.target.value)} />
          </Field>
          <Field id="agent-tags" label="Tags" hint="Comma-separated, e.g. support, triage">
            <Input id="agent-tags" value={tags} onChange={(e) => setTags(e.target.value)} />
          </Field>
          <DialogFooter>
            <Button type="submit" disabled={create.isPending}>
              {create.isPending ? "Creating…" : "Create and open builder"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
