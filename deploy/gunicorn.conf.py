"""gunicorn's configuration for the web processes (Procfile "web"), from the environment:
PORT (8000) and BIND_HOST (127.0.0.1) where to listen, WEB_CONCURRENCY (2) how many processes,
LIMS_TLS_CERT and LIMS_TLS_KEY (PEM files) to speak TLS itself; without them gunicorn speaks plain
HTTP to a proxy that terminates TLS (then set SECURE_PROXY_SSL_HEADER). Logs as JSON lines when
LOG_FORMAT=json, like the Django and Celery processes (lims.lib.logs)."""

import os

bind = f"{os.environ.get('BIND_HOST', '127.0.0.1')}:{int(os.environ.get('PORT', '8000'))}"
workers = int(os.environ.get("WEB_CONCURRENCY", "2"))
# A request that has not finished in this long is stuck; gunicorn replaces the process.
timeout = 60
accesslog = "-"
certfile = os.environ.get("LIMS_TLS_CERT") or None
keyfile = os.environ.get("LIMS_TLS_KEY") or None

if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"json": {"()": "lims.lib.logs.JsonFormatter"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "loggers": {
            "gunicorn.error": {"handlers": ["console"], "level": "INFO", "propagate": False},
            "gunicorn.access": {"handlers": ["console"], "level": "INFO", "propagate": False},
        },
    }
