import { Outlet } from "react-router";

import { TabNav } from "@/components/ui/tabs";
import { PageHeader } from "@/layout/AppShell";

const SECTIONS = [
  { to: "organization", label: "Organization" },
  { to: "members", label: "Members" },
  { to: "api-keys", label: "API keys" },
  { to: "secrets", label: "Secrets" },
  { to: "billing", label: "Billing" },
  { to: "notifications", label: "Notifications" },
  { to: "webhooks", label: "Webhooks" },
];

export function SettingsLayout() {
  return (
    <div className="mx-auto max-w-5xl p-6">
      <PageHeader title="Settings" />
      <TabNav label="Settings" className="mb-5" tabs={SECTIONS} />
      <Outlet />
    </div>
  );
}
