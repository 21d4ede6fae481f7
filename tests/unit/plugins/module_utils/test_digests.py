import threading

from ansible_collections.gdpr.azureml.plugins.module_utils import _digests


def test_digest_ignores_key_order_and_the_volatile_fields_of_the_kind():
    service = {'id': 's1', 'description': 'churn', 'state': 'Healthy', 'createdBy': {'userName': 'anna'}}
    same = {'createdBy': {'userName': 'anna'}, 'state': 'Transitioning', 'description': 'churn', 'id': 's1'}
    assert _digests.digest('services', service) == _digests.digest('services', same)
    assert _digests.digest('models', {'id': 'm', 'state': 'a'}) != _digests.digest('models', {'id': 'm', 'state': 'b'})
    compute = {'id': 'c', 'properties': {'provisioningState': 'Updating', 'properties': {'currentNodeCount': 3, 'vmSize': 'S'}}}
    idle = {'id': 'c', 'properties': {'provisioningState': 'Succeeded', 'properties': {'currentNodeCount': 0, 'vmSize': 'S'}}}
    assert _digests.digest('computes', compute) == _digests.digest('computes', idle)
    assert compute['properties']['provisioningState'] == 'Updating'  # the object itself is left as it was


def test_changed_fields_names_what_differs_with_dotted_paths():
    old = {'id': 's1', 'description': 'churn', 'state': 'Healthy', 'createdBy': {'userName': 'anna', 'userObjectId': 'a'},
           'kvTags': {'owner': 'anna@contoso.example'}}
    new = {'id': 's1', 'description': 'mail bjorn@contoso.example', 'state': 'Failed',
           'createdBy': {'userName': 'bjorn', 'userObjectId': 'b'}, 'kvTags': {'owner': 'anna@contoso.example'}, 'extra': 1}
    assert _digests.changed_fields('services', old, new) == ['createdBy.userName', 'createdBy.userObjectId', 'description', 'extra']
    assert _digests.changed_fields('services', old, dict(old, state='Failed')) == []


def test_digests_collected_from_many_threads_are_the_same_map():
    objects = [{'id': f'm{i}', 'n': i} for i in range(200)]
    one, many = _digests.Digests(), _digests.Digests()
    list(one.tap('models', objects))
    threads = [threading.Thread(target=lambda part: [many.add('models', o) for o in part], args=(objects[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert one.as_dict() == many.as_dict() and one.count() == 200
    assert _digests.dumps(one.as_dict()) == _digests.dumps(many.as_dict())
    assert one.as_dict(['models', 'runs'])['runs'] == {}


def test_an_id_met_twice_gets_one_digest_whatever_the_order():
    a, b = {'id': 'x', 'v': 1}, {'id': 'x', 'v': 2}
    first, second = _digests.Digests(), _digests.Digests()
    first.add('models', a)
    first.add('models', b)
    second.add('models', b)
    second.add('models', a)
    assert first.kind('models') == second.kind('models') != {'x': _digests.digest('models', a)}
