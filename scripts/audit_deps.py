"""Known-vulnerability audit of the dependencies AgentFlow ships, run by `scripts/audit` (and `scripts/test`).

- Python: pip-audit over the installed virtualenv (what `scripts/install` resolved and the tests ran on),
  against PyPI's vulnerability data. PyPI gives no severity, so every known vulnerability counts.
- Web app: `npm audit --omit=dev` over ui/package-lock.json; high and critical advisories count.

A finding fails the audit unless `security/audit-exceptions.toml` accepts it (by advisory id or any alias)
with a reason and a review date that has not passed. When a vulnerability service cannot be reached, the
packages it could not check are listed as not audited; AGENTFLOW_AUDIT_STRICT=1 makes that a failure too.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import sysconfig
import tomllib
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from importlib.metadata import distributions
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXCEPTIONS = REPO / "security" / "audit-exceptions.toml"
NPM_FAILING = {"high", "critical"}
OWN_DISTRIBUTION = "agentflow"


@dataclass(frozen=True)
class Finding:
    ecosystem: str  # "pypi" or "npm"
    package: str
    version: str
    ids: tuple[str, ...]  # the advisory id first, then its aliases
    summary: str
    fix: str = ""


@dataclass
class Report:
    findings: list[Finding] = field(default_factory=list)
    not_audited: list[str] = field(default_factory=list)  # "ecosystem: what and why"


@dataclass(frozen=True)
class Accepted:
    id: str
    package: str
    reason: str
    review_by: date


def load_exceptions(path: Path, *, today: date) -> tuple[dict[str, Accepted], list[str]]:
    """Accepted advisories by id, and the problems with the file (an expired or incomplete entry)."""
    if not path.is_file():
        return {}, []
    entries = tomllib.loads(path.read_text()).get("accepted", [])
    accepted: dict[str, Accepted] = {}
    problems: list[str] = []
    for entry in entries:
        missing = [k for k in ("id", "package", "reason", "review_by") if not entry.get(k)]
        if missing or not isinstance(entry.get("review_by"), date):
            problems.append(f"{path.name}: entry {entry.get('id', '?')} needs id, package, reason, review_by")
            continue
        item = Accepted(entry["id"], entry["package"], entry["reason"], entry["review_by"])
        if item.review_by < today:
            problems.append(
                f"{path.name}: the exception for {item.id} ({item.package}) was due for review on "
                f"{item.review_by}: upgrade, or re-check it and move the date"
            )
            continue
        accepted[item.id.upper()] = item
    return accepted, problems


# -- Python -------------------------------------------------------------------------------------------------


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed() -> dict[str, str]:
    """Installed distributions of this interpreter's environment, by canonical name."""
    return {canonical(d.metadata["Name"]): d.version for d in distributions() if d.metadata["Name"]}


def pypi_project(name: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=15) as response:
            data: dict[str, Any] = json.load(response)
            return data
    except (urllib.error.URLError, TimeoutError, ValueError):
        return None


def latest_release_vulns(name: str, version: str) -> list[dict[str, Any]] | None:
    """PyPI's vulnerabilities of `name` when `version` is its latest release, else None (unknown).

    Where PyPI answers only project pages (not per-release ones, which pip-audit asks for), the project page
    still lists the vulnerabilities of the latest release: exact for a dependency that is up to date.
    """
    project = pypi_project(name)
    if project is None or project.get("info", {}).get("version") != version:
        return None
    return [v for v in project.get("vulnerabilities", []) if not v.get("withdrawn")]


def audit_python(report: Report) -> None:
    packages = {n: v for n, v in installed().items() if n != OWN_DISTRIBUTION}
    # Asked for every package while pip-audit runs (one at a time): used where pip-audit got no answer.
    pool = ThreadPoolExecutor(max_workers=16)
    fallback = {n: pool.submit(latest_release_vulns, n, v) for n, v in packages.items()}
    command = [
        sys.executable,
        "-m",
        "pip_audit",
        "--path",
        sysconfig.get_paths()["purelib"],
        "--skip-editable",
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--desc",
        "on",
        "--aliases",
        "on",
    ]
    done = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        result = json.loads(done.stdout)
    except json.JSONDecodeError:
        pool.shutdown(cancel_futures=True)
        report.not_audited.append(f"pypi: pip-audit failed ({done.stderr.strip()[-400:]})")
        return
    unanswered: list[str] = []
    for dep in result.get("dependencies", []):
        name = canonical(dep["name"])
        if "skip_reason" in dep:
            if name in packages and "editable" not in dep["skip_reason"]:
                unanswered.append(name)
            continue
        for vuln in dep.get("vulns", []):
            report.findings.append(
                Finding(
                    "pypi",
                    name,
                    dep["version"],
                    (vuln["id"], *vuln.get("aliases", [])),
                    _first_line(vuln.get("description", "")),
                    ", ".join(vuln.get("fix_versions", [])),
                )
            )
    answers = {name: fallback[name].result() for name in unanswered}
    pool.shutdown(cancel_futures=True)
    behind = sorted(f"{n} {packages.get(n, '?')}" for n, vulns in answers.items() if vulns is None)
    for name, vulns in answers.items():
        for vuln in vulns or []:
            report.findings.append(
                Finding(
                    "pypi",
                    name,
                    packages.get(name, "?"),
                    (vuln["id"], *vuln.get("aliases", [])),
                    _first_line(vuln.get("summary") or vuln.get("details", "")),
                    ", ".join(vuln.get("fixed_in", [])),
                )
            )
    if behind:
        report.not_audited.append(
            f"pypi: {len(behind)} of {len(packages)} packages (PyPI's vulnerability data for these releases "
            f"could not be fetched, and they are not the latest release): {', '.join(behind)}"
        )


# -- npm ----------------------------------------------------------------------------------------------------


def npm_findings(audit: dict[str, Any]) -> list[Finding]:
    """High and critical advisories from `npm audit --json` output (one finding per advisory and package)."""
    findings: list[Finding] = []
    for name, vuln in audit.get("vulnerabilities", {}).items():
        for via in vuln.get("via", []):
            if not isinstance(via, dict) or via.get("severity") not in NPM_FAILING:
                continue  # a string names another vulnerable package: its own advisories are listed there
            url = str(via.get("url", ""))
            advisory = url.rsplit("/", 1)[-1] if "/advisories/" in url else str(via.get("source", "?"))
            fix = vuln.get("fixAvailable")
            fix_text = f"{fix['name']} {fix['version']}" if isinstance(fix, dict) else ("yes" if fix else "")
            findings.append(
                Finding(
                    "npm",
                    name,
                    str(via.get("range", "")),
                    (advisory, str(via.get("source", ""))),
                    f"[{via['severity']}] {via.get('title', '')}",
                    fix_text,
                )
            )
    return findings


def audit_npm(report: Report) -> None:
    ui = REPO / "ui"
    if not (ui / "package-lock.json").is_file():
        return
    command = ["npm", "audit", "--omit=dev", "--audit-level=high", "--json"]
    done = subprocess.run(command, cwd=ui, capture_output=True, text=True, check=False)  # noqa: S603
    try:
        audit = json.loads(done.stdout or "{}")
    except json.JSONDecodeError:
        audit = {"message": done.stderr.strip()[-400:]}
    if "vulnerabilities" not in audit:
        why = audit.get("message") or done.stderr.strip()[-400:] or "no result"
        report.not_audited.append(f"npm: the registry's audit service did not answer ({why})")
        return
    report.findings.extend(npm_findings(audit))


# -- verdict ------------------------------------------------------------------------------------------------


def verdict(report: Report, accepted: dict[str, Accepted], problems: list[str], *, strict: bool) -> int:
    """Print the report; 1 when something fails the audit."""
    failing = []
    for finding in report.findings:
        match = next((accepted[i.upper()] for i in finding.ids if i.upper() in accepted), None)
        where = f"{finding.ecosystem} {finding.package} {finding.version}"
        if match:
            print(f"accepted  {where}: {finding.ids[0]} until {match.review_by}: {match.reason}")
        else:
            failing.append(finding)
            fix = f" (fixed in {finding.fix})" if finding.fix else ""
            print(
                f"VULNERABLE {where}: {' / '.join(i for i in finding.ids if i)}{fix}\n    {finding.summary}"
            )
    for problem in problems:
        print(f"EXCEPTIONS {problem}")
    for gap in report.not_audited:
        print(f"{'NOT AUDITED' if strict else 'warning: not audited'} {gap}")
    if failing or problems or (strict and report.not_audited):
        print(
            f"audit failed: {len(failing)} known vulnerabilities not accepted in "
            f"{EXCEPTIONS.relative_to(REPO)}" + (", exceptions file needs attention" if problems else "")
        )
        return 1
    print(f"audit passed: {len(report.findings)} accepted finding(s), {len(report.not_audited)} gap(s)")
    return 0


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0][:200] if text.strip() else ""


def main() -> int:
    if os.environ.get("AGENTFLOW_AUDIT") == "off":
        print("audit skipped (AGENTFLOW_AUDIT=off)")
        return 0
    accepted, problems = load_exceptions(EXCEPTIONS, today=date.today())
    python, npm = Report(), Report()
    with ThreadPoolExecutor(max_workers=2) as pool:  # both wait on the network: side by side
        for future in [pool.submit(audit_python, python), pool.submit(audit_npm, npm)]:
            future.result()
    report = Report(python.findings + npm.findings, python.not_audited + npm.not_audited)
    return verdict(report, accepted, problems, strict=os.environ.get("AGENTFLOW_AUDIT_STRICT") == "1")


if __name__ == "__main__":
    sys.exit(main())
