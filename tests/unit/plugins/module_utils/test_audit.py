import errno
import json
import os
import threading

import pytest

from ansible_collections.gdpr.azureml.plugins.module_utils import _audit


def lines_of(path):
    return [json.loads(x) for x in path.read_text(encoding='utf-8').splitlines()]


def test_a_pending_line_is_on_disk_before_pending_returns(tmp_path, monkeypatch):
    synced = []
    real_fsync = os.fsync
    log = _audit.AuditLog(str(tmp_path / 'a.jsonl')).open()
    monkeypatch.setattr(os, 'fsync', lambda fd: synced.append(log.lines) or real_fsync(fd))
    log.write(_audit.audit_record('ws', 'models', 'm0', status=200, request_id='r', outcome='deleted'))
    assert synced == []  # a settling line waits for the next fsync
    number = log.pending(_audit.audit_record('ws', 'models', 'm1', status=None, request_id=None, outcome='pending',
                                             client_request_id='c1'))
    assert number == 2 and synced == [2]  # both lines are on disk before the DELETE may go
    log.close()


def test_concurrent_pending_lines_share_fsyncs_at_most_one_per_line(tmp_path, monkeypatch):
    fsyncs = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, 'fsync', lambda fd: fsyncs.append(1) or real_fsync(fd))
    log = _audit.AuditLog(str(tmp_path / 'a.jsonl')).open()
    barrier = threading.Barrier(8)
    problems = []

    def worker(n):
        barrier.wait()
        number = log.pending({'outcome': 'pending', 'id': n, 'client_request_id': f'c{n}'})
        if log._synced < number:
            problems.append(n)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert problems == [] and 1 <= len(fsyncs) <= 8 and log.lines == 8
    log.close()


def test_a_failed_write_stops_every_later_write(tmp_path, monkeypatch):
    log = _audit.AuditLog(str(tmp_path / 'a.jsonl')).open()

    def full(fd, data):
        raise OSError(errno.ENOSPC, 'No space left on device')

    monkeypatch.setattr(os, 'write', full)
    with pytest.raises(_audit.AuditError, match='No space left on device.*stopped before its next DELETE'):
        log.pending({'outcome': 'pending', 'kind': 'models', 'id': 'm1'})
    monkeypatch.undo()
    with pytest.raises(_audit.AuditError):
        log.write({'outcome': 'deleted', 'kind': 'models', 'id': 'm0'})  # the log stays failed
    log.close()
    assert (tmp_path / 'a.jsonl').read_bytes() == b''


def test_dev_full_refuses_the_first_pending_line():
    if not os.path.exists('/dev/full'):
        pytest.skip('no /dev/full')
    with pytest.raises(_audit.AuditError, match='No space left on device'):
        with _audit.audit_log('/dev/full') as log:
            log.pending({'outcome': 'pending', 'kind': 'models', 'id': 'm1'})


def test_unsettled_pending_lines_are_settled_by_listing_again(tmp_path):
    path = tmp_path / 'a.jsonl'
    with _audit.audit_log(str(path)) as log:
        for cid, obj_id in (('c1', 'gone'), ('c2', 'there'), ('c3', 'done')):
            log.pending(_audit.audit_record('WS', 'models', obj_id, status=None, request_id=None, outcome='pending',
                                            client_request_id=cid))
        log.write(_audit.audit_record('WS', 'models', 'done', status=200, request_id='r3', outcome='deleted', client_request_id='c3'))
        log.pending(_audit.audit_record('other', 'models', 'x', status=None, request_id=None, outcome='pending', client_request_id='c4'))
    assert [x['id'] for x in _audit.unsettled(_audit.read_lines(str(path)), 'ws')] == ['gone', 'there']
    asked = []
    with _audit.audit_log(str(path)) as log:
        written = _audit.settle_by_relist(log, 'ws', lambda kind: asked.append(kind) or {'there', 'done'})
    assert asked == ['models']  # one listing per kind
    assert [(x['id'], x['outcome'], x['settled_by'], x['client_request_id']) for x in written] == [
        ('gone', 'deleted', 'relist', 'c1'), ('there', 'failed', 'relist', 'c2')]
    assert 'still there' in written[1]['error']
    assert _audit.unsettled(_audit.read_lines(str(path)), 'WS') == []
    assert [x['id'] for x in _audit.unsettled(_audit.read_lines(str(path)))] == ['x']  # another workspace's: left alone
    assert len(lines_of(path)) == 7
