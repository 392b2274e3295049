import { useMutation } from "@tanstack/react-query";
import * as React from "react";
import { Link, Navigate, useNavigate } from "react-router";

import { authApi } from "@/api/auth";
import { errorMessage } from "@/api/http";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { Alert } from "@/components/ui/feedback";
import { Field, Input } from "@/components/ui/input";
import { AuthLayout } from "@/pages/auth/AuthLayout";

export function SignupPage() {
  const { status } = useAuth();
  const navigate = useNavigate();
  // The region is fixed at creation: new organizations start in the default one.
  const [form, setForm] = React.useState({ full_name: "", email: "", password: "", org_name: "", data_region: "us" });
  const set = (key: keyof typeof form) => (event: React.ChangeEvent<HTMLInputElement>) =>
    setForm((current) => ({ ...current, [key]: event.target.value }));
  const signup = useMutation({
    mutationFn: () => authApi.signup(form),
    onSuccess: () => navigate("/agents", { replace: true }),
  });

  if (status === "signed-in" && !signup.isPending) return <Navigate to="/agents" replace />;

  return (
    <AuthLayout title="Create your account" subtitle={<>Already have one? <Link className="text-indigo-600 hover:underline" to="/login">Sign in</Link></>}>
      <form
        className="space-y-4"
        onSubmit={(event) => {
          event.preventDefault();
          signup.mutate();
        }}
      >
        {signup.error ? <Alert>{errorMessage(signup.error)}</Alert> : null}
        <Field id="full_name" label="Your name">
          <Input id="full_name" autoComplete="name" value={form.full_name} onChange={set("full_name")} />
        </Field>
        <Field id="email" label="Work email">
          <Input id="email" type="email" autoComplete="email" required value={form.email} onChange={set("email")} />
        </Field>
        <Field id="password" label="Password" hint="At least 8 characters.">
          <Input
            id="password"
            type="password"
            autoComplete="new-password"
            required
            minLength={8}
            value={form.password}
            onChange={set("password")}
          />
        </Field>
        <Field id="org_name" label="Organization name">
          <Input id="org_name" required value={form.org_name} onChange={set("org_name")} />
        </Field>
        <Button type="submit" className="w-full" disabled={signup.isPending}>
          {signup.isPending ? "Creating…" : "Create account"}
        </Button>
      </form>
    </AuthLayout>
  );
}
