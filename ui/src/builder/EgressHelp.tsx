/**
 * A step refused by the outbound-access guard (a private or local address): who can allow it and where that is
 * written down, instead of leaving the person to look for a setting their organization does not have.
 */
import type { Step } from "@/api/executions";
import { Alert } from "@/components/ui/feedback";

/** The setting named in the refusal (agentflow/egress/policy.py) and the docs section that explains it. */
export const EGRESS_SETTING = "AGENTFLOW_EGRESS_ALLOWLIST";
export const EGRESS_DOCS = "docs/security.md#allowing-private-destinations";

export function refusedByEgress(step: Pick<Step, "error" | "output">): boolean {
  const output = step.output as { code?: unknown } | null | undefined;
  return output?.code === "egress_refused" || Boolean(step.error?.includes(EGRESS_SETTING));
}

export function EgressHelp({ step }: { step: Pick<Step, "error" | "output"> }) {
  if (!step.error || !refusedByEgress(step)) return null;
  return (
    <Alert tone="info">
      <p>
        Private and local addresses are refused so that organizations stay apart. No organization setting changes this:
        whoever runs this AgentFlow server (the operator) can allow a destination with the <code className="font-mono">{EGRESS_SETTING}</code>{" "}
        setting.
      </p>
      <p className="mt-1">
        Operators: see “Allowing private destinations” in the security guide (<code className="font-mono">{EGRESS_DOCS}</code>).
      </p>
    </Alert>
  );
}
