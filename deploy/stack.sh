#!/usr/bin/env bash
# `make stack`: the production shape on one machine, from a fresh clone.
#
# PostgreSQL and Redis are started if they do not answer (as .ci/run does), the database is created
# and migrated, static files collected, development keys made once under the stack's directory, the
# first administrator created (a one-time password, printed once), then every process of the Procfile
# runs under honcho: gunicorn, a Celery worker per queue (prefork, CELERY_WORKER_MAX_MEMORY_PER_CHILD_KB
# honoured), one beat, and a local timestamp authority standing in for the laboratory's. DEBUG off,
# JSON logs, https://127.0.0.1:$PORT (8000) with a self-signed certificate: the cookies are Secure and
# SECURE_SSL_REDIRECT is on, as `manage.py check --deploy` asks, so the stack speaks TLS itself.
#
#   deploy/stack.sh          prepare and run (Ctrl-C stops every process)
#   deploy/stack.sh --env    write the environment file only and print its path (tests use it)
#
# Environment: PORT, LIMS_STACK_DIR (var/stack), DATABASE_URL (postgresql://postgres@127.0.0.1:5432/lims_stack),
# REDIS_URL (redis://127.0.0.1:6379/0), CACHE_URL (redis://127.0.0.1:6379/1), LIMS_PUBLIC_URL
# (https://<this host's name>), TSA_PORT (8318), WEB_CONCURRENCY and LIMS_*_CONCURRENCY (see Procfile).
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
# The Procfile's commands (gunicorn, celery, python) come from the same environment as $PY.
PATH="$(cd "$(dirname "$PY")" && pwd):$PATH"
export PATH

export PORT=${PORT:-8000}
export TSA_PORT=${TSA_PORT:-8318}
stack_dir=$(realpath -m "${LIMS_STACK_DIR:-var/stack}")
mkdir -p "$stack_dir/tls"
chmod 700 "$stack_dir"

# The secret key is made once and kept in a file of its own (SECRET_KEY_FILE), never in the environment file.
if [ ! -s "$stack_dir/secret-key" ]; then
    (umask 077 && "$PY" -c "import secrets; print(secrets.token_urlsafe(64))" >"$stack_dir/secret-key")
fi
if [ ! -s "$stack_dir/tls/cert.pem" ]; then
    openssl req -x509 -newkey rsa:2048 -nodes -days 825 -subj "/CN=localhost" \
        -addext "subjectAltName=IP:127.0.0.1,DNS:localhost" \
        -keyout "$stack_dir/tls/key.pem" -out "$stack_dir/tls/cert.pem" 2>/dev/null
    chmod 600 "$stack_dir/tls/key.pem"
fi
host=$(hostname -f 2>/dev/null || hostname)
case "$host" in localhost* | "") host=lims.invalid ;; esac

cat >"$stack_dir/env" <<ENV
DEBUG=0
SECRET_KEY_FILE=$stack_dir/secret-key
LIMS_VAR_DIR=$stack_dir
DATABASE_URL=${DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/lims_stack}
REDIS_URL=${REDIS_URL:-redis://127.0.0.1:6379/0}
CACHE_URL=${CACHE_URL:-redis://127.0.0.1:6379/1}
ALLOWED_HOSTS=${ALLOWED_HOSTS:-127.0.0.1,localhost}
LIMS_PUBLIC_URL=${LIMS_PUBLIC_URL:-https://$host}
LIMS_TSA_URL=http://127.0.0.1:$TSA_PORT/
LIMS_TLS_CERT=$stack_dir/tls/cert.pem
LIMS_TLS_KEY=$stack_dir/tls/key.pem
SECURE_SSL_REDIRECT=1
SECURE_HSTS_SECONDS=${SECURE_HSTS_SECONDS:-31536000}
SECURE_HSTS_INCLUDE_SUBDOMAINS=1
SECURE_HSTS_PRELOAD=1
LOG_FORMAT=json
ENV
if [ "${1:-}" = "--env" ]; then
    echo "$stack_dir/env"
    exit 0
fi
set -a
# shellcheck disable=SC1091
. "$stack_dir/env"
set +a

answers() { timeout 2 bash -c "</dev/tcp/$1/$2" 2>/dev/null; }
wait_for() {
    for _ in $(seq 1 30); do answers "$1" "$2" && return 0; sleep 1; done
    echo "$3 does not answer on $1:$2" >&2
    return 1
}
db_host=$("$PY" -c "from urllib.parse import urlsplit as u; p=u('$DATABASE_URL'); print(p.hostname or '127.0.0.1', p.port or 5432)")
redis_host=$("$PY" -c "from urllib.parse import urlsplit as u; p=u('$REDIS_URL'); print(p.hostname or '127.0.0.1', p.port or 6379)")
# shellcheck disable=SC2086
if ! answers $db_host; then
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql)" main start
    wait_for $db_host PostgreSQL
fi
# shellcheck disable=SC2086
if ! answers $redis_host; then
    redis-server --daemonize yes --bind 127.0.0.1 --port "${redis_host#* }" --save ""
    wait_for $redis_host Redis
fi

"$PY" - <<'PYTHON'
import os
from urllib.parse import urlsplit, urlunsplit

import psycopg
from psycopg import sql

url = urlsplit(os.environ["DATABASE_URL"])
name = url.path.lstrip("/")
with psycopg.connect(urlunsplit(url._replace(path="/postgres")), autocommit=True) as connection:
    if not connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        print(f"created database {name}")
PYTHON
"$PY" manage.py compile_catalogues
"$PY" manage.py migrate --no-input
"$PY" manage.py collectstatic --no-input --verbosity 0
# Development keys, made once, before the web starts: the verification pages read the public halves.
LIMS_GENERATE_DEV_KEYS=1 "$PY" manage.py shell --no-imports -c "
from certificates import keys
keys.load_signing_material(); keys.load_token_key(); keys.load_status_key(); keys.load_log_key(); keys.load_dev_tsa_material()"
LIMS_GENERATE_DEV_KEYS=1 "$PY" manage.py publish_status
# The first administrator: a generated one-time password, shown here once and stored nowhere else.
"$PY" manage.py shell --no-imports -c "
import secrets
from lims.models import User
if not User.objects.filter(is_superuser=True).exists():
    password = secrets.token_urlsafe(12)
    User.objects.create_superuser(username='admin', email='', password=password)
    print(f'First login: user admin, one-time password {password} (change it at once under /password/)')
else:
    print('An administrator exists already; a forgotten password is reset with: manage.py changepassword admin')"
echo "Serving https://127.0.0.1:$PORT/ (self-signed certificate in $stack_dir/tls; health: /health/ready)"
exec honcho start -f Procfile -e "$stack_dir/env" -p "$PORT" 2>&1
