# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later
"""Helpers of the collection's filter plugins (controller side): plain data out, host variables in."""

from collections.abc import Mapping


def plain(value):
    """``value`` as plain ``dict``/``list``/``str``/``int``/``float``/``bool``/``None`` (ansible-core 2.19 tags its strings;
    before 2.19 lazy containers and unsafe text): what a filter returns and what a fact or a JSON file holds."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    return str(value)


def is_integer(value):
    """Jinja's ``integer`` test: an int that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def host_var(hostvars, host, name, default=None):
    """The variable ``name`` of ``host`` in ``hostvars`` (the magic variable), ``default`` when the host has none."""
    try:
        variables = hostvars[host]
        return variables[name] if name in variables else default
    except (KeyError, TypeError):
        return default


def counts_text(counts, sep='='):
    """``{'models': 2, 'runs': 1}`` as ``models=2, runs=1`` (in the dict's order)."""
    return ', '.join(f'{kind}{sep}{n}' for kind, n in (counts or {}).items())


def subject_label(subject):
    """A subject as its name, UPN, e-mail and ``object id <id>`` (those it has), joined by ``, ``."""
    subject = subject if isinstance(subject, Mapping) else {}
    who = [str(subject[k]) for k in ('name', 'upn', 'email') if k in subject]
    if 'object_id' in subject:
        who.append(f"object id {subject['object_id']}")
    return ', '.join(who)


def as_dict(value):
    return value if isinstance(value, Mapping) else {}
