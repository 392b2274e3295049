// Regenerates the typed API client's inputs from the Python app (no server needed):
//   src/api/openapi.json           the app's OpenAPI document
//   src/api/schema.d.ts            TypeScript types for it (openapi-typescript)
//   src/test/fixtures/node-types.json  the node-type catalog the builder's palette and forms come from
//   src/api/audit-actions.json     every action the audit log records (the audit viewer's suggestions)
// Run from ui/: `npm run gen:api` (uses ../.venv/bin/python, or $PYTHON).
import { execFileSync } from "node:child_process";
import { existsSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ui = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const repo = resolve(ui, "..");
const venvPython = resolve(repo, ".venv/bin/python");
const python = process.env.PYTHON ?? (existsSync(venvPython) ? venvPython : "python3");

const dump = (code) => execFileSync(python, ["-c", code], { cwd: repo, encoding: "utf8", maxBuffer: 64 << 20 });

const openapi = dump(
  "import json; from api.app import create_app; " +
    "print(json.dumps(create_app(configure_logs=False).openapi(), indent=2, sort_keys=True))",
);
writeFileSync(resolve(ui, "src/api/openapi.json"), openapi);

const nodeTypes = dump(
  "import json; from agentflow.graph import node_types; " +
    "print(json.dumps([t.model_dump(mode='json') for t in node_types()], indent=2, sort_keys=True))",
);
writeFileSync(resolve(ui, "src/test/fixtures/node-types.json"), nodeTypes);

const auditActions = dump(
  "import json; from api.audit_actions import ACTIONS; " +
    "print(json.dumps(sorted({a.action for a in ACTIONS.values()}), indent=2))",
);
writeFileSync(resolve(ui, "src/api/audit-actions.json"), auditActions);

execFileSync(resolve(ui, "node_modules/.bin/openapi-typescript"), ["src/api/openapi.json", "-o", "src/api/schema.d.ts"], {
  cwd: ui,
  stdio: "inherit",
});
