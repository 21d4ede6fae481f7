"""What the unit tests use from ansible-core that only its newer releases have, for every core of the matrix (2.16+).

``patch_module_args``: ``ansible.module_utils.testing.patch_module_args`` (ansible-core 2.19+); on older cores the
same context manager over the mechanism it replaced, ``basic._ANSIBLE_ARGS`` (what ``_load_params`` reads).
``is_trusted_as_template``: ``ansible.template.is_trusted_as_template`` (2.19+); on older cores every string is
rendered unless it is marked unsafe (``AnsibleUnsafe``), so that is what "trusted" means there.
"""
import contextlib
import json
from unittest import mock

try:
    from ansible.module_utils.testing import patch_module_args
except ImportError:  # ansible-core < 2.19
    from ansible.module_utils import basic as _basic

    @contextlib.contextmanager
    def patch_module_args(args=None):
        """Expose ``args`` to the ``AnsibleModule`` instances created within this context."""
        if not isinstance(args, (dict, type(None))):
            raise TypeError('The `args` arg must be a dict or None.')
        payload = json.dumps({'ANSIBLE_MODULE_ARGS': args or {}}).encode()
        with mock.patch.object(_basic, '_ANSIBLE_ARGS', payload):
            yield

try:
    from ansible.template import is_trusted_as_template
except ImportError:  # ansible-core < 2.19
    from ansible.utils.unsafe_proxy import AnsibleUnsafe

    def is_trusted_as_template(value):
        """True when Ansible would render ``value`` as a template."""
        return isinstance(value, str) and not isinstance(value, AnsibleUnsafe)

__all__ = ['is_trusted_as_template', 'patch_module_args']
