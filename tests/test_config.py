import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

from qabot.config import ConfigError, Settings, load_settings


@pytest.fixture(autouse=True)
def isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    for name in [n for n in __import__("os").environ if n.startswith("QABOT_")]:
        monkeypatch.delenv(name)
    return tmp_path


def write_config(text: str) -> None:
    Path("config").mkdir(exist_ok=True)
    Path("config/qabot.toml").write_text(text, encoding="utf-8")


def test_defaults_without_any_file() -> None:
    settings = load_settings()
    assert settings.notes_dir == Path("seeds")
    assert settings.retriever.k1 == 1.5


def test_each_source_overrides_the_one_before(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config('notes_dir = "from-toml"\n[retriever]\nk1 = 1.1\nb = 0.5\ntop_k = 4\n')
    assert load_settings().retriever.k1 == 1.1
    Path(".env").write_text("QABOT_RETRIEVER__K1=1.2\nQABOT_RETRIEVER__B=0.6\n")
    assert (load_settings().retriever.k1, load_settings().retriever.b) == (1.2, 0.6)
    monkeypatch.setenv("QABOT_RETRIEVER__K1", "1.3")
    settings = load_settings()
    assert (settings.retriever.k1, settings.retriever.b, settings.retriever.top_k) == (1.3, 0.6, 4)
    assert load_settings(notes_dir=Path("from-flag")).notes_dir == Path("from-flag")
    assert load_settings(notes_dir=None).notes_dir == Path("from-toml")


def test_named_config_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    other = tmp_path / "other.toml"
    other.write_text("[reader]\nmin_coverage = 0.9\n")
    assert load_settings(other).reader.min_coverage == 0.9
    monkeypatch.setenv("QABOT_CONFIG", str(other))
    assert load_settings().reader.min_coverage == 0.9
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "missing.toml")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "[retriever]\nk1 = 'fast'\n",
            "retriever.k1: Input should be a valid number, unable to parse string as a number"
            " (config/qabot.toml:2)",
        ),
        (
            "# typo below\n[retriever]\nb = 0.5\nkk1 = 1\n",
            "retriever.kk1: Extra inputs are not permitted (config/qabot.toml:4)",
        ),
        (
            "[telegram.webhook]\nport = 0\n",
            "telegram.webhook.port: Input should be greater than or equal to 1"
            " (config/qabot.toml:2)",
        ),
        (
            "[telegram]\nwebhook = { port = 0 }\n",
            "telegram.webhook.port: Input should be greater than or equal to 1"
            " (config/qabot.toml:2)",
        ),
        (
            "log_level = 'LOUD'\n[reader]\nmax_sentences = 9\n",
            "log_level: Input should be 'DEBUG', 'INFO', 'WARNING' or 'ERROR'"
            " (config/qabot.toml:1); and 1 more error",
        ),
        ("a = 1\nnot = = toml\n", "config/qabot.toml:2:7: Invalid value"),
        ("[ingest\n", "config/qabot.toml:1:8: Expected ']' at the end of a table declaration"),
        ("x = 'unterminated", 'config/qabot.toml:1:18: Expected "\'"'),
        ("x = [1,\n  2,\n", "config/qabot.toml:3:1: Invalid value"),
    ],
)
def test_bad_config_is_one_line_naming_the_key_file_and_line(text: str, message: str) -> None:
    write_config(text)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert str(raised.value) == f"bad config: {message}"


def test_a_bad_regex_is_a_config_error_naming_its_key(monkeypatch: pytest.MonkeyPatch) -> None:
    write_config("[ingest]\nboilerplate_patterns = [\n  '^ok$',\n  '(unclosed',\n]\n")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert str(raised.value) == (
        "bad config: ingest.boilerplate_patterns[1]: invalid regex '(unclosed':"
        " missing ), unterminated subpattern at position 0 (config/qabot.toml:2)"
    )
    # Set elsewhere, it is the same error, without the file.
    monkeypatch.setenv("QABOT_INGEST__BOILERPLATE_PATTERNS", '["[z-a]"]')
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert str(raised.value) == (
        "bad config: ingest.boilerplate_patterns[0]: invalid regex '[z-a]':"
        " bad character range z-a at position 1"
    )
    # Settings made in code (the bot, tests) refuse it too.
    with pytest.raises(ValidationError, match="invalid regex"):
        Settings(ingest={"boilerplate_patterns": ["*"]})


def test_a_value_overridden_later_is_not_blamed_on_the_file(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    write_config("[retriever]\nk1 = 1.1\n")
    monkeypatch.setenv("QABOT_RETRIEVER__K1", "fast")
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert str(raised.value).startswith("bad config: retriever.k1: Input should be")
    assert "qabot.toml" not in str(raised.value)


def test_a_config_file_that_is_not_utf8_is_one_line() -> None:
    Path("config").mkdir()
    Path("config/qabot.toml").write_bytes("notes_dir = '笔记'\n".encode("gbk"))
    with pytest.raises(ConfigError, match=r"^bad config: config/qabot.toml: not UTF-8 text"):
        load_settings()


def test_the_command_exits_2_with_one_line_for_a_bad_regex(isolated: Path) -> None:
    write_config("[ingest]\nboilerplate_patterns = ['(']\n")
    (isolated / "notes").mkdir()
    (isolated / "notes" / "a.txt").write_text("AdamW 解耦权重衰减。\n", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "qabot", "ask", "--notes", "notes", "AdamW?"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "qabot: error: bad config: ingest.boilerplate_patterns[0]: invalid regex '(':"
        " missing ), unterminated subpattern at position 0 (config/qabot.toml:2)"
    ]


def test_shipped_config_matches_the_defaults() -> None:
    shipped = Path(__file__).resolve().parent.parent / "config" / "qabot.toml"
    assert load_settings(shipped).model_dump() == load_settings(None).model_dump()


def test_telegram_token_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QABOT_TELEGRAM__TOKEN", "123:do-not-leak")
    settings = load_settings()
    assert settings.telegram.token is not None
    assert "do-not-leak" not in repr(settings)
    assert settings.telegram.token.get_secret_value() == "123:do-not-leak"
