/** Names for the ids the engine records (approvers, who decided): resolved from the organization's members. */
import { useMembers, type Member } from "@/api/org";

export const ROLE_LABELS: Record<string, string> = {
  owner: "Owners",
  admin: "Admins and owners",
  editor: "Editors and above",
  viewer: "Everyone (viewers and above)",
};

export function personName(member: Member): string {
  return member.user.full_name || member.user.email;
}

/** `nameOf(id)`: a member's name, else the id itself (someone who left the organization). */
export function usePeopleNames(): (userId: string) => string {
  const members = useMembers();
  const byId = new Map((members.data?.items ?? []).map((m) => [m.user.id, personName(m)]));
  return (userId) => byId.get(userId) ?? userId;
}

/** How one `approvers` entry reads: a person's name or a role ("Admins and owners"). */
export function approverLabel(entry: string, nameOf: (userId: string) => string): string {
  if (entry.startsWith("role:")) return ROLE_LABELS[entry.slice("role:".length)] ?? entry;
  return nameOf(entry);
}
