/** Sign-in, sign-up, the current user and invitations. */
import { http, session, type Schemas } from "@/api/http";

export type TokenResponse = Schemas["TokenResponse"];
export type Me = Schemas["MeResponse"];
// A built-in role's name or one of the organization's custom roles.
export type Role = Schemas["RoleChange"]["role"];
export type Permission = Schemas["Permission"];

async function signedIn(promise: Promise<TokenResponse>): Promise<TokenResponse> {
  const tokens = await promise;
  session.set(tokens.access_token);
  return tokens;
}

export const authApi = {
  login: (body: Schemas["LoginRequest"]) => signedIn(http.post<TokenResponse>("/auth/login", body)),
  signup: (body: Schemas["SignupRequest"]) => signedIn(http.post<TokenResponse>("/auth/signup", body)),
  switchOrg: (orgId: string) => signedIn(http.post<TokenResponse>("/auth/switch-org", { org_id: orgId })),
  logout: async () => {
    try {
      await http.post<null>("/auth/logout");
    } finally {
      session.set(null);
    }
  },
  me: () => http.get<Me>("/auth/me"),
  previewInvitation: (token: string) =>
    http.get<Schemas["InvitationPreview"]>(`/invitations/${encodeURIComponent(token)}`),
  acceptInvitation: (token: string, body: Schemas["AcceptInvitation"]) =>
    signedIn(http.post<TokenResponse>(`/invitations/${encodeURIComponent(token)}/accept`, body)),
};
