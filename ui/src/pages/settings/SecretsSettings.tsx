import { Lock } from "lucide-react";
import * as React from "react";

import { errorMessage } from "@/api/http";
import { useDeleteSecret, useSaveSecret, useSecrets, type Secret } from "@/api/org";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { ConfirmButton } from "@/components/ui/confirm";
import { Dialog, DialogContent, DialogFooter } from "@/components/ui/dialog";
import { Alert, EmptyState, Spinner, toast } from "@/components/ui/feedback";
import { Field, Input } from "@/components/ui/input";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/lib/utils";

/** The API's rule for secret names (they are used as `{{env.NAME}}`). */
const SECRET_NAME = /^[A-Z][A-Z0-9_]{0,127}$/;

/** Create a secret, or rotate an existing one's value and/or edit its description (values are write-only). */
function SecretDialog({ existing }: { existing?: Secret }) {
  const [open, setOpen] = React.useState(false);
  const [name, setName] = React.useState(existing?.name ?? "");
  const [value, setValue] = React.useState("");
  const [description, setDescription] = React.useState(existing?.description ?? "");
  const save = useSaveSecret();
  const nameError = name && !SECRET_NAME.test(name) ? "Upper-case letters, digits and _, starting with a letter." : null;
  return (
    <Dialog
      open={open}
      onOpenChange={(next) => {
        setOpen(next);
        if (!next) {
          setValue("");
          save.reset();
        }
      }}
    >
      <Button variant={existing ? "ghost" : "default"} size={existing ? "sm" : "default"} onClick={() => setOpen(true)}>
        {existing ? "Update" : "Add secret"}
      </Button>
      <DialogContent
        title={existing ? `Update ${existing.name}` : "Add a secret"}
        description="Nodes read it as {{env.NAME}}; the value is stored in Vault and never shown again."
      >
        <form
          className="space-y-4"
          onSubmit={(event) => {
            event.preventDefault();
            save.mutate(
              { name, value, description, exists: Boolean(existing) },
              {
                onSuccess: () => {
                  setOpen(false);
                  setValue("");
                  toast(`Secret ${name} saved`, "success");
                },
              },
            );
          }}
        >
          {save.error ? <Alert>{errorMessage(save.error)}</Alert> : null}
          <Field id="secret-name" label="Name" error={nameError}>
            <Input
              id="secret-name"
              required
              disabled={Boolean(existing)}
              aria-invalid={Boolean(nameError)}
              value={name}
              onChange={(e) => setName(e.target.value)}
            />
          </Field>
          <Field id="secret-value" label={existing ? "New value" : "Value"} hint={existing ? "Leave empty to keep the current value." : undefined}>
            <Input id="secret-value" type="password" required={!existing} autoComplete="off" value={value} onChange={(e) => setValue(e.target.value)} />
          </Field>
          <Field id="secret-description" label="Description">
            <Input id="secret-description" value={description} onChange={(e) => setDescription(e.target.value)} />
          </Field>
          <DialogFooter>
            <Button type="submit" disabled={save.isPending || Boolean(nameError)}>
              {save.isPending ? "Saving…" : "Save"}
            </Button>
          </DialogFooter>
        </form>
      </DialogContent>
    </Dialog>
  );
}

export function SecretsSettings() {
  const { can } = useAuth();
  const secrets = useSecrets(can("secrets:read"));
  const remove = useDeleteSecret();
  const writable = can("secrets:write");
  if (!can("secrets:read")) return <Alert tone="info">Your role cannot see the organization's secrets.</Alert>;
  return (
    <section className="space-y-3">
      <div className="flex items-center justify-between">
        <div>
          <h2 className="text-base font-semibold text-slate-900">Secrets</h2>
          <p className="text-sm text-slate-500">Names only: values are write-only and masked in every record.</p>
        </div>
        {writable ? <SecretDialog /> : null}
      </div>
      {secrets.isPending ? <Spinner /> : secrets.error ? <Alert>{errorMessage(secrets.error)}</Alert> : secrets.data.items.length === 0 ? (
        <EmptyState icon={<Lock />} title="No secrets yet">Add API tokens and passwords here, then use them as {"{{env.NAME}}"}.</EmptyState>
      ) : (
        <Table aria-label="Secrets">
          <thead>
            <tr>
              <Th>Name</Th>
              <Th>Description</Th>
              <Th>Version</Th>
              <Th>Updated</Th>
              <Th className="w-40" />
            </tr>
          </thead>
          <tbody>
            {secrets.data.items.map((secret) => (
              <tr key={secret.name}>
                <Td className="font-mono text-xs font-medium">{secret.name}</Td>
                <Td>{secret.description || "—"}</Td>
                <Td>v{secret.version}</Td>
                <Td>{formatDateTime(secret.updated_at)}</Td>
                <Td className="flex gap-1">
                  {writable ? (
                    <>
                      <SecretDialog existing={secret} />
                      <ConfirmButton
                        variant="ghost"
                        size="sm"
                        className="text-red-600"
                        title={`Delete ${secret.name}`}
                        description="Nodes that reference it will fail until it is added again."
                        confirmLabel="Delete"
                        onConfirm={() => remove.mutate(secret.name, { onError: (e) => toast(errorMessage(e), "error") })}
                      >
                        Delete
                      </ConfirmButton>
                    </>
                  ) : null}
                </Td>
              </tr>
            ))}
          </tbody>
        </Table>
      )}
    </section>
  );
}
