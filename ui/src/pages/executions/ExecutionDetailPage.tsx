/** /executions/:executionId — status, totals, input/output, every step's input/output, cancel, approve or reject. */
import * as React from "react";
import { Link, useParams } from "react-router";

import type { WaitingFor } from "@/api/contracts";
import type { JsonObject, JsonSchema } from "@/api/definition";
import {
  isActive,
  mayApprove,
  pendingApproval,
  useApprove,
  useExecution,
  useExecutionSteps,
} from "@/api/executions";
import { errorMessage } from "@/api/http";
import { useAuth } from "@/auth/AuthProvider";
import { SchemaFields } from "@/builder/panel/SchemaForm";
import { ApproverNames } from "@/builder/ApprovalNames";
import { JsonBlock, StepDetail, Timeline } from "@/builder/TestRunPanel";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert, Spinner, toast } from "@/components/ui/feedback";
import { Field, Textarea } from "@/components/ui/input";
import { AgentName } from "@/pages/executions/AgentName";
import { ExecutionActions } from "@/pages/executions/ExecutionActions";
import { RunStatusBadge, versionLabel } from "@/pages/executions/RunStatus";
import { formatCost, formatDateTime, formatDuration } from "@/lib/utils";

function ApprovalBox({ executionId, waiting }: { executionId: string; waiting: WaitingFor }) {
  const { me } = useAuth();
  const [comment, setComment] = React.useState("");
  // The approval's input_schema: extra fields the approver fills in (they join the step's output).
  const [fields, setFields] = React.useState<JsonObject>({});
  const schema = waiting.input_schema as JsonSchema | null | undefined;
  const approve = useApprove();
  const decide = (approved: boolean) =>
    approve.mutate(
      { id: executionId, approved, comment, ...(schema?.properties ? { fields } : {}) },
      { onSuccess: () => toast(approved ? "Approved" : "Rejected", "success") },
    );
  return (
    <Card className="border-amber-300">
      <CardHeader>
        <CardTitle>Waiting for approval</CardTitle>
      </CardHeader>
      <CardContent className="space-y-3">
        <p className="text-sm text-slate-800">{waiting.message}</p>
        <p className="text-xs text-slate-500">
          Step <span className="font-mono">{waiting.step_key}</span> · if nobody decides by {formatDateTime(waiting.deadline)}, it will{" "}
          {waiting.on_timeout === "fail" ? "fail" : waiting.on_timeout}.
        </p>
        {mayApprove(me, waiting.approvers) ? (
          <>
            {approve.error ? <Alert>{errorMessage(approve.error)}</Alert> : null}
            {schema?.properties ? <SchemaFields path="" schema={schema} root={schema} value={fields} errors={{}} onChange={setFields} /> : null}
            <Field id="approval-comment" label="Comment (optional)">
              <Textarea id="approval-comment" rows={2} value={comment} onChange={(e) => setComment(e.target.value)} />
            </Field>
            <div className="flex gap-2">
              <Button onClick={() => decide(true)} disabled={approve.isPending}>Approve</Button>
              <Button variant="outline" onClick={() => decide(false)} disabled={approve.isPending}>Reject</Button>
            </div>
          </>
        ) : (
          <p className="text-sm text-slate-500">
            Only <ApproverNames approvers={waiting.approvers} /> can decide.
          </p>
        )}
      </CardContent>
    </Card>
  );
}

export function ExecutionDetailPage() {
  const { executionId = "" } = useParams();
  const execution = useExecution(executionId);
  const steps = useExecutionSteps(executionId, Boolean(execution.data && isActive(execution.data.status)));
  const [selected, setSelected] = React.useState<string | null>(null);
  if (execution.isPending) return <Spinner className="m-6" />;
  if (execution.error) return <Alert className="m-6">{errorMessage(execution.error)}</Alert>;
  const run = execution.data;
  const waiting = pendingApproval(run);
  const stepList = steps.data ?? [];
  const selectedStep = stepList.findLast((step) => step.node_id === selected) ?? stepList[0];
  return (
    <div className="mx-auto max-w-6xl space-y-5 p-6">
      <div className="flex flex-wrap items-center gap-3">
        <h1 className="text-xl font-semibold text-slate-900">Execution</h1>
        <RunStatusBadge run={run} />
        <Link to={`/agents/${run.agent_id}`} className="text-sm text-indigo-700 hover:underline">
          <AgentName agentId={run.agent_id} />
        </Link>
        <div className="ml-auto">
          <ExecutionActions run={run} />
        </div>
      </div>
      <dl className="grid grid-cols-2 gap-4 rounded-lg border border-slate-200 bg-white p-4 text-sm md:grid-cols-7">
        <div><dt className="text-slate-500">Triggered by</dt><dd>{run.triggered_by}</dd></div>
        <div><dt className="text-slate-500">Version</dt><dd>{versionLabel(run)}</dd></div>
        <div><dt className="text-slate-500">Started</dt><dd>{formatDateTime(run.started_at ?? run.created_at)}</dd></div>
        <div><dt className="text-slate-500">Duration</dt><dd>{formatDuration(run.duration_ms)}</dd></div>
        <div><dt className="text-slate-500">Tokens</dt><dd>{run.total_tokens}</dd></div>
        <div><dt className="text-slate-500">Cost</dt><dd>{formatCost(run.total_cost_usd)}</dd></div>
        <div><dt className="text-slate-500">Attempt</dt><dd>{run.attempt}</dd></div>
      </dl>
      {run.error ? (
        <Alert>
          {run.failed_node ? <span className="font-mono">{run.failed_node}: </span> : null}
          {run.error}
        </Alert>
      ) : null}
      {waiting ? <ApprovalBox executionId={run.id} waiting={waiting} /> : null}
      <div className="grid gap-4 lg:grid-cols-2">
        <Card>
          <CardHeader><CardTitle>Steps</CardTitle></CardHeader>
          <CardContent>
            {steps.isPending ? <Spinner /> : stepList.length ? <Timeline steps={stepList} selected={selectedStep?.node_id ?? null} onSelect={setSelected} /> : <p className="text-sm text-slate-500">No steps yet.</p>}
          </CardContent>
        </Card>
        <Card>
          <CardHeader><CardTitle>Step detail</CardTitle></CardHeader>
          <CardContent>{selectedStep ? <StepDetail step={selectedStep} /> : <p className="text-sm text-slate-500">Select a step.</p>}</CardContent>
        </Card>
      </div>
      <Card>
        <CardHeader><CardTitle>Run input and output</CardTitle></CardHeader>
        <CardContent className="grid grid-cols-2 gap-2">
          <JsonBlock label="Input" value={run.input} />
          <JsonBlock label="Output" value={run.output} />
        </CardContent>
      </Card>
    </div>
  );
}
