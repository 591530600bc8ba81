"""Sending the bot's messages: replies that survive a deleted question, and edits.

Example:
    >>> ids = await deliver(question, pages, keyboard, replacing=[])  # doctest: +SKIP
"""

from __future__ import annotations

from telegram import InlineKeyboardMarkup, Message
from telegram.constants import ParseMode
from telegram.error import BadRequest


async def deliver(
    message: Message,
    pages: list[str],
    markup: InlineKeyboardMarkup | None,
    replacing: list[int],
) -> list[int]:
    """Send ``pages`` (HTML) in reply to ``message``, the keyboard under the last; return ids.

    The messages in ``replacing`` (an earlier answer, in the same chat) are edited in
    place first; the ones left over are deleted.
    """
    bot, chat = message.get_bot(), message.chat_id
    sent: list[int] = []
    for number, text in enumerate(pages):
        keyboard = markup if number == len(pages) - 1 else None
        if number < len(replacing):
            await edit_in_place(message, replacing[number], text, keyboard)
            sent.append(replacing[number])
        else:
            sent.append((await reply(message, text, keyboard)).message_id)
    for extra in replacing[len(pages) :]:
        await bot.delete_message(chat, extra)
    return sent


async def reply(message: Message, text: str, markup: InlineKeyboardMarkup | None = None) -> Message:
    """An HTML reply quoting ``message``; sent even if it was deleted meanwhile."""
    return await message.reply_text(
        text,
        parse_mode=ParseMode.HTML,
        reply_markup=markup,
        do_quote=True,
        allow_sending_without_reply=True,  # else a permanent 400 "message to be replied not found"
    )


async def edit_in_place(
    message: Message, message_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """Edit message ``message_id`` of ``message``'s chat; an edit changing nothing is fine."""
    try:
        await message.get_bot().edit_message_text(
            text,
            chat_id=message.chat_id,
            message_id=message_id,
            parse_mode=ParseMode.HTML,
            reply_markup=markup,
        )
    except BadRequest as error:
        if "not modified" not in error.message:  # a button pressed twice
            raise
