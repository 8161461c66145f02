"""One build command for every OS: `python packaging/build.py`.

Builds a PyInstaller onedir bundle in dist/contactdesk/, then smoke-tests the frozen
build with `--self-check` (practice mode offscreen: sync, search, one JSON line), the
same check CI would run on an installed build. Installer wrapping per OS:
- Linux: dist/contactdesk + packaging/linux/contactdesk.desktop + resources/icons (AppImage or .deb)
- Windows: wrap dist/contactdesk with Inno Setup; sign the exe and the installer
- macOS: dist/Contact Desk.app; sign every nested Mach-O, notarize, staple
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--clean",
            str(ROOT / "packaging" / "contactdesk.spec"),
        ],
        cwd=ROOT,
        check=True,
    )
    exe = ROOT / "dist" / "contactdesk" / ("contactdesk.exe" if os.name == "nt" else "contactdesk")
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [str(exe), "--self-check"],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    line = out.stdout.strip().splitlines()[-1] if out.stdout.strip() else ""
    print(line or out.stderr[-2000:])
    if out.returncode != 0:
        return out.returncode
    report = json.loads(line)
    if not report.get("fts5_available") or not report.get("contacts"):
        print("self-check of the frozen build failed", file=sys.stderr)
        return 1
    print(f"frozen build OK: {exe}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
