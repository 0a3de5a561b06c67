"""`python -m app` routes on a fixed list of command names: it must match the parser's commands."""

from __future__ import annotations

import re

import pytest

from app.cli.commands import COMMANDS
from app.cli.main import main


def test_the_command_list_is_the_parsers(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as ended:
        main(["--help"])
    assert ended.value.code == 0
    listed = re.findall(r"^    (\w+)\s", capsys.readouterr().out, re.MULTILINE)
    assert tuple(listed) == COMMANDS
