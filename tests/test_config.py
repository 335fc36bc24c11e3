"""Settings are data: declared once in config.SETTINGS, the CLI made from them, every one documented."""

from __future__ import annotations

import pytest

from backend import cli
from backend.config import SETTINGS, Config

from .conftest import ROOT


def test_every_setting_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    missing = [s.name for s in SETTINGS if f"`{s.flag}`" not in readme or f"`{s.env}`" not in readme]
    assert not missing, f"settings missing from the README's table: {missing}"


def test_every_setting_is_a_flag_of_the_cli() -> None:
    text = cli.parser().format_help()
    for s in SETTINGS:
        assert s.flag in text and s.env in text, s.name


def test_workers_is_a_setting_from_flag_or_environment() -> None:
    args = cli.parser().parse_args(["serve", "--workers", "2"])
    assert Config.load({"workers": args.workers}, environ={}).workers == 2
    assert Config.load({}, environ={"PUENTE_WORKERS": "3"}).workers == 3
    with pytest.raises(ValueError, match="workers"):
        Config.load({"workers": "0"}, environ={})
