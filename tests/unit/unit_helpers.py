"""Shared test doubles and constants of the unit tests."""
import threading
import time

SUB = '00000000-1111-2222-3333-444444444444'
WS_PARAMS = {'subscription_id': SUB, 'resource_group': 'rg-1', 'workspace_name': 'ws-1'}
WS_ID = f'/subscriptions/{SUB}/resourceGroups/rg-1/providers/Microsoft.MachineLearningServices/workspaces/ws-1'


class InFlight:
    """Counts the calls of :meth:`busy` running at once (``now``) and the most at any time (``peak``): the bound of a
    pool, a scheduler or the client's request slots."""

    def __init__(self):
        self.now = self.peak = 0
        self._lock = threading.Lock()

    def busy(self, seconds):
        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(seconds)
        with self._lock:
            self.now -= 1


def table_rows(text, heading):
    """The rows (lists of cells) of the first Markdown table after ``heading``, without its header (the docs-drift tests)."""
    rows, started = [], False
    for line in text[text.index(heading):].splitlines():
        if line.startswith('|'):
            started = True
            cells = [c.strip() for c in line.strip().strip('|').split('|')]
            if not set(''.join(cells)) <= set('-: '):
                rows.append(cells)
        elif started:
            break
    return rows[1:]  # without the header


class FakeAuth:
    """An auth source handing out tokens t1, t2, ...; records grants and invalidations."""

    def __init__(self, refreshable=True, name='fake'):
        self.refreshable = refreshable
        self.grants = 0
        self.invalidated = []
        self._token = None
        self.name = name

    def get_token(self):
        if self._token is None:
            self.grants += 1
            self._token = f'tok-secret-{self.grants}'
        return self._token

    def invalidate(self, token):
        self.invalidated.append(token)
        if token == self._token:
            self._token = None

    def secrets(self):
        return [self._token] if self._token else []

    def describe(self):
        return self.name


class ExitJson(BaseException):
    """exit_json was called (BaseException, like the real SystemExit: module code does not catch it)."""

    def __init__(self, result):
        super().__init__(result)
        self.result = result


class FailJson(BaseException):
    """fail_json was called."""

    def __init__(self, result):
        super().__init__(result)
        self.result = result


def patch_exits(monkeypatch):
    """Make AnsibleModule.exit_json / fail_json raise ExitJson / FailJson; collect warnings."""
    from ansible.module_utils.basic import AnsibleModule

    warnings = []

    def exit_json(self, **kwargs):
        raise ExitJson(kwargs)

    def fail_json(self, msg, **kwargs):
        raise FailJson(dict(kwargs, msg=msg, failed=True))

    monkeypatch.setattr(AnsibleModule, 'exit_json', exit_json)
    monkeypatch.setattr(AnsibleModule, 'fail_json', fail_json)
    monkeypatch.setattr(AnsibleModule, 'warn', lambda self, msg: warnings.append(msg))
    return warnings
