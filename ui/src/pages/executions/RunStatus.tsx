/** What a run's status means to people: "waiting for approval", "rejected", a Test mark, the version. */
import type { Execution } from "@/api/executions";
import { Badge, StatusBadge, type BadgeTone } from "@/components/ui/badge";

type RunLike = Pick<Execution, "status" | "approval" | "triggered_by" | "version">;

/** A label and tone when the raw status would mislead (a paused run waits for a person; a completed run
 * whose approval was rejected did not do what was asked), else null: the status says it. */
function special(run: RunLike): { label: string; tone: BadgeTone } | null {
  if (run.status === "paused" && run.approval === "waiting") return { label: "waiting for approval", tone: "amber" };
  if (run.status === "completed" && run.approval === "rejected") return { label: "rejected", tone: "amber" };
  if (run.status === "timed_out") return { label: "timed out", tone: "red" };
  return null;
}

export function RunStatusBadge({ run }: { run: RunLike }) {
  const shown = special(run);
  return (
    <span className="inline-flex items-center gap-1" data-testid="run-status">
      {shown ? (
        <Badge tone={shown.tone} data-status={run.status}>
          {shown.label}
        </Badge>
      ) : (
        <StatusBadge status={run.status} />
      )}
      {run.triggered_by === "test" ? (
        <Badge tone="indigo" title="A test run of the draft: not counted in the agent's success rate">
          Test
        </Badge>
      ) : null}
    </span>
  );
}

/** `v3` for the published version that ran; test runs ran the draft. */
export const versionLabel = (run: Pick<Execution, "version" | "triggered_by">): string =>
  run.version != null ? `v${run.version}` : run.triggered_by === "test" ? "draft" : "—";
