"""Polling of service delete operations without Retry-After: soon first, then backing off (issue 8)."""
from types import SimpleNamespace

from ansible_collections.gdpr.azureml.plugins.module_utils import _purge_delete


class FakeClient:
    """Just what ``wait_operations`` uses: a fake clock, sleeps, and operations that succeed after ``polls`` polls."""

    def __init__(self, polls, retry_after=None):
        self.sleeps = []
        self.polled_at = []
        self.left = polls
        self.asked = retry_after

    def _clock(self):
        return 1000.0 + sum(self.sleeps)

    def _sleep(self, seconds):
        self.sleeps.append(seconds)

    def retry_after(self, response):
        return self.asked

    def follow(self, url, base, family, what, kind=None):
        return url

    def send(self, method, url, what=None, idempotent=True):
        self.polled_at.append(sum(self.sleeps))
        self.left -= 1
        return SimpleNamespace(status_code=200, json=lambda: {'state': 'Succeeded' if self.left <= 0 else 'Running'})

    def map_concurrent(self, fn, items):
        return [fn(item) for item in items]


def _op():
    return {'entry': {'id': 'svc', 'outcome': 'deleted'}, 'what': 'delete service svc',
            'response': SimpleNamespace(headers={'Operation-Location': 'https://x/operations/1'}, url='https://x/services/svc')}


def test_without_retry_after_polls_soon_then_backs_off_to_the_interval():
    client = FakeClient(polls=6)
    op = _op()
    _purge_delete.wait_operations(client, [op], 1800, 5)
    assert client.polled_at == [1, 3, 7, 12, 17, 22]  # 1, 2, 4, then 5 s apart
    assert op['entry']['outcome'] == 'deleted'


def test_a_retry_after_sets_the_pace():
    client = FakeClient(polls=3, retry_after=2)
    _purge_delete.wait_operations(client, [_op()], 1800, 5)
    assert client.polled_at == [2, 4, 6]
