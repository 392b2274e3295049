/**
 * The builder's state: nodes, edges, settings, selection, dirty flag and undo/redo history.
 * One store for the open agent; `load` replaces everything. History holds whole snapshots of the document
 * (cheap: updates are immutable, so unchanged nodes are shared) and is recorded at commit points only:
 * once per drag, once per burst of typing in one field, once per add/connect/delete/paste.
 */
import {
  applyEdgeChanges,
  applyNodeChanges,
  type Connection,
  type EdgeChange,
  type NodeChange,
  type XYPosition,
} from "@xyflow/react";
import { create } from "zustand";

import {
  DEFAULT_HANDLE,
  type AgentDefinition,
  type DefinitionEdge,
  type DefinitionNode,
  type JsonObject,
  type NodeType,
  type NodeTypeInfo,
} from "@/api/definition";
import { defaultConfig } from "@/builder/defaults";
import { nextNodeId } from "@/builder/ids";
import { renameReferences } from "@/builder/references";
import type { BuilderEdge, BuilderNode, BuilderNodeData } from "@/builder/types";

interface Snapshot {
  nodes: BuilderNode[];
  edges: BuilderEdge[];
  settings: JsonObject;
}

interface Clipboard {
  nodes: BuilderNode[];
  edges: BuilderEdge[];
}

export interface BuilderState extends Snapshot {
  /** Which agent the document belongs to: a save never sends one agent's graph to another. */
  documentId: string | null;
  catalog: Partial<Record<NodeType, NodeTypeInfo>>;
  selectedNodeId: string | null;
  /** Unsaved changes exist. */
  dirty: boolean;
  /** Bumped on every document change; autosave compares it to know whether a save is still current. */
  changeCount: number;
  past: Snapshot[];
  future: Snapshot[];
  clipboard: Clipboard | null;
  /** What the last history entry was for, so bursts of edits to one field become one undo step. */
  lastCommit: { key: string; at: number } | null;
  dragging: boolean;

  load: (definition: AgentDefinition, catalog?: NodeTypeInfo[], documentId?: string) => void;
  setCatalog: (catalog: NodeTypeInfo[]) => void;
  onNodesChange: (changes: NodeChange<BuilderNode>[]) => void;
  onEdgesChange: (changes: EdgeChange<BuilderEdge>[]) => void;
  onConnect: (connection: Connection) => void;
  /** `init` pre-fills the node (an integration action dragged from the palette); else the type's defaults. */
  addNode: (type: NodeType, position: XYPosition, init?: { name?: string; config?: JsonObject; idBase?: string }) => string;
  updateNode: (id: string, patch: Partial<Omit<BuilderNodeData, "nodeType">>, field?: string) => void;
  renameNode: (id: string, newId: string) => void;
  updateSettings: (settings: JsonObject) => void;
  select: (id: string | null) => void;
  deleteSelection: () => void;
  copySelection: () => number;
  paste: () => void;
  undo: () => void;
  redo: () => void;
  markSaved: (changeCount: number) => void;
  toDefinition: () => AgentDefinition;
}

const HISTORY_LIMIT = 100;
const COALESCE_MS = 1000;
const PASTE_OFFSET = 40;

export const edgeId = (source: string, handle: string, target: string): string => `${source}:${handle}->${target}`;

function toBuilderEdge(edge: DefinitionEdge): BuilderEdge {
  const handle = edge.source_handle || DEFAULT_HANDLE;
  return {
    id: edgeId(edge.source, handle, edge.target),
    source: edge.source,
    target: edge.target,
    sourceHandle: handle,
    label: handle === DEFAULT_HANDLE ? undefined : handle,
    data: { handle },
  };
}

/** Nodes saved without a position get a simple left-to-right layered layout. */
function layout(definition: AgentDefinition): Map<string, XYPosition> {
  const depth = new Map<string, number>();
  const incoming = new Map<string, string[]>();
  for (const edge of definition.edges) incoming.set(edge.target, [...(incoming.get(edge.target) ?? []), edge.source]);
  const visit = (id: string, seen: Set<string>): number => {
    if (depth.has(id)) return depth.get(id) ?? 0;
    if (seen.has(id)) return 0;
    seen.add(id);
    const d = Math.max(-1, ...(incoming.get(id) ?? []).map((source) => visit(source, seen))) + 1;
    depth.set(id, d);
    return d;
  };
  const rows = new Map<number, number>();
  const positions = new Map<string, XYPosition>();
  for (const node of definition.nodes) {
    const d = visit(node.id, new Set());
    const row = rows.get(d) ?? 0;
    rows.set(d, row + 1);
    positions.set(node.id, { x: d * 280, y: row * 140 });
  }
  return positions;
}

export function definitionToFlow(definition: AgentDefinition): { nodes: BuilderNode[]; edges: BuilderEdge[] } {
  const auto = definition.nodes.some((node) => !node.position) ? layout(definition) : null;
  const nodes = definition.nodes.map((node): BuilderNode => {
    const data = { nodeType: node.type, name: node.name ?? "", config: node.config ?? {} } as BuilderNodeData;
    if (node.retry != null) data.retry = node.retry;
    if (node.timeout_seconds != null) data.timeout_seconds = node.timeout_seconds;
    return {
      id: node.id,
      type: node.type,
      position: node.position ?? auto?.get(node.id) ?? { x: 0, y: 0 },
      data,
    };
  });
  return { nodes, edges: definition.edges.map(toBuilderEdge) };
}

export function flowToDefinition(nodes: BuilderNode[], edges: BuilderEdge[], settings: JsonObject): AgentDefinition {
  return {
    nodes: nodes.map((node): DefinitionNode => {
      const { nodeType, name, config, retry, timeout_seconds } = node.data;
      const out: DefinitionNode = {
        id: node.id,
        type: nodeType,
        name,
        config,
        position: { x: Math.round(node.position.x), y: Math.round(node.position.y) },
      };
      if (retry) out.retry = retry;
      if (timeout_seconds != null) out.timeout_seconds = timeout_seconds;
      return out;
    }),
    edges: edges.map((edge): DefinitionEdge => {
      const handle = edge.data?.handle ?? edge.sourceHandle ?? DEFAULT_HANDLE;
      return handle === DEFAULT_HANDLE
        ? { source: edge.source, target: edge.target }
        : { source: edge.source, target: edge.target, source_handle: handle };
    }),
    settings,
  };
}

const EMPTY: Snapshot = { nodes: [], edges: [], settings: {} };

export const useBuilderStore = create<BuilderState>()((set, get) => {
  /** Record the current document as an undo step (unless it continues the previous step `key`). */
  const checkpoint = (key?: string) => {
    const state = get();
    const now = Date.now();
    if (key && state.lastCommit?.key === key && now - state.lastCommit.at < COALESCE_MS) {
      set({ lastCommit: { key, at: now } });
      return;
    }
    const snapshot: Snapshot = { nodes: state.nodes, edges: state.edges, settings: state.settings };
    set({
      past: [...state.past.slice(-(HISTORY_LIMIT - 1)), snapshot],
      future: [],
      lastCommit: key ? { key, at: now } : null,
    });
  };
  /** React Flow removes a node's edges and the node in two change batches of one tick: one undo step. */
  const checkpointRemoval = () => {
    if (get().lastCommit?.key === "remove") return;
    checkpoint("remove");
    queueMicrotask(() => {
      if (get().lastCommit?.key === "remove") set({ lastCommit: null });
    });
  };
  const changed = (patch: Partial<BuilderState>) => set({ ...patch, dirty: true, changeCount: get().changeCount + 1 });
  const restore = (snapshot: Snapshot) => {
    // The panel follows the restored selection, so the canvas and the form never disagree.
    const selected = snapshot.nodes.filter((node) => node.selected);
    changed({ ...snapshot, selectedNodeId: selected.length === 1 ? (selected[0]?.id ?? null) : null, lastCommit: null });
  };

  return {
    ...EMPTY,
    documentId: null,
    catalog: {},
    selectedNodeId: null,
    dirty: false,
    changeCount: 0,
    past: [],
    future: [],
    clipboard: null,
    lastCommit: null,
    dragging: false,

    load: (definition, catalog, documentId) => {
      const { nodes, edges } = definitionToFlow(definition);
      set({
        documentId: documentId ?? null,
        nodes,
        edges,
        settings: definition.settings ?? {},
        selectedNodeId: null,
        dirty: false,
        changeCount: 0,
        past: [],
        future: [],
        lastCommit: null,
        dragging: false,
      });
      if (catalog) get().setCatalog(catalog);
    },

    setCatalog: (catalog) => set({ catalog: Object.fromEntries(catalog.map((info) => [info.type, info])) }),

    onNodesChange: (changes) => {
      const state = get();
      const removing = changes.some((change) => change.type === "remove");
      const moves = changes.filter((change) => change.type === "position");
      const dragStart = !state.dragging && moves.some((change) => change.dragging);
      const dragEnd = state.dragging && moves.some((change) => !change.dragging);
      // Arrow keys move selected nodes without a drag: one undo step per burst.
      const nudge = !state.dragging && !dragStart && moves.some((change) => !change.dragging && change.position);
      if (removing) checkpointRemoval();
      else if (dragStart) checkpoint();
      else if (nudge) checkpoint("nudge");
      const nodes = applyNodeChanges(changes, state.nodes);
      let { edges, selectedNodeId } = state;
      if (removing) {
        const ids = new Set(nodes.map((node) => node.id));
        edges = edges.filter((edge) => ids.has(edge.source) && ids.has(edge.target));
        if (selectedNodeId && !ids.has(selectedNodeId)) selectedNodeId = null;
      }
      for (const change of changes) {
        if (change.type === "select") {
          if (change.selected) selectedNodeId = change.id;
          else if (selectedNodeId === change.id) selectedNodeId = null;
        }
      }
      const patch: Partial<BuilderState> = { nodes, edges, selectedNodeId };
      if (dragStart) patch.dragging = true;
      if (dragEnd) patch.dragging = false;
      if (removing || dragEnd || nudge) changed(patch);
      else set(patch);
    },

    onEdgesChange: (changes) => {
      const removing = changes.some((change) => change.type === "remove");
      if (removing) checkpointRemoval();
      const edges = applyEdgeChanges(changes, get().edges);
      if (removing) changed({ edges });
      else set({ edges });
    },

    onConnect: ({ source, target, sourceHandle }) => {
      const handle = sourceHandle || DEFAULT_HANDLE;
      const id = edgeId(source, handle, target);
      const { edges } = get();
      if (source === target || edges.some((edge) => edge.id === id)) return;
      checkpoint();
      changed({ edges: [...edges, toBuilderEdge({ source, target, source_handle: handle })] });
    },

    addNode: (type, position, init) => {
      const { nodes, catalog } = get();
      const info = catalog[type];
      const id = nextNodeId(type, new Set(nodes.map((node) => node.id)), init?.idBase);
      const data = {
        nodeType: type,
        name: init?.name ?? info?.label ?? type,
        config: init?.config ?? (info ? defaultConfig(info) : {}),
      } as BuilderNodeData;
      checkpoint();
      changed({
        nodes: [...nodes.map((node) => (node.selected ? { ...node, selected: false } : node)), { id, type, position, data, selected: true }],
        selectedNodeId: id,
      });
      return id;
    },

    updateNode: (id, patch, field = Object.keys(patch).join(",")) => {
      checkpoint(`${id}:${field}`);
      changed({
        nodes: get().nodes.map((node) =>
          node.id === id ? { ...node, data: { ...node.data, ...patch } as BuilderNodeData } : node,
        ),
      });
    },

    renameNode: (id, newId) => {
      if (id === newId) return;
      checkpoint();
      const { nodes, edges, selectedNodeId } = get();
      changed({
        nodes: nodes.map((node) => {
          const config = renameReferences(node.data.config, id, newId) as JsonObject;
          const data = config === node.data.config ? node.data : ({ ...node.data, config } as BuilderNodeData);
          return node.id === id ? { ...node, id: newId, data } : data === node.data ? node : { ...node, data };
        }),
        edges: edges.map((edge) => {
          if (edge.source !== id && edge.target !== id) return edge;
          const source = edge.source === id ? newId : edge.source;
          const target = edge.target === id ? newId : edge.target;
          const handle = edge.data?.handle ?? DEFAULT_HANDLE;
          return { ...edge, id: edgeId(source, handle, target), source, target };
        }),
        selectedNodeId: selectedNodeId === id ? newId : selectedNodeId,
      });
    },

    updateSettings: (settings) => {
      checkpoint("settings");
      changed({ settings });
    },

    select: (id) =>
      set({
        selectedNodeId: id,
        nodes: get().nodes.map((node) => (Boolean(node.selected) === (node.id === id) ? node : { ...node, selected: node.id === id })),
      }),

    deleteSelection: () => {
      const { nodes, edges } = get();
      const removed = new Set(nodes.filter((node) => node.selected).map((node) => node.id));
      const keptEdges = edges.filter((edge) => !edge.selected && !removed.has(edge.source) && !removed.has(edge.target));
      if (removed.size === 0 && keptEdges.length === edges.length) return;
      checkpoint();
      changed({
        nodes: nodes.filter((node) => !removed.has(node.id)),
        edges: keptEdges,
        selectedNodeId: null,
      });
    },

    copySelection: () => {
      const { nodes, edges } = get();
      const picked = nodes.filter((node) => node.selected);
      const ids = new Set(picked.map((node) => node.id));
      set({ clipboard: { nodes: picked, edges: edges.filter((e) => ids.has(e.source) && ids.has(e.target)) } });
      return picked.length;
    },

    paste: () => {
      const { clipboard, nodes, edges } = get();
      if (!clipboard || clipboard.nodes.length === 0) return;
      const taken = new Set(nodes.map((node) => node.id));
      const renamed = new Map<string, string>();
      for (const node of clipboard.nodes) {
        const base = node.id.replace(/_\d+$/, "");
        const id = nextNodeId(node.data.nodeType, taken, base);
        taken.add(id);
        renamed.set(node.id, id);
      }
      const pasted = clipboard.nodes.map((node): BuilderNode => {
        let config = node.data.config;
        for (const [from, to] of renamed) config = renameReferences(config, from, to) as JsonObject;
        return {
          id: renamed.get(node.id) ?? node.id,
          type: node.type,
          position: { x: node.position.x + PASTE_OFFSET, y: node.position.y + PASTE_OFFSET },
          data: { ...structuredClone(node.data), config: structuredClone(config) } as BuilderNodeData,
          selected: true,
        };
      });
      const pastedEdges = clipboard.edges.map((edge) =>
        toBuilderEdge({
          source: renamed.get(edge.source) ?? edge.source,
          target: renamed.get(edge.target) ?? edge.target,
          source_handle: edge.data?.handle ?? null,
        }),
      );
      checkpoint();
      changed({
        nodes: [...nodes.map((node) => (node.selected ? { ...node, selected: false } : node)), ...pasted],
        edges: [...edges, ...pastedEdges],
        selectedNodeId: pasted.length === 1 ? (pasted[0]?.id ?? null) : null,
        // Pasting again places the next copy further along instead of on top of this one.
        clipboard: { nodes: pasted, edges: pastedEdges },
      });
    },

    undo: () => {
      const { past, future, nodes, edges, settings } = get();
      const previous = past.at(-1);
      if (!previous) return;
      set({ past: past.slice(0, -1), future: [...future, { nodes, edges, settings }] });
      restore(previous);
    },

    redo: () => {
      const { past, future, nodes, edges, settings } = get();
      const next = future.at(-1);
      if (!next) return;
      set({ future: future.slice(0, -1), past: [...past, { nodes, edges, settings }] });
      restore(next);
    },

    markSaved: (changeCount) => {
      if (get().changeCount === changeCount) set({ dirty: false });
    },

    toDefinition: () => {
      const { nodes, edges, settings } = get();
      return flowToDefinition(nodes, edges, settings);
    },
  };
});
