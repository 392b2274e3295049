import { EmptyState } from "@/components/ui/feedback";

/** An honest placeholder for sections whose API does not exist yet. */
export function ComingSoonPage({ title, issue }: { title: string; issue: string }) {
  return (
    <div className="p-6">
      <h1 className="mb-5 text-xl font-semibold text-slate-900">{title}</h1>
      <EmptyState title={`${title} is not built yet`}>
        This section arrives with {issue}. Nothing here is hidden or mocked: there is simply no {title.toLowerCase()} API
        yet.
      </EmptyState>
    </div>
  );
}
