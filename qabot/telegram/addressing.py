"""What a message asks the bot, if anything: the group rules, in one place.

A message's text, or a photo's or document's caption, is read the same way:

- ``/ask <question>`` (or ``/ask@bot``) asks in any chat; ``/ask`` alone, sent as a
  reply to someone's message, asks that message's text or caption.
- In a private chat any text is a question.
- In a group the bot answers only when addressed: an @mention, or a reply to one of
  its own messages (a follow-up). A bare @mention replying to a classmate's message
  asks that message.

Edited messages are read by the same rules.

Example:
    >>> asked = read_question(message, bot_id=123, username="qabot_bot")  # doctest: +SKIP
    >>> asked.text, asked.replying_to  # doctest: +SKIP
    ('为什么?', 42)
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from telegram import Message, MessageEntity
from telegram.constants import ChatType


@dataclass(frozen=True, slots=True)
class Asked:
    """A question addressed to the bot."""

    text: str  # "" when addressed with nothing to ask (the usage hint is due)
    replying_to: int | None  # the bot's message it replies to (a follow-up), if any
    quoted: bool = False  # the text is a quoted classmate's message


def read_question(message: Message, bot_id: int, username: str) -> Asked | None:
    """The question ``message`` asks the bot, or ``None`` if it isn't addressed to it."""
    text = message.text if message.text is not None else message.caption
    if text is None:
        return None
    entities = (
        message.parse_entities() if message.text is not None else message.parse_caption_entities()
    )
    replied = message.reply_to_message
    to_bot = (
        replied is not None and replied.from_user is not None and replied.from_user.id == bot_id
    )
    replying_to = replied.message_id if replied is not None and to_bot else None

    command = _leading_command(entities, text)
    if command is not None:
        name, target = command
        if name != "ask" or (target and target.lower() != username.lower()):
            return None  # another command, or a command for another bot
        question = text.split(maxsplit=1)[1].strip() if len(text.split(maxsplit=1)) > 1 else ""
    elif message.chat.type == ChatType.PRIVATE or to_bot or _mentions(entities, bot_id, username):
        question = _without_mention(text, username)
    else:
        return None

    if not question and replied is not None and not to_bot:
        quoted = replied.text if replied.text is not None else replied.caption
        if quoted and quoted.strip():
            return Asked(quoted.strip(), None, quoted=True)
    return Asked(question, replying_to)


def _leading_command(entities: dict[MessageEntity, str], text: str) -> tuple[str, str] | None:
    """``("ask", "qabot_bot")`` for ``/ask@qabot_bot …``; ``None`` unless text starts so."""
    for entity, value in entities.items():
        if entity.type == MessageEntity.BOT_COMMAND and entity.offset == 0:
            name, _, target = value[1:].partition("@")
            return name.lower(), target
    return None


def _mentions(entities: dict[MessageEntity, str], bot_id: int, username: str) -> bool:
    for entity, value in entities.items():
        if entity.type == MessageEntity.MENTION and value[1:].lower() == username.lower():
            return True
        if entity.type == MessageEntity.TEXT_MENTION and entity.user and entity.user.id == bot_id:
            return True
    return False


def _without_mention(text: str, username: str) -> str:
    return re.sub(re.escape(f"@{username}"), " ", text, flags=re.IGNORECASE).strip()
