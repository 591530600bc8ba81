"""What every adapter (the REPL, the Telegram bot) shares above the pipeline.

- :mod:`~qabot.chat.conversation`: follow-ups, answered in the context of the question
  before them;
- :mod:`~qabot.chat.service`: answers, and rebuilds that swap in a new index;
- :mod:`~qabot.chat.store`: turns, answer messages and button pages, in SQLite;
- :mod:`~qabot.chat.strings`: every sentence in Chinese and English;
- :mod:`~qabot.chat.citations`: citations grouped by place;
- :mod:`~qabot.chat.feedback`: 👍/👎 votes; :mod:`~qabot.chat.review` turns them into a
  review list and a regression set;
- :mod:`~qabot.chat.examples`: example questions from the notes;
- :mod:`~qabot.chat.limits`: per-person rate limits.
"""
