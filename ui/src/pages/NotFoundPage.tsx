import { Link } from "react-router";

import { EmptyState } from "@/components/ui/feedback";

export function NotFoundPage() {
  return (
    <div className="p-6">
      <EmptyState title="Page not found" action={<Link className="text-indigo-700 hover:underline" to="/agents">Go to agents</Link>}>
        There is nothing at this address.
      </EmptyState>
    </div>
  );
}
