/** Session state: restores the sign-in from the refresh cookie on load, exposes the caller and permissions. */
import { useQuery, useQueryClient } from "@tanstack/react-query";
import * as React from "react";

import { authApi, type Me, type Permission } from "@/api/auth";
import { refreshSession, session } from "@/api/http";

type Status = "loading" | "signed-in" | "signed-out";

interface AuthContextValue {
  status: Status;
  me: Me | undefined;
  /** Why the user was signed out, shown on the login page. */
  notice: string | null;
  signOut: () => Promise<void>;
  can: (permission: Permission) => boolean;
}

const AuthContext = React.createContext<AuthContextValue | null>(null);

export function AuthProvider({ children }: { children: React.ReactNode }) {
  const queryClient = useQueryClient();
  const [status, setStatus] = React.useState<Status>(() =>
    session.token ? "signed-in" : session.mayRestore() ? "loading" : "signed-out",
  );
  const [notice, setNotice] = React.useState<string | null>(null);

  React.useEffect(() => {
    const unsubscribe = session.subscribe((token) => setStatus(token ? "signed-in" : "signed-out"));
    session.onExpired(() => {
      queryClient.clear();
      setNotice("Your session has ended. Please sign in again.");
    });
    if (!session.token && session.mayRestore()) {
      void refreshSession().then((tokens) => {
        if (!tokens) session.set(null);
      });
    }
    return unsubscribe;
  }, [queryClient]);

  const me = useQuery({ queryKey: ["me"], queryFn: authApi.me, enabled: status === "signed-in", staleTime: 60_000 });

  const value = React.useMemo<AuthContextValue>(() => {
    const permissions = new Set(me.data?.permissions ?? []);
    return {
      status,
      me: me.data,
      notice,
      signOut: async () => {
        setNotice(null);
        await authApi.logout();
        queryClient.clear();
      },
      can: (permission) => permissions.has(permission),
    };
  }, [status, me.data, notice, queryClient]);

  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthContextValue {
  const value = React.useContext(AuthContext);
  if (!value) throw new Error("useAuth outside AuthProvider");
  return value;
}
