/**
 * Autosave: a second after the last change the draft is PUT with `If-Match: "<revision>"`. A 409 stops
 * autosaving and asks the user to reload (their version) or overwrite (ours, on top of the latest revision).
 */
import { useQueryClient } from "@tanstack/react-query";
import * as React from "react";

import { agentKeys, agentsApi, type AgentDetail, type AgentUpdate } from "@/api/agents";
import { ApiError, errorMessage } from "@/api/http";
import { useBuilderStatus } from "@/builder/status";
import { useBuilderStore } from "@/builder/store";

export type SaveState = "saved" | "dirty" | "saving" | "conflict" | "error";

export const AUTOSAVE_DELAY_MS = 1000;

export interface Autosave {
  state: SaveState;
  error: string | null;
  revision: number;
  /** Save now (before publishing or a test run); resolves once the draft on the server is current. */
  flush: () => Promise<boolean>;
  /** After a conflict: discard local changes and load the server's draft. */
  reload: () => Promise<void>;
  /** After a conflict: save local changes over the server's newer draft. */
  overwrite: () => Promise<void>;
  /** Rename, describe or tag the agent, in the same revision sequence as the draft. */
  updateDetails: (details: Pick<AgentUpdate, "name" | "description" | "tags">) => Promise<void>;
}

export function useAutosave(agent: AgentDetail): Autosave {
  const queryClient = useQueryClient();
  const [state, setState] = React.useState<SaveState>("saved");
  const [error, setError] = React.useState<string | null>(null);
  const [revision, setRevision] = React.useState(agent.draft_revision);
  const revisionRef = React.useRef(agent.draft_revision);
  const inflight = React.useRef<Promise<boolean> | null>(null);
  const conflict = React.useRef(false);
  const timer = React.useRef<ReturnType<typeof setTimeout> | null>(null);

  const applySaved = React.useCallback(
    (detail: AgentDetail) => {
      revisionRef.current = detail.draft_revision;
      setRevision(detail.draft_revision);
      useBuilderStatus.getState().setValidation(detail.validation);
      queryClient.setQueryData(agentKeys.detail(agent.id), detail);
    },
    [agent.id, queryClient],
  );

  const save = React.useCallback(async (): Promise<boolean> => {
    if (conflict.current) return false;
    if (inflight.current) {
      await inflight.current;
      return save();
    }
    const store = useBuilderStore.getState();
    if (store.documentId !== agent.id) return false; // another agent is open now
    if (!store.dirty) return true;
    const count = store.changeCount;
    setState("saving");
    const run = agentsApi
      .update(agent.id, { definition: store.toDefinition() }, revisionRef.current)
      .then((detail) => {
        applySaved(detail);
        useBuilderStore.getState().markSaved(count);
        setError(null);
        setState(useBuilderStore.getState().dirty ? "dirty" : "saved");
        return true;
      })
      .catch((problem: unknown) => {
        if (problem instanceof ApiError && problem.status === 409) {
          conflict.current = true;
          setState("conflict");
        } else {
          setError(errorMessage(problem));
          setState("error");
        }
        return false;
      })
      .finally(() => {
        inflight.current = null;
      });
    inflight.current = run;
    return run;
  }, [agent.id, applySaved]);

  React.useEffect(() => {
    const unsubscribe = useBuilderStore.subscribe((current, previous) => {
      if (current.changeCount === previous.changeCount || !current.dirty || conflict.current) return;
      setState((s) => (s === "saving" ? s : "dirty"));
      if (timer.current) clearTimeout(timer.current);
      timer.current = setTimeout(() => {
        timer.current = null;
        void save();
      }, AUTOSAVE_DELAY_MS);
    });
    return () => {
      unsubscribe();
      // Leaving the builder within the autosave delay still saves the last edits.
      if (timer.current) {
        clearTimeout(timer.current);
        void save();
      }
    };
  }, [save]);

  // Leaving with unsaved changes asks first.
  React.useEffect(() => {
    const onBeforeUnload = (event: BeforeUnloadEvent) => {
      if (useBuilderStore.getState().dirty) event.preventDefault();
    };
    window.addEventListener("beforeunload", onBeforeUnload);
    return () => window.removeEventListener("beforeunload", onBeforeUnload);
  }, []);

  const flush = React.useCallback(async () => {
    if (timer.current) clearTimeout(timer.current);
    return save();
  }, [save]);

  const reload = React.useCallback(async () => {
    const latest = await agentsApi.get(agent.id);
    conflict.current = false;
    applySaved(latest);
    useBuilderStore.getState().load(latest.draft, undefined, agent.id);
    setState("saved");
  }, [agent.id, applySaved]);

  const overwrite = React.useCallback(async () => {
    const latest = await agentsApi.get(agent.id);
    revisionRef.current = latest.draft_revision;
    conflict.current = false;
    await save();
  }, [agent.id, save]);

  const updateDetails = React.useCallback(
    async (details: Pick<AgentUpdate, "name" | "description" | "tags">) => {
      if (!(await flush())) throw new Error("Resolve the unsaved draft first.");
      applySaved(await agentsApi.update(agent.id, details, revisionRef.current));
    },
    [agent.id, applySaved, flush],
  );

  return { state, error, revision, flush, reload, overwrite, updateDetails };
}
