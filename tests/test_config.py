from pathlib import Path

import pytest

from qabot.config import ConfigError, load_settings


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
    "text", ["[retriever]\nk1 = 'fast'\n", "[retriever]\nkk1 = 1\n", "not = = toml"]
)
def test_bad_config_is_one_clear_error(text: str) -> None:
    write_config(text)
    with pytest.raises(ConfigError, match="bad config"):
        load_settings()


def test_shipped_config_matches_the_defaults() -> None:
    shipped = Path(__file__).resolve().parent.parent / "config" / "qabot.toml"
    assert load_settings(shipped).model_dump() == load_settings(None).model_dump()


def test_telegram_token_is_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QABOT_TELEGRAM__TOKEN", "123:do-not-leak")
    settings = load_settings()
    assert settings.telegram.token is not None
    assert "do-not-leak" not in repr(settings)
    assert settings.telegram.token.get_secret_value() == "123:do-not-leak"
