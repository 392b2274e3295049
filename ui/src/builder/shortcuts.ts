/** Builder keyboard shortcuts (Delete/Backspace is handled by React Flow itself). */
import { useReactFlow } from "@xyflow/react";
import * as React from "react";

import { useBuilderStore } from "@/builder/store";

const isEditable = (target: EventTarget | null): boolean =>
  target instanceof HTMLElement &&
  (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));

export const SHORTCUTS = [
  { keys: "Delete / Backspace", action: "Delete the selected nodes and edges" },
  { keys: "Ctrl/⌘ + C", action: "Copy the selected nodes" },
  { keys: "Ctrl/⌘ + V", action: "Paste them (offset, with fresh ids)" },
  { keys: "Ctrl/⌘ + Z", action: "Undo" },
  { keys: "Ctrl/⌘ + Shift + Z or Ctrl + Y", action: "Redo" },
  { keys: "Ctrl/⌘ + S", action: "Save the draft now" },
  { keys: "Shift + 1", action: "Fit the graph in view" },
  { keys: "Escape", action: "Clear the selection" },
] as const;

export function useBuilderShortcuts({ readOnly, onSave }: { readOnly: boolean; onSave: () => void }) {
  const { fitView } = useReactFlow();
  React.useEffect(() => {
    const onKeyDown = (event: KeyboardEvent) => {
      if (isEditable(event.target) || event.defaultPrevented) return;
      const store = useBuilderStore.getState();
      const mod = event.ctrlKey || event.metaKey;
      const key = event.key.toLowerCase();
      if (event.shiftKey && event.code === "Digit1") {
        event.preventDefault();
        void fitView({ padding: 0.2, duration: 200 });
      } else if (key === "escape") {
        store.select(null);
      } else if (!mod || readOnly) {
        return;
      } else if (key === "z" && !event.shiftKey) {
        event.preventDefault();
        store.undo();
      } else if ((key === "z" && event.shiftKey) || key === "y") {
        event.preventDefault();
        store.redo();
      } else if (key === "c") {
        store.copySelection();
      } else if (key === "v") {
        event.preventDefault();
        store.paste();
      } else if (key === "s") {
        event.preventDefault();
        onSave();
      }
    };
    document.addEventListener("keydown", onKeyDown);
    return () => document.removeEventListener("keydown", onKeyDown);
  }, [fitView, readOnly, onSave]);
}
