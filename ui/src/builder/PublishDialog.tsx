/** Publish the draft as a new version with a message; validation errors (422) are listed and clickable. */
import { Rocket } from "lucide-react";
import * as React from "react";

import { usePublish, type ValidationIssue } from "@/api/agents";
import { ApiError, errorMessage } from "@/api/http";
import { useBuilderStatus } from "@/builder/status";
import { useBuilderStore } from "@/builder/store";
import { Button } from "@/components/ui/button";
import { Dialog, DialogContent, DialogFooter } from "@/components/ui/dialog";
import { Alert, toast } from "@/components/ui/feedback";
import { Field, Textarea } from "@/components/ui/input";

/** A 422 carries the validation report in `details` (as `{errors}` or as the list itself). */
export function issuesFrom(error: unknown): ValidationIssue[] {
  if (!(error instanceof ApiError) || error.status !== 422) return [];
  const details = error.details as { errors?: unknown } | unknown[] | null;
  const list = Array.isArray(details) ? details : Array.isArray(details?.errors) ? details.errors : [];
  return list.filter((item): item is ValidationIssue => typeof (item as ValidationIssue)?.message === "string");
}

export function PublishDialog({ agentId, flush, disabled }: { agentId: string; flush: () => Promise<boolean>; disabled: boolean }) {
  const [open, setOpen] = React.useState(false);
  const [message, setMessage] = React.useState("");
  const publish = usePublish();
  const issues = issuesFrom(publish.error);
  const select = useBuilderStore((state) => state.select);
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) publish.reset();
      }}
    >
      <Button onClick={() => setOpen(true)} disabled={disabled}>
        <Rocket /> Publish
      </Button>
      <DialogContent title="Publish a new version" description="The draft is validated and frozen as the next version; runs use the latest published version.">
        <form
          className="space-y-4"
          onSubmit={async (event) => {
            event.preventDefault();
            if (!(await flush())) {
              toast("The draft could not be saved; resolve that first.", "error");
              return;
            }
            publish.mutate(
              { id: agentId, message },
              {
                onSuccess: (version) => {
                  toast(`Published version ${version.number}`, "success");
                  setOpen(false);
                  setMessage("");
                },
                onError: (error) => {
                  const found = issuesFrom(error);
                  if (found.length) useBuilderStatus.getState().setValidation({ errors: found, warnings: [] });
                },
              },
            );
          }}
        >
          {issues.length > 0 ? (
            <Alert>
              <p className="font-medium">Fix these before publishing:</p>
              <ul className="mt-1 list-disc space-y-0.5 pl-4">
                {issues.map((issue, index) => (
                  <li key={index}>
                    {issue.node_id ? (
                      <button
                        type="button"
                        className="underline"
                        onClick={() => {
                          select(issue.node_id ?? null);
                          setOpen(false);
                        }}
                      >
                        {issue.node_id}
                      </button>
                    ) : null}
                    {issue.node_id ? ": " : null}
                    {issue.message}
                  </li>
                ))}
              </ul>
            </Alert>
          ) : publish.error ? (
            <Alert>{errorMessage(publish.error)}</Alert>
          ) : null}
          <Field id="publish-message" label="What changed?">
            <Textarea id="publish-message" required rows={3} value={message} onChange={(e) => setMessage(e.target.value)} placeholder="e.g. Route billing tickets to finance" />
          </Field>
          <DialogFooter>
            <Button type="submit" disabled={publish.isPending || !message.trim()}>
              {publish.isPending ? "Publishing…" : "Publish"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}
