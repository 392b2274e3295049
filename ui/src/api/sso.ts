/** SSO: the organization's WorkOS connection, and the browser's way into the IdP. */
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";

import { API_BASE, http, type Schemas } from "@/api/http";

export type SsoSettings = Schemas["SSOSettingsPublic"];
export type SsoSettingsUpdate = Schemas["SSOSettingsUpdate"];

const ssoKey = ["org", "sso"] as const;

export function useSsoSettings() {
  return useQuery({ queryKey: ssoKey, queryFn: () => http.get<SsoSettings>("/org/sso") });
}

export function useSaveSsoSettings() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: SsoSettingsUpdate) => http.put<SsoSettings>("/org/sso", body),
    onSuccess: (saved) => client.setQueryData(ssoKey, saved),
  });
}

/** Where the browser goes to sign in through the organization's identity provider (a full navigation). */
export function ssoAuthorizeUrl(target: { org: string } | { email: string }): string {
  return `${API_BASE}/auth/sso/authorize?${new URLSearchParams(target).toString()}`;
}

/** What `/sso?error=<code>` means, for the sign-in page. */
export const SSO_ERRORS: Record<string, string> = {
  sso_not_configured: "Single sign-on is not set up on this server.",
  sso_org_required: "Enter your organization's slug or your work email.",
  sso_not_set_up: "No organization with single sign-on matches.",
  sso_cancelled: "Your identity provider did not sign you in.",
  sso_state_invalid: "The sign-in could not be verified. Please start again.",
  sso_state_expired: "The sign-in took too long. Please start again.",
  sso_code_invalid: "The sign-in expired. Please start again.",
  sso_wrong_organization: "Your identity provider does not sign in to this organization.",
  sso_domain_not_allowed: "Your email's domain is not one this organization signs in with SSO.",
  account_inactive: "This account is deactivated.",
  plan_limit_reached: "The organization has no seat left for a new member; ask an owner.",
  workos_unavailable: "Single sign-on is unavailable right now. Please try again later.",
};
