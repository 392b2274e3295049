/** The agent's name, description and tags, edited from the builder's title. */
import { useMutation } from "@tanstack/react-query";
import { Pencil } from "lucide-react";
import * as React from "react";

import type { AgentDetail } from "@/api/agents";
import { errorMessage } from "@/api/http";
import type { Autosave } from "@/builder/autosave";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogFooter } from "@/components/ui/dialog";
import { Alert } from "@/components/ui/feedback";
import { Field, Input, Textarea } from "@/components/ui/input";

export function DetailsDialog({ agent, autosave, readOnly }: { agent: AgentDetail; autosave: Autosave; readOnly: boolean }) {
  const [open, setOpen] = React.useState(false);
  const [name, setName] = React.useState(agent.name);
  const [description, setDescription] = React.useState(agent.description ?? "");
  const [tags, setTags] = React.useState(agent.tags.join(", "));
  const save = useMutation({
    mutationFn: () =>
      autosave.updateDetails({ name, description, tags: tags.split(",").map((t) => t.trim()).filter(Boolean) }),
    onSuccess: () => setOpen(false),
  });
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (next) {
          setName(agent.name);
          setDescription(agent.description ?? "");
          setTags(agent.tags.join(", "));
          save.reset();
        }
      }}
    >
      <Button variant="ghost" size="icon" aria-label="Edit details" title="Edit name, description and tags" disabled={readOnly} onClick={() => setOpen(true)}>
        <Pencil />
      </Button>
      <DialogContent title="Agent details">
        <form
          className="space-y-4"
          onSubmit={(event) => {
            event.preventDefault();
            save.mutate();
          }}
        >
          {save.error ? <Alert>{errorMessage(save.error)}</Alert> : null}
          <Field id="details-name" label="Name">
            <Input id="details-name" required maxLength={200} value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field id="details-description" label="Description">
            <Textarea id="details-description" rows={3} value={description} onChange={(e) => setDescription(e.target.value)} />
          </Field>
          <Field id="details-tags" label="Tags" hint="Comma-separated">
            <Input id="details-tags" value={tags} onChange={(e) => setTags(e.target.value)} />
          </Field>
          {agent.webhook_url ? (
            <Field id="details-webhook" label="Webhook URL" hint="POST JSON or a form to it to start the published agent.">
              <Input id="details-webhook" readOnly className="font-mono text-xs" value={agent.webhook_url} onFocus={(e) => e.target.select()} />
            </Field>
          ) : null}
          <DialogFooter>
            <Button type="submit" disabled={save.isPending}>
              {save.isPending ? "Saving…" : "Save"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
