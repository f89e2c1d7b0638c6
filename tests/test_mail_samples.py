"""`callwatch samples DIR` (the documented way to preview e-mails) writes every kind."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from monitor.cli import main


def test_samples_are_written_by_the_real_path(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["samples", str(tmp_path)])
    assert result.exit_code == 0, result.output
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == [
        f"{kind}.{ext}" for kind in ("alert", "confirmation", "digest", "reminder") for ext in ("html", "txt")
    ]
    assert sorted(result.output.split()) == [str(tmp_path / name) for name in names]
    alert = (tmp_path / "alert.txt").read_text()
    assert "Stage 1 deadline moved from 12 January 2027 17:00 to 19 January 2027 17:00 (Brussels)" in alert
    digest = (tmp_path / "digest.txt").read_text()
    assert digest.startswith("Subject: Your Callwatch digest: 3 new calls")
    assert "keywords: hydrogen, electrolyser* · open to SMEs in PT · 50 days left" in digest
    assert "<!DOCTYPE html>" in (tmp_path / "digest.html").read_text()


def test_samples_help_prints_help_and_writes_nothing(tmp_path: Path, monkeypatch) -> None:  # noqa: ANN001
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(main, ["samples", "--help"])
    assert result.exit_code == 0 and "DIR" in result.output
    assert list(tmp_path.iterdir()) == []
    missing = CliRunner().invoke(main, ["samples"])
    assert missing.exit_code == 2 and "DIR" in missing.output


def test_samples_in_a_language_and_one_folder_per_language(tmp_path: Path) -> None:
    french = CliRunner().invoke(main, ["samples", str(tmp_path / "fr"), "--language", "fr"])
    assert french.exit_code == 0, french.output
    digest = (tmp_path / "fr" / "digest.html").read_text()
    assert '<html lang="fr">' in digest and "janvier 2027" in digest  # Babel's French dates
    both = CliRunner().invoke(main, ["samples", str(tmp_path / "docs"), "--languages", "en,fr"])
    assert both.exit_code == 0, both.output
    assert sorted(p.name for p in (tmp_path / "docs").iterdir()) == ["en", "fr"]
    assert (tmp_path / "docs" / "en" / "digest.txt").read_text().startswith("Subject: Your Callwatch digest")
    assert (tmp_path / "docs" / "fr" / "digest.txt").read_text() == (
        tmp_path / "fr" / "digest.txt"
    ).read_text()


def test_samples_refuse_a_language_that_is_not_offered(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["samples", str(tmp_path), "--languages", "en,xx"])
    assert result.exit_code == 2 and "xx" in result.output
    assert list(tmp_path.iterdir()) == []
