/**
 * Test runs: the input dialog (TestInputDialog.tsx), then the draft runs (POST /agents/{id}/test), nodes light up from the
 * execution stream, and a timeline lists each step with timing, tokens and cost; click a step or a node
 * to see its input and output. A paused approval can be decided here.
 */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { X } from "lucide-react";
import * as React from "react";

import type { StreamEvent, StreamEventType, WaitingFor } from "@/api/contracts";
import {
  executionKeys,
  executionsApi,
  mayApprove,
  openStream,
  STREAM_ENDED,
  useApprove,
  type ExecutionStatus,
  type Step,
} from "@/api/executions";
import { errorMessage } from "@/api/http";
import { useAuth } from "@/auth/AuthProvider";
import { EgressHelp } from "@/builder/EgressHelp";
import { useBuilderStatus, type RunState } from "@/builder/status";
import { StepError } from "@/builder/StepError";
import { ApprovalDecision, ApproverNames } from "@/builder/ApprovalNames";
import { useBuilderStore } from "@/builder/store";
import { StatusBadge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { cn, formatCost, formatDuration } from "@/lib/utils";

const NODE_STATES: Partial<Record<StreamEventType, RunState>> = {
  "step.started": "running",
  "step.retrying": "retrying",
  "step.completed": "completed",
  "step.failed": "failed",
  "step.skipped": "skipped",
  "step.waiting": "waiting",
  "execution.paused": "waiting",
};

/** Fold one stream event into the canvas's node states; returns the execution status it implies. */
export function applyStreamEvent(event: StreamEvent): ExecutionStatus {
  const status = useBuilderStatus.getState();
  const state = NODE_STATES[event.type];
  if (state && event.node_id) status.setRunState(event.node_id, state);
  switch (event.type) {
    case "execution.paused":
      return "paused";
    case "execution.retrying":
      return "queued";
    case "execution.completed":
      return "completed";
    case "execution.failed": {
      status.endRun();
      const data = event.data as { status?: string } | null;
      return data?.status === "timed_out" ? "timed_out" : "failed";
    }
    case "execution.cancelled":
      status.endRun();
      return "cancelled";
    default:
      return "running"; // execution.started|resumed and every step event
  }
}

export function JsonBlock({ label, value }: { label: string; value: unknown }) {
  return (
    <div className="min-w-0">
      <div className="mb-1 text-xs font-medium text-slate-500">{label}</div>
      <pre className="max-h-40 overflow-auto rounded bg-slate-50 p-2 font-mono text-[11px] text-slate-800">
        {value === undefined || value === null ? "—" : JSON.stringify(value, null, 2)}
      </pre>
    </div>
  );
}

export function StepDetail({ step }: { step: Step }) {
  return (
    <div className="space-y-2" data-testid="step-detail">
      <div className="flex items-center gap-2 text-sm">
        <span className="font-medium text-slate-900">{step.name || step.node_id}</span>
        <span className="font-mono text-xs text-slate-500">{step.step_key}</span>
        <StatusBadge status={step.status} />
        {step.attempt > 1 ? <span className="text-xs text-slate-500">attempt {step.attempt}</span> : null}
      </div>
      <StepError step={step} />
      <ApprovalDecision step={step} />
      <EgressHelp step={step} />
      <div className="grid grid-cols-2 gap-2">
        <JsonBlock label="Input" value={step.input} />
        <JsonBlock label="Output" value={step.output} />
      </div>
    </div>
  );
}

/** One row per step (`step_key`: a node inside a loop has one per iteration), on a shared time axis. */
export function Timeline({ steps, selected, onSelect }: { steps: Step[]; selected: string | null; onSelect: (nodeId: string) => void }) {
  const start = Math.min(...steps.map((s) => (s.started_at ? Date.parse(s.started_at) : Infinity)));
  const end = Math.max(...steps.map((s) => (s.finished_at ? Date.parse(s.finished_at) : s.started_at ? Date.parse(s.started_at) : 0)));
  const span = Math.max(1, end - start);
  return (
    <ol className="space-y-1" aria-label="Timeline">
      {steps.map((step) => {
        const offset = step.started_at ? ((Date.parse(step.started_at) - start) / span) * 100 : 0;
        const width = step.duration_ms != null ? Math.max(1, (step.duration_ms / span) * 100) : 1;
        return (
          <li key={step.step_key}>
            <button
              type="button"
              onClick={() => onSelect(step.node_id)}
              className={cn("grid w-full grid-cols-[8rem_1fr_4.5rem_4rem_4rem] items-center gap-2 rounded px-1.5 py-1 text-left text-xs hover:bg-slate-50", selected === step.node_id && "bg-indigo-50")}
            >
              <span className="truncate font-mono">{step.step_key}</span>
              <span className="relative h-2 rounded bg-slate-100">
                <span
                  className={cn(
                    "absolute h-2 rounded",
                    step.status === "failed" || step.status === "timed_out" ? "bg-red-400" : step.status === "skipped" || step.status === "cancelled" ? "bg-slate-300" : step.status === "waiting" ? "bg-amber-400" : "bg-emerald-400",
                  )}
                  style={{ left: `${Math.min(offset, 99)}%`, width: `${Math.min(width, 100 - Math.min(offset, 99))}%` }}
                />
              </span>
              <span className="text-right text-slate-600">{formatDuration(step.duration_ms)}</span>
              <span className="text-right text-slate-600">{step.tokens} tok</span>
              <span className="text-right text-slate-600">{formatCost(step.cost_usd)}</span>
            </button>
          </li>
        );
      })}
    </ol>
  );
}

/** The pending approval: its message, and approve/reject for those the node names as approvers. */
function ApprovalActions({ executionId, waiting }: { executionId: string; waiting: WaitingFor }) {
  const { me } = useAuth();
  const approve = useApprove();
  const decide = (approved: boolean) => approve.mutate({ id: executionId, approved, comment: "" });
  return (
    <span className="ml-2 flex min-w-0 items-center gap-2" data-testid="approval">
      <span className="truncate text-xs text-amber-800" title={waiting.message}>
        <span className="font-mono">{waiting.node_id}</span>: {waiting.message}
      </span>
      {mayApprove(me, waiting.approvers) ? (
        <>
          <Button size="sm" disabled={approve.isPending || approve.isSuccess} onClick={() => decide(true)}>Approve</Button>
          <Button size="sm" variant="outline" disabled={approve.isPending || approve.isSuccess} onClick={() => decide(false)}>Reject</Button>
        </>
      ) : (
        <span className="text-xs text-slate-500">
          Waiting for <ApproverNames approvers={waiting.approvers} />.
        </span>
      )}
      {approve.error ? <span className="text-xs text-red-600">{errorMessage(approve.error)}</span> : null}
    </span>
  );
}

export function TestRunPanel({ executionId, initialStatus, onClose }: { executionId: string; initialStatus: ExecutionStatus; onClose: () => void }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = React.useState<ExecutionStatus>(initialStatus);
  const [waiting, setWaiting] = React.useState<WaitingFor | null>(null);
  const [streamError, setStreamError] = React.useState<string | null>(null);
  const selectedNodeId = useBuilderStore((state) => state.selectedNodeId);
  const select = useBuilderStore((state) => state.select);
  const steps = useQuery({ queryKey: executionKeys.steps(executionId), queryFn: () => executionsApi.steps(executionId) });

  React.useEffect(() => {
    useBuilderStatus.getState().resetRun();
    return openStream(
      executionId,
      (event) => {
        setStatus(applyStreamEvent(event));
        if (event.type.startsWith("execution.")) setWaiting(event.type === "execution.paused" ? (event.data as unknown as WaitingFor) : null);
        void queryClient.invalidateQueries({ queryKey: executionKeys.steps(executionId) });
      },
      (code, message) => {
        if (code !== STREAM_ENDED) setStreamError(message ?? `Live updates stopped (close code ${code}).`);
      },
    );
  }, [executionId, queryClient]);

  const stepList = steps.data ?? [];
  const selectedStep = stepList.findLast((step) => step.node_id === selectedNodeId);
  const totals = stepList.reduce((sum, step) => ({ tokens: sum.tokens + step.tokens, cost: sum.cost + step.cost_usd }), { tokens: 0, cost: 0 });
  return (
    <section aria-label="Test run" className="flex h-64 shrink-0 flex-col border-t border-slate-200 bg-white">
      <div className="flex items-center gap-3 border-b border-slate-100 px-3 py-1.5 text-sm">
        <span className="font-medium">Test run</span>
        <StatusBadge status={status} />
        <span className="shrink-0 text-xs text-slate-500">
          {totals.tokens} tokens · {formatCost(totals.cost)}
        </span>
        {status === "paused" && waiting ? <ApprovalActions key={waiting.step_key} executionId={executionId} waiting={waiting} /> : null}
        {streamError ? <span className="text-xs text-red-600">{streamError}</span> : null}
        <Button variant="ghost" size="icon" className="ml-auto shrink-0" aria-label="Close test run" onClick={onClose}>
          <X />
        </Button>
      </div>
      <div className="grid min-h-0 flex-1 grid-cols-2 gap-3 overflow-hidden p-3">
        <div className="overflow-y-auto">
          {stepList.length ? <Timeline steps={stepList} selected={selectedNodeId} onSelect={select} /> : <p className="text-xs text-slate-500">Waiting for the first step…</p>}
        </div>
        <div className="overflow-y-auto">
          {selectedStep ? <StepDetail step={selectedStep} /> : <p className="text-xs text-slate-500">Click a node or a step to see its input and output.</p>}
        </div>
      </div>
    </section>
  );
}
