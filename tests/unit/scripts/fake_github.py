"""A fake GitHub REST API served on 127.0.0.1 for the posting and fetching flows.

It keeps comments per pull request (paginated like GitHub, with ``Link`` headers),
pull requests with their head SHA, baseline workflow runs and artifacts. Failures
are scripted with :meth:`FakeGitHub.fail_next`: the next matching request gets the
given status, headers and message instead of the normal answer.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

BOT = "github-actions[bot]"
REPO = "octo/repo"


@dataclass
class Failure:
    method: str
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    message: str = "error"


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
        self.runs: list[dict] = []
        self.artifacts: dict[int, list[dict]] = {}
        self.downloads: dict[str, bytes] = {}
        self._next_id = 1000
        self._lock = threading.Lock()
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
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

    def add_comments(
        self, number: int, count: int, *, author: str = "someone", body: str = "hello"
    ) -> None:
        for _ in range(count):
            self.add_comment(number, body, author)

    def add_comment(self, number: int, body: str, author: str = BOT) -> int:
        with self._lock:
            self._next_id += 1
            self.comments.setdefault(number, []).append(
                {"id": self._next_id, "body": body, "user": {"login": author}}
            )
            return self._next_id

    def fail_next(self, method: str, status: int, headers=None, message: str = "error") -> None:
        self.failures.append(Failure(method, status, dict(headers or {}), message))

    # -- WSGI ---------------------------------------------------------------
    def _app(self, environ, start_response):
        request = Request(environ)
        response = self._handle(request)
        return response(environ, start_response)

    def _json(self, payload, status=200, headers=None) -> Response:
        return Response(
            json.dumps(payload),
            status=status,
            headers=headers or {},
            content_type="application/json",
        )

    def _handle(self, request: Request) -> Response:
        auth = request.headers.get("Authorization", "")
        self.requests.append((request.method, request.path, request.query_string.decode(), auth))
        for failure in list(self.failures):
            if failure.method == request.method:
                self.failures.remove(failure)
                return self._json({"message": failure.message}, failure.status, failure.headers)
        path = request.path
        if m := re.fullmatch(rf"/repos/{REPO}/issues/(\d+)/comments", path):
            number = int(m.group(1))
            if request.method == "GET":
                return self._page(request, self.comments.get(number, []))
            return self._create(number, request)
        if m := re.fullmatch(rf"/repos/{REPO}/issues/comments/(\d+)", path):
            return self._update(int(m.group(1)), request)
        if m := re.fullmatch(rf"/repos/{REPO}/pulls/(\d+)", path):
            pull = self.pulls.get(int(m.group(1)))
            return self._json(pull) if pull else self._json({"message": "Not Found"}, 404)
        if path == f"/repos/{REPO}":
            return self._json({"default_branch": "main"})
        if re.fullmatch(rf"/repos/{REPO}/actions/workflows/[^/]+/runs", path):
            return self._json({"total_count": len(self.runs), "workflow_runs": self.runs})
        if m := re.fullmatch(rf"/repos/{REPO}/actions/runs/(\d+)/artifacts", path):
            items = self.artifacts.get(int(m.group(1)), [])
            return self._json({"total_count": len(items), "artifacts": items})
        if m := re.fullmatch(r"/download/(.+)", path):
            return Response(self.downloads[m.group(1)], content_type="application/zip")
        return self._json({"message": "Not Found"}, 404)

    def _page(self, request: Request, items: list[dict]) -> Response:
        per_page = min(int(request.args.get("per_page", 30)), self.per_page_cap)
        page = int(request.args.get("page", 1))
        chunk = items[(page - 1) * per_page : page * per_page]
        headers = {}
        if page * per_page < len(items):
            base = request.base_url
            headers["Link"] = f'<{base}?per_page={per_page}&page={page + 1}>; rel="next"'
        return self._json(chunk, headers=headers)

    def _body(self, request: Request) -> str | Response:
        body = request.get_json()["body"]
        if self.read_only:
            return self._json({"message": "Resource not accessible by integration"}, 403)
        if len(body) > self.max_body:
            return self._json(
                {"message": "Validation Failed", "errors": [{"message": "Body is too long"}]}, 422
            )
        return body

    def _create(self, number: int, request: Request) -> Response:
        body = self._body(request)
        if isinstance(body, Response):
            return body
        cid = self.add_comment(number, body)
        return self._json({"id": cid, "body": body}, 201)

    def _update(self, cid: int, request: Request) -> Response:
        body = self._body(request)
        if isinstance(body, Response):
            return body
        for comments in self.comments.values():
            for comment in comments:
                if comment["id"] == cid:
                    comment["body"] = body
                    return self._json(comment)
        return self._json({"message": "Not Found"}, 404)
