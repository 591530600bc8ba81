"""What the bot's handlers share: the conversation layer, its stores, limits and strings.

Example:
    >>> state = BotState.from_settings(settings, pipeline)  # doctest: +SKIP
    >>> state.strings_for(update.effective_user, "梯度检查点?").sources  # doctest: +SKIP
    '出处：'
"""

from __future__ import annotations

from dataclasses import dataclass, field

from telegram import User

from qabot.chat.conversation import Conversations
from qabot.chat.examples import ExampleQuestions
from qabot.chat.feedback import FeedbackStore
from qabot.chat.limits import RateLimiter
from qabot.chat.service import AnswerService
from qabot.chat.store import ChatStore
from qabot.chat.strings import CATALOGUE, Language, Strings, choose_language
from qabot.config import Settings, TelegramSettings
from qabot.pipeline import QAPipeline


@dataclass
class BotState:
    """One per running bot; every handler reads and updates it."""

    options: TelegramSettings
    service: AnswerService
    store: ChatStore
    conversations: Conversations
    feedback: FeedbackStore
    examples: ExampleQuestions = field(default_factory=ExampleQuestions)
    questions: RateLimiter = field(init=False)
    lookups: RateLimiter = field(init=False)  # button presses and inline queries
    slow_down_notices: RateLimiter = field(default_factory=lambda: RateLimiter(1, window=60))
    hints: RateLimiter = field(default_factory=lambda: RateLimiter(1, window=60))
    refusals: RateLimiter = field(default_factory=lambda: RateLimiter(1, window=3600))

    def __post_init__(self) -> None:
        self.questions = RateLimiter(self.options.questions_per_minute, window=60)
        self.lookups = RateLimiter(self.options.lookups_per_minute, window=60)

    @classmethod
    def from_settings(cls, settings: Settings, pipeline: QAPipeline) -> BotState:
        options = settings.telegram
        service = AnswerService(settings, pipeline)
        store = ChatStore(options.state_file, ttl=options.button_ttl_seconds)
        return cls(
            options=options,
            service=service,
            store=store,
            conversations=Conversations(service, store, settings.chat.follow_up_seconds),
            feedback=FeedbackStore(options.feedback_file),
        )

    def language_for(self, user: User | None, text: str = "") -> Language:
        """``telegram.language``, else the user's app language, else ``text``'s script."""
        return choose_language(self.options.language, user.language_code if user else None, text)

    def strings_for(self, user: User | None, text: str = "") -> Strings:
        return CATALOGUE[self.language_for(user, text)]

    def allowed(self, chat_id: int | None, user_id: int | None) -> bool:
        """Whether the allowlists (empty: everyone) let this chat or user in."""
        chats, users = self.options.allowed_chat_ids, self.options.allowed_user_ids
        if not chats and not users:
            return True
        return chat_id in chats or user_id in users
