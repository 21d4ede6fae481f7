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


def test_the_digest_tap_encodes_each_object_once_for_its_digest_and_its_file(monkeypatch, tmp_path):
    from ansible_collections.gdpr.azureml.plugins.module_utils import _jsonfile

    calls = []
    real = _jsonfile.dumps_item
    monkeypatch.setattr(_digests, 'dumps_item', lambda item: calls.append(item) or real(item))
    monkeypatch.setattr(_jsonfile, 'dumps_item', lambda item: calls.append(item) or real(item))
    models = [{'id': f'm{n}', 'name': 'churn', 'version': n} for n in range(5)]
    services = [{'id': 's1', 'state': 'Healthy'}, {'id': 's2', 'description': 'no volatile field'}]
    digests = _digests.Digests()
    _jsonfile.write_json_array(str(tmp_path / 'models.json'), digests.tap_encoded('models', models), 'id')
    assert len(calls) == 5  # once per object: the digest hashes the bytes the file stores
    calls.clear()
    _jsonfile.write_json_array(str(tmp_path / 'services.json'), digests.tap_encoded('services', services), 'id')
    assert len(calls) == 3  # s1 once more, without its volatile state
    plain = _digests.Digests()
    for obj in models + services:
        plain.add('models' if obj['id'].startswith('m') else 'services', obj)
    assert digests.as_dict() == plain.as_dict()  # the same digests as without the bytes
    assert (tmp_path / 'models.json').read_bytes() == b'[\n' + b',\n'.join(real(m) for m in models) + b'\n]\n'


def test_content_copies_only_the_path_of_a_volatile_field():
    compute = {'id': 'c', 'tags': {'a': 1}, 'properties': {'provisioningState': 'Updating', 'properties': {'vmSize': 'S'},
                                                           'description': 'x'}}
    stripped = _digests.content('computes', compute)
    assert stripped == {'id': 'c', 'tags': {'a': 1}, 'properties': {'properties': {'vmSize': 'S'}, 'description': 'x'}}
    assert compute['properties']['provisioningState'] == 'Updating'  # left as it was
    assert stripped['tags'] is compute['tags']  # what lies off the path is shared, not copied
    without = {'id': 'c', 'properties': {'properties': {'vmSize': 'S'}}}
    assert _digests.content('computes', without) is without  # nothing volatile: the object itself
