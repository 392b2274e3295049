import { Outlet } from "react-router";

import type { Permission } from "@/api/auth";
import { useAuth } from "@/auth/AuthProvider";
import { TabNav } from "@/components/ui/tabs";
import { PageHeader } from "@/layout/AppShell";

// A section with a permission is shown only to those who hold it (its page says so to anyone else).
const SECTIONS: { to: string; label: string; permission?: Permission }[] = [
  { to: "organization", label: "Organization" },
  { to: "members", label: "Members" },
  { to: "teams", label: "Teams", permission: "teams:read" },
  { to: "providers", label: "AI providers", permission: "secrets:read" },
  { to: "api-keys", label: "API keys" },
  { to: "secrets", label: "Secrets" },
  { to: "billing", label: "Billing" },
  { to: "notifications", label: "Notifications" },
  { to: "webhooks", label: "Webhooks" },
  { to: "audit-log", label: "Audit log", permission: "audit:read" },
  { to: "exports", label: "Exports", permission: "exports:create" },
];

export function SettingsLayout() {
  const { can } = useAuth();
  return (
    <div className="mx-auto max-w-5xl p-6">
      <PageHeader title="Settings" />
      <TabNav label="Settings" className="mb-5" tabs={SECTIONS.filter((s) => !s.permission || can(s.permission))} />
      <Outlet />
    </div>
  );
}
