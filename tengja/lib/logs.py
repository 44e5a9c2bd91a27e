"""Filters for the log (set up in settings.LOGGING)."""

import logging


class CacheErrorsOnOneLine(logging.Filter):
    """django-redis logs each Redis error it ignores as an ERROR with a traceback:
    with Redis away that is several tracebacks a page, for a known and harmless
    state (the cache answers as if empty). Each becomes one WARNING line that
    names the error."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if error is not None:
            record.msg, record.args = (
                "the cache is unavailable, carrying on without it: %s",
                (error,),
            )
            record.exc_info, record.exc_text = None, None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True
