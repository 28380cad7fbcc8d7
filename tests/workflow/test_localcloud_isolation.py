"""LocalCloud leaves the process as it found it: later tests run on plain moto."""

from __future__ import annotations

import json
from dataclasses import replace

from localcloud.cloud import DEMO_SPEC, LocalCloud


def test_closing_puts_moto_s_process_wide_config_back():
    from moto.core.config import default_user_config

    before = json.loads(json.dumps(default_user_config))
    with LocalCloud(replace(DEMO_SPEC, name="config")):
        assert default_user_config["stepfunctions"]["execute_state_machine"] is True

    # Plain moto leaves executions RUNNING, as the adapter tests of the workflow expect.
    assert default_user_config == before
    assert default_user_config["stepfunctions"]["execute_state_machine"] is False


def test_closing_restores_moto_s_own_parsers():
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser
    from moto.stepfunctions.parser.asl.utils import json_path

    parse, path_parse = AmazonStateLanguageParser.__dict__["parse"], json_path.parse
    with LocalCloud(replace(DEMO_SPEC, name="parsers")):
        assert AmazonStateLanguageParser.__dict__["parse"] is not parse
        assert json_path.parse is not path_parse

    assert AmazonStateLanguageParser.__dict__["parse"] is parse
    assert json_path.parse is path_parse
