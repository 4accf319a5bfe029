"""A fake GitHub REST API served on 127.0.0.1 for the posting and fetching flows.

It models what the tool relies on, as GitHub documents and does it:

* issue comments, paginated with ``Link`` headers, each with its author; create,
  update and delete; bodies over 65,536 characters get GitHub's 422;
* ``GET /user``: 403 for an installation token (``GITHUB_TOKEN``), the login for
  a personal token (:attr:`FakeGitHub.token_login`);
* pull requests with their state and head (SHA, branch, repository; the
  repository is ``null`` once a fork is deleted);
* the Actions endpoints: workflow runs and a run's artifacts are objects
  (``{"total_count", "workflow_runs"}``, ``{"total_count", "artifacts"}``),
  filtered by the query (``branch``, ``event``, ``status``, ``head_sha``; an
  artifact's ``name``) and paginated with ``Link`` headers; an artifact's
  ``archive_download_url`` answers 302 to a second server (another origin, like
  GitHub's blob storage), which must not receive the token.

Failures are scripted with :meth:`FakeGitHub.fail_next` (an error instead of
the answer, or after the write was done) and :meth:`FakeGitHub.stall_next` (the
write is done, the answer comes too late for the client).
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

BOT = "github-actions[bot]"
REPO = "octo/repo"
FORK = "mallory/repo"


@dataclass
class Failure:
    method: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "error"
    path: str | None = None  # a regular expression the path must match; None: any path
    after_write: bool = False  # do the request's work first, then answer with the failure
    stall: float = 0.0  # do the work, then wait this long before the normal answer
    times: int = 1


class _Server:
    """A WSGI app on 127.0.0.1, port 0, served from a thread."""

    def __init__(self, app) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )
        self.url = f"http://127.0.0.1:{self._server.server_port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _json(payload, status=200, headers=None) -> Response:
    return Response(
        json.dumps(payload), status=status, headers=headers or {}, content_type="application/json"
    )


class BlobHost:
    """The storage host artifact downloads are redirected to (a different origin)."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.requests: list[tuple[str, str]] = []  # (path, Authorization header)
        self._server = _Server(self._app)
        self.url = self._server.url

    def _app(self, environ, start_response):
        request = Request(environ)
        self.requests.append((request.path, request.headers.get("Authorization", "")))
        key = request.path.removeprefix("/blob/")
        if key not in self.blobs or request.args.get("sig") != "signed":
            response = Response(b"AuthenticationFailed", status=403)
        else:
            response = Response(self.blobs[key], content_type="application/zip")
        return response(environ, start_response)


class FakeGitHub:
    """The fake; ``url`` is its base URL once started."""

    def __init__(self) -> None:
        self.comments: dict[int, list[dict]] = {}
        self.pulls: dict[int, dict] = {}
        self.failures: list[Failure] = []
        self.requests: list[tuple[str, str, str, str]] = []
        self.read_only = False
        self.max_body = 65536
        self.per_page_cap = 100
        self.token_login: str | None = None
        # The listing right after a create does not show it yet (replication lag).
        self.hide_from_next_listing = False
        self._hidden: set[int] = set()
        self.runs: list[dict] = []
        self.artifacts: dict[int, list[dict]] = {}
        self.blob_host = BlobHost()
        self._next_id = 1000
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server = _Server(self._app)
        self.url = self._server.url

    def start(self) -> None:
        self._server.start()
        self.blob_host._server.start()

    def stop(self) -> None:
        self._stopping.set()
        self._server.stop()
        self.blob_host._server.stop()

    # -- state --------------------------------------------------------------
    def _new_id(self) -> int:
        with self._lock:
            self._next_id += 1
            return self._next_id

    def add_comments(
        self, number: int, count: int, *, author: str = "someone", body: str = "hello"
    ) -> None:
        for _ in range(count):
            self.add_comment(number, body, author)

    def add_comment(self, number: int, body: str, author: str = BOT) -> int:
        cid = self._new_id()
        user_type = "Bot" if author.endswith("[bot]") else "User"
        with self._lock:
            self.comments.setdefault(number, []).append(
                {"id": cid, "body": body, "user": {"login": author, "type": user_type}}
            )
        return cid

    def own_comments(self, number: int, marker: str, author: str = BOT) -> list[dict]:
        return [
            c
            for c in self.comments.get(number, [])
            if c["user"]["login"] == author and marker in c["body"]
        ]

    def add_pull(
        self,
        number: int,
        head_sha: str,
        *,
        head_ref: str = "feature",
        head_repo: str | None = REPO,
        state: str = "open",
        base_ref: str = "main",
    ) -> dict:
        self.pulls[number] = {
            "number": number,
            "state": state,
            "head": {
                "sha": head_sha,
                "ref": head_ref,
                "repo": None if head_repo is None else {"full_name": head_repo},
            },
            "base": {"ref": base_ref, "repo": {"full_name": REPO}},
        }
        return self.pulls[number]

    def add_run(
        self,
        run_id: int,
        *,
        branch: str = "main",
        event: str = "schedule",
        conclusion: str = "success",
        head_sha: str = "0" * 40,
    ) -> dict:
        run = {
            "id": run_id,
            "head_sha": head_sha,
            "head_branch": branch,
            "event": event,
            "status": "completed",
            "conclusion": conclusion,
        }
        self.runs.append(run)
        return run

    def add_artifact(
        self, run_id: int, name: str, archive: bytes = b"", *, expired: bool = False
    ) -> dict:
        aid = self._new_id()
        self.blob_host.blobs[str(aid)] = archive
        item = {
            "id": aid,
            "name": name,
            "size_in_bytes": len(archive),
            "expired": expired,
            "archive_download_url": f"{self.url}/repos/{REPO}/actions/artifacts/{aid}/zip",
            "workflow_run": {"id": run_id},
        }
        self.artifacts.setdefault(run_id, []).append(item)
        return item

    def fail_next(
        self,
        method: str,
        status: int,
        headers=None,
        message: str = "error",
        *,
        path: str | None = None,
        after_write: bool = False,
        times: int = 1,
    ) -> None:
        self.failures.append(
            Failure(method, status, dict(headers or {}), message, path, after_write, times=times)
        )

    def stall_next(
        self, method: str, seconds: float, *, path: str | None = None, times: int = 1
    ) -> None:
        """Do the next ``method`` request's work, then answer only after ``seconds``."""
        self.failures.append(Failure(method, 200, path=path, stall=seconds, times=times))

    # -- WSGI ---------------------------------------------------------------
    def _app(self, environ, start_response):
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _take_failure(self, request: Request) -> Failure | None:
        with self._lock:
            for failure in self.failures:
                if failure.method == request.method and (
                    failure.path is None or re.search(failure.path, request.path)
                ):
                    failure.times -= 1
                    if failure.times <= 0:
                        self.failures.remove(failure)
                    return failure
        return None

    def _handle(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        self.requests.append((request.method, request.path, request.query_string.decode(), auth))
        failure = self._take_failure(request)
        if failure is not None and not (failure.after_write or failure.stall):
            return _json({"message": failure.message}, failure.status, failure.headers)
        response = self._route(request)
        if failure is not None and failure.stall:
            self._stopping.wait(failure.stall)
        elif failure is not None:
            return _json({"message": failure.message}, failure.status, failure.headers)
        return response

    def _route(self, request: Request) -> Response:
        path, method = request.path, request.method
        if path == "/user":
            if self.token_login is None:
                return _json({"message": "Resource not accessible by integration"}, 403)
            return _json({"login": self.token_login, "type": "User"})
        if m := re.fullmatch(rf"/repos/{REPO}/issues/(\d+)/comments", path):
            number = int(m.group(1))
            if method == "GET":
                listed = [c for c in self.comments.get(number, []) if c["id"] not in self._hidden]
                self._hidden.clear()
                return self._page(request, listed)
            return self._create(number, request)
        if m := re.fullmatch(rf"/repos/{REPO}/issues/comments/(\d+)", path):
            if method == "DELETE":
                return self._delete(int(m.group(1)))
            return self._update(int(m.group(1)), request)
        if m := re.fullmatch(rf"/repos/{REPO}/pulls/(\d+)", path):
            pull = self.pulls.get(int(m.group(1)))
            return _json(pull) if pull else _json({"message": "Not Found"}, 404)
        if path == f"/repos/{REPO}":
            return _json({"full_name": REPO, "default_branch": "main"})
        if re.fullmatch(rf"/repos/{REPO}/actions/workflows/[^/]+/runs", path):
            runs = [
                r
                for r in self.runs
                if all(
                    request.args.get(query) in (None, r[key])
                    for query, key in (
                        ("branch", "head_branch"),
                        ("event", "event"),
                        ("head_sha", "head_sha"),
                    )
                )
                and request.args.get("status") in (None, r["conclusion"], r["status"])
            ]
            return self._page(request, runs, key="workflow_runs")
        if m := re.fullmatch(rf"/repos/{REPO}/actions/runs/(\d+)/artifacts", path):
            items = self.artifacts.get(int(m.group(1)), [])
            name = request.args.get("name")
            items = [a for a in items if name in (None, a["name"])]
            return self._page(request, items, key="artifacts")
        if m := re.fullmatch(rf"/repos/{REPO}/actions/artifacts/(\d+)/zip", path):
            aid = m.group(1)
            if aid not in self.blob_host.blobs:
                return _json({"message": "Not Found"}, 404)
            return Response(
                status=302, headers={"Location": f"{self.blob_host.url}/blob/{aid}?sig=signed"}
            )
        return _json({"message": "Not Found"}, 404)

    def _page(self, request: Request, items: list[dict], key: str | None = None) -> Response:
        per_page = min(int(request.args.get("per_page", 30)), self.per_page_cap)
        page = int(request.args.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            query = {k: v for k, v in request.args.items() if k != "page"}
            query_text = "&".join(f"{k}={v}" for k, v in {**query, "page": page + 1}.items())
            headers["Link"] = f'<{request.base_url}?{query_text}>; rel="next"'
        payload: Any = chunk if key is None else {"total_count": len(items), key: chunk}
        return _json(payload, headers=headers)

    def _body(self, request: Request) -> str | Response:
        body = request.get_json()["body"]
        if self.read_only:
            return _json({"message": "Resource not accessible by integration"}, 403)
        if len(body) > self.max_body:
            return _json(
                {
                    "message": "Validation Failed",
                    "errors": [
                        {
                            "resource": "IssueComment",
                            "code": "unprocessable",
                            "field": "data",
                            "message": f"Body is too long (maximum is {self.max_body} characters)",
                        }
                    ],
                },
                422,
            )
        return body

    def _create(self, number: int, request: Request) -> Response:
        body = self._body(request)
        if isinstance(body, Response):
            return body
        cid = self.add_comment(number, body)
        if self.hide_from_next_listing:
            self.hide_from_next_listing = False
            self._hidden.add(cid)
        return _json(self._find(cid), 201)

    def _find(self, cid: int) -> dict | None:
        for comments in self.comments.values():
            for comment in comments:
                if comment["id"] == cid:
                    return comment
        return None

    def _update(self, cid: int, request: Request) -> Response:
        body = self._body(request)
        if isinstance(body, Response):
            return body
        comment = self._find(cid)
        if comment is None:
            return _json({"message": "Not Found"}, 404)
        comment["body"] = body
        return _json(comment)

    def _delete(self, cid: int) -> Response:
        if self.read_only:
            return _json({"message": "Resource not accessible by integration"}, 403)
        with self._lock:
            for comments in self.comments.values():
                for comment in comments:
                    if comment["id"] == cid:
                        comments.remove(comment)
                        return Response(status=204)
        return _json({"message": "Not Found"}, 404)
