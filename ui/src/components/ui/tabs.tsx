/** Route tabs: a navigation landmark of links, the active one underlined. */
import { NavLink } from "react-router";

import { cn } from "@/lib/utils";

export interface TabLinkSpec {
  to: string;
  label: string;
  /** Active only on exactly this path (an index tab), not on its children. */
  end?: boolean;
}

export function TabNav({ label, tabs, className }: { label: string; tabs: TabLinkSpec[]; className?: string }) {
  return (
    <nav aria-label={label} className={cn("flex gap-1 border-b border-slate-200", className)}>
      {tabs.map((tab) => (
        <NavLink
          key={tab.to}
          to={tab.to}
          end={tab.end}
          className={({ isActive }) =>
            cn(
              "-mb-px border-b-2 border-transparent px-3 py-2 text-sm text-slate-600 hover:text-slate-900",
              isActive && "border-indigo-600 font-medium text-slate-900",
            )
          }
        >
          {tab.label}
        </NavLink>
      ))}
    </nav>
  );
}
