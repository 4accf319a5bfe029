"""Gunicorn settings shared by both services in the integration layer.

Passed with ``--config``; everything that differs per service (bind address,
application, access-log file) is given on the command line.

* The services' own workers, worker time-out and gunicorn hooks
  (apps/kernel/gunicorn_defaults.py): metrics of every worker on the listener
  named by ``METRICS_BIND``, the worker count for the apps, the apps' shutdown
  hooks when a worker exits.
* A short graceful time-out, so a stop or a reload finishes in seconds.
* An access log in which every line is one JSON object naming the worker pid
  and the request id the response carried: it is how a test proves which
  worker served a request.
"""

from __future__ import annotations

from apps.kernel import gunicorn as kernel
from apps.kernel.gunicorn_defaults import *  # noqa: F403

graceful_timeout = 5
capture_output = False
# gunicorn 27 opens a control socket under ~/.gunicorn by default, one path for
# every master on the machine: the services of a test run must not share it.
control_socket_disable = True
# gunicorn's ``p`` atom renders as "<pid>"; the reader strips the brackets. The
# path is left out: gunicorn does not escape it, and fuzzed paths would break the JSON.
access_log_format = (
    '{"pid": "%(p)s", "request_id": "%({x-request-id}o)s", "method": "%(m)s", "status": %(s)s}'
)

when_ready = kernel.serve_metrics_on("127.0.0.1:0")  # the stack always sets METRICS_BIND
