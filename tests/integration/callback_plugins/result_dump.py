# Test-only callback: appends every task result to the JSON-lines file named by
# GDPR_AZUREML_RESULT_DUMP, so integration tests can assert on module results.
from __future__ import annotations

import json
import os

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: result_dump
type: aggregate
short_description: write every task result to a JSON-lines file (tests only)
description:
  - Used by the integration tests of gdpr.azureml; not shipped.
requirements:
  - environment variable GDPR_AZUREML_RESULT_DUMP
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "result_dump"
    CALLBACK_NEEDS_ENABLED = True

    def _dump(self, result, status):
        path = os.environ.get("GDPR_AZUREML_RESULT_DUMP")
        if not path:
            return
        entry = {
            "host": result._host.get_name(),
            "task": result._task.get_name(),
            "action": result._task.action,
            "status": status,
            "result": result._result,
        }
        with open(path, "a", encoding="utf-8") as f:
            f.write(json.dumps(entry, default=str) + "\n")

    def v2_runner_on_ok(self, result):
        self._dump(result, "ok")

    def v2_runner_on_failed(self, result, ignore_errors=False):
        self._dump(result, "failed")

    def v2_runner_on_skipped(self, result):
        self._dump(result, "skipped")
