"""Property tests: percent-encoding and the JSON array writer hold for any input."""
import json
from urllib.parse import unquote, urlsplit

from hypothesis import given, settings
from hypothesis import strategies as st

from ansible_collections.gdpr.azureml.plugins.module_utils import _clouds, _jsonfile, _routes

SUB = '00000000-1111-2222-3333-444444444444'
segment = st.text(min_size=1, max_size=40).filter(lambda s: '\x00' not in s)


@given(value=segment)
@settings(max_examples=300, deadline=None)
def test_any_name_is_one_path_segment_that_decodes_back(value):
    params = {'subscription_id': SUB, 'resource_group': 'rg', 'workspace_name': 'ws', 'id': value}
    url = _routes.build_url('models.get', params, _clouds.get_cloud(), 'eastus')
    parts = urlsplit(url)
    assert parts.netloc == 'eastus.modelmanagement.azureml.net'
    assert parts.query == 'api-version=2019-11-01'
    last = parts.path.rsplit('/', 1)[1]
    assert unquote(last) == value
    assert parts.path.count('/') == 11  # never an extra segment


json_value = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=10),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=5), children, max_size=3),
    max_leaves=10,
)
item = st.fixed_dictionaries({'id': st.text(max_size=8)}, optional={'body': json_value})


@given(items=st.lists(item, max_size=15))
@settings(max_examples=100, deadline=None)
def test_written_file_holds_the_items_sorted(tmp_path_factory, items):
    dest = tmp_path_factory.mktemp('out') / 'items.json'
    result = _jsonfile.write_json_array(str(dest), items, 'id')
    loaded = json.loads(dest.read_text(encoding='utf-8'))
    assert [i['id'] for i in loaded] == sorted(i['id'] for i in items)
    assert sorted(map(_jsonfile.dumps_item, loaded)) == sorted(map(_jsonfile.dumps_item, items))
    assert result['count'] == len(items)
    again = _jsonfile.write_json_array(str(dest), list(reversed(items)), 'id')
    assert again['changed'] is False  # the same items in any order give the same bytes
