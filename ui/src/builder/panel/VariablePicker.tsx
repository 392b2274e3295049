/** A searchable list of what the node may reference: upstream outputs, secrets, loop and execution values. */
import { Variable as VariableIcon } from "lucide-react";
import { Popover } from "radix-ui";
import * as React from "react";

import type { Variable } from "@/api/agents";
import { VariablesContext } from "@/builder/panel/variables";
import { variableKey, variableTemplate } from "@/builder/references";
import { Input } from "@/components/ui/input";

function groupName(variable: Variable): string {
  if (variable.node_id) return variable.node_id;
  return variable.root;
}

export function VariablePicker({
  open,
  onOpenChange,
  onPick,
}: {
  open: boolean;
  onOpenChange: (open: boolean) => void;
  onPick: (template: string) => void;
}) {
  const { variables, loading } = React.useContext(VariablesContext);
  const [filter, setFilter] = React.useState("");
  const shown = variables.filter((variable) => variableKey(variable).toLowerCase().includes(filter.toLowerCase()));
  const groups = new Map<string, Variable[]>();
  for (const variable of shown) groups.set(groupName(variable), [...(groups.get(groupName(variable)) ?? []), variable]);
  return (
    <Popover.Root open={open} onOpenChange={onOpenChange}>
      <Popover.Trigger asChild>
        <button
          type="button"
          aria-label="Insert variable"
          title="Insert variable"
          className="rounded p-1 text-slate-500 hover:bg-slate-100 hover:text-indigo-600"
        >
          <VariableIcon className="size-4" />
        </button>
      </Popover.Trigger>
      <Popover.Portal>
        <Popover.Content
          align="end"
          sideOffset={4}
          className="z-50 w-80 rounded-md border border-slate-200 bg-white p-2 shadow-lg"
          onOpenAutoFocus={(event) => {
            event.preventDefault();
            (event.currentTarget as HTMLElement | null)?.querySelector("input")?.focus();
          }}
        >
          <Input placeholder="Filter variables…" aria-label="Filter variables" value={filter} onChange={(e) => setFilter(e.target.value)} className="h-8" />
          <div className="mt-2 max-h-72 overflow-y-auto" role="listbox" aria-label="Variables">
            {loading ? <p className="p-2 text-xs text-slate-500">Loading…</p> : null}
            {!loading && shown.length === 0 ? (
              <p className="p-2 text-xs text-slate-500">Nothing upstream yet: connect this node after the nodes whose output it needs.</p>
            ) : null}
            {[...groups].map(([group, items]) => (
              <div key={group} className="mb-2">
                <div className="px-1 text-[11px] font-semibold uppercase text-slate-400">{group}</div>
                {items.map((variable) => (
                  <button
                    key={variableKey(variable)}
                    type="button"
                    role="option"
                    aria-selected={false}
                    className="flex w-full items-center justify-between gap-2 rounded px-1.5 py-1 text-left hover:bg-indigo-50"
                    title={variable.description}
                    onClick={() => onPick(variableTemplate(variable))}
                  >
                    <span className="truncate font-mono text-xs text-slate-800">{variableKey(variable)}</span>
                    <span className="shrink-0 text-[10px] text-slate-400">{variable.shape}</span>
                  </button>
                ))}
              </div>
            ))}
          </div>
        </Popover.Content>
      </Popover.Portal>
    </Popover.Root>
  );
}
