/** Add documents: drag-and-drop or pick several files (one request each, with its own progress), or a URL. */
import { CheckCircle2, FileUp, Link2, XCircle } from "lucide-react";
import * as React from "react";

import { errorMessage } from "@/api/http";
import { knowledgeApi, useAddUrl, useInvalidateKnowledgeBase } from "@/api/knowledge";
import { Button } from "@/components/ui/button";
import { Alert, toast } from "@/components/ui/feedback";
import { Input, Label } from "@/components/ui/input";
import { cn, formatBytes } from "@/lib/utils";

/** What the file picker offers; the server sniffs the real type from the content and answers 415 otherwise. */
const ACCEPT = ".pdf,.docx,.csv,.md,.markdown,.txt,.html,.htm";

export interface Upload {
  key: number;
  name: string;
  bytes: number;
  progress: number;
  state: "uploading" | "done" | "failed";
  error: string | null;
}

let nextKey = 1;

/** Uploads files concurrently, one request per file, tracking each file's progress and outcome. */
export function useUploads(knowledgeBaseId: string) {
  const [uploads, setUploads] = React.useState<Upload[]>([]);
  const invalidate = useInvalidateKnowledgeBase(knowledgeBaseId);
  const patch = React.useCallback((key: number, change: Partial<Upload>) => {
    setUploads((current) => current.map((u) => (u.key === key ? { ...u, ...change } : u)));
  }, []);
  const start = (files: File[]) => {
    const added = files.map((file) => ({ file, upload: { key: nextKey++, name: file.name, bytes: file.size, progress: 0, state: "uploading", error: null } as Upload }));
    setUploads((current) => [...added.map((a) => a.upload), ...current]);
    for (const { file, upload } of added) {
      knowledgeApi
        .uploadFile(knowledgeBaseId, file, (progress) => patch(upload.key, { progress }))
        .then(() => {
          patch(upload.key, { state: "done", progress: 1 });
          return invalidate();
        })
        // 413 (too large) and 415 (unsupported type, the message lists the supported ones) land here.
        .catch((error: unknown) => patch(upload.key, { state: "failed", error: errorMessage(error) }));
    }
  };
  const clearFinished = () => setUploads((current) => current.filter((u) => u.state === "uploading"));
  return { uploads, start, clearFinished };
}

function UploadRow({ upload }: { upload: Upload }) {
  const percent = Math.round(upload.progress * 100);
  return (
    <li className="space-y-1 py-2" data-testid="upload-row" data-state={upload.state}>
      <div className="flex items-center gap-2 text-sm">
        {upload.state === "done" ? (
          <CheckCircle2 className="size-4 text-emerald-600" aria-hidden />
        ) : upload.state === "failed" ? (
          <XCircle className="size-4 text-red-600" aria-hidden />
        ) : (
          <FileUp className="size-4 text-slate-400" aria-hidden />
        )}
        <span className="min-w-0 flex-1 truncate font-medium text-slate-800">{upload.name}</span>
        <span className="text-xs text-slate-500">{formatBytes(upload.bytes)}</span>
        <span className="w-20 text-right text-xs text-slate-500">
          {upload.state === "done" ? "Uploaded" : upload.state === "failed" ? "Failed" : `${percent}%`}
        </span>
      </div>
      {upload.state === "uploading" ? (
        <div
          role="progressbar"
          aria-label={`Uploading ${upload.name}`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
          className="h-1.5 overflow-hidden rounded bg-slate-100"
        >
          <div className="h-full bg-indigo-500 transition-[width]" style={{ width: `${percent}%` }} />
        </div>
      ) : null}
      {upload.error ? <p className="text-xs text-red-700" role="alert">{upload.error}</p> : null}
    </li>
  );
}

function AddUrlForm({ knowledgeBaseId }: { knowledgeBaseId: string }) {
  const [url, setUrl] = React.useState("");
  const add = useAddUrl(knowledgeBaseId);
  return (
    <form
      className="space-y-2"
      onSubmit={(event) => {
        event.preventDefault();
        add.mutate(url, {
          onSuccess: (doc) => {
            setUrl("");
            toast(`Added ${doc.name}`, "success");
          },
        });
      }}
    >
      <Label htmlFor="kb-url">Add a web page</Label>
      <div className="flex gap-2">
        <Input id="kb-url" type="url" required placeholder="https://example.com/handbook" value={url} onChange={(e) => setUrl(e.target.value)} />
        <Button type="submit" variant="outline" disabled={add.isPending}>
          <Link2 /> {add.isPending ? "Adding…" : "Add URL"}
        </Button>
      </div>
      {add.error ? <Alert>{errorMessage(add.error)}</Alert> : null}
    </form>
  );
}

export function UploadPanel({ knowledgeBaseId }: { knowledgeBaseId: string }) {
  const { uploads, start, clearFinished } = useUploads(knowledgeBaseId);
  const [dragging, setDragging] = React.useState(false);
  const input = React.useRef<HTMLInputElement>(null);
  const finished = uploads.some((u) => u.state !== "uploading");
  return (
    <section aria-labelledby="kb-add-heading" className="space-y-4 rounded-lg border border-slate-200 bg-white p-4">
      <h2 id="kb-add-heading" className="text-base font-semibold text-slate-900">Add documents</h2>
      <div
        data-testid="drop-zone"
        data-dragging={dragging}
        onDragOver={(event) => {
          event.preventDefault();
          event.dataTransfer.dropEffect = "copy";
          setDragging(true);
        }}
        onDragLeave={(event) => {
          // Moving over the zone's own children fires dragleave too: only leaving the zone counts.
          if (!event.currentTarget.contains(event.relatedTarget as Node | null)) setDragging(false);
        }}
        onDrop={(event) => {
          event.preventDefault();
          setDragging(false);
          const files = Array.from(event.dataTransfer.files);
          if (files.length > 0) start(files);
        }}
        className={cn(
          "flex flex-col items-center gap-2 rounded-lg border-2 border-dashed px-6 py-8 text-center text-sm text-slate-500",
          dragging ? "border-indigo-500 bg-indigo-50" : "border-slate-300",
        )}
      >
        <FileUp className="size-7 text-slate-400" aria-hidden />
        <p>Drop files here: PDF, Word (DOCX), CSV, Markdown, text or HTML.</p>
        <Button variant="outline" size="sm" onClick={() => input.current?.click()}>
          Choose files
        </Button>
        <input
          ref={input}
          id="kb-files"
          type="file"
          multiple
          accept={ACCEPT}
          aria-label="Files to upload"
          className="sr-only"
          tabIndex={-1}
          onChange={(event) => {
            const files = Array.from(event.target.files ?? []);
            // Reset, so picking the same file again (after a fix) fires a change.
            event.target.value = "";
            if (files.length > 0) start(files);
          }}
        />
      </div>
      {uploads.length > 0 ? (
        <div>
          <div className="flex items-center justify-between">
            <h3 className="text-sm font-medium text-slate-700">Uploads</h3>
            {finished ? (
              <Button variant="ghost" size="sm" onClick={clearFinished}>
                Clear finished
              </Button>
            ) : null}
          </div>
          <ul aria-label="Uploads" className="divide-y divide-slate-100">
            {uploads.map((upload) => (
              <UploadRow key={upload.key} upload={upload} />
            ))}
          </ul>
        </div>
      ) : null}
      <AddUrlForm knowledgeBaseId={knowledgeBaseId} />
    </section>
  );
}
