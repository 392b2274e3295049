import { NavLink, Outlet } from "react-router";

import { PageHeader } from "@/layout/AppShell";
import { cn } from "@/lib/utils";

const SECTIONS = [
  { to: "organization", label: "Organization" },
  { to: "members", label: "Members" },
  { to: "api-keys", label: "API keys" },
  { to: "secrets", label: "Secrets" },
];

export function SettingsLayout() {
  return (
    <div className="mx-auto max-w-5xl p-6">
      <PageHeader title="Settings" />
      <nav aria-label="Settings" className="mb-5 flex gap-1 border-b border-slate-200">
        {SECTIONS.map((section) => (
          <NavLink
            key={section.to}
            to={section.to}
            className={({ isActive }) =>
              cn(
                "-mb-px border-b-2 border-transparent px-3 py-2 text-sm text-slate-600 hover:text-slate-900",
                isActive && "border-indigo-600 font-medium text-slate-900",
              )
            }
          >
            {section.label}
          </NavLink>
        ))}
      </nav>
      <Outlet />
    </div>
  );
}
