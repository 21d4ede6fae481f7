# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

"""Action plugin of ``gdpr.azureml.fleet_summary_json``: the fleet summary written on the controller, no module process.

``ansible.builtin.copy`` starts two module processes (``stat``, then ``copy``) for one small file, about half of the CPU
an empty workspace's export playbook costs; this writes the same bytes in the controller's process, through the
collection's one atomic writer (``_jsonfile.write_atomic``: 0600, fsynced, renamed) and ``make_private_dirs`` (0700).
"""

import json
import os
import stat

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.gdpr.azureml.plugins.module_utils._jsonfile import MODE, make_private_dirs, missing_dirs, write_atomic

ARGUMENT_SPEC = {
    'path': {'type': 'path', 'required': True},
    'summary': {'type': 'dict', 'required': True},
}


def render(summary):
    """The file's bytes: ``to_nice_json(sort_keys=true)`` and a line break."""
    text = json.dumps(summary, indent=4, sort_keys=True, separators=(',', ': '))
    return (text + '\n').encode('utf-8')


class ActionModule(ActionBase):

    TRANSFERS_FILES = False
    _requires_connection = False
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        path = args['path']
        if not os.path.isabs(path):
            raise AnsibleActionFail(f'path must be an absolute path on the controller, got {path!r}')
        content = render(args['summary'])
        before = None
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            info = None
        if info is not None:
            if not stat.S_ISREG(info.st_mode):
                raise AnsibleActionFail(f'{path} exists and is not a regular file (a folder or a symbolic link): not written')
            with open(path, 'rb') as f:
                before = f.read()
        changed = before != content or stat.S_IMODE(info.st_mode) != MODE
        folder = os.path.dirname(path)
        created = missing_dirs(folder)  # what a check run would create
        if changed and not self._task.check_mode:
            try:
                created = make_private_dirs(folder)
                write_atomic(path, content, MODE)
            except OSError as exc:
                raise AnsibleActionFail(f'cannot write the fleet summary {path}: {exc.strerror or exc}') from None
        result.update(changed=changed, path=path, created_dirs=created)
        if self._task.diff and changed:
            result['diff'] = {'before_header': path, 'after_header': path, 'before': (before or b'').decode('utf-8', 'replace'),
                              'after': content.decode('utf-8')}
        return result
