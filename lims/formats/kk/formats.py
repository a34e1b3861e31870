"""Kazakh formats, as Kazakhstan writes them (and as Russian does): a decimal comma, thousands grouped
by a no-break space (so a figure never breaks across lines), dates day first with points, 24-hour
times. Pages mostly print dates in ISO 8601 (`|date:"Y-m-d H:i"`), unambiguous in every language;
these formats serve what is localised without an explicit format (form input, admin)."""

DATE_FORMAT = "d.m.Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d.m.Y H:i"
YEAR_MONTH_FORMAT = "m.Y"
MONTH_DAY_FORMAT = "d.m"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
FIRST_DAY_OF_WEEK = 1  # Monday

# Python strftime syntax; Django accepts ISO 8601 (what a date input sends) after these, in every language.
DATE_INPUT_FORMATS = ["%d.%m.%Y", "%d.%m.%y"]
DATETIME_INPUT_FORMATS = ["%d.%m.%Y %H:%M:%S", "%d.%m.%Y %H:%M", "%d.%m.%y %H:%M"]
DECIMAL_SEPARATOR = ","
THOUSAND_SEPARATOR = "\xa0"  # no-break space
NUMBER_GROUPING = 3
