import { Copy, UserPlus } from "lucide-react";
import * as React from "react";

import type { Role } from "@/api/auth";
import { errorMessage } from "@/api/http";
import {
  useChangeRole,
  useInvitations,
  useInvite,
  useMembers,
  useRemoveMember,
  useRevokeInvitation,
  type InvitationCreated,
} from "@/api/org";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { ConfirmButton } from "@/components/ui/confirm";
import { Dialog, DialogContent, DialogFooter } from "@/components/ui/dialog";
import { Alert, Spinner, toast } from "@/components/ui/feedback";
import { Field, Input, NativeSelect } from "@/components/ui/input";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/lib/utils";

export const ROLES: Role[] = ["owner", "admin", "editor", "viewer"];

function InviteDialog() {
  const [open, setOpen] = React.useState(false);
  const [email, setEmail] = React.useState("");
  const [role, setRole] = React.useState<Role>("editor");
  const [sent, setSent] = React.useState<InvitationCreated | null>(null);
  const invite = useInvite();
  const close = (next: boolean) => {
    setOpen(next);
    if (!next) {
      setSent(null);
      setEmail("");
      invite.reset();
    }
  };
  return (
    <Dialog open={open} onOpenChange={close}>
      <Button onClick={() => setOpen(true)}>
        <UserPlus /> Invite member
      </Button>
      <DialogContent title="Invite a member" description="They get an email with a link to join this organization.">
        {sent ? (
          <div className="space-y-3">
            <Alert tone="info">
              Invitation sent to <strong>{sent.email}</strong>
              {sent.email_sent ? "." : ", but the email could not be delivered: share the link yourself."}
            </Alert>
            <Field id="invite-link" label="Invitation link">
              <div className="flex gap-2">
                <Input id="invite-link" readOnly value={sent.accept_url} onFocus={(e) => e.target.select()} />
                <Button variant="outline" size="icon" aria-label="Copy link" onClick={() => void navigator.clipboard?.writeText(sent.accept_url)}>
                  <Copy />
                </Button>
              </div>
            </Field>
            <DialogFooter>
              <Button onClick={() => close(false)}>Done</Button>
            </DialogFooter>
          </div>
        ) : (
          <form
            className="space-y-4"
            onSubmit={(event) => {
              event.preventDefault();
              invite.mutate({ email, role }, { onSuccess: setSent });
            }}
          >
            {invite.error ? <Alert>{errorMessage(invite.error)}</Alert> : null}
            <Field id="invite-email" label="Email">
              <Input id="invite-email" type="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
            </Field>
            <Field id="invite-role" label="Role">
              <NativeSelect id="invite-role" value={role} onChange={(e) => setRole(e.target.value as Role)}>
                {ROLES.map((r) => (
                  <option key={r} value={r}>
                    {r}
                  </option>
                ))}
              </NativeSelect>
            </Field>
            <DialogFooter>
              <Button type="submit" disabled={invite.isPending}>
                {invite.isPending ? "Sending…" : "Send invitation"}
              </Button>
            </DialogFooter>
          </form>
        )}
      </DialogContent>
    </Dialog>
  );
}

function PendingInvitations() {
  const invitations = useInvitations(true);
  const revoke = useRevokeInvitation();
  if (invitations.isPending) return <Spinner />;
  if (invitations.error) return <Alert>{errorMessage(invitations.error)}</Alert>;
  if (invitations.data.items.length === 0) return <p className="text-sm text-slate-500">No pending invitations.</p>;
  return (
    <Table aria-label="Pending invitations">
      <thead>
        <tr>
          <Th>Email</Th>
          <Th>Role</Th>
          <Th>Expires</Th>
          <Th className="w-24" />
        </tr>
      </thead>
      <tbody>
        {invitations.data.items.map((invitation) => (
          <tr key={invitation.id}>
            <Td>{invitation.email}</Td>
            <Td>{invitation.role}</Td>
            <Td>{formatDateTime(invitation.expires_at)}</Td>
            <Td>
              <Button variant="ghost" size="sm" onClick={() => revoke.mutate(invitation.id)}>
                Revoke
              </Button>
            </Td>
          </tr>
        ))}
      </tbody>
    </Table>
  );
}

export function MembersSettings() {
  const { me, can } = useAuth();
  const members = useMembers();
  const changeRole = useChangeRole();
  const remove = useRemoveMember();
  const manage = can("members:manage");
  const onError = (error: unknown) => toast(errorMessage(error), "error");
  return (
    <div className="space-y-6">
      <section className="space-y-3">
        <div className="flex items-center justify-between">
          <h2 className="text-base font-semibold text-slate-900">Members</h2>
          {can("members:invite") ? <InviteDialog /> : null}
        </div>
        {members.isPending ? <Spinner /> : members.error ? <Alert>{errorMessage(members.error)}</Alert> : (
          <Table aria-label="Members">
            <thead>
              <tr>
                <Th>Name</Th>
                <Th>Email</Th>
                <Th>Role</Th>
                <Th>Joined</Th>
                <Th className="w-24" />
              </tr>
            </thead>
            <tbody>
              {members.data.items.map((member) => {
                const self = member.user.id === me?.user.id;
                return (
                  <tr key={member.user.id}>
                    <Td>{member.user.full_name || "—"}</Td>
                    <Td>{member.user.email}</Td>
                    <Td>
                      {manage && !self ? (
                        <NativeSelect
                          aria-label={`Role of ${member.user.email}`}
                          className="h-8 w-32"
                          value={member.role}
                          onChange={(e) =>
                            changeRole.mutate({ userId: member.user.id, role: e.target.value as Role }, { onError })
                          }
                        >
                          {ROLES.map((r) => (
                            <option key={r} value={r}>
                              {r}
                            </option>
                          ))}
                        </NativeSelect>
                      ) : (
                        member.role
                      )}
                    </Td>
                    <Td>{formatDateTime(member.joined_at)}</Td>
                    <Td>
                      {manage && !self ? (
                        <ConfirmButton
                          variant="ghost"
                          size="sm"
                          className="text-red-600"
                          title="Remove member"
                          description={`${member.user.email} loses access to this organization; their sessions and API keys stop working.`}
                          confirmLabel="Remove"
                          onConfirm={() => remove.mutate(member.user.id, { onError })}
                        >
                          Remove
                        </ConfirmButton>
                      ) : null}
                    </Td>
                  </tr>
                );
              })}
            </tbody>
          </Table>
        )}
      </section>
      {can("members:invite") ? (
        <section className="space-y-3">
          <h2 className="text-base font-semibold text-slate-900">Pending invitations</h2>
          <PendingInvitations />
        </section>
      ) : null}
    </div>
  );
}
