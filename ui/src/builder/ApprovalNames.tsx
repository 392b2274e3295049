/** Approvals in people's words: who may decide a waiting approval, and who decided a finished one. */
import type { Step } from "@/api/executions";
import { approverLabel, usePeopleNames } from "@/api/people";
import { formatDateTime } from "@/lib/utils";

/** "Alice Smith or Admins and owners"; none named means any editor. */
export function ApproverNames({ approvers }: { approvers: string[] }) {
  return approvers.length === 0 ? <>any editor</> : <NamedApprovers approvers={approvers} />;
}

// Split so that the members list is only asked for when there are ids to name.
function NamedApprovers({ approvers }: { approvers: string[] }) {
  const nameOf = usePeopleNames();
  const names = approvers.map((entry) => approverLabel(entry, nameOf));
  return <>{names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : names[0]}</>;
}

interface Decision {
  approved?: boolean;
  by?: string | null;
  at?: string | null;
  comment?: string;
  timed_out?: boolean;
}

/** The decision of a finished approval step, with the approver's name instead of their id. */
export function ApprovalDecision({ step }: { step: Step }) {
  const decision = (step.output ?? {}) as Decision;
  if (step.node_type !== "human.approval" || step.status !== "completed" || decision.approved === undefined) return null;
  return <DecisionLine decision={decision} />;
}

function DecisionLine({ decision }: { decision: Decision }) {
  const nameOf = usePeopleNames();
  const who = decision.timed_out ? "nobody decided in time" : decision.by ? nameOf(decision.by) : "unknown";
  return (
    <p className="text-sm text-slate-700" data-testid="approval-decision">
      <span className={decision.approved ? "font-medium text-emerald-700" : "font-medium text-red-700"}>{decision.approved ? "Approved" : "Rejected"}</span>
      {decision.timed_out ? ` (${who})` : ` by ${who}`}
      {decision.at ? ` · ${formatDateTime(decision.at)}` : ""}
      {decision.comment ? ` · “${decision.comment}”` : ""}
    </p>
  );
}
