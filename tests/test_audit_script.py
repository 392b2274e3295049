"""scripts/audit's verdict: a known vulnerability fails it unless the exceptions file accepts it, with a
review date that has not passed; npm advisories below high do not fail it."""

from __future__ import annotations

import importlib.util
import sys
from datetime import date
from pathlib import Path
from types import ModuleType

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "audit_deps.py"


@pytest.fixture(scope="module")
def audit() -> ModuleType:
    spec = importlib.util.spec_from_file_location("audit_deps", SCRIPT)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["audit_deps"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


# The shape `npm audit --json` prints (npm 7+): one entry per vulnerable package, `via` holding its own
# advisories (objects) or the names of vulnerable packages it depends on (strings).
NPM_AUDIT = {
    "auditReportVersion": 2,
    "vulnerabilities": {
        "parse-url": {
            "name": "parse-url",
            "severity": "critical",
            "isDirect": False,
            "via": [
                {
                    "source": 1091234,
                    "name": "parse-url",
                    "title": "Server-side request forgery in parse-url",
                    "url": "https://github.com/advisories/GHSA-aaaa-bbbb-cccc",
                    "severity": "critical",
                    "range": "<8.1.0",
                }
            ],
            "fixAvailable": {"name": "git-url-parse", "version": "13.1.0", "isSemVerMajor": True},
        },
        "git-url-parse": {
            "name": "git-url-parse",
            "severity": "critical",
            "isDirect": True,
            "via": ["parse-url"],
            "fixAvailable": True,
        },
        "nanoid": {
            "name": "nanoid",
            "severity": "moderate",
            "via": [
                {
                    "source": 1099999,
                    "title": "Predictable results in nanoid",
                    "url": "https://github.com/advisories/GHSA-mwcw-c2x4-8c55",
                    "severity": "moderate",
                    "range": "<3.3.8",
                }
            ],
            "fixAvailable": True,
        },
    },
}


def write_exceptions(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "audit-exceptions.toml"
    path.write_text(body)
    return path


def test_high_and_critical_npm_advisories_fail_and_moderate_ones_do_not(
    audit: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    findings = audit.npm_findings(NPM_AUDIT)
    assert [(f.package, f.ids[0]) for f in findings] == [("parse-url", "GHSA-aaaa-bbbb-cccc")]
    assert audit.verdict(audit.Report(findings=findings), {}, [], strict=False) == 1
    assert "VULNERABLE npm parse-url" in capsys.readouterr().out


def test_an_accepted_advisory_passes_by_id_or_alias(audit: ModuleType, tmp_path: Path) -> None:
    pypi = audit.Finding("pypi", "jinja2", "3.1.2", ("PYSEC-2024-1", "CVE-2024-22195", "GHSA-h5c8"), "XSS")
    path = write_exceptions(
        tmp_path,
        """
[[accepted]]
id = "cve-2024-22195"
package = "jinja2"
reason = "xmlattr is never given user keys"
review_by = 2030-01-31

[[accepted]]
id = "GHSA-aaaa-bbbb-cccc"
package = "parse-url"
reason = "only parses our own URLs"
review_by = 2030-01-31
""",
    )
    accepted, problems = audit.load_exceptions(path, today=date(2029, 6, 1))
    assert problems == []
    report = audit.Report(findings=[pypi, *audit.npm_findings(NPM_AUDIT)])
    assert audit.verdict(report, accepted, problems, strict=False) == 0


def test_an_exception_past_its_review_date_fails_the_audit(audit: ModuleType, tmp_path: Path) -> None:
    path = write_exceptions(
        tmp_path,
        '[[accepted]]\nid = "GHSA-aaaa-bbbb-cccc"\npackage = "parse-url"\n'
        'reason = "x"\nreview_by = 2026-01-31\n',
    )
    accepted, problems = audit.load_exceptions(path, today=date(2026, 2, 1))
    assert accepted == {} and "due for review on 2026-01-31" in problems[0]
    report = audit.Report(findings=audit.npm_findings(NPM_AUDIT))
    assert audit.verdict(report, accepted, problems, strict=False) == 1


def test_an_entry_without_a_reason_or_date_is_refused(audit: ModuleType, tmp_path: Path) -> None:
    path = write_exceptions(tmp_path, '[[accepted]]\nid = "GHSA-aaaa-bbbb-cccc"\npackage = "parse-url"\n')
    accepted, problems = audit.load_exceptions(path, today=date(2026, 2, 1))
    assert accepted == {} and "needs id, package, reason, review_by" in problems[0]
    assert audit.verdict(audit.Report(), accepted, problems, strict=False) == 1


def test_what_could_not_be_audited_is_a_warning_unless_strict(audit: ModuleType) -> None:
    report = audit.Report(not_audited=["npm: the registry's audit service did not answer (405)"])
    assert audit.verdict(report, {}, [], strict=False) == 0
    assert audit.verdict(report, {}, [], strict=True) == 1


def test_the_repository_exceptions_file_is_valid(audit: ModuleType) -> None:
    _, problems = audit.load_exceptions(audit.EXCEPTIONS, today=date.today())
    assert problems == []
