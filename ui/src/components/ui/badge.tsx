import { cva, type VariantProps } from "class-variance-authority";
import * as React from "react";

import { cn } from "@/lib/utils";

const badgeVariants = cva("inline-flex items-center gap-1 rounded-full px-2 py-0.5 text-xs font-medium", {
  variants: {
    tone: {
      neutral: "bg-slate-100 text-slate-700",
      green: "bg-emerald-100 text-emerald-800",
      amber: "bg-amber-100 text-amber-800",
      red: "bg-red-100 text-red-800",
      blue: "bg-sky-100 text-sky-800",
      indigo: "bg-indigo-100 text-indigo-800",
    },
  },
  defaultVariants: { tone: "neutral" },
});

export type BadgeTone = NonNullable<VariantProps<typeof badgeVariants>["tone"]>;

export function Badge({
  className,
  tone,
  ...props
}: React.HTMLAttributes<HTMLSpanElement> & VariantProps<typeof badgeVariants>) {
  return <span className={cn(badgeVariants({ tone }), className)} {...props} />;
}

/** Agent, execution, step and knowledge-document statuses. */
const STATUS_TONES: Record<string, BadgeTone> = {
  active: "green",
  completed: "green",
  draft: "neutral",
  queued: "neutral",
  skipped: "neutral",
  paused: "amber",
  waiting: "amber",
  running: "blue",
  processing: "blue",
  ready: "green",
  retrying: "blue",
  failed: "red",
  timed_out: "red",
  cancelled: "neutral",
  archived: "neutral",
};

export function StatusBadge({ status, className }: { status: string; className?: string }) {
  return (
    <Badge tone={STATUS_TONES[status] ?? "neutral"} className={className} data-status={status}>
      {status}
    </Badge>
  );
}
