import { Outlet, useParams } from "react-router";

import { useAgent } from "@/api/agents";
import { WebhookUrl } from "@/components/WebhookUrl";
import { TabNav } from "@/components/ui/tabs";
import { RunAgentButton } from "@/pages/agents/RunAgentDialog";

/** The agent's webhook URL and Run button, beside the tabs on every agent page. */
function AgentActions({ agentId }: { agentId: string }) {
  const agent = useAgent(agentId);
  if (!agent.data) return null;
  return (
    <div className="flex items-center gap-3 py-1">
      <WebhookUrl agentId={agentId} compact />
      <RunAgentButton agent={agent.data} />
    </div>
  );
}

/** /agents/:agentId/* — tabs over the builder, versions, the agent's executions, its analytics and who may reach it. */
export function AgentLayout() {
  const { agentId = "" } = useParams();
  const base = `/agents/${agentId}`;
  return (
    <div className="flex h-full flex-col">
      <div className="flex shrink-0 items-end justify-between gap-3 border-b border-slate-200 bg-white px-3">
        <TabNav
          label="Agent"
          className="border-b-0"
          tabs={[
            { to: base, label: "Builder", end: true },
            { to: `${base}/versions`, label: "Versions" },
            { to: `${base}/executions`, label: "Executions" },
            { to: `${base}/analytics`, label: "Analytics" },
            { to: `${base}/access`, label: "Access" },
          ]}
        />
        <AgentActions agentId={agentId} />
      </div>
      <div className="min-h-0 flex-1">
        <Outlet />
      </div>
    </div>
  );
}
