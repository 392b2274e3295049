/** /agents/:agentId/access — restrict an agent to its owning team and the teams and people granted below. */
import * as React from "react";
import { useParams } from "react-router";

import {
  GRANT_PERMISSIONS,
  useAgentAccess,
  useSaveAgentAccess,
  useTeams,
  type AgentAccess,
  type GrantIn,
  type GrantPermission,
} from "@/api/access";
import { errorMessage } from "@/api/http";
import { useMembers } from "@/api/org";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert, Spinner, toast } from "@/components/ui/feedback";
import { NativeSelect } from "@/components/ui/input";
import { Table, Td, Th } from "@/components/ui/table";

const MAX_GRANTS = 200; // the API's bound

interface Row {
  key: string; // "team:<id>" or "user:<id>"
  permissions: GrantPermission[];
}

function rowsOf(access: AgentAccess): Row[] {
  return access.grants.map((grant) => ({
    key: grant.team_id ? `team:${grant.team_id}` : `user:${grant.user_id ?? ""}`,
    permissions: grant.permissions.filter((p): p is GrantPermission => GRANT_PERMISSIONS.some((g) => g.value === p)),
  }));
}

function grantOf(row: Row): GrantIn {
  const [kind, id] = row.key.split(":");
  return kind === "team" ? { team_id: id, permissions: row.permissions } : { user_id: id, permissions: row.permissions };
}

export function AccessPage() {
  const { agentId = "" } = useParams();
  const access = useAgentAccess(agentId);
  if (access.isPending) return <Spinner className="p-6" />;
  if (access.isError) return <Alert className="m-6">{errorMessage(access.error)}</Alert>;
  return <AccessForm key={agentId} agentId={agentId} access={access.data} />;
}

function AccessForm({ agentId, access }: { agentId: string; access: AgentAccess }) {
  const [restricted, setRestricted] = React.useState(access.restricted);
  const [rows, setRows] = React.useState<Row[]>(() => rowsOf(access));
  const [adding, setAdding] = React.useState("");
  const save = useSaveAgentAccess(agentId);
  const teams = useTeams();
  const members = useMembers();

  const names = new Map<string, string>();
  for (const team of teams.data?.items ?? []) names.set(`team:${team.id}`, `Team ${team.name}`);
  for (const member of members.data?.items ?? [])
    names.set(`user:${member.user.id}`, member.user.full_name ? `${member.user.full_name} (${member.user.email})` : member.user.email);
  const owningTeam = access.team_id ? (names.get(`team:${access.team_id}`) ?? "its team") : null;
  const choices = [...names.entries()].filter(([key]) => !rows.some((row) => row.key === key));

  const toggle = (key: string, permission: GrantPermission) =>
    setRows((current) =>
      current.map((row) =>
        row.key !== key
          ? row
          : {
              ...row,
              permissions: row.permissions.includes(permission)
                ? row.permissions.filter((p) => p !== permission)
                : [...row.permissions, permission],
            },
      ),
    );

  return (
    <div className="mx-auto max-w-3xl space-y-4 p-6">
      <Card>
        <CardHeader>
          <CardTitle>Who can reach this agent</CardTitle>
        </CardHeader>
        <CardContent>
          <form
            className="space-y-4"
            onSubmit={(event) => {
              event.preventDefault();
              save.mutate(
                { restricted, grants: rows.filter((row) => row.permissions.length).map(grantOf) },
                { onSuccess: () => toast("Access saved", "success") },
              );
            }}
          >
            {save.error ? <Alert>{errorMessage(save.error)}</Alert> : null}
            <label className="flex items-start gap-2 text-sm">
              <input type="checkbox" className="mt-1" checked={restricted} onChange={(e) => setRestricted(e.target.checked)} />
              <span>
                <span className="font-medium">Restricted</span>
                <span className="block text-slate-500">
                  {owningTeam
                    ? `Only ${owningTeam}, owners and admins, and those granted below can see, edit or run it. Others get "not found".`
                    : "Only owners and admins, and those granted below, can see, edit or run it. Others get \"not found\"."}
                </span>
              </span>
            </label>
            <Table aria-label="Grants">
              <thead>
                <tr>
                  <Th>Team or person</Th>
                  {GRANT_PERMISSIONS.map((p) => (
                    <Th key={p.value}>{p.label}</Th>
                  ))}
                  <Th>
                    <span className="sr-only">Remove</span>
                  </Th>
                </tr>
              </thead>
              <tbody>
                {rows.length === 0 ? (
                  <tr>
                    <Td colSpan={GRANT_PERMISSIONS.length + 2} className="text-slate-500">
                      No grants.
                    </Td>
                  </tr>
                ) : null}
                {rows.map((row) => {
                  const name = names.get(row.key) ?? row.key.replace(":", " ");
                  return (
                    <tr key={row.key}>
                      <Td>{name}</Td>
                      {GRANT_PERMISSIONS.map((p) => (
                        <Td key={p.value}>
                          <input
                            type="checkbox"
                            aria-label={`${p.label}: ${name}`}
                            checked={row.permissions.includes(p.value)}
                            onChange={() => toggle(row.key, p.value)}
                          />
                        </Td>
                      ))}
                      <Td>
                        <Button variant="ghost" size="sm" onClick={() => setRows((current) => current.filter((r) => r.key !== row.key))}>
                          Remove
                        </Button>
                      </Td>
                    </tr>
                  );
                })}
              </tbody>
            </Table>
            <div className="flex items-end gap-2">
              <NativeSelect aria-label="Add a team or person" value={adding} onChange={(e) => setAdding(e.target.value)}>
                <option value="">Add a team or person…</option>
                {choices.map(([key, name]) => (
                  <option key={key} value={key}>
                    {name}
                  </option>
                ))}
              </NativeSelect>
              <Button
                variant="outline"
                disabled={!adding || rows.length >= MAX_GRANTS}
                onClick={() => {
                  setRows((current) => [...current, { key: adding, permissions: ["agents:read"] }]);
                  setAdding("");
                }}
              >
                Add
              </Button>
            </div>
            <p className="text-xs text-slate-500">
              A grant gives its permissions within each person's role: someone whose role cannot run agents cannot run
              this one either. Any grant lets its holder view the agent.
            </p>
            <Button type="submit" disabled={save.isPending}>
              {save.isPending ? "Saving…" : "Save access"}
            </Button>
          </form>
        </CardContent>
      </Card>
    </div>
  );
}
