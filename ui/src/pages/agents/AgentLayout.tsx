import { NavLink, Outlet, useParams } from "react-router";

import { cn } from "@/lib/utils";

const TABS = [
  { to: "", label: "Builder", end: true },
  { to: "versions", label: "Versions", end: false },
  { to: "executions", label: "Executions", end: false },
];

/** /agents/:agentId/* — tabs over the builder, versions and the agent's executions. */
export function AgentLayout() {
  const { agentId = "" } = useParams();
  return (
    <div className="flex h-full flex-col">
      <nav aria-label="Agent" className="flex shrink-0 gap-1 border-b border-slate-200 bg-white px-3">
        {TABS.map((tab) => (
          <NavLink
            key={tab.label}
            to={tab.to ? `/agents/${agentId}/${tab.to}` : `/agents/${agentId}`}
            end={tab.end}
            className={({ isActive }) =>
              cn("-mb-px border-b-2 border-transparent px-3 py-2 text-sm text-slate-600 hover:text-slate-900", isActive && "border-indigo-600 font-medium text-slate-900")
            }
          >
            {tab.label}
          </NavLink>
        ))}
      </nav>
      <div className="min-h-0 flex-1">
        <Outlet />
      </div>
    </div>
  );
}
