# -*- coding: utf-8 -*-
# Copyright (c) gdpr.azureml contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# SPDX-License-Identifier: GPL-3.0-or-later

# This module_utils is PRIVATE to the gdpr.azureml collection.
# It can have breaking changes at any time. Do not use it from other collections.

"""The one base of the collection's errors, and the one way their message reads.

Every error the collection raises derives from :class:`GdprAzureMLError` (those that callers may also catch as
``ValueError`` derive from both). ``str(error)`` is one line:

- an answer of the service: ``<doing what>: the service said <message> (HTTP <status>, code <code>, request id <id>)``;
- a local problem: ``<doing what>: <problem>`` (or the problem alone when nothing names what was being done);

the parts the error does not know are left out, and a ``hint`` (what to do about it) follows after ``; ``.
"""


def error_line(doing, problem, *, status=None, code=None, request_id=None, service=False, hint=None):
    """The one-line message (see the module docstring); ``service``: ``problem`` is what the service answered."""
    problem = ' '.join(str(problem if problem not in (None, '') else 'no error message').split())
    line = f'the service said {problem}' if service else problem
    facts = [f'HTTP {status}' if status else None, f'code {code}' if code else None, f'request id {request_id}' if request_id else None]
    facts = [fact for fact in facts if fact]
    if facts:
        line += f" ({', '.join(facts)})"
    if doing:
        line = f'{doing}: {line}'
    if hint:
        line += f'; {hint}'
    return line


class GdprAzureMLError(Exception):
    """An error of the collection: what was being done (``doing``), what went wrong (``message``), and for an answer of
    the service its HTTP ``status``, ``code`` and ``request_id``.

    ``result``: extra keys for the module's failure result (a refused purge's plan, what was deleted before it stopped).
    """

    def __init__(self, message=None, *, doing=None, status=None, code=None, request_id=None, correlation_id=None, hint=None,
                 service=False, **result):
        self.doing = doing
        self.service = service  # True when ``message`` is what the service answered
        self.message = message
        self.status = status
        self.code = code
        self.request_id = request_id
        self.correlation_id = correlation_id
        self.hint = hint
        self.result = result
        super().__init__(error_line(doing, message, status=status, code=code, request_id=request_id, service=service, hint=hint))

    def to_result(self):
        """Extra keys for ``fail_json``: ``status``, ``error_code``, ``request_id``, ``correlation_id`` (those known) and
        :attr:`result`."""
        keys = {'status': self.status, 'error_code': self.code, 'request_id': self.request_id, 'correlation_id': self.correlation_id}
        return dict({k: v for k, v in keys.items() if v is not None}, **self.result)
