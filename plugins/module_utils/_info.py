# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The whole ``main()`` of an ``*_info`` module of a kind that one call lists (``asset_info``, ``compute_info``, ...).

Such a module lists every object of its kind (every page), or gets the one object its option names, and returns them
under the kind's name (or writes them to ``dest``): one declaration per module, the rest is here.
"""

from ansible_collections.gdpr.azureml.plugins.module_utils._export import list_or_get
from ansible_collections.gdpr.azureml.plugins.module_utils._module import AzureMLModule


def run_list_or_get(kind, option, get_param, label):
    """Run the module: ``kind`` (the route and result name), ``option`` (the module option naming one object to get),
    ``get_param`` (the route parameter it fills) and ``label`` (what an error calls one object of the kind)."""
    module = AzureMLModule(argument_spec={option: {'type': 'str'}, 'dest': {'type': 'path'}}, supports_check_mode=True)

    def collect(module):
        value = module.params[option]
        return list_or_get(module, kind, kind, {get_param: value} if value else None,
                           what=f'get {label} {value!r} of workspace {module.workspace}')

    module.run(collect)
