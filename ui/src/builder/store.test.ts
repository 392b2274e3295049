import { beforeEach, describe, expect, it } from "vitest";

import { useBuilderStore } from "@/builder/store";
import { catalog, ticketDefinition } from "@/test/fixtures";

const store = () => useBuilderStore.getState();

beforeEach(() => {
  store().load(structuredClone(ticketDefinition), catalog);
});

describe("builder store", () => {
  it("round-trips the definition JSON it loads", () => {
    expect(store().toDefinition()).toEqual(ticketDefinition);
    expect(store().dirty).toBe(false);
    expect(store().edges.find((e) => e.target === "file_bug")?.label).toBe("true");
  });

  it("adds a node with a free id, catalog defaults, selection and a dirty flag", () => {
    const id = store().addNode("ai", { x: 10, y: 20 });
    expect(id).toBe("ai");
    const node = store().nodes.find((n) => n.id === id);
    // Only required fields are written: optional ones keep their schema defaults by being absent.
    expect(node?.data).toEqual({ nodeType: "ai", name: "AI", config: { prompt: "" } });
    expect(store().selectedNodeId).toBe("ai");
    expect(store().dirty).toBe(true);
    expect(store().addNode("ai", { x: 0, y: 0 })).toBe("ai_2");
    // Reserved words are never used as ids: `if` and `trigger` would shadow reference roots.
    expect(store().addNode("logic.if", { x: 0, y: 0 })).toBe("condition");
    expect(store().addNode("trigger", { x: 0, y: 0 })).toBe("start_2");
  });

  it("connects handles, refuses self-loops and duplicates, and serialises branch handles", () => {
    store().addNode("human.approval", { x: 0, y: 0 });
    store().onConnect({ source: "is_bug", target: "approval", sourceHandle: "false", targetHandle: null });
    store().onConnect({ source: "is_bug", target: "approval", sourceHandle: "false", targetHandle: null });
    store().onConnect({ source: "approval", target: "approval", sourceHandle: null, targetHandle: null });
    const edges = store().toDefinition().edges;
    expect(edges.filter((e) => e.target === "approval")).toEqual([{ source: "is_bug", target: "approval", source_handle: "false" }]);
    expect(edges.some((e) => e.source === "approval")).toBe(false);
  });

  it("records one undo step per drag, and undo/redo restore positions", () => {
    const before = store().nodes.find((n) => n.id === "classify")?.position;
    store().onNodesChange([{ type: "position", id: "classify", position: { x: 310, y: 5 }, dragging: true }]);
    store().onNodesChange([{ type: "position", id: "classify", position: { x: 400, y: 50 }, dragging: true }]);
    store().onNodesChange([{ type: "position", id: "classify", dragging: false }]);
    expect(store().past).toHaveLength(1);
    expect(store().dirty).toBe(true);
    expect(store().toDefinition().nodes[1]?.position).toEqual({ x: 400, y: 50 });
    store().undo();
    expect(store().nodes.find((n) => n.id === "classify")?.position).toEqual(before);
    store().redo();
    expect(store().nodes.find((n) => n.id === "classify")?.position).toEqual({ x: 400, y: 50 });
  });

  it("deletes a node with its edges, and undo brings both back", () => {
    store().onNodesChange([{ type: "remove", id: "classify" }]);
    expect(store().nodes.map((n) => n.id)).not.toContain("classify");
    expect(store().edges.map((e) => e.id)).toEqual(["is_bug:true->file_bug"]);
    store().undo();
    expect(store().toDefinition()).toEqual(ticketDefinition);
  });

  it("an edge batch then a node batch from one Delete key press is one undo step", () => {
    store().onEdgesChange([{ type: "remove", id: "is_bug:true->file_bug" }]);
    store().onNodesChange([{ type: "remove", id: "file_bug" }]);
    expect(store().past).toHaveLength(1);
    store().undo();
    expect(store().toDefinition()).toEqual(ticketDefinition);
  });

  it("deleteSelection removes selected nodes and edges", () => {
    store().select("file_bug");
    store().deleteSelection();
    expect(store().nodes.map((n) => n.id)).toEqual(["start", "classify", "is_bug"]);
    expect(store().edges).toHaveLength(2);
    expect(store().selectedNodeId).toBeNull();
  });

  it("coalesces a burst of typing in one field into one undo step", () => {
    store().updateNode("classify", { name: "C" }, "name");
    store().updateNode("classify", { name: "Cl" }, "name");
    store().updateNode("classify", { name: "Cla" }, "name");
    expect(store().past).toHaveLength(1);
    store().undo();
    expect(store().nodes.find((n) => n.id === "classify")?.data.name).toBe("Classify");
    expect(store().future).toHaveLength(1);
  });

  it("undo restores the selection with the document, so the form shows the selected node", () => {
    store().select("file_bug");
    store().copySelection();
    store().paste();
    expect(store().selectedNodeId).toBe("file_bug_2");
    store().undo();
    expect(store().selectedNodeId).toBe("file_bug");
    expect(store().nodes.filter((n) => n.selected).map((n) => n.id)).toEqual(["file_bug"]);
  });

  it("a new edit after undo clears the redo stack", () => {
    store().addNode("ai", { x: 0, y: 0 });
    store().undo();
    expect(store().future).toHaveLength(1);
    store().addNode("logic.delay", { x: 0, y: 0 });
    expect(store().future).toHaveLength(0);
    store().redo();
    expect(store().nodes.map((n) => n.id)).toContain("delay");
  });

  it("copy/paste duplicates nodes with fresh ids, offset, internal edges and rewritten references", () => {
    store().select("classify");
    store().onNodesChange([{ type: "select", id: "is_bug", selected: true }]);
    expect(store().copySelection()).toBe(2);
    store().paste();
    const ids = store().nodes.map((n) => n.id);
    expect(ids).toEqual(["start", "classify", "is_bug", "file_bug", "classify_2", "is_bug_2"]);
    const copy = store().nodes.find((n) => n.id === "is_bug_2");
    expect(copy?.position).toEqual({ x: 640, y: 40 });
    expect(JSON.stringify(copy?.data.config)).toContain("{{classify_2.output.label}}");
    expect(store().edges.map((e) => e.id)).toContain("classify_2:default->is_bug_2");
    store().undo();
    expect(store().nodes).toHaveLength(4);
  });

  it("renaming a node updates edges and references to it", () => {
    store().renameNode("classify", "triage");
    const definition = store().toDefinition();
    expect(definition.edges).toContainEqual({ source: "triage", target: "is_bug" });
    expect(JSON.stringify(definition.nodes.find((n) => n.id === "is_bug")?.config)).toContain("{{triage.output.label}}");
    store().undo();
    expect(store().toDefinition()).toEqual(ticketDefinition);
  });

  it("markSaved clears dirty only if nothing changed since the save started", () => {
    store().addNode("ai", { x: 0, y: 0 });
    const count = store().changeCount;
    store().updateNode("ai", { name: "later" }, "name");
    store().markSaved(count);
    expect(store().dirty).toBe(true);
    store().markSaved(store().changeCount);
    expect(store().dirty).toBe(false);
  });

  it("selection changes never dirty the document or add history", () => {
    store().onNodesChange([{ type: "select", id: "start", selected: true }]);
    store().onNodesChange([{ type: "dimensions", id: "start", dimensions: { width: 224, height: 60 } }]);
    expect(store().dirty).toBe(false);
    expect(store().past).toHaveLength(0);
    expect(store().selectedNodeId).toBe("start");
  });

  it("lays out nodes saved without positions left to right", () => {
    store().load({
      nodes: [
        { id: "a", type: "trigger", name: "", config: {} },
        { id: "b", type: "ai", name: "", config: { prompt: "x" } },
        { id: "c", type: "ai", name: "", config: { prompt: "y" } },
      ],
      edges: [
        { source: "a", target: "b" },
        { source: "a", target: "c" },
      ],
    });
    const positions = Object.fromEntries(store().nodes.map((n) => [n.id, n.position]));
    expect(positions.a?.x).toBeLessThan(positions.b?.x ?? 0);
    expect(positions.b?.x).toBe(positions.c?.x);
    expect(positions.b?.y).not.toBe(positions.c?.y);
  });
});
