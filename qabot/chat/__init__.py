"""What every adapter (the REPL, the Telegram bot) shares above the pipeline.

:mod:`~qabot.chat.service` answers off the caller's thread and swaps in a rebuilt
index; :mod:`~qabot.chat.paging` keeps what a More or Sources request refers to;
:mod:`~qabot.chat.limits` rate-limits each person.
"""
