"""FediTest's WebFinger server checks, run against a running instance over TLS on loopback.

FediTest is on PyPI (``feditest``, in the ``test`` extra), but only its framework is: the tests themselves live in
a separate repository (``fediverse-devnet/feditest-tests-fediverse``, folder ``tests/webfinger/server``) that no
package registry carries, so neither ``make test`` nor CI can fetch them. Hence two parts here:

* each check of that suite, restated as a pytest test, drives FediTest's own WebFinger client (its in-process
  ``Imp`` node) and JRD validator (``ClaimedJrd``) against the instance; these always run;
* :func:`test_the_feditest_webfinger_server_suite` has FediTest load the suite itself and run every test in it
  against the same instance, when ``FEDITEST_TESTS_DIR`` names a checkout of that repository; without one it is
  skipped and says so.

FediTest asks ``https://HOST/.well-known/webfinger``, checks the certificate, and expects plain http not to answer
with a JRD, so the instance stands behind a TLS front (``tests/support/tls_front.py``) as it does behind Caddy,
with its domain set to the front's ``localhost:PORT``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from feditest.nodedrivers import NodeConfiguration, SkipTestException
from feditest.nodedrivers.imp import Imp, ImpInProcessNodeDriver
from feditest.protocols.webfinger import WebFingerServer
from feditest.protocols.webfinger.diag import ClaimedJrd, WebFingerDiagClient, WebFingerQueryDiagResponse

from tests.support.process import InstanceProcess, free_port
from tests.support.tls_front import Authority, TlsFront

pytestmark = pytest.mark.e2e
ACCOUNT = "alice"
# What FediTest's tests set aside as covered by other tests of the suite, when they compare answers.
COVERED_ELSEWHERE = (
    WebFingerDiagClient.WrongContentTypeError,
    ClaimedJrd.InvalidMediaTypeError,
    ClaimedJrd.InvalidRelError,
)


class Instance(WebFingerServer):  # type: ignore[misc]
    """Our instance as FediTest sees a WebFinger server: a host name, an account, and a name no account has."""

    def __init__(self, host: str) -> None:
        super().__init__("server", NodeConfiguration(ImpInProcessNodeDriver(), "ChiffresEnsemble"))
        self._host = host

    @property
    def hostname(self) -> str:
        return self._host

    def obtain_account_identifier(self, rolename: str | None = None) -> str:
        return f"acct:{ACCOUNT}@{self._host}"

    def obtain_non_existing_account_identifier(self, rolename: str | None = None) -> str:
        return f"acct:nobody-here@{self._host}"


@dataclass
class Setup:
    client: Imp
    server: Instance
    authority: Authority

    @property
    def account(self) -> str:
        return str(self.server.obtain_account_identifier())

    def url(self, query: str) -> str:
        return f"https://{self.server.hostname}/.well-known/webfinger{query}"

    def query(self, rels: list[str] | None = None) -> WebFingerQueryDiagResponse:
        return self.client.diag_perform_webfinger_query(self.account, rels=rels)


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Setup]:
    directory = tmp_path_factory.mktemp("feditest")
    authority = Authority(directory / "tls")
    port = free_port()
    front = TlsFront(port, authority).start()
    instance = InstanceProcess(directory, port=port, extra_env={"CHIFFRES_DOMAIN": front.host}).start()
    try:
        instance.wait_ready()
        instance.cli("actor", "create", ACCOUNT)
        client = Imp("client", NodeConfiguration(ImpInProcessNodeDriver(), "Imp"))
        yield Setup(client, Instance(front.host), authority)
    finally:
        instance.stop()
        front.stop()


def is_a_jrd(payload: bytes | None) -> bool:
    """Whether FediTest's validator takes a body for a JRD (an error document must not pass for one)."""
    try:
        ClaimedJrd.create_and_validate(payload.decode() if payload else "")
    except (ExceptionGroup, RuntimeError, json.JSONDecodeError):
        return False
    return True


def test_a_query_gets_a_valid_jrd_with_cors(setup: Setup) -> None:
    """4.2 ¶2 perform query, 4.2 ¶9 content type, 5.1 CORS."""
    answer = setup.query()
    assert answer.exceptions == []
    assert answer.jrd is not None
    answer.jrd.validate()
    response = answer.http_request_response_pair.response
    assert response.http_status == 200
    assert response.content_type().split(";")[0] == "application/jrd+json"
    assert "access-control-allow-origin" in response.response_headers
    assert answer.jrd.subject() == setup.account


def test_parameter_ordering_is_not_significant(setup: Setup) -> None:
    """4.1 ¶2."""
    rels = ["http://webfinger.net/rel/profile-page", "something-else", "self"]
    answers = [setup.query(rels[i:] + rels[:i]) for i in range(len(rels))]
    for answer in answers:
        assert answer.not_exceptions_of_type(COVERED_ELSEWHERE) == []
    assert all(answer.jrd._json == answers[0].jrd._json for answer in answers)


@pytest.mark.parametrize(
    "rels",
    [
        ["http://webfinger.net/rel/profile-page"],
        ["self"],
        ["something-else"],
        ["something-else", "http://webfinger.net/rel/profile-page"],
        ["self", "something-else"],
    ],
)
def test_every_link_rel_in_a_query_is_accepted(setup: Setup, rels: list[str]) -> None:
    """4 ¶1: known and unknown rels, alone and together, give the same links or a subset of them."""
    without = setup.query()
    with_rels = setup.query(rels)
    assert with_rels.not_exceptions_of_type(COVERED_ELSEWHERE) == []
    assert with_rels.jrd is not None
    assert with_rels.jrd.is_valid_link_subset(without.jrd)


def test_a_query_without_resource_is_400_and_no_jrd(setup: Setup) -> None:
    """4.2 ¶3."""
    response = setup.client.http_get(setup.url("")).response
    assert response.http_status == 400
    assert not response.content_type().startswith("application/jrd+json")
    assert not is_a_jrd(response.payload)


@pytest.mark.parametrize(
    "query",
    [
        pytest.param(f"?resource={ACCOUNT}@HOST", id="no acct: scheme"),
        pytest.param(f"?resource=={quote(f'acct:{ACCOUNT}@HOST')}", id="double equals"),
    ],
)
def test_a_malformed_resource_is_400_and_no_jrd(setup: Setup, query: str) -> None:
    """4.2 ¶4."""
    url = setup.url(query.replace("HOST", setup.server.hostname))
    response = setup.client.http_get(url).response
    assert response.http_status == 400, url
    assert not is_a_jrd(response.payload)


def test_an_account_that_does_not_exist_is_404(setup: Setup) -> None:
    """4.2 ¶5."""
    missing = setup.server.obtain_non_existing_account_identifier()
    response = setup.client.http_get(setup.url(f"?resource={quote(missing)}")).response
    assert response.http_status == 404


@pytest.mark.parametrize("resource", ["mailto:abc@def.com", "foo://HOST"])
def test_a_resource_of_a_scheme_we_do_not_serve_is_404(setup: Setup, resource: str) -> None:
    """4.5 ¶1: any URI scheme is accepted in a query; one that names nothing here is not found."""
    resource = resource.replace("HOST", setup.server.hostname)
    response = setup.client.http_get(setup.url(f"?resource={quote(resource)}")).response
    assert response.http_status == 404


def test_it_answers_on_https_and_plain_http_gets_no_jrd(setup: Setup) -> None:
    """4.2 ¶14 (a redirect may only lead to https) and 4 ¶3 (no JRD over plain http)."""
    answer = setup.query()
    assert answer.http_request_response_pair.final_request.parsed_uri.scheme == "https"
    plain = setup.url(f"?resource={quote(setup.account)}").replace("https:", "http:", 1)
    response = setup.client.http_get(plain, follow_redirects=False).response
    assert response.http_status != 200
    assert not (response.content_type() or "").startswith("application/jrd+json")


def test_the_certificate_is_valid(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """4 ¶3: FediTest verifies the certificate against the trust store, here one holding the test authority."""
    monkeypatch.setenv("SSL_CERT_FILE", str(setup.authority.ca_file))
    response = setup.client.http_get(setup.url(f"?resource={quote(setup.account)}"), verify=True).response
    assert response.http_status == 200


def _suite_directory() -> Path | None:
    given = os.environ.get("FEDITEST_TESTS_DIR")
    if not given:
        return None
    root = Path(given)
    nested = root / "tests" / "webfinger" / "server"
    return nested if nested.is_dir() else root


def test_the_feditest_webfinger_server_suite(setup: Setup, monkeypatch: pytest.MonkeyPatch) -> None:
    """FediTest's own suite, loaded and run by FediTest, when a checkout of it is at hand."""
    directory = _suite_directory()
    if directory is None:
        pytest.skip(
            "FediTest's WebFinger server suite is not on any package registry: set FEDITEST_TESTS_DIR to a checkout"
            " of fediverse-devnet/feditest-tests-fediverse to run it (its checks run above, restated)"
        )
    import feditest
    from feditest.tests import TestFromTestFunction

    if not any(name.startswith(tuple(p.stem for p in directory.glob("*.py"))) for name in feditest.all_tests):
        feditest.load_tests_from([str(directory)])
    monkeypatch.setenv("SSL_CERT_FILE", str(setup.authority.ca_file))
    roles = {"client": setup.client, "server": setup.server}
    ran, failures = [], {}
    for name, test in feditest.all_tests.items():
        if not isinstance(test, TestFromTestFunction) or test.builtin:
            continue
        try:
            test.test_function(**{role: roles[role] for role in test.needed_local_role_names()})
            ran.append(name)
        except SkipTestException as skipped:
            failures[name] = f"skipped: {skipped}"
        except Exception as failure:
            failures[name] = str(failure)
    assert failures == {}
    assert len(ran) >= 18, ran  # the suite's 18 server tests at the time of writing, none skipped
