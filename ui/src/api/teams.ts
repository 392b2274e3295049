/** Teams of the organization and their members (Settings → Teams, the approval node's approver picker). */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { accessKeys } from "@/api/access";
import { http, type Schemas } from "@/api/http";

export type TeamSummary = Schemas["TeamPublic"];
export type TeamDetail = Schemas["TeamDetail"];

export const teamKeys = {
  all: accessKeys.teams, // the same list the Access tab reads: one cache, one invalidation
  detail: (id: string) => [...accessKeys.teams, id] as const,
};

export function useTeamList(enabled = true) {
  return useQuery({
    queryKey: teamKeys.all,
    queryFn: () => http.get<Schemas["PageOf_TeamPublic_"]>("/teams", { query: { limit: 200 } }),
    enabled,
  });
}

export function useTeam(id: string | null) {
  return useQuery({ queryKey: teamKeys.detail(id ?? ""), queryFn: () => http.get<TeamDetail>(`/teams/${id}`), enabled: Boolean(id) });
}

export function useCreateTeam() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["TeamCreate"]) => http.post<TeamDetail>("/teams", body),
    onSuccess: () => client.invalidateQueries({ queryKey: teamKeys.all }),
  });
}

export function useUpdateTeam() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, ...body }: Schemas["TeamUpdate"] & { id: string }) => http.put<TeamDetail>(`/teams/${id}`, body),
    onSuccess: () => client.invalidateQueries({ queryKey: teamKeys.all }),
  });
}

export function useDeleteTeam() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => http.delete(`/teams/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: teamKeys.all }),
  });
}

export function useAddTeamMember() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ teamId, userId }: { teamId: string; userId: string }) => http.post<TeamDetail>(`/teams/${teamId}/members`, { user_id: userId }),
    onSuccess: (team) => client.setQueryData(teamKeys.detail(team.id), team),
  });
}

export function useRemoveTeamMember() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ teamId, userId }: { teamId: string; userId: string }) => http.delete(`/teams/${teamId}/members/${userId}`),
    onSuccess: (_, { teamId }) => client.invalidateQueries({ queryKey: teamKeys.detail(teamId) }),
  });
}
