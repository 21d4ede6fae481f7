import sys
from collections import namedtuple

import pytest
import responses

from ansible_collections.gdpr.azureml.plugins.module_utils import _auth, _clouds

PUBLIC = _clouds.get_cloud('AzureCloud')
AccessToken = namedtuple('AccessToken', ['token', 'expires_on'])
SP = {'client_id': 'app-id', 'secret': 'sp-secret-value', 'tenant': 'tenant-id'}


class CredentialUnavailableError(Exception):
    pass


class FakeIdentity:
    """Stands in for azure.identity: records constructions and token requests."""

    CredentialUnavailableError = CredentialUnavailableError

    def __init__(self):
        self.built = []
        self.scopes = []
        self.fail = {}  # class name -> exception raised by get_token
        self.lifetime = 3600
        self.now = 1000.0

    def _credential(self, kind):
        identity = self

        class Credential:
            def __init__(self, *args, **kwargs):
                self.args, self.kwargs = args, kwargs
                identity.built.append((kind, args, kwargs))

            def get_token(self, *scopes):
                identity.scopes.append(scopes)
                if kind in identity.fail:
                    raise identity.fail[kind]
                return AccessToken(f'{kind}-token-{len(identity.scopes)}', identity.now + identity.lifetime)

        return Credential

    def __getattr__(self, name):
        if name in ('ClientSecretCredential', 'AzureCliCredential', 'ManagedIdentityCredential'):
            return self._credential(name)
        raise AttributeError(name)


@pytest.fixture
def identity(monkeypatch):
    fake = FakeIdentity()
    monkeypatch.setattr(_auth, 'import_identity', lambda reason='': fake)
    return fake


def build(options, cloud=PUBLIC, identity=None, **kwargs):
    source = _auth.build_auth(_auth.AuthOptions(options), cloud, **kwargs)
    if identity is not None:
        source._clock = lambda: identity.now
    return source


# -- options and environment -----------------------------------------------------------------------------------------

def test_environment_fallbacks_first_variable_wins():
    env = {'AZURE_SECRET': 'first', 'AZURE_CLIENT_SECRET': 'second', 'AZURE_TENANT_ID': 'tid', 'AZURE_CLIENT_ID': 'cid',
           'AZURE_SUBSCRIPTION_ID': 'sub', 'AZURE_PROFILE': 'p', 'AZURE_CLOUD_ENVIRONMENT': 'AzureChinaCloud',
           'AZURE_AUTHORITY_HOST': 'https://aad', 'AZUREML_ACCESS_TOKEN': 'tok', 'ANSIBLE_AZURE_AUTH_SOURCE': 'env'}
    options = _auth.AuthOptions({}, environ=env)
    assert options.get('secret') == 'first'
    assert options.get('tenant') == 'tid'
    assert options.get('client_id') == 'cid'
    assert options.get('subscription_id') == 'sub'
    assert options.get('profile') == 'p'
    assert options.get('cloud_environment') == 'AzureChinaCloud'
    assert options.get('authority_host') == 'https://aad'
    assert options.get('access_token') == 'tok'
    assert options.get('auth_source') == 'env'
    env['AZURE_TENANT'] = 'tenant-first'
    assert options.get('tenant') == 'tenant-first'


def test_option_wins_over_environment():
    options = _auth.AuthOptions({'client_id': 'from-option'}, environ={'AZURE_CLIENT_ID': 'from-env'})
    assert options.get('client_id') == 'from-option'


def test_env_source_names_every_missing_option():
    with pytest.raises(_auth.AuthError) as err:
        build({'client_id': 'x'}, auth_source='env').validate()
    message = str(err.value)
    assert 'auth_source env needs' in message
    assert 'secret (option secret or env AZURE_SECRET / AZURE_CLIENT_SECRET)' in message
    assert 'tenant (option tenant or env AZURE_TENANT / AZURE_TENANT_ID)' in message
    assert 'client_id' not in message.split('needs', 1)[1]


def test_unknown_source():
    with pytest.raises(_auth.AuthError, match='auth_source must be one of auto, env, credential_file, cli, msi, token'):
        build({}, auth_source='oidc')


# -- env (service principal) ---------------------------------------------------------------------------------------

def test_env_builds_client_secret_credential_with_the_cloud_authority(identity):
    source = build(SP, auth_source='env', identity=identity)
    assert source.get_token() == 'ClientSecretCredential-token-1'
    kind, args, kwargs = identity.built[0]
    assert args == ('tenant-id', 'app-id', 'sp-secret-value')
    assert kwargs == {'authority': 'https://login.microsoftonline.com'}
    assert identity.scopes == [('https://management.core.windows.net//.default',)]


def test_authority_host_override_disables_instance_discovery(identity):
    source = build(dict(SP, authority_host='login.example.test'), auth_source='env', identity=identity, ca_path='/ca.pem')
    source.get_token()
    kwargs = identity.built[0][2]
    assert kwargs == {'authority': 'https://login.example.test', 'disable_instance_discovery': True, 'connection_verify': '/ca.pem'}


def test_validate_certs_false_reaches_the_token_request(identity):
    build(SP, auth_source='env', identity=identity, validate_certs=False).get_token()
    assert identity.built[0][2]['connection_verify'] is False


def test_http_authority_is_refused():
    with pytest.raises(_auth.AuthError, match='authority_host must be an https:// URL'):
        _auth.normalize_authority('http://login.example')


@pytest.mark.parametrize('cloud_name, scope, authority', [
    ('AzureChinaCloud', 'https://management.core.chinacloudapi.cn//.default', 'https://login.chinacloudapi.cn'),
    ('AzureUSGovernment', 'https://management.core.usgovcloudapi.net//.default', 'https://login.microsoftonline.us'),
])
def test_scope_and_authority_per_cloud(identity, cloud_name, scope, authority):
    build(SP, _clouds.get_cloud(cloud_name), auth_source='env', identity=identity).get_token()
    assert identity.scopes == [(scope,)]
    assert identity.built[0][2]['authority'] == authority


def test_one_grant_per_run_until_the_token_nears_expiry(identity):
    source = build(SP, auth_source='env', identity=identity)
    assert source.get_token() == source.get_token() == 'ClientSecretCredential-token-1'
    assert source.grants == 1
    identity.now += 3600 - 299  # inside the 300 s refresh margin
    assert source.get_token() == 'ClientSecretCredential-token-2'
    assert source.grants == 2
    assert len(identity.built) == 1  # the same credential object


def test_invalidate_forces_a_fresh_credential_and_grant(identity):
    source = build(SP, auth_source='env', identity=identity)
    first = source.get_token()
    source.invalidate('some-other-token')  # a stale token from another thread: no effect
    assert source.get_token() == first
    source.invalidate(first)
    assert source.get_token() != first
    assert len(identity.built) == 2 and source.grants == 2


def test_grant_failure_is_one_line_without_the_secret(identity):
    identity.fail['ClientSecretCredential'] = RuntimeError('AADSTS7000215: Invalid client secret provided.\nTrace ID: 1')
    with pytest.raises(_auth.AuthError) as err:
        build(SP, auth_source='env', identity=identity).get_token()
    message = str(err.value)
    assert message == ('env (service principal app-id in tenant tenant-id): could not get a token for '
                       'https://management.core.windows.net//.default: AADSTS7000215: Invalid client secret provided.')
    assert 'sp-secret-value' not in message


def test_secrets_include_the_token_and_the_client_secret(identity):
    source = build(SP, auth_source='env', identity=identity)
    token = source.get_token()
    assert set(source.secrets()) == {token, 'sp-secret-value'}


# -- credential file -----------------------------------------------------------------------------------------------

CREDENTIALS = """
[default]
subscription_id = 00000000-1111-2222-3333-444444444444
client_id = default-app
secret = default-secret
tenant = default-tenant

[prod]
subscription_id = 99999999-1111-2222-3333-444444444444
client_id = prod-app
secret = prod-secret
tenant = prod-tenant

[broken]
client_id = only-an-id
"""


@pytest.fixture
def credentials(tmp_path):
    path = tmp_path / 'credentials'
    path.write_text(CREDENTIALS)
    return str(path)


def test_credential_file_default_section(identity, credentials):
    source = build({}, auth_source='credential_file', identity=identity, credential_file=credentials)
    source.validate()
    assert source.subscription_id == '00000000-1111-2222-3333-444444444444'
    source.get_token()
    assert identity.built[0][1] == ('default-tenant', 'default-app', 'default-secret')


def test_credential_file_profile(identity, credentials):
    source = build({'profile': 'prod'}, auth_source='credential_file', identity=identity, credential_file=credentials)
    source.get_token()
    assert identity.built[0][1] == ('prod-tenant', 'prod-app', 'prod-secret')
    assert source.subscription_id == '99999999-1111-2222-3333-444444444444'
    assert 'profile prod' in source.describe()


def test_credential_file_errors(tmp_path, credentials):
    with pytest.raises(_auth.AuthError, match='does not exist'):
        build({}, auth_source='credential_file', credential_file=str(tmp_path / 'none')).validate()
    with pytest.raises(_auth.AuthError, match=r'has no \[staging\] section \(set profile \(option profile or env AZURE_PROFILE\)\)'):
        build({'profile': 'staging'}, auth_source='credential_file', credential_file=credentials).validate()
    with pytest.raises(_auth.AuthError, match=r'section \[broken\] of .* lacks secret, tenant'):
        build({'profile': 'broken'}, auth_source='credential_file', credential_file=credentials).validate()


def test_credential_file_default_path_is_home(monkeypatch, tmp_path, identity):
    (tmp_path / '.azure').mkdir()
    (tmp_path / '.azure' / 'credentials').write_text(CREDENTIALS)
    monkeypatch.setenv('HOME', str(tmp_path))
    source = build({}, auth_source='credential_file', identity=identity)
    assert source.path == str(tmp_path / '.azure' / 'credentials')
    source.validate()


# -- cli, msi, token ------------------------------------------------------------------------------------------------

def test_cli(identity):
    source = build({}, auth_source='cli', identity=identity)
    assert source.get_token() == 'AzureCliCredential-token-1'
    assert identity.built == [('AzureCliCredential', (), {})]


def test_msi_system_and_user_assigned(identity):
    build({}, auth_source='msi', identity=identity).get_token()
    build({'client_id': 'uami'}, auth_source='msi', identity=identity).get_token()
    assert identity.built == [('ManagedIdentityCredential', (), {}), ('ManagedIdentityCredential', (), {'client_id': 'uami'})]


def test_token_source_needs_no_azure_identity(monkeypatch):
    monkeypatch.setitem(sys.modules, 'azure.identity', None)
    source = build({'access_token': 'static-token'}, auth_source='token')
    assert source.get_token() == 'static-token'
    assert source.refreshable is False
    source.invalidate('static-token')
    assert source.get_token() == 'static-token'
    assert source.secrets() == ['static-token']


def test_token_source_names_the_missing_option():
    with pytest.raises(_auth.AuthError, match=r'auth_source token needs access_token \(option access_token or env AZUREML_ACCESS_TOKEN\)'):
        build({}, auth_source='token').get_token()


@pytest.mark.parametrize('source_name', ['env', 'cli', 'msi', 'credential_file'])
def test_missing_azure_identity_is_one_clear_message(monkeypatch, credentials, source_name):
    monkeypatch.setitem(sys.modules, 'azure.identity', None)
    source = build(SP, auth_source=source_name, credential_file=credentials)
    with pytest.raises(_auth.MissingLibraryError) as err:
        source.get_token()
    assert err.value.library == 'azure-identity'
    assert str(err.value).startswith(f'azure-identity is required for auth_source {source_name}')
    assert 'ImportError' in err.value.traceback or 'ModuleNotFoundError' in err.value.traceback


# -- auto -----------------------------------------------------------------------------------------------------------

def test_auto_prefers_access_token(identity, credentials):
    source = build(dict(SP, access_token='tok'), identity=identity, credential_file=credentials)
    assert source.get_token() == 'tok'
    assert source.chosen.name == 'token'
    assert identity.built == []
    assert source.refreshable is False


def test_auto_then_service_principal(identity, credentials):
    source = build(SP, identity=identity, credential_file=credentials)
    source.get_token()
    assert source.chosen.name == 'env'
    assert identity.built[0][1] == ('tenant-id', 'app-id', 'sp-secret-value')
    assert source.describe() == 'auto: env (service principal app-id in tenant tenant-id)'


def test_auto_then_credential_file(identity, credentials):
    source = build({'client_id': 'partial'}, identity=identity, credential_file=credentials)
    source.validate()
    assert source.subscription_id == '00000000-1111-2222-3333-444444444444'
    source.get_token()
    assert source.chosen.name == 'credential_file'


def test_auto_then_cli(identity, tmp_path):
    source = build({}, identity=identity, credential_file=str(tmp_path / 'none'))
    assert source.get_token() == 'AzureCliCredential-token-1'
    assert source.chosen.name == 'cli'
    assert source.get_token() == 'AzureCliCredential-token-1'
    assert len(identity.scopes) == 1


def test_auto_then_msi_when_cli_is_unavailable(identity, tmp_path):
    identity.fail['AzureCliCredential'] = CredentialUnavailableError('Azure CLI not found on path')
    source = build({'client_id': 'uami'}, identity=identity, credential_file=str(tmp_path / 'none'))
    assert source.get_token().startswith('ManagedIdentityCredential-token')
    assert source.chosen.name == 'msi'
    assert identity.built[-1] == ('ManagedIdentityCredential', (), {'client_id': 'uami'})


def test_auto_with_nothing_lists_what_it_tried(identity, tmp_path):
    identity.fail['AzureCliCredential'] = CredentialUnavailableError('Azure CLI not found on path')
    identity.fail['ManagedIdentityCredential'] = CredentialUnavailableError('no managed identity endpoint')
    source = build({}, identity=identity, credential_file=str(tmp_path / 'none'))
    with pytest.raises(_auth.AuthError) as err:
        source.get_token()
    message = str(err.value)
    assert message.startswith('auth_source auto found no credential: access_token is not set; no service principal')
    assert 'cli: Azure CLI not found on path' in message
    assert 'msi: no managed identity endpoint' in message


def test_auto_cli_failure_other_than_unavailable_is_reported(identity, tmp_path):
    identity.fail['AzureCliCredential'] = RuntimeError('AADSTS50173: the grant has expired')
    source = build({}, identity=identity, credential_file=str(tmp_path / 'none'))
    with pytest.raises(_auth.AuthError, match='cli \\(Azure CLI login\\): could not get a token .*AADSTS50173'):
        source.get_token()


def test_auto_invalidate_reaches_the_chosen_source(identity):
    source = build(SP, identity=identity)
    first = source.get_token()
    source.invalidate(first)
    assert source.get_token() != first
    assert source.grants == 2


# -- the real azure-identity, against a canned Azure AD ---------------------------------------------------------------

AAD = 'https://login.example.test'


@responses.activate
def test_real_azure_identity_two_calls_with_authority_override():
    pytest.importorskip('azure.identity')
    responses.add(responses.GET, f'{AAD}/tenant-id/v2.0/.well-known/openid-configuration', json={
        'token_endpoint': f'{AAD}/tenant-id/oauth2/v2.0/token',
        'authorization_endpoint': f'{AAD}/tenant-id/oauth2/v2.0/authorize',
        'issuer': f'{AAD}/tenant-id/v2.0',
    })
    responses.add(responses.POST, f'{AAD}/tenant-id/oauth2/v2.0/token',
                  json={'token_type': 'Bearer', 'expires_in': 3599, 'access_token': 'real-path-token'})
    source = build(dict(SP, authority_host=AAD), auth_source='env')
    assert source.get_token() == 'real-path-token'
    assert source.get_token() == 'real-path-token'
    assert [c.request.method for c in responses.calls] == ['GET', 'POST']
    body = responses.calls[1].request.body
    body = body.decode() if isinstance(body, bytes) else body
    assert 'grant_type=client_credentials' in body
    assert 'scope=https%3A%2F%2Fmanagement.core.windows.net%2F%2F.default' in body


# -- access_token hygiene (issue 15) --------------------------------------------------------------------------------------

def test_clean_token_strips_outer_whitespace_and_refuses_inner_control_characters():
    assert _auth.clean_token('  abc.def-ghi\n') == 'abc.def-ghi'
    assert _auth.clean_token('abc\r\n') == 'abc'
    for bad in ('MARKER-1\nMARKER-2', 'MARKER-1\x00MARKER-2', 'MARKER-1\tMARKER-2', 'MARKER-1\x7fMARKER-2'):
        with pytest.raises(_auth.AuthError) as err:
            _auth.clean_token(bad)
        assert 'access_token' in str(err.value) and 'MARKER' not in str(err.value)


def test_token_source_sends_the_stripped_token_and_keeps_both_forms_secret():
    source = _auth.build_auth({'auth_source': 'token', 'access_token': 'static-token-value\n'}, _clouds.get_cloud())
    assert source.get_token() == 'static-token-value'
    assert set(source.secrets()) == {'static-token-value\n', 'static-token-value'}
