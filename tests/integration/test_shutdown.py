"""A gunicorn worker that exits runs its app's shutdown hooks (connections, clients closed)."""

from __future__ import annotations

from tests.integration.stack import wait_for


def test_reload__old_api_workers_run_their_shutdown_hooks(stack, http, obtain_token, projects_url):
    api = stack.api
    old_workers = api.worker_pids()
    assert len(old_workers) == 2

    api.reload()  # gunicorn replaces every worker; the old ones exit gracefully
    wait_for(
        lambda: len(api.worker_pids()) == 2 and not api.worker_pids() & old_workers,
        timeout=20,
        what="the API's workers to be replaced",
    )
    api.wait_ready(20)

    def old_workers_shutdowns():
        found = [
            e for e in api.events() if e.get("event") == "app.shutdown" and e["pid"] in old_workers
        ]
        return found if len(found) == len(old_workers) else None

    shutdowns = wait_for(old_workers_shutdowns, timeout=10, what="the old workers' app.shutdown")
    # The database connections and the JWKS client: both hooks ran, none failed.
    assert sorted(e["pid"] for e in shutdowns) == sorted(old_workers)
    assert all(e["hooks"] == 2 and e["failures"] == [] for e in shutdowns)
    token = obtain_token("it-lifecycle")
    assert http.get(projects_url, headers={"Authorization": f"Bearer {token}"}).is_success
