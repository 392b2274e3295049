import * as React from "react";

import { errorMessage } from "@/api/http";
import { useOrg, useUpdateOrg, type Org } from "@/api/org";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert, Spinner, toast } from "@/components/ui/feedback";
import { Field, Input } from "@/components/ui/input";
import { OrgGovernanceCards } from "@/pages/settings/OrgGovernanceSettings";
import { SsoSettingsCard } from "@/pages/settings/SsoSettings";

const REGIONS: Record<string, string> = { us: "United States (us)", eu: "European Union (eu)" };

function OrgForm({ org, editable }: { org: Org; editable: boolean }) {
  const [name, setName] = React.useState(org.name);
  const update = useUpdateOrg();
  const dirty = name !== org.name;
  return (
    <form
      className="max-w-md space-y-4"
      onSubmit={(event) => {
        event.preventDefault();
        update.mutate({ name }, { onSuccess: () => toast("Organization saved", "success") });
      }}
    >
      {update.error ? <Alert>{errorMessage(update.error)}</Alert> : null}
      <Field id="org-name" label="Name">
        <Input id="org-name" value={name} required maxLength={200} disabled={!editable} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field id="org-slug" label="Slug" hint="Used in URLs; it never changes.">
        <Input id="org-slug" value={org.slug} disabled readOnly />
      </Field>
      <Field id="org-region" label="Data region" hint="Where the organization's data is kept; chosen when it was created, it never changes.">
        <Input id="org-region" value={REGIONS[org.data_region] ?? org.data_region} disabled readOnly />
      </Field>
      <p className="text-sm text-slate-500">Plan: {org.plan}</p>
      {editable ? (
        <Button type="submit" disabled={!dirty || update.isPending}>
          {update.isPending ? "Saving…" : "Save"}
        </Button>
      ) : (
        <p className="text-sm text-slate-500">Only owners and admins can change these settings.</p>
      )}
    </form>
  );
}

export function OrganizationSettings() {
  const org = useOrg();
  const { can } = useAuth();
  return (
    <div className="space-y-6">
      <Card>
        <CardHeader>
          <CardTitle>Organization</CardTitle>
        </CardHeader>
        <CardContent>
          {org.isPending ? <Spinner /> : org.error ? <Alert>{errorMessage(org.error)}</Alert> : (
            <OrgForm key={org.data.id + org.data.name + org.data.data_region} org={org.data} editable={can("org:update")} />
          )}
        </CardContent>
      </Card>
      <OrgGovernanceCards />
      <SsoSettingsCard />
    </div>
  );
}
