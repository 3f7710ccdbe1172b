"""`make audit`: pip-audit over requirements/all.lock (every extra), JSON to benchmarks/results/security_audit.json.

pip-audit asks PyPI's vulnerability service for each pinned version (``/pypi/NAME/VERSION/json``).
Where that per-version document cannot be had (pip-audit then reports the package as "not
found on PyPI" and skips it), this script falls back to the package's main document
(``/pypi/NAME/json``), whose ``vulnerabilities`` describe the latest release: it covers a pin
that is the latest release, and it says which pins it cannot cover.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
LOCK = ROOT / "requirements" / "all.lock"
OUT = ROOT / "benchmarks" / "results" / "security_audit.json"


def _pins() -> dict[str, str]:
    pins = re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s;]+)", LOCK.read_text(), re.M)
    return {re.sub(r"[-_.]+", "-", n).lower(): v for n, v in pins}


def _pip_audit() -> dict[str, Any]:
    cmd = [
        sys.executable, "-m", "pip_audit", "-r", str(LOCK), "--no-deps", "--disable-pip",
        "--format", "json", "--progress-spinner", "off",
    ]  # fmt: skip
    run = subprocess.run(cmd, capture_output=True, text=True, timeout=900, check=False)
    if not run.stdout.strip():
        raise SystemExit(f"pip-audit failed (exit {run.returncode}): {run.stderr[-2000:]}")
    doc: dict[str, Any] = json.loads(run.stdout)
    doc["exit_code"] = run.returncode
    return doc


def _latest_doc(name: str) -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen(f"https://pypi.org/pypi/{name}/json", timeout=30) as r:
            doc: dict[str, Any] = json.load(r)
            return doc
    except OSError:
        return None


def main() -> None:
    pins = _pins()
    audit = _pip_audit()
    deps = audit["dependencies"]
    skipped = sorted(d["name"] for d in deps if "skip_reason" in d)
    findings = [
        {"name": d["name"], "version": d["version"], "source": "pip-audit", **v}
        for d in deps
        if "vulns" in d
        for v in d["vulns"]
    ]
    with ThreadPoolExecutor(8) as pool:
        docs = dict(zip(skipped, pool.map(_latest_doc, skipped), strict=True))
    covered, uncovered = [], []
    for name in skipped:
        doc, pinned = docs[name], pins.get(name, "?")
        if doc is None or doc["info"]["version"] != pinned:
            latest = doc["info"]["version"] if doc else None
            uncovered.append({"name": name, "pinned": pinned, "latest": latest})
            continue
        covered.append(name)
        for v in doc.get("vulnerabilities") or []:
            findings.append({"name": name, "version": pinned, "source": "pypi-latest", **v})
    result = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "loadavg": os.getloadavg(),
        "lock_pins": len(pins),
        "pip_audit": {
            "exit_code": audit["exit_code"],
            "audited": len(deps) - len(skipped),
            "skipped_not_found": len(skipped),
            "fixes": audit.get("fixes", []),
        },
        "fallback_latest_release": {"covered": len(covered), "not_covered": uncovered},
        "findings": findings,
    }
    OUT.write_text(json.dumps(result, indent=2) + "\n")
    print(
        f"{len(pins)} pins; pip-audit audited {result['pip_audit']['audited']}, "
        f"skipped {len(skipped)}; latest-release fallback covered {len(covered)}, "
        f"not covered {len(uncovered)}; findings: {len(findings)} -> {OUT.relative_to(ROOT)}"
    )
    for f in findings:
        print(f"  {f['name']} {f['version']}: {f.get('id')} fix {f.get('fix_versions')}")
    if uncovered:
        print("  not covered:", ", ".join(f"{u['name']}=={u['pinned']}" for u in uncovered))


if __name__ == "__main__":
    main()
