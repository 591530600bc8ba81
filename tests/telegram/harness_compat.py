"""Repairs telegram-test-api 4.2.1 answers so that python-telegram-bot can parse them.

Quirks of the emulator (all measured; see its ``lib/`` in ``emulator/node_modules``)
and what :class:`CompatLayer` does about each:

* ``getMe`` lacks ``is_bot`` (PTB's ``initialize()`` fails): the user object is
  completed; the bot id is the token's numeric prefix, as on the real API.
* message ``date`` is in milliseconds: every ``date``/``edit_date``/``forward_date``
  that looks like milliseconds is converted to seconds, recursively.
* ``sendMessage`` echoes the raw request (form fields as strings, chat always
  ``private``, no ``from``): a clean ``Message`` is built from the request, with the
  chat as seen in earlier updates and ``reply_to_message`` when replying.
* ``editMessageText``/``editMessageReplyMarkup`` answer ``null``: the edited
  ``Message`` is returned (``True`` for inline messages). The emulator does store the
  edit, merged into its stored bot message, which is how ``FakeUser`` sees it.
* ``answerCallbackQuery``, ``setWebhook``, ``deleteMessage`` answer ``null``: ``True``.
* callback queries from ``getUpdates`` lack ``chat_instance`` (PTB then drops the whole
  batch, only logging it): it is added; the emulator's ``botToken`` field is removed.
* unimplemented methods answer HTTP 500: the proxy answers those in
  :data:`STUBBED_METHODS` itself; any other one still fails, so a missing stub shows
  up in the test as a ``NetworkError``.
* ``parse_mode`` is not applied: ``text`` stays as sent, HTML tags included.
* users cannot delete messages: :meth:`CompatLayer.delete_on_delivery` plays a user
  deleting a message once the bot has it, and :meth:`CompatLayer.refusal` answers a
  reply to it as the real API does (400, unless ``allow_sending_without_reply``).

Usage::

    compat = CompatLayer()
    result = compat.fix_result("sendMessage", token, params, emulator_result)
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, Final

#: Username the emulator reports for every bot (its ``getMe`` is hard-coded).
BOT_USERNAME: Final = "TestNameBot"

#: Methods telegram-test-api does not implement (HTTP 500) whose real answer is a
#: constant: the proxy answers them with this ``result`` without forwarding.
STUBBED_METHODS: Final[Mapping[str, object]] = MappingProxyType(
    {
        "sendChatAction": True,
        "setMyCommands": True,
        "deleteMyCommands": True,
        "getMyCommands": [],
        "setMyDescription": True,
        "setMyShortDescription": True,
        "setMyName": True,
        "setChatMenuButton": True,
        "setMyDefaultAdministratorRights": True,
        "setMessageReaction": True,
        "pinChatMessage": True,
        "unpinChatMessage": True,
        "unpinAllChatMessages": True,
        "leaveChat": True,
        "logOut": True,
        "close": True,
        "answerInlineQuery": True,
        "getWebhookInfo": {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": 0,
        },
    }
)

#: Methods telegram-test-api implements (everything else answers HTTP 500).
EMULATED_METHODS: Final = frozenset(
    {
        "getMe",
        "getUpdates",
        "sendMessage",
        "editMessageText",
        "editMessageReplyMarkup",
        "answerCallbackQuery",
        "deleteMessage",
        "setWebhook",
        "deleteWebhook",
    }
)

_NULL_RESULT_METHODS: Final = frozenset(
    {"answerCallbackQuery", "setWebhook", "deleteMessage", "deleteWebhook"}
)
_INT_PARAMS: Final = frozenset(
    {
        "chat_id",
        "message_id",
        "reply_to_message_id",
        "message_thread_id",
        "offset",
        "limit",
        "timeout",
        "user_id",
        "cache_time",
    }
)
_DATE_KEYS: Final = frozenset({"date", "edit_date", "forward_date"})
_MS_THRESHOLD: Final = 10**11  # second timestamps stay below this until the year 5138

JSONDict = dict[str, Any]


def bot_id_from_token(token: str) -> int:
    """The bot id encoded in a token (``"123:abc"`` -> 123); 666, the emulator's, if none."""
    prefix = token.split(":", 1)[0]
    return int(prefix) if prefix.isdigit() else 666


def bot_user(token: str) -> JSONDict:
    """The ``User`` object of the bot with this token, as the proxy's ``getMe`` reports it."""
    return {
        "id": bot_id_from_token(token),
        "is_bot": True,
        "first_name": "Test Bot",
        "username": BOT_USERNAME,
    }


def to_seconds(value: int) -> int:
    """An emulator timestamp in seconds; values already in seconds are kept."""
    return value // 1000 if value > _MS_THRESHOLD else value


def fix_dates(value: Any) -> Any:
    """Recursively convert millisecond dates (``date``, ``edit_date``...) to seconds."""
    if isinstance(value, list):
        return [fix_dates(item) for item in value]
    if isinstance(value, dict):
        return {
            key: to_seconds(item)
            if key in _DATE_KEYS and isinstance(item, int)
            else fix_dates(item)
            for key, item in value.items()
        }
    return value


def decode_params(
    content_type: str, body: bytes, query: str = ""
) -> tuple[JSONDict, tuple[str, ...]]:
    """Decode a Bot API request (form, multipart or JSON) into params and file part names.

    PTB sends form fields whose non-string values are JSON-encoded: JSON objects and
    arrays and the integer ids in ``_INT_PARAMS`` are decoded, other values stay strings.
    """
    raw: dict[str, Any] = dict(urllib.parse.parse_qsl(query))
    files: list[str] = []
    mime = content_type.split(";", 1)[0].strip().lower()
    if mime == "application/json" and body:
        raw.update(json.loads(body))
    elif mime == "application/x-www-form-urlencoded":
        raw.update(urllib.parse.parse_qsl(body.decode(), keep_blank_values=True))
    elif mime == "multipart/form-data":
        header = f"Content-Type: {content_type}\r\n\r\n".encode()
        parser = email.parser.BytesParser(policy=email.policy.HTTP)
        for part in parser.parsebytes(header + body).iter_parts():
            name = part.get_param("name", header="content-disposition")
            if not isinstance(name, str):
                continue
            if part.get_filename():
                files.append(name)
            else:
                payload = part.get_payload(decode=True)
                raw[name] = payload.decode() if isinstance(payload, bytes) else ""
    return {key: _decode_value(key, value) for key, value in raw.items()}, tuple(files)


def _decode_value(key: str, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    if key in _INT_PARAMS and re.fullmatch(r"-?\d+", value):
        return int(value)
    return value


class CompatLayer:
    """Rewrites emulator results into real Bot API results; thread-safe.

    It remembers the chats and messages it has seen (per bot token) so that sent and
    edited messages carry the right chat type, ``from`` and ``reply_to_message``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._chats: dict[tuple[str, int], JSONDict] = {}
        self._messages: dict[tuple[str, int, int], JSONDict] = {}
        self._to_delete: set[tuple[str, int, str]] = set()
        self._deleted: set[tuple[str, int, int]] = set()

    def delete_on_delivery(self, token: str, chat_id: int, text: str) -> None:
        """Delete the user's message ``text`` in ``chat_id`` once ``getUpdates`` returns it."""
        with self._lock:
            self._to_delete.add((token, chat_id, text))

    def refusal(self, token: str, method: str, params: JSONDict) -> str | None:
        """The real API's 400 description for a call it would refuse, else ``None``."""
        with self._lock:
            target = _reply_target(params)
            if target is None or (token, _chat_id(params), target[0]) not in self._deleted:
                return None
            return None if target[1] else "Bad Request: message to be replied not found"

    def fix_result(self, method: str, token: str, params: JSONDict, result: Any) -> Any:
        """The ``result`` the real API would have answered to ``method`` with ``params``."""
        with self._lock:
            if method == "getMe":
                return {
                    **(result or {}),
                    **bot_user(token),
                    "can_join_groups": True,
                    "can_read_all_group_messages": False,
                    "supports_inline_queries": False,
                }
            if method == "getUpdates":
                return [self._fix_update(token, u) for u in fix_dates(result or [])]
            if method == "sendMessage":
                return self._sent_message(token, params, fix_dates(result))
            if method in ("editMessageText", "editMessageReplyMarkup"):
                return self._edited_message(token, params)
            if method in _NULL_RESULT_METHODS and result is None:
                return True
            return fix_dates(result)

    def _chat(self, token: str, chat_id: int) -> JSONDict:
        default = {"id": chat_id, "type": "private" if chat_id > 0 else "group"}
        return self._chats.get((token, chat_id), default)

    def _remember(self, token: str, message: JSONDict) -> None:
        chat = message.get("chat") or {}
        if isinstance(chat.get("id"), int) and isinstance(message.get("message_id"), int):
            self._chats[(token, chat["id"])] = chat
            # The API never nests replies more than one level deep.
            stored = {k: v for k, v in message.items() if k != "reply_to_message"}
            self._messages[(token, chat["id"], message["message_id"])] = stored

    def _fix_update(self, token: str, update: JSONDict) -> JSONDict:
        update = dict(update)
        if isinstance(message := update.get("message"), dict):
            message = {k: v for k, v in message.items() if k != "botToken"}
            message.setdefault("date", int(time.time()))
            update["message"] = message
            self._remember(token, message)
            chat_id = (message.get("chat") or {}).get("id")
            if (token, chat_id, message.get("text")) in self._to_delete:
                self._to_delete.discard((token, chat_id, message.get("text")))
                self._deleted.add((token, chat_id, message["message_id"]))
        if isinstance(edited := update.get("edited_message"), dict):
            self._remember(token, edited)
        if isinstance(change := update.get("my_chat_member"), dict):
            chat = change.get("chat") or {}
            if isinstance(chat.get("id"), int):
                self._chats[(token, chat["id"])] = chat
        if isinstance(query := update.get("callback_query"), dict):
            query = {k: v for k, v in query.items() if k != "botToken"}
            chat_id = ((query.get("message") or {}).get("chat") or {}).get("id", 0)
            query.setdefault("chat_instance", f"emulator-{chat_id}")
            update["callback_query"] = query
        return update

    def _sent_message(self, token: str, params: JSONDict, result: JSONDict) -> JSONDict:
        chat_id = params.get("chat_id")
        if not isinstance(chat_id, int):
            chat_id = int(result["chat"]["id"])
        chat = self._chat(token, chat_id)
        message: JSONDict = {
            "message_id": result["message_id"],
            "date": result["date"],
            "chat": chat,
            "from": bot_user(token),
            "text": params.get("text", ""),
        }
        if isinstance(entities := params.get("entities"), list):
            message["entities"] = entities
        markup = params.get("reply_markup")
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup  # the API echoes only inline keyboards
        target = _reply_target(params)
        reply_to = target[0] if target is not None else None
        if reply_to is not None and (token, chat_id, reply_to) not in self._deleted:
            placeholder = {"message_id": reply_to, "date": message["date"], "chat": chat}
            message["reply_to_message"] = self._messages.get(
                (token, chat_id, reply_to), placeholder
            )
        self._remember(token, message)
        return message

    def _edited_message(self, token: str, params: JSONDict) -> JSONDict | bool:
        if "inline_message_id" in params:
            return True
        chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
        now = int(time.time())
        base = self._messages.get((token, chat_id, message_id)) or {
            "message_id": message_id,
            "date": now,
            "chat": self._chat(token, chat_id),
            "from": bot_user(token),
        }
        message = {**base, "edit_date": now}
        if "text" in params:
            message["text"] = params["text"]
            message.pop("entities", None)
            if isinstance(entities := params.get("entities"), list):
                message["entities"] = entities
        # On the real API an edit without reply_markup removes the inline keyboard.
        message.pop("reply_markup", None)
        if isinstance(markup := params.get("reply_markup"), dict):
            message["reply_markup"] = markup
        self._remember(token, message)
        return message


def _chat_id(params: JSONDict) -> int | None:
    chat_id = params.get("chat_id")
    return chat_id if isinstance(chat_id, int) else None


def _reply_target(params: JSONDict) -> tuple[int, bool] | None:
    """The message a call replies to, and whether it may be sent without it."""
    reply_parameters = params.get("reply_parameters")
    if isinstance(reply_parameters, dict):
        message_id = reply_parameters.get("message_id")
        anyway = bool(reply_parameters.get("allow_sending_without_reply"))
    else:
        message_id = params.get("reply_to_message_id")
        anyway = str(params.get("allow_sending_without_reply")).lower() == "true"
    return (message_id, anyway) if isinstance(message_id, int) else None
