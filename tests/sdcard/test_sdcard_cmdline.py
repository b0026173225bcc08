"""cmdline.txt stays one line; parameters are set once, idempotently."""

from __future__ import annotations

import pytest

from bridge_cli.errors import BridgeInputError
from bridge_cli.sdcard import cmdline

LINE = b"console=tty1 root=PARTUUID=1-02 rootwait quiet\n"
PARAMS = {cmdline.REGDOM: "cfg80211.ieee80211_regdom=DE", cmdline.NOCLOUD: "ds=nocloud;i=abc"}


def test_appends_then_is_idempotent():
    once = cmdline.edit(cmdline.parse(LINE), PARAMS)
    assert once.render() == (
        b"console=tty1 root=PARTUUID=1-02 rootwait quiet "
        b"cfg80211.ieee80211_regdom=DE ds=nocloud;i=abc\n"
    )
    twice = cmdline.edit(cmdline.parse(once.render()), PARAMS)
    assert twice.render() == once.render()


def test_replaces_existing_in_place_and_drops_duplicates():
    raw = b"a cfg80211.ieee80211_regdom=GB b ds=nocloud;i=old cfg80211.ieee80211_regdom=FR c\n"
    out = cmdline.edit(cmdline.parse(raw), PARAMS).render()
    assert out == b"a cfg80211.ieee80211_regdom=DE b ds=nocloud;i=abc c\n"


def test_keeps_crlf_and_missing_newline():
    assert cmdline.edit(cmdline.parse(b"a b\r\n"), PARAMS).render().endswith(b"abc\r\n")
    assert cmdline.edit(cmdline.parse(b"a b"), PARAMS).render().endswith(b"abc")


@pytest.mark.parametrize(
    ("raw", "words"),
    [(b"a\nb\n", "2 lines"), (b"\n \n", "empty"), (b"\xff\xfe", "UTF-8")],
)
def test_refuses_broken_files(raw, words):
    with pytest.raises(BridgeInputError, match=words):
        cmdline.parse(raw)


def test_detects_imager_firstrun():
    assert cmdline.runs_firstrun(cmdline.parse(b"a systemd.run=/boot/firstrun.sh\n"))
    assert not cmdline.runs_firstrun(cmdline.parse(LINE))
