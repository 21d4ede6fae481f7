"""_redact: other people's identifiers out of text and JSON trees, in every form; the person's own kept."""
import json
import unicodedata
import urllib.parse

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ansible_collections.gdpr.azureml.plugins.module_utils._redact import MARKER, Redactor, fold_ascii, identifier_patterns, redact_tree

ANNA = {'object_id': 'f74592bd-cec8-4762-af28-9157799b9787', 'address': 'anna.svensson@contoso.example', 'name': 'Anna Svensson'}
BJORN = {'object_id': 'd8fffd51-4981-4ae8-b43d-de7f71b1b2d8', 'address': 'bjorn.odegard@contoso.example', 'name': 'Björn Ødegård'}
PUID = 'AADA3C90B7F30A30'
JANE = {'object_id': '0f8fad5b-d9cb-469f-a165-70867728950e', 'address': 'jane.doe@contoso.com', 'name': 'Jane Doe'}
OTHERS = [(t, p[t]) for p in (ANNA, BJORN) for t in ('object_id', 'address', 'name')] + [('other', PUID)]
OWN = [(t, JANE[t]) for t in ('object_id', 'address', 'name')]


@pytest.fixture
def r():
    return Redactor(OTHERS, OWN)


def forms(value):
    """Every spelling the redaction promises to catch, lower case (for a case-insensitive search)."""
    out = set()
    for v in (value, unicodedata.normalize('NFD', value)):
        out |= {v, json.dumps(v)[1:-1], json.dumps(v, ensure_ascii=False)[1:-1], urllib.parse.quote(v), urllib.parse.quote(v, safe=''),
                urllib.parse.quote_plus(v)}
    return {f.lower() for f in out}


def leaks(text):
    text = text.lower()
    return sorted({v for _t, v in OTHERS for f in forms(v) if f in text})


@pytest.mark.parametrize('text, expected', [
    ('Reviewed by Anna Svensson last week.', f'Reviewed by {MARKER} last week.'),
    ('reviewed by ANNA SVENSSON', f'reviewed by {MARKER}'),
    ('owner=anna.svensson%40contoso.example&x=1', f'owner={MARKER}&x=1'),
    ('mailto:Anna.Svensson@Contoso.Example', f'mailto:{MARKER}'),
    ('Bj\\u00f6rn \\u00d8deg\\u00e5rd', MARKER),  # JSON-escaped inside a string (a JSON document kept as text)
    ('Bj%C3%B6rn%20%C3%98deg%C3%A5rd', MARKER),
    ('Bjo\u0308rn Ødega\u030ard', MARKER),  # decomposed (NFD)
    ('bjorn.odegard/export-0.csv', f'{MARKER}/export-0.csv'),  # an alias spelled from the name: separators and no accents
    ('Svensson, Anna', MARKER),
    ('id F74592BDCEC84762AF289157799B9787.', f'id {MARKER}.'),  # object id without hyphens, upper case
    ('puid aada3c90b7f30a30', f'puid {MARKER}'),
    ('anna.svensson_contoso.example#EXT#@contoso.onmicrosoft.com', f'{MARKER}@contoso.onmicrosoft.com'),  # guest UPN
    ('Anna Svenssons modell', f'{MARKER}s modell'),  # inside a longer word too: no byte spells her name
    ('Jane Doe and jane.doe@contoso.com stay', 'Jane Doe and jane.doe@contoso.com stay'),
    ('nothing here', 'nothing here'),
])
def test_text_forms(r, text, expected):
    out, count = r.redact_text(text)
    assert out == expected
    assert count == (0 if out == text else out.count(MARKER))
    assert not leaks(out)


def test_longest_identifier_wins_at_one_place(r):
    # the name pattern matches "anna.svensson" too; the whole address must go, not only its first part
    assert r.redact_text('x anna.svensson@contoso.example y') == (f'x {MARKER} y', 1)


def test_own_identifier_protects_what_lies_inside_it_only():
    r = Redactor([('name', 'Ann'), ('name', 'Ann Lee-Smith')], [('name', 'Ann Lee')])
    assert r.redact_text('Ann Lee met Ann') == (f'Ann Lee met {MARKER}', 1)
    assert r.redact_text('Ann Lee-Smith') == (MARKER, 1)  # an other's name that holds the person's reaches beyond it


def test_short_identifiers_are_not_searched_in_text():
    assert identifier_patterns('name', 'Al') == set()
    assert Redactor([('name', 'Al')]).redact_text('Al and Alice') == ('Al and Alice', 0)


def test_fold_ascii():
    assert fold_ascii('Chloé Dubois-Martín') == 'Chloe Dubois-Martin'
    assert fold_ascii('Björn Ødegård') == 'Bjorn Odegard'


def test_scan_finds_identifiers_across_chunks(r):
    assert r.scan([b'log: anna.svens', b'son@contoso.example ok'])
    name = 'Bj\u00f6rn \u00d8deg\u00e5rd'.encode()
    assert r.scan([name[:3], name[3:]])  # cut inside the two bytes of the \u00f6
    assert r.scan([b'x' * 5000, 'ok Björn Ødegård'.encode()[:5], 'ok Björn Ødegård'.encode()[5:]])
    assert not r.scan([b'\x00\xff binary', b' jane.doe@contoso.com'])
    assert not Redactor([], OWN).scan([b'anything'])


def test_tree_nested_keys_values_lists_and_whole_paths(r):
    tree = {
        'createdBy': {'userObjectId': ANNA['object_id'], 'userPuId': PUID, 'userTenantId': 'tenant', 'userName': 'Anna Svensson'},
        'tags': {ANNA['address']: 'reviewer', 'team': 'Anna Svensson and Jane Doe', 'owner': JANE['address']},
        'properties': {'nested': [{'who': [BJORN['object_id'].upper(), 'Jane Doe']}], 'count': 3},
        'description': 'Trained with Björn Ødegård (bjorn.odegard%40contoso.example).',
        'models': [{'createdBy': {'userName': 'Björn Ødegård'}}, {'createdBy': {'userName': 'Jane Doe'}}],
        'n': None, 'ok': True,
    }
    out, found = redact_tree(tree, r, whole={('createdBy', 'userTenantId')})
    assert out['createdBy'] == {'userObjectId': MARKER, 'userPuId': MARKER, 'userTenantId': MARKER, 'userName': MARKER}
    assert out['tags'] == {MARKER: 'reviewer', 'team': f'{MARKER} and Jane Doe', 'owner': JANE['address']}
    assert out['properties'] == {'nested': [{'who': [MARKER, 'Jane Doe']}], 'count': 3}
    assert out['description'] == f'Trained with {MARKER} ({MARKER}).'
    assert out['models'] == [{'createdBy': {'userName': MARKER}}, {'createdBy': {'userName': 'Jane Doe'}}]
    assert out['n'] is None and out['ok'] is True
    assert found == {'createdBy.userObjectId': 1, 'createdBy.userPuId': 1, 'createdBy.userTenantId': 1, 'createdBy.userName': 1,
                     'tags (key)': 1, 'tags.team': 1, 'properties.nested[].who[]': 1, 'description': 2,
                     'models[].createdBy.userName': 1}
    assert not leaks(json.dumps(out)) and not leaks(json.dumps(out, ensure_ascii=False))
    assert tree['createdBy']['userName'] == 'Anna Svensson'  # the input is left as it was


def test_keys_that_become_equal_stay_apart(r):
    out, found = redact_tree({ANNA['address']: 1, ANNA['address'].upper(): 2, BJORN['name']: 3, MARKER: 0}, r)
    assert out == {MARKER + ' (2)': 1, MARKER + ' (3)': 2, MARKER + ' (4)': 3, MARKER: 0}  # the key that was '[redacted]' keeps it
    assert found == {'(key)': 3}


def test_whole_paths_leave_empty_values_and_report_redacted_key_paths(r):
    out, found = redact_tree({'a': {'b': ''}, 'tags': {ANNA['name']: {'x': 'y'}}}, r, whole={('a', 'b'), ('tags', ANNA['name'], 'x')})
    assert out == {'a': {'b': ''}, 'tags': {MARKER: {'x': MARKER}}}
    assert found == {'tags (key)': 1, 'tags["[redacted]"].x': 1}  # the path names the key as it is after redaction


# -- properties ----------------------------------------------------------------------------------------------------------------

FILLER = st.text(alphabet=st.characters(blacklist_categories=('Cs',), blacklist_characters='%\\+"'), max_size=12)
ENCODINGS = [
    lambda v: v, str.upper, str.lower, str.title, str.swapcase,
    lambda v: urllib.parse.quote(v, safe=''), urllib.parse.quote_plus, lambda v: urllib.parse.quote(v).lower(),
    lambda v: json.dumps(v)[1:-1], lambda v: unicodedata.normalize('NFD', v),
]
OTHER_VALUES = [v for _t, v in OTHERS]


@st.composite
def spelled(draw, pool):
    value = draw(st.sampled_from(pool))
    encode = draw(st.sampled_from(ENCODINGS))
    return draw(FILLER) + encode(value) + draw(FILLER)


def strings():
    return st.one_of(FILLER, spelled(OTHER_VALUES), spelled([JANE['name'], JANE['address']]))


trees = st.recursive(
    st.one_of(strings(), st.integers(), st.booleans(), st.none()),
    lambda children: st.one_of(st.lists(children, max_size=4), st.dictionaries(strings(), children, max_size=4)),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tree=trees)
def test_no_other_identifier_survives_in_any_form(tree):
    r = Redactor(OTHERS, OWN)
    out, _found = redact_tree(tree, r)
    for text in (json.dumps(out), json.dumps(out, ensure_ascii=False)):
        assert not leaks(text), (tree, out)
        assert not r.contains(text)


@settings(max_examples=200, deadline=None)
@given(prefix=FILLER, suffix=FILLER, own=st.sampled_from([JANE['name'], JANE['address'], JANE['object_id']]),
       other=st.sampled_from(OTHER_VALUES), where=st.sampled_from(['key', 'value', 'nested']))
def test_the_persons_own_identifiers_stay_next_to_redacted_ones(prefix, suffix, own, other, where):
    text = prefix + own + ' ' + other + suffix
    tree = {text: 1} if where == 'key' else ({'v': text} if where == 'value' else {'a': [{'b': text}]})
    out, found = redact_tree(tree, Redactor(OTHERS, OWN))
    dumped = json.dumps(out, ensure_ascii=False)
    assert own in dumped and not leaks(dumped)
    assert found


def test_an_address_alias_alone_is_found_and_the_address_stays_one_occurrence():
    """People name folders and tags after their alias: ``customers/chloe.dubois/`` names Chloé as much as her address.
    The whole address is still one occurrence (the longest form wins); a short alias is not searched alone."""
    r = Redactor([('address', 'chloe.dubois@contoso.example'), ('address', 'ab@contoso.example')])
    assert r.redact_text('LocalUpload/h/customers/chloe.dubois/part-000.csv') == (f'LocalUpload/h/customers/{MARKER}/part-000.csv', 1)
    assert r.redact_text('mail chloe.dubois@contoso.example now') == (f'mail {MARKER} now', 1)
    assert r.redact_text('Chloe.Dubois%40contoso.example') == (MARKER, 1)
    assert r.redact_text('tab ab slab') == ('tab ab slab', 0)
