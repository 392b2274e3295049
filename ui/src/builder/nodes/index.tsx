/**
 * One memoised component per node type (xyflow re-renders only the node whose data changed).
 * `nodeTypes` lives at module scope: a new object per render would remount every node.
 */
import type { NodeProps, NodeTypes } from "@xyflow/react";
import { memo } from "react";

import { DEFAULT_HANDLE, type NodeType } from "@/api/definition";
import { useBuilderStore } from "@/builder/store";
import { BaseNode } from "@/builder/nodes/BaseNode";
import { TRIGGER_ICONS } from "@/builder/nodes/meta";
import type { AiData, BuilderNode, OtherData, SwitchData, TriggerData } from "@/builder/types";

function useHandles(type: NodeType): string[] {
  return useBuilderStore((state) => state.catalog[type]?.handles) ?? [DEFAULT_HANDLE];
}

const text = (value: unknown): string => (typeof value === "string" ? value : value == null ? "" : JSON.stringify(value));
const clip = (value: string, max = 48): string => (value.length > max ? `${value.slice(0, max - 1)}…` : value);

const TriggerNode = memo(function TriggerNode({ id, data, selected }: NodeProps<BuilderNode & { data: TriggerData }>) {
  const kind = data.config.kind ?? "manual";
  const subtitle = kind === "schedule" && data.config.cron ? `schedule · ${data.config.cron}` : kind;
  return (
    <BaseNode id={id} nodeType="trigger" name={data.name} selected={selected} hasInput={false} icon={TRIGGER_ICONS[kind]} handles={useHandles("trigger")} subtitle={subtitle} />
  );
});

const AiNode = memo(function AiNode({ id, data, selected }: NodeProps<BuilderNode & { data: AiData }>) {
  const subtitle = (
    <span className="flex items-center gap-1.5">
      <span className="rounded bg-violet-50 px-1 text-violet-700">{data.config.operation ?? "chat"}</span>
      <span className="truncate">{data.config.model || "org default model"}</span>
    </span>
  );
  return <BaseNode id={id} nodeType="ai" name={data.name} selected={selected} handles={useHandles("ai")} subtitle={subtitle} />;
});

/** A switch's handles are its case names, then `default`. */
const SwitchNode = memo(function SwitchNode({ id, data, selected }: NodeProps<BuilderNode & { data: SwitchData }>) {
  const names = [...new Set((data.config.cases ?? []).map((c) => c.name).filter(Boolean))];
  const handles = names.includes(DEFAULT_HANDLE) ? names : [...names, DEFAULT_HANDLE];
  return <BaseNode id={id} nodeType="logic.switch" name={data.name} selected={selected} handles={handles} shape="branch" subtitle={clip(text(data.config.value)) || undefined} />;
});

const SUBTITLE_FIELDS: Partial<Record<NodeType, (config: OtherData["config"]) => string>> = {
  "action.http": (c) => `${text(c.method) || "GET"} ${text(c.url)}`,
  "action.webhook": (c) => `POST ${text(c.url)}`,
  "action.integration": (c) => [text(c.integration), text(c.action)].filter(Boolean).join(" · "),
  "logic.if": (c) => {
    const count = Array.isArray(c.conditions) ? c.conditions.length : 0;
    return `${count} condition${count === 1 ? "" : "s"} · ${text(c.combine) || "all"}`;
  },
  "logic.loop": (c) => `over ${text(c.items)}`,
  "logic.delay": (c) => (c.until ? `until ${text(c.until)}` : `${text(c.seconds) || "0"} s`),
  "human.approval": (c) => text(c.message),
  "knowledge.retrieve": (c) => `${text(c.mode) || "hybrid"} · top ${text(c.top_k) || "5"} · ${text(c.query)}`,
};

function otherNode(type: OtherData["nodeType"], shape: "card" | "branch" = "card") {
  const Component = memo(function GenericNode({ id, data, selected }: NodeProps<BuilderNode & { data: OtherData }>) {
    const subtitle = SUBTITLE_FIELDS[type]?.(data.config);
    return <BaseNode id={id} nodeType={type} name={data.name} selected={selected} handles={useHandles(type)} shape={shape} subtitle={subtitle ? clip(subtitle) : undefined} />;
  });
  Component.displayName = `Node(${type})`;
  return Component;
}

export const nodeTypes = {
  trigger: TriggerNode,
  ai: AiNode,
  "action.http": otherNode("action.http"),
  "action.webhook": otherNode("action.webhook"),
  "action.integration": otherNode("action.integration"),
  "logic.if": otherNode("logic.if", "branch"),
  "logic.switch": SwitchNode,
  "logic.loop": otherNode("logic.loop", "branch"),
  "logic.delay": otherNode("logic.delay"),
  "human.approval": otherNode("human.approval"),
  "knowledge.retrieve": otherNode("knowledge.retrieve"),
} satisfies Record<NodeType, unknown> as unknown as NodeTypes;
