"""What every page shares: the site context and links (`page.py`), row labels and cells
(`cells.py`), display names (`names.py`), the metrics table (`metrics.py`), numbers for people
(`numbers.py`), safe Markdown (`text.py`), tables (`tables.py`), charts (`charts.py`) and the
words of a precision (`precision_words.py`)."""
