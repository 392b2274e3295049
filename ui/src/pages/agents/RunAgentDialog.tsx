/**
 * The Run button: runs the published version for real with an input form generated from the trigger's
 * `input_schema` (or a JSON editor), then opens the live execution page. Agents started by a webhook or a
 * schedule get an explanation of how they run instead.
 */
import { Play } from "lucide-react";
import * as React from "react";
import { Link, useNavigate } from "react-router";

import { useVersion, type AgentSummary } from "@/api/agents";
import type { JsonObject, JsonSchema, JsonValue } from "@/api/definition";
import { useExecuteAgent } from "@/api/executions";
import { errorMessage } from "@/api/http";
import { useAuth } from "@/auth/AuthProvider";
import { WebhookUrl } from "@/components/WebhookUrl";
import { Button, type ButtonProps } from "@/components/ui/button";
import { Dialog, DialogContent, DialogFooter, DialogTrigger } from "@/components/ui/dialog";
import { Alert, Spinner, toast } from "@/components/ui/feedback";
import { Field, Textarea } from "@/components/ui/input";
import { RunInputForm } from "@/pages/agents/RunInputForm";
import { buildInput, formFields, initialValues, parseJsonInput, type FormValues, type InputField } from "@/pages/agents/runInput";

type RunnableAgent = Pick<AgentSummary, "id" | "name" | "status" | "trigger_type" | "current_version">;

function HowItRuns({ agent, config }: { agent: RunnableAgent; config: JsonObject }) {
  const test = (
    <>
      To try it now with your own input, use <strong>Test</strong> in the{" "}
      <Link to={`/agents/${agent.id}`} className="text-indigo-700 hover:underline">
        builder
      </Link>
      .
    </>
  );
  if (agent.trigger_type === "schedule") {
    const cron = typeof config.cron === "string" ? config.cron : null;
    const zone = typeof config.timezone === "string" ? config.timezone : "UTC";
    return (
      <div className="space-y-2 text-sm text-slate-700">
        <p>
          This agent runs on its schedule{cron ? (
            <>
              : <span className="font-mono">{cron}</span> ({zone})
            </>
          ) : null}
          , not from a Run button.
        </p>
        <p className="text-slate-500">{test}</p>
      </div>
    );
  }
  return (
    <div className="space-y-3 text-sm text-slate-700">
      <p>
        This agent runs when {agent.trigger_type === "integration" ? "the connected app sends an event" : "a request is sent"} to its webhook
        URL, not from a Run button.
      </p>
      <WebhookUrl agentId={agent.id} />
      <p className="text-slate-500">{test}</p>
    </div>
  );
}

function RunForm({ agent, schema, onDone }: { agent: RunnableAgent; schema: JsonSchema | null; onDone: () => void }) {
  const navigate = useNavigate();
  const execute = useExecuteAgent();
  const fields = React.useMemo<InputField[] | null>(() => formFields(schema), [schema]);
  const [mode, setMode] = React.useState<"form" | "json">(fields ? "form" : "json");
  const [values, setValues] = React.useState<FormValues>(() => (fields ? initialValues(fields) : {}));
  const [errors, setErrors] = React.useState<Record<string, string>>({});
  const [json, setJson] = React.useState("{}");
  const [jsonError, setJsonError] = React.useState<string | null>(null);

  const switchTo = (next: "form" | "json") => {
    if (!fields) return;
    if (next === "json") setJson(JSON.stringify(buildInput(fields, values).input, null, 2));
    else {
      const parsed = parseJsonInput(json);
      if (parsed.error) return setJsonError(parsed.error);
      setValues(initialValues(fields, parsed.input));
    }
    setErrors({});
    setJsonError(null);
    setMode(next);
  };

  const submit = (event: React.FormEvent) => {
    event.preventDefault();
    let input: JsonValue | undefined;
    if (mode === "form" && fields) {
      const built = buildInput(fields, values);
      setErrors(built.errors);
      if (Object.keys(built.errors).length > 0) return;
      input = built.input;
    } else {
      const parsed = parseJsonInput(json);
      setJsonError(parsed.error ?? null);
      if (parsed.error) return;
      input = parsed.input;
    }
    execute.mutate(
      { agentId: agent.id, input: input ?? null },
      {
        onSuccess: (run) => {
          toast(`${agent.name} is running`, "success");
          onDone();
          void navigate(`/executions/${run.id}`);
        },
      },
    );
  };

  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      {agent.status === "paused" ? <Alert tone="warning">This agent is paused: resume it before running it.</Alert> : null}
      {execute.error ? <Alert>{errorMessage(execute.error)}</Alert> : null}
      {fields ? (
        <div className="flex justify-end">
          <Button type="button" variant="link" size="sm" onClick={() => switchTo(mode === "form" ? "json" : "form")}>
            {mode === "form" ? "Edit as JSON" : "Use the form"}
          </Button>
        </div>
      ) : null}
      {mode === "form" && fields ? (
        <RunInputForm fields={fields} values={values} errors={errors} onChange={setValues} />
      ) : (
        <Field
          id="run-input"
          label="Input (JSON)"
          hint={schema ? "It must match the trigger's input schema." : "Any JSON value: the trigger passes it on as its output."}
          error={jsonError}
        >
          <Textarea id="run-input" rows={8} className="font-mono text-xs" value={json} aria-invalid={Boolean(jsonError)} onChange={(e) => setJson(e.target.value)} />
        </Field>
      )}
      <DialogFooter>
        <Button type="submit" disabled={execute.isPending || agent.status === "paused"}>
          <Play /> {execute.isPending ? "Starting…" : "Run now"}
        </Button>
      </DialogFooter>
    </form>
  );
}

function RunBody({ agent, onDone }: { agent: RunnableAgent; onDone: () => void }) {
  const version = useVersion(agent.id, agent.current_version ?? null);
  if (version.isPending) return <Spinner />;
  if (version.error) return <Alert>{errorMessage(version.error)}</Alert>;
  const trigger = version.data.definition.nodes.find((node) => node.type === "trigger");
  const config = trigger?.config ?? {};
  if (agent.trigger_type !== "manual" && agent.trigger_type !== "api") return <HowItRuns agent={agent} config={config} />;
  const schema = config.input_schema && typeof config.input_schema === "object" ? (config.input_schema as JsonSchema) : null;
  return <RunForm agent={agent} schema={schema} onDone={onDone} />;
}

/** Shown for published agents to people who may run them. */
export function RunAgentButton({ agent, ...buttonProps }: { agent: RunnableAgent } & ButtonProps) {
  const { can } = useAuth();
  const [open, setOpen] = React.useState(false);
  if (!agent.current_version || agent.status === "archived" || !can("agents:execute")) return null;
  const runnable = agent.trigger_type === "manual" || agent.trigger_type === "api";
  return (
    <Dialog open={open} onOpenChange={setOpen}>
      <DialogTrigger asChild>
        <Button size="sm" aria-label={`Run ${agent.name}`} {...buttonProps}>
          <Play /> Run
        </Button>
      </DialogTrigger>
      <DialogContent
        title={`Run ${agent.name}`}
        description={runnable ? `Runs published version ${agent.current_version} for real: actions are carried out.` : undefined}
      >
        {open ? <RunBody agent={agent} onDone={() => setOpen(false)} /> : null}
      </DialogContent>
    </Dialog>
  );
}
