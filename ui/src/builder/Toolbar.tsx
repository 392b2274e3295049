/** The builder's top bar: save state, undo/redo, fit view, shortcuts, test run and publish. */
import { useReactFlow } from "@xyflow/react";
import { AlertTriangle, Check, CloudUpload, FlaskConical, Keyboard, Loader2, Maximize, Redo2, Undo2 } from "lucide-react";

import type { AgentDetail } from "@/api/agents";
import type { Autosave } from "@/builder/autosave";
import { DetailsDialog } from "@/builder/DetailsDialog";
import { PublishDialog } from "@/builder/PublishDialog";
import { SHORTCUTS } from "@/builder/shortcuts";
import { useBuilderStore } from "@/builder/store";
import { Button } from "@/components/ui/button";
import { DropdownMenu, DropdownMenuContent, DropdownMenuLabel, DropdownMenuTrigger } from "@/components/ui/dropdown-menu";
import { StatusBadge } from "@/components/ui/badge";
import { formatDateTime } from "@/lib/utils";

function SaveIndicator({ autosave }: { autosave: Autosave }) {
  const { state, error } = autosave;
  const content = {
    saved: [<Check key="i" className="size-3.5" />, "Saved"],
    dirty: [<CloudUpload key="i" className="size-3.5" />, "Unsaved changes"],
    saving: [<Loader2 key="i" className="size-3.5 animate-spin" />, "Saving…"],
    conflict: [<AlertTriangle key="i" className="size-3.5" />, "Edit conflict"],
    error: [<AlertTriangle key="i" className="size-3.5" />, "Not saved"],
  }[state];
  return (
    <span
      data-testid="save-state"
      data-state={state}
      title={error ?? undefined}
      className={`flex items-center gap-1 text-xs ${state === "conflict" || state === "error" ? "text-red-600" : "text-slate-500"}`}
    >
      {content}
    </span>
  );
}

export function Toolbar({
  agent,
  autosave,
  readOnly,
  onTest,
}: {
  agent: AgentDetail;
  autosave: Autosave;
  readOnly: boolean;
  onTest: () => void;
}) {
  const canUndo = useBuilderStore((state) => state.past.length > 0);
  const canRedo = useBuilderStore((state) => state.future.length > 0);
  const undo = useBuilderStore((state) => state.undo);
  const redo = useBuilderStore((state) => state.redo);
  const { fitView } = useReactFlow();
  return (
    <div className="flex h-12 shrink-0 items-center gap-2 border-b border-slate-200 bg-white px-3">
      <h1 className="truncate font-semibold text-slate-900" title={agent.description ?? undefined}>
        {agent.name}
      </h1>
      <DetailsDialog agent={agent} autosave={autosave} readOnly={readOnly} />
      <StatusBadge status={agent.status} />
      {agent.current ? (
        <span className="text-xs text-slate-500" title={`Published ${formatDateTime(agent.current.published_at)}${agent.current.message ? `: ${agent.current.message}` : ""}`}>
          v{agent.current.number} live
        </span>
      ) : null}
      <SaveIndicator autosave={autosave} />
      {agent.publishable ? null : (
        <span data-testid="not-publishable" className="text-xs text-amber-700" title="Publishing would be refused: fix the problems flagged on the nodes and in the run settings.">
          Not publishable yet
        </span>
      )}
      <div className="ml-auto flex items-center gap-1">
        <Button variant="ghost" size="icon" aria-label="Undo" title="Undo (Ctrl+Z)" disabled={!canUndo || readOnly} onClick={undo}>
          <Undo2 />
        </Button>
        <Button variant="ghost" size="icon" aria-label="Redo" title="Redo (Ctrl+Shift+Z)" disabled={!canRedo || readOnly} onClick={redo}>
          <Redo2 />
        </Button>
        <Button variant="ghost" size="icon" aria-label="Fit view" title="Fit view (Shift+1)" onClick={() => void fitView({ padding: 0.2, duration: 200 })}>
          <Maximize />
        </Button>
        <DropdownMenu>
          <DropdownMenuTrigger asChild>
            <Button variant="ghost" size="icon" aria-label="Keyboard shortcuts">
              <Keyboard />
            </Button>
          </DropdownMenuTrigger>
          <DropdownMenuContent className="w-[30rem]">
            <DropdownMenuLabel>Keyboard shortcuts</DropdownMenuLabel>
            <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 px-2 pb-2 text-xs">
              {SHORTCUTS.map((shortcut) => (
                <div key={shortcut.keys} className="contents">
                  <dt className="whitespace-nowrap font-mono text-slate-800">{shortcut.keys}</dt>
                  <dd className="text-slate-600">{shortcut.action}</dd>
                </div>
              ))}
            </dl>
          </DropdownMenuContent>
        </DropdownMenu>
        <Button variant="outline" onClick={onTest} disabled={readOnly}>
          <FlaskConical /> Test
        </Button>
        <PublishDialog agentId={agent.id} flush={autosave.flush} disabled={readOnly || autosave.state === "conflict"} />
      </div>
    </div>
  );
}
