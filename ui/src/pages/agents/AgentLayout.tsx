import { Outlet, useParams } from "react-router";

import { TabNav } from "@/components/ui/tabs";

/** /agents/:agentId/* — tabs over the builder, versions, the agent's executions, its analytics and who may reach it. */
export function AgentLayout() {
  const { agentId = "" } = useParams();
  const base = `/agents/${agentId}`;
  return (
    <div className="flex h-full flex-col">
      <TabNav
        label="Agent"
        className="shrink-0 bg-white px-3"
        tabs={[
          { to: base, label: "Builder", end: true },
          { to: `${base}/versions`, label: "Versions" },
          { to: `${base}/executions`, label: "Executions" },
          { to: `${base}/analytics`, label: "Analytics" },
          { to: `${base}/access`, label: "Access" },
        ]}
      />
      <div className="min-h-0 flex-1">
        <Outlet />
      </div>
    </div>
  );
}
