/** A failed step's message; when an AI step failed for want of a provider, a link to where one is set up. */
import { Link } from "react-router";

import type { Step } from "@/api/executions";
import { Alert } from "@/components/ui/feedback";

/** The AI node records `{error, code}` as its output when it fails; `not_configured`: no provider or model set. */
export function needsProvider(step: Pick<Step, "node_type" | "output">): boolean {
  const output = step.output as { code?: unknown } | null | undefined;
  return step.node_type === "ai" && output?.code === "not_configured";
}

export function StepError({ step }: { step: Step }) {
  if (!step.error) return null;
  return (
    <Alert>
      {step.error}
      {needsProvider(step) ? (
        <p className="mt-1">
          <Link to="/settings/providers" className="font-medium underline">
            Set up an AI provider in Settings → AI providers
          </Link>
        </p>
      ) : null}
    </Alert>
  );
}
