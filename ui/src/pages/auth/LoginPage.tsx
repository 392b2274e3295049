import { useMutation } from "@tanstack/react-query";
import * as React from "react";
import { Link, Navigate, useLocation, useNavigate } from "react-router";

import { authApi } from "@/api/auth";
import { ApiError, errorMessage } from "@/api/http";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/feedback";
import { Field, Input } from "@/components/ui/input";
import { AuthLayout } from "@/pages/auth/AuthLayout";

export function redirectTarget(state: unknown): string {
  const from = (state as { from?: unknown } | null)?.from;
  return typeof from === "string" && from.startsWith("/") && !from.startsWith("//") ? from : "/agents";
}

/** The organization whose enforced SSO refused the password, if that is why the sign-in failed. */
function ssoOrg(error: unknown): string | null {
  if (!(error instanceof ApiError) || error.code !== "sso_required") return null;
  const org = (error.details as { org?: unknown } | null)?.org;
  return typeof org === "string" ? org : null;
}

export function LoginPage() {
  const { status, notice } = useAuth();
  const location = useLocation();
  const navigate = useNavigate();
  const [email, setEmail] = React.useState("");
  const [password, setPassword] = React.useState("");
  const login = useMutation({
    mutationFn: () => authApi.login({ email, password }),
    onSuccess: () => navigate(redirectTarget(location.state), { replace: true }),
  });

  if (status === "signed-in" && !login.isPending) return <Navigate to={redirectTarget(location.state)} replace />;

  return (
    <AuthLayout title="Sign in" subtitle={<>New here? <Link className="text-indigo-600 hover:underline" to="/signup">Create an account</Link></>}>
      <form
        className="space-y-4"
        onSubmit={(event) => {
          event.preventDefault();
          login.mutate();
        }}
      >
        {notice && !login.error ? <Alert tone="info">{notice}</Alert> : null}
        {login.error ? (
          <Alert>
            {errorMessage(login.error)}
            {ssoOrg(login.error) ? (
              <>
                {" "}
                <Link className="underline" to={`/sso?org=${encodeURIComponent(ssoOrg(login.error) ?? "")}`}>
                  Continue with SSO
                </Link>
              </>
            ) : null}
          </Alert>
        ) : null}
        <Field id="email" label="Email">
          <Input id="email" type="email" autoComplete="email" required value={email} onChange={(e) => setEmail(e.target.value)} />
        </Field>
        <Field id="password" label="Password">
          <Input
            id="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        </Field>
        <Button type="submit" className="w-full" disabled={login.isPending}>
          {login.isPending ? "Signing in…" : "Sign in"}
        </Button>
        <p className="text-center text-sm text-slate-500">
          <Link className="text-indigo-600 hover:underline" to="/sso">
            Sign in with SSO
          </Link>
        </p>
      </form>
    </AuthLayout>
  );
}
