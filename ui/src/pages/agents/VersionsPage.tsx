/** /agents/:agentId/versions — published versions, rollback, and a visual diff between any two. */
import { History } from "lucide-react";
import * as React from "react";
import { useNavigate, useParams } from "react-router";

import { useRollback, useVersion, useVersionDiff, useVersions } from "@/api/agents";
import { errorMessage } from "@/api/http";
import { useMembers } from "@/api/org";
import { useAuth } from "@/auth/AuthProvider";
import { Button } from "@/components/ui/button";
import { ConfirmButton } from "@/components/ui/confirm";
import { Alert, EmptyState, Spinner, toast } from "@/components/ui/feedback";
import { NativeSelect } from "@/components/ui/input";
import { Table, Td, Th } from "@/components/ui/table";
import { formatDateTime } from "@/lib/utils";
import { DiffView } from "@/pages/agents/DiffView";

function Legend() {
  return (
    <div className="flex gap-3 text-xs text-slate-600">
      <span><span className="mr-1 inline-block size-2.5 rounded-sm border-2 border-emerald-500 bg-emerald-50" />added</span>
      <span><span className="mr-1 inline-block size-2.5 rounded-sm border-2 border-amber-500 bg-amber-50" />changed</span>
      <span><span className="mr-1 inline-block size-2.5 rounded-sm border-2 border-dashed border-red-400 bg-red-50" />removed</span>
      <span><span className="mr-1 inline-block size-2.5 rounded-sm border-2 border-sky-300" />moved</span>
    </div>
  );
}

function Compare({ agentId, from, to }: { agentId: string; from: number; to: number }) {
  const diff = useVersionDiff(agentId, from, to);
  const before = useVersion(agentId, from);
  const after = useVersion(agentId, to);
  if (diff.error || before.error || after.error) return <Alert>{errorMessage(diff.error ?? before.error ?? after.error)}</Alert>;
  if (!diff.data || !before.data || !after.data) return <Spinner />;
  const d = diff.data;
  const count = (list: unknown[] | undefined) => list?.length ?? 0;
  const edgeChanges = count(d.edges_added) + count(d.edges_removed);
  const summary = [
    count(d.nodes_added) && `${count(d.nodes_added)} added`,
    count(d.nodes_removed) && `${count(d.nodes_removed)} removed`,
    count(d.nodes_changed) && `${count(d.nodes_changed)} changed`,
    count(d.nodes_moved) && `${count(d.nodes_moved)} moved`,
    edgeChanges && `${edgeChanges} connection${edgeChanges === 1 ? "" : "s"} changed`,
    count(d.settings_changed) && `settings: ${(d.settings_changed ?? []).join(", ")}`,
  ].filter(Boolean);
  return (
    <div className="space-y-2">
      <div className="flex items-center justify-between">
        <p className="text-sm text-slate-700">{summary.length ? summary.join(" · ") : "No differences."}</p>
        <Legend />
      </div>
      <DiffView before={before.data.definition} after={after.data.definition} diff={d} />
    </div>
  );
}

export function VersionsPage() {
  const { agentId = "" } = useParams();
  const { can } = useAuth();
  const navigate = useNavigate();
  const versions = useVersions(agentId);
  const members = useMembers();
  const rollback = useRollback();
  const [pair, setPair] = React.useState<{ from: number; to: number } | null>(null);
  if (versions.isPending) return <Spinner className="m-6" />;
  if (versions.error) return <Alert className="m-6">{errorMessage(versions.error)}</Alert>;
  const list = versions.data;
  if (list.length === 0) {
    return (
      <div className="p-6">
        <EmptyState icon={<History />} title="No versions yet">Publish the draft from the builder to create version 1.</EmptyState>
      </div>
    );
  }
  const compare = pair ?? (list.length > 1 && list[0] && list[1] ? { from: list[1].number, to: list[0].number } : null);
  const memberName = (userId: string | null) => {
    const user = members.data?.items.find((m) => m.user.id === userId)?.user;
    return user ? user.full_name || user.email : "—";
  };
  return (
    <div className="space-y-6 overflow-y-auto p-6">
      <Table aria-label="Versions">
        <thead>
          <tr>
            <Th>Version</Th>
            <Th>Message</Th>
            <Th>Published</Th>
            <Th>By</Th>
            <Th>Checksum</Th>
            <Th className="w-40" />
          </tr>
        </thead>
        <tbody>
          {list.map((version, index) => (
            <tr key={version.number}>
              <Td className="font-medium">v{version.number}{index === 0 ? <span className="ml-2 text-xs text-emerald-700">latest</span> : null}</Td>
              <Td>{version.message || "—"}</Td>
              <Td>{formatDateTime(version.published_at)}</Td>
              <Td>{memberName(version.published_by)}</Td>
              <Td className="font-mono text-xs text-slate-500" title={version.checksum}>{version.checksum.slice(0, 12)}</Td>
              <Td>
                {can("agents:publish") && index > 0 ? (
                  <ConfirmButton
                    variant="outline"
                    size="sm"
                    title={`Roll back to v${version.number}`}
                    description={`Version ${version.number}'s definition is published again as a new version, which runs from now on, and becomes the draft.`}
                    confirmLabel="Roll back"
                    onConfirm={() =>
                      rollback.mutate(
                        { id: agentId, version: version.number },
                        {
                          onSuccess: (published) => {
                            toast(`Rolled back: version ${published.number} runs v${version.number}'s definition`, "success");
                            navigate(`/agents/${agentId}`);
                          },
                          onError: (error) => toast(errorMessage(error), "error"),
                        },
                      )
                    }
                  >
                    Roll back
                  </ConfirmButton>
                ) : null}
              </Td>
            </tr>
          ))}
        </tbody>
      </Table>
      {compare ? (
        <section className="space-y-3">
          <div className="flex items-center gap-2 text-sm">
            <h2 className="font-semibold text-slate-900">Compare</h2>
            <NativeSelect aria-label="From version" className="w-24" value={compare.from} onChange={(e) => setPair({ ...compare, from: Number(e.target.value) })}>
              {list.map((v) => <option key={v.number} value={v.number}>v{v.number}</option>)}
            </NativeSelect>
            <span>→</span>
            <NativeSelect aria-label="To version" className="w-24" value={compare.to} onChange={(e) => setPair({ ...compare, to: Number(e.target.value) })}>
              {list.map((v) => <option key={v.number} value={v.number}>v{v.number}</option>)}
            </NativeSelect>
            {pair ? <Button variant="ghost" size="sm" onClick={() => setPair(null)}>Latest two</Button> : null}
          </div>
          {compare.from === compare.to ? <p className="text-sm text-slate-500">Pick two different versions.</p> : <Compare agentId={agentId} from={compare.from} to={compare.to} />}
        </section>
      ) : null}
    </div>
  );
}
