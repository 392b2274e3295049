/** /agents/:agentId — the visual builder: palette, canvas, config panel, autosave, publish, test runs. */
import { ReactFlowProvider } from "@xyflow/react";
import * as React from "react";
import { useParams, useSearchParams } from "react-router";

import { useAgent, useNodeTypes, useVariables, type AgentDetail } from "@/api/agents";
import type { NodeTypeInfo } from "@/api/definition";
import { executionsApi, type ExecutionAccepted } from "@/api/executions";
import { errorMessage } from "@/api/http";
import { useAuth } from "@/auth/AuthProvider";
import { useAutosave } from "@/builder/autosave";
import { Canvas } from "@/builder/Canvas";
import { ConfigPanel } from "@/builder/panel/ConfigPanel";
import { VariablesContext } from "@/builder/panel/variables";
import { Palette } from "@/builder/Palette";
import { useBuilderShortcuts } from "@/builder/shortcuts";
import { useBuilderStatus } from "@/builder/status";
import { useBuilderStore } from "@/builder/store";
import { TestInputDialog } from "@/builder/TestInputDialog";
import { TestRunPanel } from "@/builder/TestRunPanel";
import { Toolbar } from "@/builder/Toolbar";
import { Button } from "@/components/ui/button";
import { Alert, Spinner } from "@/components/ui/feedback";

function ConflictBanner({ onReload, onOverwrite }: { onReload: () => void; onOverwrite: () => void }) {
  return (
    <div role="alert" className="flex items-center gap-3 border-b border-amber-200 bg-amber-50 px-3 py-2 text-sm text-amber-900">
      <span>
        <strong>Someone else saved this agent</strong> while you were editing. Autosave is paused so nothing is lost.
      </span>
      <Button size="sm" variant="outline" onClick={onReload}>
        Load their version
      </Button>
      <Button size="sm" variant="destructive" onClick={onOverwrite}>
        Keep mine (overwrite)
      </Button>
    </div>
  );
}

function Builder({ agent, catalog }: { agent: AgentDetail; catalog: NodeTypeInfo[] }) {
  const { can } = useAuth();
  const readOnly = !can("agents:write");
  const autosave = useAutosave(agent);
  const selectedNodeId = useBuilderStore((state) => state.selectedNodeId);
  const triggerId = useBuilderStore((state) => state.nodes.find((node) => node.type === "trigger")?.id ?? null);
  const variables = useVariables(agent.id, selectedNodeId, autosave.revision);
  // The agents list's "Run a test" quick action opens the builder with ?test=1.
  const [params] = useSearchParams();
  const [testOpen, setTestOpen] = React.useState(() => params.get("test") === "1" && !readOnly);
  const [testError, setTestError] = React.useState<string | null>(null);
  const [testRun, setTestRun] = React.useState<ExecutionAccepted | null>(null);
  const { flush } = autosave;
  useBuilderShortcuts({ readOnly, onSave: React.useCallback(() => void flush(), [flush]) });

  React.useLayoutEffect(() => {
    useBuilderStore.getState().load(agent.draft, catalog, agent.id);
    useBuilderStatus.getState().setValidation(agent.validation);
    useBuilderStatus.getState().resetRun();
    // Load once per agent: later detail refreshes come from our own saves.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [agent.id]);

  const variableContext = React.useMemo(
    () => ({ variables: variables.data ?? [], triggerId, loading: variables.isPending && selectedNodeId !== null }),
    [variables.data, variables.isPending, selectedNodeId, triggerId],
  );

  return (
    <div className="flex h-full flex-col">
      <Toolbar agent={agent} autosave={autosave} readOnly={readOnly} onTest={() => setTestOpen(true)} />
      {autosave.state === "conflict" ? (
        <ConflictBanner onReload={() => void autosave.reload()} onOverwrite={() => void autosave.overwrite()} />
      ) : null}
      {readOnly ? <Alert tone="info" className="rounded-none border-x-0 border-t-0">Your role can view this agent but not edit it.</Alert> : null}
      <VariablesContext.Provider value={variableContext}>
        <div className="flex min-h-0 flex-1">
          {readOnly ? null : <Palette />}
          <div className="flex min-w-0 flex-1 flex-col">
            <Canvas readOnly={readOnly} />
            {testRun ? (
              <TestRunPanel
                key={testRun.id}
                executionId={testRun.id}
                initialStatus={testRun.status}
                onClose={() => {
                  setTestRun(null);
                  useBuilderStatus.getState().resetRun();
                }}
              />
            ) : null}
          </div>
          <ConfigPanel />
        </div>
      </VariablesContext.Provider>
      <TestInputDialog
        open={testOpen}
        onOpenChange={setTestOpen}
        error={testError}
        onRun={async (input, nodes) => {
          setTestError(null);
          try {
            await flush();
            setTestRun(await executionsApi.test(agent.id, input, useBuilderStore.getState().toDefinition(), nodes));
            setTestOpen(false);
          } catch (error) {
            setTestError(errorMessage(error));
          }
        }}
      />
    </div>
  );
}

export function BuilderPage() {
  const { agentId = "" } = useParams();
  const agent = useAgent(agentId);
  const nodeTypes = useNodeTypes();
  if (agent.error || nodeTypes.error) return <Alert className="m-6">{errorMessage(agent.error ?? nodeTypes.error)}</Alert>;
  if (!agent.data || !nodeTypes.data) return <Spinner className="m-6" label="Loading the builder…" />;
  return (
    <ReactFlowProvider>
      <Builder key={agent.data.id} agent={agent.data} catalog={nodeTypes.data} />
    </ReactFlowProvider>
  );
}
