import * as React from "react";

import type { Variable } from "@/api/agents";

export interface VariableContext {
  variables: Variable[];
  triggerId: string | null;
  loading: boolean;
}

/** The selected node's available variables, for prompt editors and the picker. */
export const VariablesContext = React.createContext<VariableContext>({ variables: [], triggerId: null, loading: false });
