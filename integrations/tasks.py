"""Where Celery finds the integration's background work: each flow's tasks, under their registered names.

The tasks live with their flow (`directory.tasks`, `reach.tasks`, `connection.tasks`, `consent.tasks`) and keep
the names `integrations.tasks.*` that beat (`CELERY_BEAT_SCHEDULE`) and queued messages use. Celery's
autodiscovery imports this module; nothing in the product imports it.
"""

from __future__ import annotations

from integrations.connection.tasks import check_all_connections, check_connection
from integrations.consent.tasks import release_stale_tenants
from integrations.directory.tasks import sync_all_directories, sync_all_rooms, sync_directory, sync_rooms
from integrations.reach.tasks import check_reach

__all__ = [
    "check_all_connections",
    "check_connection",
    "check_reach",
    "release_stale_tenants",
    "sync_all_directories",
    "sync_all_rooms",
    "sync_directory",
    "sync_rooms",
]
