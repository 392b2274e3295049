/**
 * The approval node's `approvers`: people, roles and teams chosen by name from a searchable list, never typed
 * ids. The node stores user ids and `role:<role>`; choosing a team adds the people in it now (a later change
 * to the team does not change the node).
 */
import { useQueryClient } from "@tanstack/react-query";
import { X } from "lucide-react";
import * as React from "react";

import { errorMessage, http } from "@/api/http";
import { useMembers } from "@/api/org";
import { approverLabel, personName, ROLE_LABELS } from "@/api/people";
import { teamKeys, useTeamList, type TeamDetail } from "@/api/teams";
import { Input } from "@/components/ui/input";

const MAX_OPTIONS = 8;

interface Option {
  key: string;
  label: string;
  detail: string;
  pick: () => Promise<string[]> | string[];
}

export function ApproverPicker({ id, value, onChange }: { id: string; value: unknown; onChange: (value: string[] | undefined) => void }) {
  const chosen = Array.isArray(value) ? value.map(String) : [];
  const members = useMembers();
  const teams = useTeamList();
  const client = useQueryClient();
  const [query, setQuery] = React.useState("");
  const [open, setOpen] = React.useState(false);
  const [problem, setProblem] = React.useState<string | null>(null);
  const byId = new Map((members.data?.items ?? []).map((m) => [m.user.id, personName(m)]));
  const nameOf = (userId: string) => byId.get(userId) ?? `Unknown person (${userId.slice(0, 8)}…)`;

  const set = (next: string[]) => onChange(next.length ? next : undefined); // none: any editor decides
  const add = async (option: Option) => {
    setProblem(null);
    try {
      const entries = await option.pick();
      set([...chosen, ...entries.filter((entry) => !chosen.includes(entry))]);
      setQuery("");
    } catch (error) {
      setProblem(errorMessage(error));
    }
  };

  const needle = query.trim().toLowerCase();
  const matches = (text: string) => !needle || text.toLowerCase().includes(needle);
  const options: Option[] = [
    ...Object.entries(ROLE_LABELS)
      .filter(([role]) => !chosen.includes(`role:${role}`))
      .map(([role, label]) => ({ key: `role:${role}`, label, detail: "role", pick: () => [`role:${role}`] })),
    ...(members.data?.items ?? [])
      .filter((m) => !chosen.includes(m.user.id))
      .map((m) => ({ key: m.user.id, label: personName(m), detail: m.user.full_name ? m.user.email : m.role, pick: () => [m.user.id] })),
    ...(teams.data?.items ?? []).map((team) => ({
      key: `team:${team.id}`,
      label: team.name,
      detail: "team · adds its members",
      pick: async () => {
        const detail = await client.fetchQuery({ queryKey: teamKeys.detail(team.id), queryFn: () => http.get<TeamDetail>(`/teams/${team.id}`) });
        if (detail.members.length === 0) throw new Error(`${team.name} has no members yet.`);
        return detail.members.map((user) => user.id);
      },
    })),
  ].filter((option) => matches(`${option.label} ${option.detail}`));

  return (
    <div className="space-y-2" data-testid="approver-picker">
      {chosen.length ? (
        <ul className="flex flex-wrap gap-1" aria-label="Approvers">
          {chosen.map((entry) => (
            <li key={entry} className="flex items-center gap-1 rounded-full bg-indigo-50 py-0.5 pl-2 pr-1 text-xs text-indigo-800">
              {approverLabel(entry, nameOf)}
              <button type="button" className="rounded-full p-0.5 hover:bg-indigo-100" aria-label={`Remove ${approverLabel(entry, nameOf)}`} onClick={() => set(chosen.filter((e) => e !== entry))}>
                <X className="size-3" />
              </button>
            </li>
          ))}
        </ul>
      ) : (
        <p className="text-xs text-slate-500">Nobody chosen: any editor of the agent can decide.</p>
      )}
      <Input
        id={id}
        type="search"
        placeholder="Search people, roles and teams"
        autoComplete="off"
        aria-expanded={open}
        value={query}
        onFocus={() => setOpen(true)}
        onBlur={() => setOpen(false)}
        onKeyDown={(e) => e.key === "Escape" && setOpen(false)}
        onChange={(e) => {
          setQuery(e.target.value);
          setOpen(true);
        }}
      />
      {open ? (
        <ul className="max-h-48 overflow-y-auto rounded-md border border-slate-200 bg-white text-sm" aria-label="Suggested approvers">
          {options.length === 0 ? <li className="px-2 py-1.5 text-xs text-slate-500">Nobody matches “{query}”.</li> : null}
          {options.slice(0, MAX_OPTIONS).map((option) => (
            <li key={option.key}>
              <button
                type="button"
                className="flex w-full items-baseline justify-between gap-2 px-2 py-1.5 text-left hover:bg-slate-50"
                // Keeps the search box focused (and the list open) through the click.
                onMouseDown={(e) => e.preventDefault()}
                onClick={() => void add(option)}
              >
                <span>{option.label}</span>
                <span className="truncate text-xs text-slate-500">{option.detail}</span>
              </button>
            </li>
          ))}
        </ul>
      ) : null}
      {problem ? <p className="text-xs text-red-600">{problem}</p> : null}
    </div>
  );
}
