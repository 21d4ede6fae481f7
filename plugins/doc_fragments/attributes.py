# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Standard attribute descriptions (as community.docker's ``attributes`` fragment).

Use ``gdpr.azureml.attributes`` with ``gdpr.azureml.attributes.actiongroup_azureml`` in every
module, plus ``gdpr.azureml.attributes.info_module`` in the ``*_info`` modules; other modules
fill in ``support`` (and ``details`` when partial) of ``check_mode``, ``diff_mode`` and
``idempotent`` themselves.
"""


class ModuleDocFragment:

    DOCUMENTATION = r'''
options: {}
attributes:
  check_mode:
    description: Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in C(check_mode)), when in diff mode.
  idempotent:
    description:
      - When run twice in a row outside check mode, with the same arguments, the second invocation indicates no change.
      - This assumes that the system controlled/queried by the module has not changed in a relevant way.
'''

    INFO_MODULE = r'''
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This action does not modify state on the service. With O(dest) it writes nothing in check mode.
  diff_mode:
    support: N/A
    details:
      - This action does not modify state.
  idempotent:
    support: full
'''

    ACTIONGROUP_AZUREML = r'''
options: {}
attributes:
  action_group:
    description: Use C(group/gdpr.azureml.azureml) in C(module_defaults) to set defaults for this module.
    support: full
    membership:
      - gdpr.azureml.azureml
'''
