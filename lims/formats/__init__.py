"""Number and date formats Django lacks (settings.FORMAT_MODULE_PATH): Kazakh. English and Russian
use Django's own (Russian already writes 1 234,5 with a no-break space)."""
