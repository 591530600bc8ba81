"""A fake Telegram user driving telegram-test-api's user-side ("client") HTTP API.

The emulator's client API (``POST /sendMessage``, ``/sendCommand``, ``/sendCallback``,
``/getUpdates``, ``/getUpdatesHistory``, JSON bodies with the bot token) stores updates
for the bot and lets the user read what the bot sent to a chat. :class:`FakeUser`
builds updates the way the real API shapes them (``from``, ``chat``, ``entities``,
``reply_to_message``, ``callback_query.message``) so that PTB's handlers and filters
match them.

The methods are ``async`` because the bot under test runs in the same event loop:
a blocking wait would stall the bot it is waiting for.

Usage::

    alice = FakeUser(emulator.url, token)                       # private chat
    group = FakeUser(emulator.url, token, chat_type="supergroup", chat_id=-1001)
    await alice.send_message("hello")
    reply = await alice.wait_for_reply()
    assert reply["text"] == "hello" and reply["parse_mode"] is None
    await group.send_command("/ask", "what is BM25?", mention_bot=True)
    await alice.press_button(reply, data="more")
    edited = await alice.wait_for_edit(reply)

Updates the emulator cannot make (an edit, an inline query, being added to a group)
go through the proxy's :meth:`~harness_proxy.TelegramProxy.inject_update`, so those
methods need the ``proxy`` the ``make_user`` fixture passes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import time
from typing import Any, Literal, Protocol, TypedDict

import httpx
from harness_compat import BOT_USERNAME, bot_user, to_seconds

ChatType = Literal["private", "group", "supergroup"]


class UpdateInjector(Protocol):
    """The proxy, as far as users see it: it can slip updates into ``getUpdates``."""

    def inject_update(self, token: str, update: dict[str, Any]) -> None: ...


class BotReply(TypedDict):
    """A message the bot sent, as the emulator stored it (edits merged in).

    ``raw`` is the bot's request as the emulator kept it: form values are strings
    there, except ``reply_markup`` and ``entities``, which it parses.
    """

    message_id: int
    chat_id: int
    date: int
    text: str | None
    parse_mode: str | None
    entities: list[dict[str, Any]] | None
    reply_markup: dict[str, Any] | None
    reply_to_message_id: int | None
    raw: dict[str, Any]


def _json_field(value: Any) -> Any:
    if isinstance(value, str) and value[:1] in ("{", "["):
        return json.loads(value)
    return value


def to_bot_reply(entry: dict[str, Any]) -> BotReply:
    """Convert an entry of the emulator's bot-message storage into a :class:`BotReply`."""
    message = entry["message"]
    reply_parameters = _json_field(message.get("reply_parameters"))
    reply_to = (
        reply_parameters.get("message_id")
        if isinstance(reply_parameters, dict)
        else message.get("reply_to_message_id")
    )
    return BotReply(
        message_id=int(entry["messageId"]),
        chat_id=int(message["chat_id"]),
        date=to_seconds(int(entry["time"])),
        text=message.get("text"),
        parse_mode=message.get("parse_mode"),
        entities=_json_field(message.get("entities")),
        reply_markup=_json_field(message.get("reply_markup")),
        reply_to_message_id=int(reply_to) if reply_to is not None else None,
        raw=message,
    )


@dataclasses.dataclass
class FakeUser:
    """One user in one chat with the bot whose token is ``bot_token``.

    ``chat_id`` (when 0) defaults to ``user_id`` for a private chat and to a negative id derived
    from it for groups (``-user_id`` for "group", ``-100<user_id>`` for "supergroup").
    For several members of one group use :meth:`as_member`. Two ``FakeUser`` objects
    reading the same chat compete: the emulator marks bot messages read for everyone.
    """

    emulator_url: str
    bot_token: str
    user_id: int = 1001
    first_name: str = "Alice"
    username: str | None = "alice"
    chat_type: ChatType = "private"
    chat_id: int = 0  # 0: derived from user_id and chat_type
    chat_title: str = "Study group"
    language_code: str | None = "en"  # what the user's Telegram app is set to
    thread_id: int | None = None  # a forum topic of a supergroup the user writes in
    proxy: UpdateInjector | None = None  # for the updates the emulator cannot make
    poll_interval: float = 0.05
    # Finding a sent message's id means reading the emulator's whole history, which
    # grows with every message; load tests turn it off and get 0 back instead.
    track_ids: bool = True
    # Replies fetched from the emulator (which marks them read) but not yet returned.
    _unread: list[BotReply] = dataclasses.field(default_factory=list, init=False, repr=False)

    def __post_init__(self) -> None:
        self.emulator_url = self.emulator_url.rstrip("/")
        if not self.chat_id:
            self.chat_id = {
                "private": self.user_id,
                "group": -self.user_id,
                "supergroup": -int(f"100{self.user_id}"),
            }[self.chat_type]

    @property
    def chat(self) -> dict[str, Any]:
        """The ``Chat`` object of this user's chat."""
        if self.chat_type == "private":
            chat = {"id": self.chat_id, "type": "private", "first_name": self.first_name}
            return chat | ({"username": self.username} if self.username else {})
        return {"id": self.chat_id, "type": self.chat_type, "title": self.chat_title}

    @property
    def user(self) -> dict[str, Any]:
        """The ``User`` object sent as ``from``."""
        user = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.language_code:
            user["language_code"] = self.language_code
        return user | ({"username": self.username} if self.username else {})

    def as_member(self, user_id: int, first_name: str, username: str | None = None) -> FakeUser:
        """Another user in the same chat (e.g. a second member of a group)."""
        return dataclasses.replace(
            self, user_id=user_id, first_name=first_name, username=username, chat_id=self.chat_id
        )

    # -- sending -------------------------------------------------------------------
    async def send_message(
        self,
        text: str,
        *,
        entities: list[dict[str, Any]] | None = None,
        reply_to: BotReply | dict[str, Any] | None = None,
    ) -> int:
        """Send a text message; ``reply_to`` (a bot reply, or a member's message from
        :meth:`sent`) makes it a reply. Returns its message_id.

        Entity offsets and lengths count UTF-16 code units, as on the real API.
        """
        return await self._send("/sendMessage", self._message(text, entities, reply_to))

    async def send_command(
        self,
        command: str,
        args: str = "",
        *,
        mention_bot: bool = False,
        reply_to: BotReply | dict[str, Any] | None = None,
    ) -> int:
        """Send ``/command[@Bot] [args]`` with the ``bot_command`` entity PTB needs.

        ``command`` may already carry a ``@username`` (e.g. to address another bot).
        """
        text, entities = command_text(command, args, mention_bot)
        return await self._send("/sendCommand", self._message(text, entities, reply_to))

    async def send_mention(
        self, text: str, *, reply_to: BotReply | dict[str, Any] | None = None
    ) -> int:
        """Send ``@Bot <text>`` with a ``mention`` entity for the bot's username."""
        text, entities = mention_text(text)
        return await self.send_message(text, entities=entities, reply_to=reply_to)

    async def send_media(
        self,
        kind: Literal["photo", "document", "voice", "sticker"],
        caption: str = "",
        caption_entities: list[dict[str, Any]] | None = None,
    ) -> int:
        """Send a photo, document, voice message or sticker, with an optional caption."""
        media: dict[str, Any] = {
            "photo": {"photo": [_file("photo", width=640, height=480)]},
            "document": {"document": _file("document", file_name="slides.pdf")},
            "voice": {"voice": _file("voice", duration=3)},
            "sticker": {
                "sticker": _file(
                    "sticker",
                    type="regular",
                    width=512,
                    height=512,
                    is_animated=False,
                    is_video=False,
                )
            },
        }[kind]
        message = {k: v for k, v in self._message("").items() if k != "text"} | media
        if caption:
            message["caption"] = caption
        if caption_entities:
            message["caption_entities"] = caption_entities
        return await self._send("/sendMessage", message)

    def sent(self, message_id: int, text: str) -> dict[str, Any]:
        """This user's message ``message_id`` as the API nests it in a reply to it."""
        return {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": self.chat,
            "from": self.user,
            "text": text,
        }

    # -- updates the emulator cannot make (through the proxy) ------------------------
    def edit_message(
        self, message_id: int, text: str, *, entities: list[dict[str, Any]] | None = None
    ) -> None:
        """Edit this user's message ``message_id`` to ``text`` (an ``edited_message``)."""
        edited = self._message(text, entities) | {
            "message_id": message_id,
            "edit_date": int(time.time()),
        }
        self._inject({"edited_message": _without_token(edited)})

    def send_inline_query(self, query: str) -> str:
        """Type ``@Bot <query>`` in some chat; returns the inline query's id."""
        query_id = f"{self.user_id}-{time.monotonic_ns()}"
        inline = {"id": query_id, "from": self.user, "query": query, "offset": ""}
        self._inject({"inline_query": inline | {"chat_type": "sender"}})
        return query_id

    def add_bot_to_group(self) -> None:
        """Add the bot to this (group) chat: the bot gets ``my_chat_member``."""
        member = {"user": bot_user(self.bot_token)}
        change = {
            "chat": self.chat,
            "from": self.user,
            "date": int(time.time()),
            "old_chat_member": member | {"status": "left"},
            "new_chat_member": member | {"status": "member"},
        }
        self._inject({"my_chat_member": change})

    def _inject(self, update: dict[str, Any]) -> None:
        if self.proxy is None:
            raise RuntimeError("this FakeUser has no proxy to inject updates through")
        self.proxy.inject_update(self.bot_token, update)

    async def press_button(
        self, reply: BotReply, *, data: str | None = None, text: str | None = None
    ) -> str:
        """Press the inline button of ``reply`` with this callback ``data`` or label ``text``.

        Returns the callback data sent. Raises ``LookupError`` if there is no such button.
        """
        if (data is None) == (text is None):
            raise ValueError("pass exactly one of data= or text=")
        markup = reply["reply_markup"] or {}
        buttons = [b for row in markup.get("inline_keyboard", []) for b in row]
        key, wanted = ("callback_data", data) if data is not None else ("text", text)
        button = next((b for b in buttons if "callback_data" in b and b.get(key) == wanted), None)
        if button is None:
            raise LookupError(f"no callback button with {key}={wanted!r} in {buttons}")
        message = {
            "message_id": reply["message_id"],
            "date": reply["date"],
            "chat": self.chat,
            "from": bot_user(self.bot_token),
            "text": reply["text"] or "",
            "reply_markup": reply["reply_markup"],
        }
        callback = {
            "botToken": self.bot_token,
            "from": self.user,
            "message": message,
            "chat_instance": f"emulator-{self.chat_id}",
            "data": button["callback_data"],
        }
        await self._post("/sendCallback", callback)
        return str(button["callback_data"])

    # -- reading -------------------------------------------------------------------
    async def wait_for_replies(self, count: int = 1, timeout: float = 5.0) -> list[BotReply]:
        """Wait for the next ``count`` bot messages to this chat, oldest first.

        On timeout the messages that did arrive stay queued for the next call.
        """
        deadline = time.monotonic() + timeout
        while True:
            payload = {"token": self.bot_token, "chatId": self.chat_id}
            self._unread += [to_bot_reply(e) for e in await self._post("/getUpdates", payload)]
            if len(self._unread) >= count:
                replies, self._unread = self._unread[:count], self._unread[count:]
                return replies
            if time.monotonic() >= deadline:
                got = [r["text"] for r in self._unread]
                raise TimeoutError(f"wanted {count} bot replies in {timeout} s, got {got}")
            await asyncio.sleep(self.poll_interval)

    async def wait_for_reply(self, timeout: float = 5.0) -> BotReply:
        """Wait for the next bot message to this chat."""
        return (await self.wait_for_replies(1, timeout))[0]

    async def assert_no_reply(self, within: float = 0.5) -> None:
        """Fail if the bot sends anything to this chat within ``within`` seconds."""
        if not self._unread:
            with contextlib.suppress(TimeoutError):
                self._unread[:0] = await self.wait_for_replies(1, within)
        if self._unread:
            raise AssertionError(f"expected no reply, got {[r['text'] for r in self._unread]}")

    async def history(self) -> list[BotReply]:
        """Every bot message to this chat, oldest first, with edits merged in.

        The emulator merges an edit's fields into the stored message, so a keyboard that
        an edit did not repeat still shows here (the real API would have removed it).
        """
        entries = await self._post("/getUpdatesHistory", {"token": self.bot_token})
        return [
            to_bot_reply(e)
            for e in entries
            if "chat_id" in e.get("message", {}) and int(e["message"]["chat_id"]) == self.chat_id
        ]

    async def get_message(self, message_id: int) -> BotReply:
        """The current state of one bot message in this chat."""
        for reply in await self.history():
            if reply["message_id"] == message_id:
                return reply
        raise LookupError(f"no bot message {message_id} in chat {self.chat_id}")

    async def wait_for_edit(self, reply: BotReply, timeout: float = 5.0) -> BotReply:
        """Wait until the bot edits ``reply`` (its text or keyboard changes); return it."""
        deadline = time.monotonic() + timeout
        while True:
            current = await self.get_message(reply["message_id"])
            if (current["text"], current["reply_markup"]) != (reply["text"], reply["reply_markup"]):
                return current
            if time.monotonic() >= deadline:
                raise TimeoutError(f"message {reply['message_id']} not edited in {timeout} s")
            await asyncio.sleep(self.poll_interval)

    # -- plumbing ------------------------------------------------------------------
    def _message(
        self,
        text: str,
        entities: list[dict[str, Any]] | None = None,
        reply_to: BotReply | dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        message: dict[str, Any] = {
            "botToken": self.bot_token,
            "from": self.user,
            "chat": self.chat,
            "date": int(time.time()),
            "text": text,
        }
        if entities:
            message["entities"] = entities
        if self.thread_id is not None:
            message |= {"message_thread_id": self.thread_id, "is_topic_message": True}
        if reply_to is not None and "raw" in reply_to:  # a bot reply
            message["reply_to_message"] = {
                "message_id": reply_to["message_id"],
                "date": reply_to["date"],
                "chat": self.chat,
                "from": bot_user(self.bot_token),
                "text": reply_to["text"] or "",
            }
        elif reply_to is not None:
            message["reply_to_message"] = dict(reply_to)
        return message

    async def _send(self, path: str, message: dict[str, Any]) -> int:
        await self._post(path, message)
        if not self.track_ids:
            return 0
        # The client API answers null; the id the emulator gave is only in its history.
        entries = await self._post("/getUpdatesHistory", {"token": self.bot_token})
        ids = [
            int(e["messageId"])
            for e in entries
            if (e.get("message") or {}).get("chat", {}).get("id") == self.chat_id
            and e["message"].get("from", {}).get("id") == self.user_id
        ]
        if not ids:
            raise RuntimeError(f"emulator did not store the message sent to {path}")
        return max(ids)

    async def _post(self, path: str, payload: dict[str, Any]) -> Any:
        # verify=False: plain HTTP on loopback, and it skips loading CA certificates, which
        # makes a fresh client cheap enough to create per call under load.
        async with httpx.AsyncClient(trust_env=False, timeout=5.0, verify=False) as client:
            response = await client.post(self.emulator_url + path, json=payload)
        response.raise_for_status()
        return response.json()["result"]


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def button_labels(reply: BotReply) -> list[str]:
    """The labels of the inline keyboard under ``reply``, row by row."""
    markup = reply["reply_markup"] or {}
    return [button["text"] for row in markup.get("inline_keyboard", []) for button in row]


def command_text(
    command: str, args: str = "", mention_bot: bool = False
) -> tuple[str, list[dict[str, Any]]]:
    """``/command[@Bot] [args]`` and the ``bot_command`` entity PTB needs."""
    if not command.startswith("/"):
        raise ValueError(f"commands start with '/': {command!r}")
    if mention_bot:
        command = f"{command}@{BOT_USERNAME}"
    text = f"{command} {args}" if args else command
    return text, [{"type": "bot_command", "offset": 0, "length": _utf16_len(command)}]


def mention_text(text: str) -> tuple[str, list[dict[str, Any]]]:
    """``@Bot <text>`` and its ``mention`` entity."""
    mention = f"@{BOT_USERNAME}"
    entity = {"type": "mention", "offset": 0, "length": _utf16_len(mention)}
    return f"{mention} {text}".rstrip(), [entity]


def _file(kind: str, **fields: Any) -> dict[str, Any]:
    return {"file_id": f"{kind}-file", "file_unique_id": f"{kind}-unique", **fields}


def _without_token(message: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in message.items() if k != "botToken"}
