/** The React Flow canvas: nodes, edges with branch labels, minimap, controls, drop target for the palette. */
import {
  Background,
  Controls,
  MarkerType,
  MiniMap,
  ReactFlow,
  useReactFlow,
  type IsValidConnection,
} from "@xyflow/react";
import * as React from "react";

import type { NodeType } from "@/api/definition";
import { nodeTypes } from "@/builder/nodes";
import { INTEGRATION_MIME, parseIntegrationDrop } from "@/builder/IntegrationPalette";
import { PALETTE_MIME } from "@/builder/Palette";
import { useBuilderStore } from "@/builder/store";
import type { BuilderEdge, BuilderNode } from "@/builder/types";

const DEFAULT_EDGE_OPTIONS = {
  type: "smoothstep",
  markerEnd: { type: MarkerType.ArrowClosed, width: 16, height: 16 },
  labelBgPadding: [4, 2] as [number, number],
  labelBgBorderRadius: 4,
  labelStyle: { fontSize: 11, fontWeight: 600 },
};

// Above this many nodes, nodes outside the viewport are not rendered at all.
const LARGE_GRAPH = 60;

const isValidConnection: IsValidConnection<BuilderEdge> = (connection) => connection.source !== connection.target;

const miniMapColor = (node: BuilderNode): string =>
  node.type === "trigger" ? "#10b981" : node.type === "ai" ? "#8b5cf6" : node.type?.startsWith("logic") ? "#f59e0b" : "#64748b";

export function Canvas({ readOnly = false }: { readOnly?: boolean }) {
  const nodes = useBuilderStore((state) => state.nodes);
  const edges = useBuilderStore((state) => state.edges);
  const onNodesChange = useBuilderStore((state) => state.onNodesChange);
  const onEdgesChange = useBuilderStore((state) => state.onEdgesChange);
  const onConnect = useBuilderStore((state) => state.onConnect);
  const addNode = useBuilderStore((state) => state.addNode);
  const { screenToFlowPosition } = useReactFlow();

  const onDrop = React.useCallback(
    (event: React.DragEvent) => {
      const type = event.dataTransfer.getData(PALETTE_MIME) as NodeType;
      const integration = parseIntegrationDrop(event.dataTransfer.getData(INTEGRATION_MIME));
      if (!type && !integration) return;
      event.preventDefault();
      // Centre the node under the cursor (nodes are 224px wide, ~60px tall).
      const position = screenToFlowPosition({ x: event.clientX - 112, y: event.clientY - 30 });
      if (integration) addNode("action.integration", position, integration);
      else addNode(type, position);
    },
    [addNode, screenToFlowPosition],
  );

  return (
    <div className="relative min-w-0 flex-1" data-testid="canvas">
      <ReactFlow<BuilderNode, BuilderEdge>
        nodes={nodes}
        edges={edges}
        nodeTypes={nodeTypes}
        onNodesChange={onNodesChange}
        onEdgesChange={onEdgesChange}
        onConnect={onConnect}
        isValidConnection={isValidConnection}
        onDrop={onDrop}
        onDragOver={(event) => {
          event.preventDefault();
          event.dataTransfer.dropEffect = "move";
        }}
        defaultEdgeOptions={DEFAULT_EDGE_OPTIONS}
        deleteKeyCode={readOnly ? null : ["Delete", "Backspace"]}
        nodesDraggable={!readOnly}
        nodesConnectable={!readOnly}
        elementsSelectable
        fitView
        fitViewOptions={{ padding: 0.2, maxZoom: 1.2 }}
        minZoom={0.1}
        maxZoom={2}
        onlyRenderVisibleElements={nodes.length > LARGE_GRAPH}
      >
        <Background gap={16} />
        <MiniMap pannable zoomable nodeColor={miniMapColor} ariaLabel="Minimap" />
        <Controls />
      </ReactFlow>
    </div>
  );
}
