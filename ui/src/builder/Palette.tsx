/** Node types from the API's catalog, by category: drag one onto the canvas, or press Enter to add it. */
import { useReactFlow } from "@xyflow/react";

import type { NodeTypeInfo } from "@/api/definition";
import { IntegrationPalette, type IntegrationDrop } from "@/builder/IntegrationPalette";
import { NODE_LOOKS } from "@/builder/nodes/meta";
import { useBuilderStore } from "@/builder/store";
import { cn } from "@/lib/utils";

export const PALETTE_MIME = "application/x-agentflow-node";

const CATEGORY_LABELS: Record<NodeTypeInfo["category"], string> = {
  trigger: "Trigger",
  ai: "AI",
  action: "Actions",
  logic: "Logic",
  human: "Human",
  knowledge: "Knowledge",
};

export function Palette() {
  const catalog = useBuilderStore((state) => state.catalog);
  const addNode = useBuilderStore((state) => state.addNode);
  const { screenToFlowPosition } = useReactFlow();
  const infos = Object.values(catalog).filter((info): info is NodeTypeInfo => Boolean(info));
  const categories = [...new Set(infos.map((info) => info.category))];

  const centre = () => {
    const canvas = document.querySelector("[data-testid=canvas]")?.getBoundingClientRect();
    return screenToFlowPosition(canvas ? { x: canvas.left + canvas.width / 2 - 112, y: canvas.top + canvas.height / 2 - 30 } : { x: 0, y: 0 });
  };
  const addAtCentre = (info: NodeTypeInfo) => addNode(info.type, centre());
  const addIntegration = (drop: IntegrationDrop) => addNode("action.integration", centre(), drop);

  return (
    <aside aria-label="Node palette" className="w-56 shrink-0 overflow-y-auto border-r border-slate-200 bg-white p-3">
      <p className="mb-3 text-xs text-slate-500">Drag a node onto the canvas, or focus it and press Enter.</p>
      {categories.map((category) => (
        <section key={category} className="mb-4">
          <h3 className="mb-1.5 text-[11px] font-semibold uppercase tracking-wide text-slate-400">{CATEGORY_LABELS[category]}</h3>
          <ul className="space-y-1">
            {infos
              .filter((info) => info.category === category)
              .map((info) => {
                const look = NODE_LOOKS[info.type];
                const Icon = look.icon;
                return (
                  <li key={info.type}>
                    <button
                      type="button"
                      draggable
                      data-testid={`palette-${info.type}`}
                      title={info.description}
                      onDragStart={(event) => {
                        event.dataTransfer.setData(PALETTE_MIME, info.type);
                        event.dataTransfer.effectAllowed = "move";
                      }}
                      onClick={() => addAtCentre(info)}
                      className="flex w-full cursor-grab items-center gap-2 rounded-md border border-slate-200 px-2 py-1.5 text-left text-sm text-slate-700 hover:border-indigo-300 hover:bg-indigo-50 active:cursor-grabbing"
                    >
                      <span className={cn("flex size-6 items-center justify-center rounded", look.accent)}>
                        <Icon className="size-3.5" />
                      </span>
                      {info.label}
                    </button>
                  </li>
                );
              })}
          </ul>
        </section>
      ))}
      {catalog["action.integration"] ? <IntegrationPalette onAdd={addIntegration} /> : null}
    </aside>
  );
}
