"""The lab's keys are read back from the files it wrote by the plan's slot, not by a pattern."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from hybridnet.emulate import lab_keys, plan
from hybridnet.emulate.plan import SECRET_SLOT
from hybridnet.emulate.setup import keys_in, lab_secrets, write_node_files
from hybridnet.model import default_topology


def test_the_key_is_what_the_written_file_has_where_the_plan_has_the_slot() -> None:
    planned = f'secrets {{\n  ike-1 {{ secret = "{SECRET_SLOT}" }}\n}}\n'
    assert keys_in(planned, planned.replace(SECRET_SLOT, "s3cr3t-Key")) == ["s3cr3t-Key"]
    assert keys_in(planned, "something else entirely") == []


def test_a_lab_brought_up_elsewhere_gives_its_generated_keys(tmp_path: Any) -> None:
    lab_plan = plan(default_topology(), lab="keys")
    keys = lab_keys(default_topology(), mismatch=True)  # two different keys, generated for this lab
    lab = SimpleNamespace(plan=lab_plan, node_directory=lambda node: tmp_path / "nodes" / node)
    for node in lab_plan.nodes:
        write_node_files(lab, node, keys)  # type: ignore[arg-type]
    assert sorted(lab_secrets(lab)) == sorted({keys.onprem, keys.azure})  # type: ignore[arg-type]
