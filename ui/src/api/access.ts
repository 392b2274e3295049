/** Per-agent access: restricted or not, and the grants of teams and people (docs/api.md, "Per-agent access"). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { agentKeys } from "@/api/agents";
import { http, type Schemas } from "@/api/http";

export type AgentAccess = Schemas["AgentAccessPublic"];
export type AgentAccessUpdate = Schemas["AgentAccessUpdate"];
export type GrantIn = Schemas["GrantIn"];
export type GrantPermission = GrantIn["permissions"][number];
export type Team = Schemas["TeamPublic"];

export const GRANT_PERMISSIONS: { value: GrantPermission; label: string }[] = [
  { value: "agents:read", label: "View" },
  { value: "agents:write", label: "Edit" },
  { value: "agents:publish", label: "Publish" },
  { value: "agents:execute", label: "Run" },
];

export const accessKeys = {
  agent: (id: string) => ["agents", id, "access"] as const,
  teams: ["teams"] as const,
};

export function useAgentAccess(agentId: string) {
  return useQuery({ queryKey: accessKeys.agent(agentId), queryFn: () => http.get<AgentAccess>(`/agents/${agentId}/access`) });
}

export function useSaveAgentAccess(agentId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: AgentAccessUpdate) => http.put<AgentAccess>(`/agents/${agentId}/access`, body),
    onSuccess: (saved) => {
      client.setQueryData(accessKeys.agent(agentId), saved);
      void client.invalidateQueries({ queryKey: agentKeys.all });
    },
  });
}

export function useTeams() {
  return useQuery({
    queryKey: accessKeys.teams,
    queryFn: () => http.get<Schemas["PageOf_TeamPublic_"]>("/teams", { query: { limit: 200 } }),
  });
}
