/** `/sso`: sign in through the organization's identity provider (by org slug or work email), and
 * `/sso/complete`, where the IdP's round trip ends: the session is restored from the refresh cookie. */
import * as React from "react";
import { Link, Navigate, useSearchParams } from "react-router";

import { refreshSession } from "@/api/http";
import { SSO_ERRORS, ssoAuthorizeUrl } from "@/api/sso";
import { Button } from "@/components/ui/button";
import { Alert, Spinner } from "@/components/ui/feedback";
import { Field, Input } from "@/components/ui/input";
import { AuthLayout } from "@/pages/auth/AuthLayout";

export function SsoPage() {
  const [params] = useSearchParams();
  const [target, setTarget] = React.useState(params.get("org") ?? "");
  const error = params.get("error");
  return (
    <AuthLayout title="Sign in with SSO" subtitle={<>Or <Link className="text-indigo-600 hover:underline" to="/login">sign in with a password</Link></>}>
      <form
        className="space-y-4"
        onSubmit={(event) => {
          event.preventDefault();
          const value = target.trim();
          window.location.assign(ssoAuthorizeUrl(value.includes("@") ? { email: value } : { org: value.toLowerCase() }));
        }}
      >
        {error ? <Alert>{SSO_ERRORS[error] ?? "Single sign-on failed. Please try again."}</Alert> : null}
        <Field id="sso-target" label="Organization slug or work email" hint="Your organization's slug, or your work email address.">
          <Input id="sso-target" required maxLength={320} autoComplete="email" value={target} onChange={(e) => setTarget(e.target.value)} />
        </Field>
        <Button type="submit" className="w-full">
          Continue
        </Button>
      </form>
    </AuthLayout>
  );
}

export function SsoCompletePage() {
  const [state, setState] = React.useState<"restoring" | "done" | "failed">("restoring");
  React.useEffect(() => {
    let live = true;
    void refreshSession().then((tokens) => {
      if (live) setState(tokens ? "done" : "failed");
    });
    return () => {
      live = false;
    };
  }, []);
  if (state === "done") return <Navigate to="/agents" replace />;
  return (
    <AuthLayout title="Signing you in">
      {state === "restoring" ? <Spinner /> : <Alert>The sign-in could not be completed. <Link className="underline" to="/sso">Try again</Link></Alert>}
    </AuthLayout>
  );
}
