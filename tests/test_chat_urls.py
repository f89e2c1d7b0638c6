"""Chat-target URLs: which apprise URLs are accepted, masking, sealing with rotation, the SSRF guard."""

from __future__ import annotations

import pytest

from monitor.chatseal import Sealer, SealError
from monitor.chaturls import ChatUrlError, check_url, guard_host, split_urls
from monitor.settings import Settings, SettingsError, load_settings

TOKEN = "T1JJ3T3L2/A1BRTD4JD/TIiajkdnlazkcOXrIdevi7FQ"
SECRET = "s3cr3t-0123456789abcdef"


@pytest.mark.parametrize(
    ("url", "service"),
    [
        (f"slack://{TOKEN}/#general", "slack"),
        (f"https://hooks.slack.com/services/{TOKEN}", "slack"),
        ("discord://1234567890/abcdefghijklmnopqrstuvwxyz012345", "discord"),
        ("https://discord.com/api/webhooks/1234567890/abcdefghijklmnopqrstuvwxyz012345", "discord"),
        ("matrix://bot:pa55word-longer-than-12@matrix.example.org/#room", "matrix"),
        (f"json://hooks.example.org/{SECRET}", "json"),
        (f"jsons://hooks.example.org/{SECRET}", "json"),
        (f"form://hooks.example.org/{SECRET}", "form"),
        (f"forms://user:{SECRET}@hooks.example.org/in", "form"),
    ],
)
def test_supported_services_are_recognised(url: str, service: str) -> None:
    assert check_url(url).service == service


@pytest.mark.parametrize(
    "url",
    [
        "",
        "not a url",
        "mailto://user:pass@example.org",
        "tgram://123456789:abcdefg_hijklmnop/",
        "xml://host/x",
    ],
)
def test_other_urls_and_services_are_refused(url: str) -> None:
    with pytest.raises(ChatUrlError) as caught:
        check_url(url)
    assert "pass" not in str(caught.value) and "abcdefg" not in str(caught.value)


def test_a_mask_shows_the_host_of_a_webhook_and_never_its_token() -> None:
    masked = check_url(f"json://hooks.example.org:8443/{SECRET}?x=1").masked
    assert masked.startswith("json://hooks.example.org:8443/")
    assert SECRET[:-4] not in masked and "x=1" not in masked
    assert len(masked.rsplit("…", 1)[1]) == 4


def test_a_mask_of_a_token_service_shows_no_part_of_the_token_but_its_end() -> None:
    masked = check_url(f"slack://{TOKEN}/#general").masked
    assert masked.startswith("slack://…")
    for part in TOKEN.split("/"):
        assert part not in masked
    password = "pa55word-longer-than-12"
    assert password not in check_url(f"matrix://bot:{password}@matrix.example.org/#room").masked


def test_a_short_secret_shows_nothing_of_itself() -> None:
    assert check_url("json://hooks.example.org/abc").masked == "json://hooks.example.org/…"


def test_seal_and_unseal_and_a_rotation_keeps_old_targets_readable() -> None:
    url = f"json://hooks.example.org/{SECRET}"
    old = Sealer("old-secret-" + "x" * 32)
    sealed = old.seal(url)
    assert SECRET not in sealed and old.unseal(sealed) == url
    rotated = Sealer("new-secret-" + "y" * 32, ["old-secret-" + "x" * 32])
    assert rotated.unseal(sealed) == url
    resealed = rotated.reseal(sealed)
    assert Sealer("new-secret-" + "y" * 32).unseal(resealed) == url
    with pytest.raises(SealError):
        Sealer("new-secret-" + "y" * 32).unseal(sealed)


def test_a_fingerprint_is_stable_and_keyed() -> None:
    url = f"json://hooks.example.org/{SECRET}"
    one, other = Sealer("a" * 40), Sealer("b" * 40)
    assert one.fingerprint(url) == one.fingerprint(url + " ")
    assert one.fingerprint(url) != other.fingerprint(url)
    assert SECRET not in one.fingerprint(url)


@pytest.mark.parametrize(
    "host", ["127.0.0.1", "10.1.2.3", "169.254.169.254", "[::1]", "192.168.1.9", "0.0.0.0"]
)
def test_private_and_local_hosts_are_refused_unless_allowed(host: str) -> None:
    target = check_url(f"json://{host}:8080/{SECRET}")
    with pytest.raises(ChatUrlError, match="CALLWATCH_CHAT_ALLOW_PRIVATE_HOSTS"):
        guard_host(target, allow_private=False)
    guard_host(target, allow_private=True)


def test_a_teams_workflow_on_a_private_host_is_refused() -> None:
    target = check_url(f"workflows://10.0.0.5:8443/643e69f83c8944/{SECRET}")
    assert target.service == "msteams" and target.host == "10.0.0.5"
    with pytest.raises(ChatUrlError):
        guard_host(target, allow_private=False)


def test_a_name_resolving_to_loopback_is_refused() -> None:
    with pytest.raises(ChatUrlError):
        guard_host(check_url(f"json://localhost:8080/{SECRET}"), allow_private=False)


def test_a_public_address_and_a_token_service_pass_the_guard() -> None:
    guard_host(check_url(f"json://93.184.215.14/{SECRET}"), allow_private=False)
    guard_host(check_url(f"slack://{TOKEN}/#general"), allow_private=False)


def test_operator_chat_urls_are_checked_at_load(tmp_path) -> None:  # noqa: ANN001
    good = Settings(
        var_dir=tmp_path, operator_chat_urls=f"json://hooks.example.org/{SECRET}, slack://{TOKEN}"
    )
    assert len(good.operator_chat()) == 2
    with pytest.raises(SettingsError) as caught:
        load_settings(var_dir=tmp_path, operator_chat_urls=f"tgram://123456789:{SECRET}/")
    assert "CALLWATCH_OPERATOR_CHAT_URLS" in str(caught.value) and SECRET not in str(caught.value)


def test_split_urls() -> None:
    assert split_urls(" a://x,b://y\nc://z ") == ["a://x", "b://y", "c://z"]


def test_a_mask_keeps_the_scheme_of_a_hosted_target() -> None:
    assert (
        check_url(f"jsons://hooks.example.org/{SECRET}").masked == f"jsons://hooks.example.org/…{SECRET[-4:]}"
    )
