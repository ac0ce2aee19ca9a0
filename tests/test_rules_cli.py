"""`clvdesk rules schema` and `clvdesk rules check`."""

from __future__ import annotations

import json

from click.testing import CliRunner

from clvdesk.cli import main
from clvdesk.rules import load_rules


def test_schema_describes_the_rules():
    result = CliRunner().invoke(main, ["rules", "schema"])
    assert result.exit_code == 0
    schema = json.loads(result.output)
    assert {"tiers", "currency", "instrument_costs", "adjustments"} <= set(schema["properties"])
    assert {"rolling_budget", "abuse_guard", "category_instruments"} <= set(schema["$defs"]["Tier"]["properties"])


def test_check_names_each_error_by_path(tmp_path):
    data = load_rules().model_dump(mode="json")
    good = tmp_path / "good.json"
    good.write_text(json.dumps(data))
    assert CliRunner().invoke(main, ["rules", "check", str(good)]).exit_code == 0
    data["tiers"][1]["abuse_guard"] = {"max_appeasements": 0, "days": 30}
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data))
    result = CliRunner().invoke(main, ["rules", "check", str(bad)])
    assert result.exit_code == 2
    assert result.output.strip() == "tiers[1].abuse_guard.max_appeasements: must be 1 or more"
