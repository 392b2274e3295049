import * as React from "react";

import { errorMessage } from "@/api/http";
import { useOrg, useUpdateOrg, type Org } from "@/api/org";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert, Spinner, toast } from "@/components/ui/feedback";
import { Field, Input, NativeSelect } from "@/components/ui/input";
import { SsoSettingsCard } from "@/pages/settings/SsoSettings";

function OrgForm({ org, editable }: { org: Org; editable: boolean }) {
  const [name, setName] = React.useState(org.name);
  const [region, setRegion] = React.useState(org.data_region);
  const update = useUpdateOrg();
  const dirty = name !== org.name || region !== org.data_region;
  return (
    <form
      className="max-w-md space-y-4"
      onSubmit={(event) => {
        event.preventDefault();
        update.mutate({ name, data_region: region }, { onSuccess: () => toast("Organization saved", "success") });
      }}
    >
      {update.error ? <Alert>{errorMessage(update.error)}</Alert> : null}
      <Field id="org-name" label="Name">
        <Input id="org-name" value={name} required maxLength={200} disabled={!editable} onChange={(e) => setName(e.target.value)} />
      </Field>
      <Field id="org-slug" label="Slug" hint="Used in URLs; it never changes.">
        <Input id="org-slug" value={org.slug} disabled readOnly />
      </Field>
      <Field id="org-region" label="Data region">
        <NativeSelect id="org-region" value={region} disabled={!editable} onChange={(e) => setRegion(e.target.value)}>
          <option value="us">United States (us)</option>
          <option value="eu">European Union (eu)</option>
        </NativeSelect>
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
      <SsoSettingsCard />
    </div>
  );
}
