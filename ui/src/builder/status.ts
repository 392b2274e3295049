/** What the canvas shows on top of the document: validation issues and live test-run states per node. */
import { create } from "zustand";

import type { ValidationIssue, ValidationReport } from "@/api/agents";
import type { StepStatus } from "@/api/executions";

/** A node's state in a test run: its latest step's status (`waiting` while an approval waits). */
export type RunState = StepStatus;

interface StatusState {
  issues: Record<string, ValidationIssue[]>;
  /** Issues that belong to no node (settings, the graph as a whole). */
  graphIssues: ValidationIssue[];
  run: Record<string, RunState>;
  setValidation: (report: ValidationReport | null) => void;
  setRunState: (nodeId: string, state: RunState) => void;
  /** The run ended: nodes still running or waiting were interrupted. */
  endRun: () => void;
  resetRun: () => void;
}

const UNFINISHED: ReadonlySet<RunState> = new Set(["running", "retrying", "waiting"]);

export const useBuilderStatus = create<StatusState>()((set) => ({
  issues: {},
  graphIssues: [],
  run: {},
  setValidation: (report) => {
    const issues: Record<string, ValidationIssue[]> = {};
    const graphIssues: ValidationIssue[] = [];
    for (const issue of report?.errors ?? []) {
      if (issue.node_id) (issues[issue.node_id] ??= []).push(issue);
      else graphIssues.push(issue);
    }
    set({ issues, graphIssues });
  },
  setRunState: (nodeId, state) => set((current) => ({ run: { ...current.run, [nodeId]: state } })),
  endRun: () =>
    set((current) => ({
      run: Object.fromEntries(
        Object.entries(current.run).map(([nodeId, state]) => [nodeId, UNFINISHED.has(state) ? "cancelled" : state]),
      ),
    })),
  resetRun: () => set({ run: {} }),
}));

const NO_ISSUES: ValidationIssue[] = [];

export const useNodeIssues = (nodeId: string): ValidationIssue[] =>
  useBuilderStatus((state) => state.issues[nodeId] ?? NO_ISSUES);

export const useNodeRunState = (nodeId: string): RunState | undefined => useBuilderStatus((state) => state.run[nodeId]);
