/** The frame every node type shares: icon, name, id, a subtitle, status badges and handles per branch. */
import { Handle, Position } from "@xyflow/react";
import type { LucideIcon } from "lucide-react";
import * as React from "react";

import { DEFAULT_HANDLE, type NodeType } from "@/api/definition";
import { useNodeIssues, useNodeRunState, type RunState } from "@/builder/status";
import { NODE_LOOKS } from "@/builder/nodes/meta";
import { cn } from "@/lib/utils";

const RUN_STYLES: Record<RunState, string> = {
  running: "border-sky-500 ring-4 ring-sky-200 animate-pulse",
  retrying: "border-orange-500 ring-4 ring-orange-200 animate-pulse",
  waiting: "border-amber-500 ring-2 ring-amber-200",
  completed: "border-emerald-500 ring-2 ring-emerald-200",
  failed: "border-red-500 ring-2 ring-red-200",
  timed_out: "border-red-500 ring-2 ring-red-200 border-dashed",
  skipped: "border-slate-300 opacity-60",
  cancelled: "border-slate-400 border-dashed",
};

export interface BaseNodeProps {
  id: string;
  nodeType: NodeType;
  name: string;
  selected: boolean;
  subtitle?: React.ReactNode;
  /** Output handles, in order; `default` is drawn unlabelled. */
  handles: string[];
  icon?: LucideIcon;
  hasInput?: boolean;
  shape?: "card" | "branch";
}

export function BaseNode({ id, nodeType, name, selected, subtitle, handles, icon, hasInput = true, shape = "card" }: BaseNodeProps) {
  const issues = useNodeIssues(id);
  const run = useNodeRunState(id);
  const look = NODE_LOOKS[nodeType];
  const Icon = icon ?? look.icon;
  const labelled = handles.some((handle) => handle !== DEFAULT_HANDLE);
  return (
    <div
      data-testid={`node-${id}`}
      data-node-type={nodeType}
      data-run-state={run ?? "idle"}
      data-issues={issues.length}
      className={cn(
        "relative w-56 rounded-lg border bg-white text-left shadow-sm transition-shadow",
        shape === "branch" && "rounded-xl border-dashed",
        selected ? "border-indigo-500 ring-2 ring-indigo-300" : "border-slate-300",
        run && RUN_STYLES[run],
      )}
    >
      {hasInput ? <Handle type="target" position={Position.Left} className="!h-3 !w-3 !border-2 !border-white !bg-slate-500" /> : null}
      <div className="flex items-center gap-2 px-3 py-2">
        <div className={cn("flex size-8 shrink-0 items-center justify-center rounded-md", look.accent)}>
          <Icon className="size-4" aria-hidden />
        </div>
        <div className="min-w-0 flex-1">
          <div className="truncate text-sm font-medium text-slate-900">{name || id}</div>
          <div className="truncate font-mono text-[11px] text-slate-500">{id}</div>
        </div>
        {issues.length > 0 ? (
          <span
            className="rounded-full bg-red-100 px-1.5 text-[11px] font-semibold text-red-700"
            title={issues.map((issue) => issue.message).join("\n")}
            aria-label={`${issues.length} problem${issues.length > 1 ? "s" : ""}`}
          >
            {issues.length}
          </span>
        ) : null}
        {run ? (
          <span className="sr-only" data-testid={`run-state-${id}`}>
            {run}
          </span>
        ) : null}
      </div>
      {subtitle ? <div className="truncate border-t border-slate-100 px-3 py-1.5 text-xs text-slate-600">{subtitle}</div> : null}
      {labelled ? (
        <div className="flex flex-col gap-1 border-t border-slate-100 py-1.5">
          {handles.map((handle) => (
            <div key={handle} className="relative pr-4 text-right text-[11px] font-medium text-slate-500">
              {handle}
              <Handle
                type="source"
                id={handle}
                position={Position.Right}
                className={cn("!h-3 !w-3 !border-2 !border-white", handle === "false" || handle === "rejected" || handle === "error" ? "!bg-red-400" : "!bg-indigo-500")}
              />
            </div>
          ))}
        </div>
      ) : (
        <Handle type="source" id={DEFAULT_HANDLE} position={Position.Right} className="!h-3 !w-3 !border-2 !border-white !bg-indigo-500" />
      )}
    </div>
  );
}
