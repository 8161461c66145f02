"""Where Contact Desk keeps its files: the platform's config, data, cache and log dirs.

Resolved at call time (never cached at import) so tests can redirect them.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import platformdirs

from contactdesk import APP_ID


@dataclass(frozen=True, slots=True)
class AppDirs:
    config: Path  # accounts.toml, settings.toml (no secrets, ever)
    data: Path  # one SQLite mirror per account
    cache: Path
    log: Path  # rotating contactdesk.log

    def ensure(self) -> AppDirs:
        for p in (self.config, self.data, self.cache, self.log):
            p.mkdir(parents=True, exist_ok=True)
        return self


def app_dirs() -> AppDirs:
    d = platformdirs.PlatformDirs(APP_ID, appauthor=False)
    return AppDirs(
        config=Path(d.user_config_dir),
        data=Path(d.user_data_dir),
        cache=Path(d.user_cache_dir),
        log=Path(d.user_log_dir),
    )
