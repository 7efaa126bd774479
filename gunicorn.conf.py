"""gunicorn for BinaBoard: `gunicorn --config gunicorn.conf.py binaboard.wsgi` (see docs/DEPLOY.md).

Threads (gthread): a long export download or a large upload occupies one thread, not a process, and
the worker keeps sending its heartbeat to the master meanwhile, so `timeout` only kills a worker that
is truly stuck, never a slow transfer. Every value can be changed from the environment.
"""

import multiprocessing
import os
import sys
import traceback


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


wsgi_app = "binaboard.wsgi:application"
# Loopback by default: the proxy in front is the only way in (GUNICORN_BIND for anything else).
bind = os.environ.get("GUNICORN_BIND") or f"127.0.0.1:{os.environ.get('PORT', '8000')}"

worker_class = "gthread"
# One process per core (at least two, so a restart never leaves nobody answering), several threads each.
workers = _int("WEB_CONCURRENCY", max(2, multiprocessing.cpu_count()))
threads = _int("GUNICORN_THREADS", 8)
# A worker silent this long is stuck and gets restarted. With gthread it is a heartbeat, not a request
# limit: downloads and uploads may take as long as the client needs.
timeout = _int("GUNICORN_TIMEOUT", 60)
# A worker's threads take turns on Python's GIL: a thread back from the network or the disk (an upload's
# body read, a file written, a query) waits until the thread computing (hashing, checking headers) hands
# the GIL over, after 5 ms by default. Upload chunks in parallel spent more time waiting so than working
# (bench/bench_upload.py: about a fifth more images accepted a second at 0.5 ms). In microseconds.
switch_interval_us = _int("GUNICORN_SWITCH_INTERVAL_US", 500)
# On restart or deploy, requests in flight get this long to finish (an upload of UPLOAD_MAX_REQUEST_MB
# over a slow link may need more: raise it there, and nginx's proxy timeouts with it).
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 120)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then, staggered, so a slow leak never grows for weeks.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# The heartbeat file lives in memory: a slow disk must not look like a stuck worker.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None

# No runtime control socket (it would default to one shared path in $HOME for every instance).
control_socket_disable = True

# X-Forwarded-* headers are trusted from these proxies only (nginx on the same machine by default).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Gunicorn's own lines go to stderr beside the app's; the access log carries the request id.
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
accesslog = "-" if os.environ.get("GUNICORN_ACCESS_LOG", "1") not in {"0", "false", "no", "off"} else None
access_log_format = '%(h)s "%(r)s" %(s)s %(B)s %(M)sms request_id=%({x-request-id}o)s'


def on_starting(server) -> None:
    """Refuse to start, in one line and before any worker forks, when the secret key is unfit.

    The check runs in a child process that exits afterwards. Django set up in the master itself would
    stay there: every worker forked after a reload (`systemctl reload`, HUP) would inherit the old
    code's settings, models and admin and mix them with newly imported views.
    """
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(read_end)
        code, problem = _startup_problem()
        os.write(write_end, problem.encode())
        sys.stderr.flush()
        os._exit(code)
    os.close(write_end)
    with os.fdopen(read_end, encoding="utf-8") as pipe:
        problem = pipe.read()
    _, status = os.waitpid(pid, 0)
    if problem:
        sys.exit(problem)
    if status:
        sys.exit("BinaBoard could not start: see the error above.")


def _startup_problem() -> tuple[int, str]:
    """In the child: (0, "") when the app can start, else an exit code and the one-line reason."""
    # Imported here, in the child only, so the master never holds a copy of the app's modules.
    import django
    from django.core.exceptions import ImproperlyConfigured

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "binaboard.settings")
    try:
        django.setup()
        from binaboard.secret_key import refuse_insecure_secret_key

        refuse_insecure_secret_key()
    except ImproperlyConfigured as exc:
        return 1, str(exc)
    except Exception:
        traceback.print_exc()
        return 1, ""
    return 0, ""


def post_fork(server, worker) -> None:
    """Each worker process: the GIL's switch interval above (the master's own does not matter)."""
    if switch_interval_us > 0:
        sys.setswitchinterval(switch_interval_us / 1_000_000)
