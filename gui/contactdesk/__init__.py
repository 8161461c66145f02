"""Contact Desk: browse, search and edit the contacts of SMS platform accounts."""

from __future__ import annotations

__version__ = "0.1.0"
APP_NAME = "Contact Desk"
APP_ID = "contactdesk"
