/** Organization settings: the org, members and invitations, API keys, secrets. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { http, type Schemas } from "@/api/http";

export type Org = Schemas["OrgPublic"];
export type Member = Schemas["MemberPublic"];
export type Invitation = Schemas["InvitationPublic"];
export type InvitationCreated = Schemas["InvitationCreated"];
export type ApiKey = Schemas["APIKeyPublic"];
export type ApiKeyCreated = Schemas["APIKeyCreated"];
export type Secret = Schemas["SecretPublic"];
export type RoleInfo = Schemas["RolePublic"];

export const orgKeys = {
  org: ["org"] as const,
  members: ["org", "members"] as const,
  invitations: ["org", "invitations"] as const,
  apiKeys: ["org", "api-keys"] as const,
  secrets: ["org", "secrets"] as const,
  roles: ["org", "roles"] as const,
};

export function useOrg() {
  return useQuery({ queryKey: orgKeys.org, queryFn: () => http.get<Org>("/org") });
}

export function useUpdateOrg() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["OrgUpdate"]) => http.put<Org>("/org", body),
    onSuccess: (org) => {
      client.setQueryData(orgKeys.org, org);
      void client.invalidateQueries({ queryKey: ["me"] });
    },
  });
}

export function useMembers(enabled = true) {
  return useQuery({
    queryKey: orgKeys.members,
    queryFn: () => http.get<Schemas["PageOf_MemberPublic_"]>("/org/members", { query: { limit: 200 } }),
    enabled,
  });
}

export function useInvitations(enabled: boolean) {
  return useQuery({
    queryKey: orgKeys.invitations,
    queryFn: () => http.get<Schemas["PageOf_InvitationPublic_"]>("/org/invitations", { query: { limit: 200 } }),
    enabled,
  });
}

export function useInvite() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["InviteRequest"]) => http.post<InvitationCreated>("/org/members/invite", body),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKeys.invitations }),
  });
}

export function useRevokeInvitation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => http.delete(`/org/invitations/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKeys.invitations }),
  });
}

export function useChangeRole() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, role }: { userId: string; role: Schemas["RoleChange"]["role"] }) =>
      http.put<Member>(`/org/members/${userId}/role`, { role }),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKeys.members }),
  });
}

export function useRemoveMember() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) => http.delete(`/org/members/${userId}`),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKeys.members }),
  });
}

export function useApiKeys(enabled: boolean) {
  return useQuery({
    queryKey: orgKeys.apiKeys,
    queryFn: () => http.get<Schemas["PageOf_APIKeyPublic_"]>("/org/api-keys", { query: { limit: 200 } }),
    enabled,
  });
}

export function useCreateApiKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: Schemas["APIKeyCreate"]) => http.post<ApiKeyCreated>("/org/api-keys", body),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKeys.apiKeys }),
  });
}

export function useRevokeApiKey() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => http.delete(`/org/api-keys/${id}`),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKeys.apiKeys }),
  });
}

/** Metadata only (values are write-only); 200 is the API's page limit. */
export function useSecrets(enabled: boolean) {
  return useQuery({
    queryKey: orgKeys.secrets,
    queryFn: () => http.get<Schemas["PageOf_SecretPublic_"]>("/org/secrets", { query: { limit: 200 } }),
    enabled,
  });
}

/** Create (POST), or for an existing name set a new value and/or description (PUT; an empty value keeps it). */
export function useSaveSecret() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ name, value, description, exists }: { name: string; value: string; description: string; exists: boolean }) =>
      exists
        ? http.put<Secret>(`/org/secrets/${encodeURIComponent(name)}`, {
            value: value || null,
            description,
          } satisfies Schemas["SecretUpdate"])
        : http.post<Secret>("/org/secrets", { name, value, description } satisfies Schemas["SecretCreate"]),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKeys.secrets }),
  });
}

export function useDeleteSecret() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (name: string) => http.delete(`/org/secrets/${encodeURIComponent(name)}`),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKeys.secrets }),
  });
}

/** The built-in roles, then the org's custom roles (one page). */
export function useRoles(enabled: boolean) {
  return useQuery({
    queryKey: orgKeys.roles,
    queryFn: () => http.get<Schemas["PageOf_RolePublic_"]>("/org/roles"),
    enabled,
  });
}
