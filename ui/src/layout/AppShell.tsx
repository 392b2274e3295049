/** The dashboard frame: sidebar navigation, top bar with org switcher, notifications and user menu, and the page. */
import { useQueryClient } from "@tanstack/react-query";
import {
  AlertTriangle,
  BarChart3,
  BookOpen,
  Bot,
  Check,
  ChevronsUpDown,
  History,
  LayoutTemplate,
  LogOut,
  Plug,
  Settings,
  UserRound,
} from "lucide-react";
import type { ReactNode } from "react";
import { Link, NavLink, Outlet, useNavigate } from "react-router";

import { authApi } from "@/api/auth";
import { errorMessage } from "@/api/http";
import { useConnections } from "@/api/integrations";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import {
  DropdownMenu,
  DropdownMenuContent,
  DropdownMenuItem,
  DropdownMenuLabel,
  DropdownMenuSeparator,
  DropdownMenuTrigger,
} from "@/components/ui/dropdown-menu";
import { toast } from "@/components/ui/feedback";
import { NotificationBell } from "@/layout/NotificationBell";
import { cn } from "@/lib/utils";

export const NAV_ITEMS: readonly { to: string; label: string; icon: typeof Bot; soon?: boolean }[] = [
  { to: "/agents", label: "Agents", icon: Bot },
  { to: "/executions", label: "Executions", icon: History },
  { to: "/integrations", label: "Integrations", icon: Plug },
  { to: "/knowledge", label: "Knowledge", icon: BookOpen },
  // Not ready yet: listed so people know it is coming, marked so nobody expects it to work.
  { to: "/templates", label: "Templates", icon: LayoutTemplate, soon: true },
  { to: "/analytics", label: "Analytics", icon: BarChart3 },
  { to: "/settings", label: "Settings", icon: Settings },
];

function Sidebar() {
  return (
    <nav aria-label="Main" className="flex w-52 shrink-0 flex-col border-r border-slate-200 bg-white">
      <div className="flex h-14 items-center gap-2 border-b border-slate-200 px-4">
        <img src="/favicon.svg" alt="" className="size-7" />
        <span className="font-semibold text-slate-900">AgentFlow</span>
      </div>
      <ul className="flex flex-col gap-0.5 p-2">
        {NAV_ITEMS.map(({ to, label, icon: Icon, soon }) => (
          <li key={to}>
            <NavLink
              to={to}
              className={({ isActive }) =>
                cn(
                  "flex items-center gap-2.5 rounded-md px-3 py-2 text-sm text-slate-600 hover:bg-slate-100 hover:text-slate-900",
                  isActive && "bg-indigo-50 font-medium text-indigo-700 hover:bg-indigo-50",
                )
              }
            >
              <Icon className="size-4" />
              {label}
              {soon ? <span className="ml-auto rounded-full bg-slate-100 px-1.5 py-0.5 text-[10px] font-medium text-slate-500">Soon</span> : null}
            </NavLink>
          </li>
        ))}
      </ul>
    </nav>
  );
}

function OrgSwitcher() {
  const { me } = useAuth();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  if (!me) return <div className="h-9 w-48" />;
  const switchTo = async (orgId: string) => {
    try {
      await authApi.switchOrg(orgId);
      // Reset clears the old org's data at once; navigate before the refetches finish so a
      // click made while they run (the new org's name already shows) is not undone.
      const refetched = queryClient.resetQueries();
      navigate("/agents");
      await refetched;
    } catch (error) {
      toast(errorMessage(error), "error");
    }
  };
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="outline" className="min-w-48 justify-between" aria-label="Switch organization">
          <span className="truncate">{me.org.name}</span>
          <ChevronsUpDown className="text-slate-400" />
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent align="start">
        <DropdownMenuLabel>Organizations</DropdownMenuLabel>
        {me.memberships.map((membership) => (
          <DropdownMenuItem
            key={membership.org.id}
            onSelect={() => membership.org.id !== me.org.id && void switchTo(membership.org.id)}
          >
            <Check className={cn(membership.org.id === me.org.id ? "opacity-100" : "opacity-0")} />
            <span className="flex-1 truncate">{membership.org.name}</span>
            <span className="text-xs text-slate-400">{membership.role}</span>
          </DropdownMenuItem>
        ))}
      </DropdownMenuContent>
    </DropdownMenu>
  );
}

function UserMenu() {
  const { me, signOut } = useAuth();
  const navigate = useNavigate();
  return (
    <DropdownMenu>
      <DropdownMenuTrigger asChild>
        <Button variant="ghost" aria-label="User menu">
          <UserRound />
          <span className="max-w-48 truncate">{me?.user.full_name || me?.user.email}</span>
        </Button>
      </DropdownMenuTrigger>
      <DropdownMenuContent>
        <DropdownMenuLabel>
          {me?.user.email}
          <span className="block font-normal">Role: {me?.role}</span>
        </DropdownMenuLabel>
        <DropdownMenuSeparator />
        <DropdownMenuItem onSelect={() => navigate("/settings")}>
          <Settings /> Settings
        </DropdownMenuItem>
        <DropdownMenuItem
          onSelect={() => {
            void signOut().then(() => navigate("/login"));
          }}
        >
          <LogOut /> Sign out
        </DropdownMenuItem>
      </DropdownMenuContent>
    </DropdownMenu>
  );
}

/** In-app notice: a connection whose sign-in the provider stopped accepting makes its agents fail until reconnected. */
function ReauthNotice() {
  const { can } = useAuth();
  const connections = useConnections(can("integrations:read"));
  const stale = connections.data?.filter((connection) => connection.status === "needs_reauth") ?? [];
  if (stale.length === 0) return null;
  return (
    <div role="status" className="flex items-center gap-2 border-b border-amber-200 bg-amber-50 px-4 py-2 text-sm text-amber-900">
      <AlertTriangle className="size-4 shrink-0" />
      <span className="min-w-0 flex-1 truncate">
        {stale.length === 1 ? `${stale[0]?.name} needs to be reconnected.` : `${stale.length} integrations need to be reconnected.`}
      </span>
      <Link to="/integrations" className="font-medium underline">
        Reconnect
      </Link>
    </div>
  );
}

export function AppShell() {
  return (
    <div className="flex h-screen bg-slate-50">
      <Sidebar />
      <div className="flex min-w-0 flex-1 flex-col">
        <header className="flex h-14 shrink-0 items-center justify-between border-b border-slate-200 bg-white px-4">
          <OrgSwitcher />
          <div className="flex items-center gap-1">
            <NotificationBell />
            <UserMenu />
          </div>
        </header>
        <ReauthNotice />
        <main className="min-h-0 flex-1 overflow-auto">
          <Outlet />
        </main>
      </div>
    </div>
  );
}

export function PageHeader({ title, description, actions }: { title: string; description?: string; actions?: ReactNode }) {
  return (
    <div className="mb-5 flex flex-wrap items-end justify-between gap-3">
      <div>
        <h1 className="text-xl font-semibold text-slate-900">{title}</h1>
        {description ? <p className="mt-0.5 text-sm text-slate-500">{description}</p> : null}
      </div>
      {actions ? <div className="flex items-center gap-2">{actions}</div> : null}
    </div>
  );
}
