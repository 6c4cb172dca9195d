"""The robustness report (bench/robustness.py) in a fast variant: 4 clients, 8 s of load at least,
every build from one source document (策勒乡, 254 items) so the rebuild under load, the killed builds
and the rejected documents fit in a couple of minutes. The full run (16 clients, 60 s, the whole
corpus) is `python bench/robustness.py`; see the README.
"""
from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path


REPO = Path(__file__).resolve().parent.parent


def test_robustness_report(tmp_path):
    raw = tmp_path / "raw"
    raw.mkdir()
    # 策勒乡 (254 items): its 说明 states each list's total, so a truncated copy is detectable
    source = REPO / "data" / "raw" / "001_8d39664f29033ea5.txt"
    shutil.copy(source, raw / source.name)
    if (REPO / "data" / "raw" / "manifest.json").exists():
        shutil.copy(REPO / "data" / "raw" / "manifest.json", raw / "manifest.json")
    report = tmp_path / "report.json"
    proc = subprocess.run(
        [sys.executable, str(REPO / "bench" / "robustness.py"), "--seconds", "8", "--clients", "4",
         "--raw", str(raw), "--json", str(report)],
        cwd=REPO, capture_output=True, text=True, timeout=900,
    )
    print(proc.stdout[-6000:])
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-2000:]
    import json

    figures = json.loads(report.read_text(encoding="utf-8"))["figures"]
    assert figures["hostile_5xx"] == 0
    assert figures["load"]["errors"] == 0
    assert figures["records_lost"] == 0
