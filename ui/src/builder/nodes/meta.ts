/** How each node type looks: icon and accent colour (behaviour and handles come from the API's catalog). */
import {
  BookOpen,
  Brain,
  Clock,
  Code,
  GitBranch,
  Globe,
  MousePointerClick,
  Plug,
  Repeat,
  Send,
  Split,
  Timer,
  UserCheck,
  Webhook,
  type LucideIcon,
} from "lucide-react";

import type { NodeType } from "@/api/definition";

export interface NodeLook {
  icon: LucideIcon;
  /** Tailwind classes for the icon tile. */
  accent: string;
}

export const NODE_LOOKS: Record<NodeType, NodeLook> = {
  trigger: { icon: MousePointerClick, accent: "bg-emerald-100 text-emerald-700" },
  ai: { icon: Brain, accent: "bg-violet-100 text-violet-700" },
  "action.http": { icon: Globe, accent: "bg-sky-100 text-sky-700" },
  "action.webhook": { icon: Send, accent: "bg-sky-100 text-sky-700" },
  "action.integration": { icon: Plug, accent: "bg-sky-100 text-sky-700" },
  "logic.if": { icon: GitBranch, accent: "bg-amber-100 text-amber-700" },
  "logic.switch": { icon: Split, accent: "bg-amber-100 text-amber-700" },
  "logic.loop": { icon: Repeat, accent: "bg-amber-100 text-amber-700" },
  "logic.delay": { icon: Timer, accent: "bg-amber-100 text-amber-700" },
  "human.approval": { icon: UserCheck, accent: "bg-rose-100 text-rose-700" },
  "knowledge.retrieve": { icon: BookOpen, accent: "bg-teal-100 text-teal-700" },
};

export const TRIGGER_ICONS: Record<string, LucideIcon> = {
  manual: MousePointerClick,
  webhook: Webhook,
  schedule: Clock,
  api: Code,
  integration: Plug,
};
