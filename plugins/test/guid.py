# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

DOCUMENTATION = r"""
name: guid
short_description: Whether a value is a GUID (a subscription, tenant or object id)
version_added: "2.0.0"
author:
  - gdpr.azureml maintainers (@gdpr-azureml)
description:
  - True for a string of the form C(00000000-0000-0000-0000-000000000000) (hexadecimal digits, either case), the pattern the
    modules and the inventory plugin check subscription ids against. Anything else (another string, a number, null) is false.
options:
  _input:
    description: The value to check.
    type: raw
    required: true
"""

EXAMPLES = r"""
- name: Check the subscription id before any request
  ansible.builtin.assert:
    that: azureml_subscription_id is gdpr.azureml.guid
"""

RETURN = r"""
_value:
  description: Whether the value is a GUID.
  type: bool
"""

from ansible_collections.gdpr.azureml.plugins.module_utils._routes import GUID_RE


def guid(value):
    return isinstance(value, str) and GUID_RE.match(value) is not None


class TestModule:
    def tests(self):
        return {'guid': guid}
