/** A read-only canvas of version B with what changed since version A highlighted (removed nodes ghosted). */
import {
  Background,
  Controls,
  Handle,
  Position,
  ReactFlow,
  ReactFlowProvider,
  type Edge,
  type Node,
  type NodeProps,
  type NodeTypes,
} from "@xyflow/react";
import { memo } from "react";

import type { VersionDiff } from "@/api/agents";
import { DEFAULT_HANDLE, type AgentDefinition } from "@/api/definition";
import { NODE_LOOKS } from "@/builder/nodes/meta";
import { definitionToFlow } from "@/builder/store";
import { cn } from "@/lib/utils";

type Change = "added" | "removed" | "changed" | "moved" | "same";
type DiffNodeData = { [key: string]: unknown; label: string; nodeType: keyof typeof NODE_LOOKS; change: Change; fields: string[] };

const CHANGE_STYLES: Record<Change, string> = {
  added: "border-emerald-500 bg-emerald-50",
  removed: "border-red-400 border-dashed bg-red-50 opacity-70",
  changed: "border-amber-500 bg-amber-50",
  moved: "border-sky-300",
  same: "border-slate-300",
};

const DiffNode = memo(function DiffNode({ id, data }: NodeProps<Node<DiffNodeData>>) {
  const Icon = NODE_LOOKS[data.nodeType]?.icon;
  return (
    <div data-testid={`diff-${id}`} data-change={data.change} className={cn("w-52 rounded-lg border-2 bg-white px-3 py-2 text-sm", CHANGE_STYLES[data.change])}>
      <Handle type="target" position={Position.Left} />
      <div className="flex items-center gap-2">
        {Icon ? <Icon className="size-4 text-slate-600" /> : null}
        <span className="truncate font-medium">{data.label}</span>
      </div>
      <div className="font-mono text-[11px] text-slate-500">{id}</div>
      {data.change !== "same" ? (
        <div className="mt-1 text-[11px] font-semibold uppercase text-slate-600">
          {data.change}
          {data.fields.length ? `: ${data.fields.join(", ")}` : ""}
        </div>
      ) : null}
      <Handle type="source" position={Position.Right} />
    </div>
  );
});

const diffNodeTypes: NodeTypes = { diff: DiffNode };

const edgeKey = (edge: { source: string; target: string; source_handle?: string | null }) =>
  `${edge.source}->${edge.target}:${edge.source_handle ?? DEFAULT_HANDLE}`;

export function diffFlow(before: AgentDefinition, after: AgentDefinition, diff: VersionDiff) {
  const changed = new Map((diff.nodes_changed ?? []).map((change) => [change.node_id, change.fields]));
  const added = new Set(diff.nodes_added ?? []);
  const removedIds = new Set(diff.nodes_removed ?? []);
  const moved = new Set(diff.nodes_moved ?? []);
  const changeOf = (id: string): Change =>
    added.has(id) ? "added" : changed.has(id) ? "changed" : moved.has(id) ? "moved" : "same";
  const afterFlow = definitionToFlow(after);
  const beforeFlow = definitionToFlow(before);
  const removed = beforeFlow.nodes.filter((node) => removedIds.has(node.id));
  const nodes: Node<DiffNodeData>[] = [
    ...afterFlow.nodes.map((node) => ({ ...node, change: changeOf(node.id) })),
    ...removed.map((node) => ({ ...node, change: "removed" as Change })),
  ].map((node) => ({
    id: node.id,
    type: "diff",
    position: node.position,
    data: { label: node.data.name || node.id, nodeType: node.data.nodeType, change: node.change, fields: changed.get(node.id) ?? [] },
  }));
  const addedEdges = new Set((diff.edges_added ?? []).map(edgeKey));
  const edges: Edge[] = [
    // Diff nodes have one unnamed output handle: drop the branch handle, keep the branch name as the label.
    ...afterFlow.edges.map(({ sourceHandle, ...edge }) => ({
      ...edge,
      style: addedEdges.has(edgeKey({ ...edge, source_handle: sourceHandle })) ? { stroke: "#10b981", strokeWidth: 2 } : undefined,
    })),
    ...(diff.edges_removed ?? []).map((edge) => ({
      id: `removed:${edge.source}->${edge.target}`,
      source: edge.source,
      target: edge.target,
      label: edge.source_handle && edge.source_handle !== DEFAULT_HANDLE ? edge.source_handle : undefined,
      style: { stroke: "#f87171", strokeDasharray: "4 4" },
    })),
  ];
  return { nodes, edges };
}

export function DiffView({ before, after, diff }: { before: AgentDefinition; after: AgentDefinition; diff: VersionDiff }) {
  const { nodes, edges } = diffFlow(before, after, diff);
  return (
    <div className="h-[28rem] rounded-lg border border-slate-200 bg-white" data-testid="diff-canvas">
      <ReactFlowProvider>
        <ReactFlow nodes={nodes} edges={edges} nodeTypes={diffNodeTypes} nodesDraggable={false} nodesConnectable={false} fitView>
          <Background gap={16} />
          <Controls showInteractive={false} />
        </ReactFlow>
      </ReactFlowProvider>
    </div>
  );
}
