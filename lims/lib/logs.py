"""One JSON object per log line (LOG_FORMAT=json), for a log collector: time (ISO 8601, UTC), level,
logger, message, the exception's traceback when there is one, and the process id, so lines of
several web and worker processes interleaved in one stream stay apart. The standard library's
formatting is kept (message arguments, exc_info); only the envelope changes."""

import json
import logging
from datetime import UTC, datetime


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "process": record.process,
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)
