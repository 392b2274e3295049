/** /settings/notifications — which kinds of notification also arrive by email (in-app ones always arrive). */
import * as React from "react";

import { errorMessage } from "@/api/http";
import {
  NOTIFICATION_KINDS,
  useNotificationPreferences,
  useSaveNotificationPreferences,
  type NotificationKind,
  type NotificationPreferences,
} from "@/api/notifications";
import { Button } from "@/components/ui/button";
import { Card, CardContent, CardHeader, CardTitle } from "@/components/ui/card";
import { Alert, Spinner, toast } from "@/components/ui/feedback";

const KINDS = Object.keys(NOTIFICATION_KINDS) as NotificationKind[];

function PreferencesForm({ saved }: { saved: NotificationPreferences }) {
  const [email, setEmail] = React.useState(saved.email);
  const save = useSaveNotificationPreferences();
  const dirty = KINDS.some((kind) => email[kind] !== saved.email[kind]);
  return (
    <form
      className="space-y-4"
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate({ email }, { onSuccess: () => toast("Notification preferences saved", "success") });
      }}
    >
      {save.error ? <Alert>{errorMessage(save.error)}</Alert> : null}
      <fieldset className="space-y-3">
        <legend className="mb-2 text-sm font-medium text-slate-700">Also send by email</legend>
        {KINDS.map((kind) => (
          <div key={kind} className="flex items-start gap-2">
            <input
              id={`email-${kind}`}
              type="checkbox"
              className="mt-0.5 size-4 accent-indigo-600"
              checked={email[kind]}
              aria-describedby={`email-${kind}-hint`}
              onChange={(e) => setEmail({ ...email, [kind]: e.target.checked })}
            />
            <div>
              <label htmlFor={`email-${kind}`} className="text-sm text-slate-800">
                {NOTIFICATION_KINDS[kind].label}
              </label>
              <p id={`email-${kind}-hint`} className="text-xs text-slate-500">
                {NOTIFICATION_KINDS[kind].hint}
              </p>
            </div>
          </div>
        ))}
      </fieldset>
      <Button type="submit" disabled={!dirty || save.isPending}>
        {save.isPending ? "Saving…" : "Save"}
      </Button>
    </form>
  );
}

export function NotificationSettings() {
  const preferences = useNotificationPreferences();
  return (
    <Card>
      <CardHeader>
        <CardTitle>Notifications</CardTitle>
        <p className="text-sm text-slate-500">
          Every notification appears under the bell in the top bar. These settings are yours alone, in every organization.
        </p>
      </CardHeader>
      <CardContent>
        {preferences.error ? (
          <Alert>{errorMessage(preferences.error)}</Alert>
        ) : !preferences.data ? (
          <Spinner />
        ) : (
          <PreferencesForm key={JSON.stringify(preferences.data)} saved={preferences.data} />
        )}
      </CardContent>
    </Card>
  );
}
