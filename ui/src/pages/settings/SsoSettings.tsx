/** Organization settings → Single sign-on: connect the WorkOS organization, enforce SSO (owners only). */
import * as React from "react";

import { errorMessage } from "@/api/http";
import { useSaveSsoSettings, useSsoSettings, type SsoSettings } from "@/api/sso";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert, Spinner, toast } from "@/components/ui/feedback";
import { Field, Input, NativeSelect } from "@/components/ui/input";

type Role = "admin" | "editor" | "viewer";

function SsoForm({ settings, editable }: { settings: SsoSettings; editable: boolean }) {
  const [workosOrg, setWorkosOrg] = React.useState(settings.workos_organization_id ?? "");
  const [domains, setDomains] = React.useState((settings.domains ?? []).join(", "));
  const [enforce, setEnforce] = React.useState(settings.enforce ?? false);
  const [role, setRole] = React.useState<Role>((settings.default_role as Role | undefined) ?? "viewer");
  const save = useSaveSsoSettings();
  if (!settings.available) {
    return <p className="text-sm text-slate-500">Single sign-on is not set up on this server (ask its operator).</p>;
  }
  return (
    <form
      className="max-w-md space-y-4"
      onSubmit={(event) => {
        event.preventDefault();
        const list = domains.split(/[\s,]+/).filter(Boolean);
        save.mutate(
          { workos_organization_id: workosOrg.trim(), enforce, default_role: role, domains: list.length ? list : null },
          { onSuccess: () => toast("Single sign-on saved", "success") },
        );
      }}
    >
      {save.error ? <Alert>{errorMessage(save.error)}</Alert> : null}
      <Field id="sso-workos-org" label="WorkOS organization id" hint="org_… from the WorkOS dashboard.">
        <Input id="sso-workos-org" required maxLength={100} disabled={!editable} value={workosOrg} onChange={(e) => setWorkosOrg(e.target.value)} />
      </Field>
      <Field id="sso-domains" label="Domains" hint="Verified at WorkOS; leave empty for all verified domains.">
        <Input id="sso-domains" disabled={!editable} value={domains} onChange={(e) => setDomains(e.target.value)} />
      </Field>
      <Field id="sso-role" label="Role of new members">
        <NativeSelect id="sso-role" disabled={!editable} value={role} onChange={(e) => setRole(e.target.value as Role)}>
          <option value="viewer">Viewer</option>
          <option value="editor">Editor</option>
          <option value="admin">Admin</option>
        </NativeSelect>
      </Field>
      <label className="flex items-center gap-2 text-sm text-slate-700">
        <input type="checkbox" checked={enforce} disabled={!editable} onChange={(e) => setEnforce(e.target.checked)} />
        Require SSO: members who are not owners can no longer sign in with a password
      </label>
      {editable ? (
        <Button type="submit" disabled={save.isPending}>
          {save.isPending ? "Saving…" : "Save"}
        </Button>
      ) : (
        <p className="text-sm text-slate-500">Only owners can change single sign-on.</p>
      )}
    </form>
  );
}

export function SsoSettingsCard() {
  const settings = useSsoSettings();
  const { can } = useAuth();
  return (
    <Card>
      <CardHeader>
        <CardTitle>Single sign-on</CardTitle>
      </CardHeader>
      <CardContent>
        {settings.isPending ? <Spinner /> : settings.error ? <Alert>{errorMessage(settings.error)}</Alert> : (
          <SsoForm key={settings.data.updated_at ?? "new"} settings={settings.data} editable={can("sso:manage")} />
        )}
      </CardContent>
    </Card>
  );
}
