/** Settings → Teams: create, rename and delete teams; open one to add and remove its members. */
import { Users } from "lucide-react";
import * as React from "react";

import { errorMessage } from "@/api/http";
import { useCreateTeam, useDeleteTeam, useTeamList, useUpdateTeam, type TeamSummary } from "@/api/teams";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { ConfirmButton } from "@/components/ui/confirm";
import { Dialog, DialogContent, DialogFooter } from "@/components/ui/dialog";
import { Alert, EmptyState, Spinner, toast } from "@/components/ui/feedback";
import { Field, Input } from "@/components/ui/input";
import { Table, Td, Th } from "@/components/ui/table";
import { cn } from "@/lib/utils";
import { TeamMembers } from "@/pages/settings/TeamMembers";

/** New team, or rename / re-describe an existing one. */
function TeamDialog({ existing }: { existing?: TeamSummary }) {
  const [open, setOpen] = React.useState(false);
  const [name, setName] = React.useState(existing?.name ?? "");
  const [description, setDescription] = React.useState(existing?.description ?? "");
  const create = useCreateTeam();
  const update = useUpdateTeam();
  const save = existing ? update : create;
  const close = (next: boolean) => {
    setOpen(next);
    if (!next) {
      setName(existing?.name ?? "");
      setDescription(existing?.description ?? "");
      create.reset();
      update.reset();
    }
  };
  return (
    <Dialog open={open} onOpenChange={close}>
      <Button variant={existing ? "ghost" : "default"} size={existing ? "sm" : "default"} onClick={() => setOpen(true)}>
        {existing ? "Rename" : "Create team"}
      </Button>
      <DialogContent title={existing ? `Rename ${existing.name}` : "Create a team"} description="Teams can be given access to agents and decide approvals.">
        <form
          className="space-y-4"
          onSubmit={(event) => {
            event.preventDefault();
            const body = { name: name.trim(), description: description.trim() };
            const done = {
              onSuccess: () => {
                close(false);
                toast(existing ? `Team renamed to ${body.name}` : `Team ${body.name} created`, "success");
              },
            };
            if (existing) update.mutate({ id: existing.id, ...body }, done);
            else create.mutate(body, done);
          }}
        >
          {save.error ? <Alert>{errorMessage(save.error)}</Alert> : null}
          <Field id="team-name" label="Name">
            <Input id="team-name" required maxLength={120} value={name} onChange={(e) => setName(e.target.value)} />
          </Field>
          <Field id="team-description" label="Description" hint="Optional.">
            <Input id="team-description" maxLength={2000} value={description} onChange={(e) => setDescription(e.target.value)} />
          </Field>
          <DialogFooter>
            <Button type="submit" disabled={save.isPending || !name.trim()}>
              {save.isPending ? "Saving…" : existing ? "Save" : "Create"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

export function TeamsSettings() {
  const { can } = useAuth();
  const readable = can("teams:read");
  const writable = can("teams:write");
  const teams = useTeamList(readable);
  const remove = useDeleteTeam();
  const [openId, setOpenId] = React.useState<string | null>(null);
  if (!readable) return <Alert tone="info">Your role cannot see the organization's teams.</Alert>;
  const list = teams.data?.items ?? [];
  const opened = list.find((team) => team.id === openId) ?? null;
  return (
    <div className="space-y-4">
      <section className="space-y-3">
        <div className="flex items-center justify-between">
          <div>
            <h2 className="text-base font-semibold text-slate-900">Teams</h2>
            <p className="text-sm text-slate-500">Groups of members: give a team access to agents, or let it decide approvals.</p>
          </div>
          {writable ? <TeamDialog /> : null}
        </div>
        {teams.isPending ? (
          <Spinner />
        ) : teams.error ? (
          <Alert>{errorMessage(teams.error)}</Alert>
        ) : list.length === 0 ? (
          <EmptyState icon={<Users />} title="No teams yet">
            {writable ? "Create one, then add members to it." : "Owners and admins create teams."}
          </EmptyState>
        ) : (
          <Table aria-label="Teams">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Description</Th>
                <Th className="w-64" />
              </tr>
            </thead>
            <tbody>
              {list.map((team) => (
                <tr key={team.id} className={cn(team.id === openId && "bg-indigo-50/50")}>
                  <Td className="font-medium">{team.name}</Td>
                  <Td className="text-slate-600">{team.description || "—"}</Td>
                  <Td>
                    <div className="flex gap-1">
                      <Button variant="outline" size="sm" aria-expanded={team.id === openId} onClick={() => setOpenId(team.id === openId ? null : team.id)}>
                        Members
                      </Button>
                      {writable ? (
                        <>
                          <TeamDialog existing={team} />
                          <ConfirmButton
                            variant="ghost"
                            size="sm"
                            className="text-red-600"
                            title={`Delete ${team.name}`}
                            description="Its members stay in the organization; access given to the team and approvals it decides stop applying to them."
                            confirmLabel="Delete"
                            onConfirm={() =>
                              remove.mutate(team.id, {
                                onSuccess: () => {
                                  if (openId === team.id) setOpenId(null);
                                  toast(`Team ${team.name} deleted`, "success");
                                },
                                onError: (e) => toast(errorMessage(e), "error"),
                              })
                            }
                          >
                            Delete
                          </ConfirmButton>
                        </>
                      ) : null}
                    </div>
                  </Td>
                </tr>
              ))}
            </tbody>
          </Table>
        )}
      </section>
      {opened ? <TeamMembers key={opened.id} team={opened} writable={writable} /> : null}
    </div>
  );
}
