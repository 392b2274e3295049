/** An execution's agent by name (executions carry only `agent_id`); one cached request per agent. */
import { useQuery } from "@tanstack/react-query";

import { agentKeys, agentsApi } from "@/api/agents";

export function AgentName({ agentId }: { agentId: string }) {
  // Not the builder's detail query: the builder must never open on a copy cached by this list.
  const name = useQuery({
    queryKey: agentKeys.name(agentId),
    queryFn: async () => (await agentsApi.get(agentId)).name,
    staleTime: 5 * 60_000,
  });
  return <>{name.data ?? agentId.slice(0, 8)}</>;
}
