/** The execution page's actions: cancel (after a confirmation), retry from the failed step, run again. */
import { RotateCcw, StepForward } from "lucide-react";
import { useNavigate } from "react-router";

import { isActive, useCancelExecution, useRetryExecution, type Execution } from "@/api/executions";
import { errorMessage } from "@/api/http";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { ConfirmButton } from "@/components/ui/confirm";
import { toast } from "@/components/ui/feedback";

/** Statuses a run can be resumed from where it stopped (the engine reuses the steps that completed). */
const RESUMABLE = new Set<Execution["status"]>(["failed", "timed_out", "cancelled"]);

export function ExecutionActions({ run }: { run: Execution }) {
  const { can } = useAuth();
  const navigate = useNavigate();
  const cancel = useCancelExecution();
  const retry = useRetryExecution();
  if (!can("executions:manage")) return null;
  const onError = (error: unknown) => toast(errorMessage(error), "error");
  if (isActive(run.status)) {
    return (
      <ConfirmButton
        variant="outline"
        title="Cancel this run?"
        description={
          run.status === "paused"
            ? "The run stops waiting and ends as cancelled: nobody can approve it any more."
            : "Steps that are running stop and the run ends as cancelled. You can retry it from where it stopped later."
        }
        confirmLabel="Cancel run"
        cancelLabel="Keep running"
        onConfirm={() => cancel.mutate(run.id, { onSuccess: () => toast("Run cancelled", "success"), onError })}
      >
        Cancel run
      </ConfirmButton>
    );
  }
  const resumable = RESUMABLE.has(run.status) && run.prefect_flow_run_id !== null;
  return (
    <div className="flex gap-2">
      {resumable ? (
        <Button
          disabled={retry.isPending}
          title="Runs the failed step again; the steps that completed are reused, not run (or paid for) twice."
          onClick={() =>
            retry.mutate({ id: run.id, fromFailed: true }, { onSuccess: () => toast("Retrying from the failed step", "success"), onError })
          }
        >
          <StepForward /> Retry from the failed step
        </Button>
      ) : null}
      <Button
        variant="outline"
        disabled={retry.isPending}
        title="A new run with the same input, every step run again."
        onClick={() =>
          retry.mutate(
            { id: run.id, fromFailed: false },
            {
              onSuccess: (next) => {
                toast("A new run started from the start", "success");
                void navigate(`/executions/${next.id}`);
              },
              onError,
            },
          )
        }
      >
        <RotateCcw /> Run again from the start
      </Button>
    </div>
  );
}
