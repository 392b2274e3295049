import type { ReactNode } from "react";

import { EmptyState } from "@/components/ui/feedback";

/** A section that is announced but not ready: says so plainly, shows nothing pretend, requests nothing. */
export function ComingSoonPage({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <div className="p-6">
      <h1 className="mb-5 text-xl font-semibold text-slate-900">{title}</h1>
      <EmptyState title={`${title}: coming soon`}>{children}</EmptyState>
    </div>
  );
}
