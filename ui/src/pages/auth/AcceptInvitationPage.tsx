import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import * as React from "react";
import { useNavigate, useParams } from "react-router";

import { authApi } from "@/api/auth";
import { errorMessage } from "@/api/http";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { Alert, Spinner } from "@/components/ui/feedback";
import { Field, Input } from "@/components/ui/input";
import { AuthLayout } from "@/pages/auth/AuthLayout";

/** /invitations/:token — preview the invitation, then join (new account: set a password). */
export function AcceptInvitationPage() {
  const { token = "" } = useParams();
  const { status, me, signOut } = useAuth();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const preview = useQuery({ queryKey: ["invitation", token], queryFn: () => authApi.previewInvitation(token), retry: false });
  const [password, setPassword] = React.useState("");
  const [fullName, setFullName] = React.useState("");
  const signedInAsInvitee = status === "signed-in" && me?.user.email === preview.data?.email;
  const signedInAsSomeoneElse = status === "signed-in" && Boolean(me) && !signedInAsInvitee;
  const accept = useMutation({
    mutationFn: () =>
      authApi.acceptInvitation(token, signedInAsInvitee ? { full_name: fullName } : { password, full_name: fullName }),
    onSuccess: async () => {
      // Drop what was cached for whoever was signed in before, but not this page's preview: removing it
      // while the page is still mounted would fetch it again, and a used invitation answers 404.
      queryClient.removeQueries({ predicate: (query) => query.queryKey[0] !== "invitation" });
      navigate("/agents", { replace: true });
    },
  });

  if (preview.isPending) return <AuthLayout title="Invitation"><Spinner /></AuthLayout>;
  if (preview.error) {
    return (
      <AuthLayout title="Invitation">
        <Alert>{errorMessage(preview.error)}</Alert>
      </AuthLayout>
    );
  }
  const invitation = preview.data;
  return (
    <AuthLayout
      title={`Join ${invitation.org.name}`}
      subtitle={
        <>
          {invitation.email} is invited as <strong>{invitation.role}</strong>.
        </>
      }
    >
      <form
        className="space-y-4"
        onSubmit={(event) => {
          event.preventDefault();
          accept.mutate();
        }}
      >
        {accept.error ? <Alert>{errorMessage(accept.error)}</Alert> : null}
        {signedInAsSomeoneElse ? (
          <Alert tone="warning">
            You are signed in as {me?.user.email}. This invitation is for {invitation.email}:{" "}
            <button type="button" className="underline" onClick={() => void signOut()}>
              sign out
            </button>{" "}
            to accept it.
          </Alert>
        ) : null}
        {signedInAsInvitee ? null : (
          <>
            {invitation.account_exists ? null : (
              <Field id="full_name" label="Your name">
                <Input id="full_name" value={fullName} onChange={(e) => setFullName(e.target.value)} />
              </Field>
            )}
            <Field
              id="password"
              label={invitation.account_exists ? "Your password" : "Choose a password"}
              hint={invitation.account_exists ? "You already have an account: confirm it's you." : "At least 8 characters."}
            >
              <Input
                id="password"
                type="password"
                required
                minLength={invitation.account_exists ? 1 : 8}
                autoComplete={invitation.account_exists ? "current-password" : "new-password"}
                value={password}
                onChange={(e) => setPassword(e.target.value)}
              />
            </Field>
          </>
        )}
        <Button type="submit" className="w-full" disabled={accept.isPending || signedInAsSomeoneElse}>
          {accept.isPending ? "Joining…" : "Accept invitation"}
        </Button>
      </form>
    </AuthLayout>
  );
}
