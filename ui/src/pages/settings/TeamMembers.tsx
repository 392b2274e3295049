/** One team's members: add an organization member to it, or take one out. */
import * as React from "react";

import { errorMessage } from "@/api/http";
import { useMembers } from "@/api/org";
import { useAddTeamMember, useRemoveTeamMember, useTeam, type TeamSummary } from "@/api/teams";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert, Spinner, toast } from "@/components/ui/feedback";
import { Field, NativeSelect } from "@/components/ui/input";
import { Table, Td, Th } from "@/components/ui/table";

export function TeamMembers({ team, writable }: { team: TeamSummary; writable: boolean }) {
  const detail = useTeam(team.id);
  const members = useMembers(writable);
  const add = useAddTeamMember();
  const remove = useRemoveTeamMember();
  const [userId, setUserId] = React.useState("");
  const inTeam = new Set(detail.data?.members.map((m) => m.id) ?? []);
  const candidates = (members.data?.items ?? []).filter((m) => !inTeam.has(m.user.id));
  return (
    <Card>
      <CardHeader>
        <CardTitle>Members of {team.name}</CardTitle>
      </CardHeader>
      <CardContent className="space-y-3">
        {writable ? (
          <form
            className="flex items-end gap-2"
            onSubmit={(event) => {
              event.preventDefault();
              if (!userId) return;
              add.mutate(
                { teamId: team.id, userId },
                {
                  onSuccess: () => {
                    setUserId("");
                    toast(`Added to ${team.name}`, "success");
                  },
                },
              );
            }}
          >
            <div className="flex-1">
              <Field id="team-add-member" label="Add a member">
                <NativeSelect id="team-add-member" value={userId} onChange={(e) => setUserId(e.target.value)}>
                  <option value="">{candidates.length ? "Choose a member…" : "Everyone is already in this team"}</option>
                  {candidates.map((m) => (
                    <option key={m.user.id} value={m.user.id}>
                      {m.user.full_name ? `${m.user.full_name} (${m.user.email})` : m.user.email}
                    </option>
                  ))}
                </NativeSelect>
              </Field>
            </div>
            <Button type="submit" disabled={!userId || add.isPending}>
              Add
            </Button>
          </form>
        ) : null}
        {add.error ? <Alert>{errorMessage(add.error)}</Alert> : null}
        {detail.isPending ? (
          <Spinner />
        ) : detail.error ? (
          <Alert>{errorMessage(detail.error)}</Alert>
        ) : detail.data.members.length === 0 ? (
          <p className="text-sm text-slate-500">Nobody is in this team yet.</p>
        ) : (
          <Table aria-label={`Members of ${team.name}`}>
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Email</Th>
                <Th className="w-32" />
              </tr>
            </thead>
            <tbody>
              {detail.data.members.map((user) => (
                <tr key={user.id}>
                  <Td>{user.full_name || "—"}</Td>
                  <Td>{user.email}</Td>
                  <Td>
                    {writable ? (
                      <Button
                        variant="ghost"
                        size="sm"
                        className="text-red-600"
                        aria-label={`Remove ${user.full_name || user.email} from ${team.name}`}
                        disabled={remove.isPending}
                        onClick={() => remove.mutate({ teamId: team.id, userId: user.id }, { onError: (e) => toast(errorMessage(e), "error") })}
                      >
                        Remove
                      </Button>
                    ) : null}
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </CardContent>
    </Card>
  );
}
