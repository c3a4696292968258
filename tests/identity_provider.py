"""A real OpenID provider for the single sign-on tests: panva's oidc-provider (npm, pinned in
package-lock.json) run by tests/oidc/provider.mjs on a free loopback port, one per run (per xdist
worker). Its accounts are a JSON file the tests rewrite; its signing key is made here, so that a
test can also sign a token the provider would never issue (wrong audience, expired, elsewhere)."""
import json
import re
import shutil
import subprocess
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from joserfc import jwt
from joserfc.jwk import RSAKey

from a10flow.config import single_sign_on

SCRIPT = Path(__file__).parent / "oidc" / "provider.mjs"
CLIENT = {"id": "a10flow", "secret": "a10flow-test-secret", "base": "http://127.0.0.1:8000"}


class Provider:
    def __init__(self, folder):
        self.key = RSAKey.generate_key(2048, parameters={"kid": "a10flow-tests", "use": "sig", "alg": "RS256"})
        self.file, self.accounts = folder / "provider.json", {}
        self._write()
        node = shutil.which("node")
        assert node, "the single sign-on tests run oidc-provider on Node.js: install Node 18+ (`make test` needs it)"
        self.log = open(folder / "provider.log", "w")
        self.process = subprocess.Popen([node, str(SCRIPT), str(self.file)], stdout=subprocess.PIPE,
                                        stderr=self.log, text=True, cwd=SCRIPT.parents[2])
        self.issuer = self.process.stdout.readline().strip()
        assert self.issuer.startswith("http://127.0.0.1:"), (folder / "provider.log").read_text()

    def _write(self):
        self.file.write_text(json.dumps({"jwks": {"keys": [self.key.as_dict(private=True)]}, "client": CLIENT,
                                         "accounts": self.accounts}))

    def account(self, sub, **claims):
        """Add or change the account ``sub`` (its login on the provider's page), with these claims."""
        self.accounts[sub] = claims
        self._write()

    def settings(self, **env):
        """The service's A10FLOW_OIDC for this provider, as config.py reads it from ``env`` besides."""
        return single_sign_on({"A10FLOW_OIDC_ISSUER": self.issuer, "A10FLOW_OIDC_CLIENT_ID": CLIENT["id"],
                               "A10FLOW_OIDC_CLIENT_SECRET": CLIENT["secret"], "A10FLOW_OIDC_BUTTON": "Test ID",
                               "A10FLOW_OIDC_SCOPES": "openid profile email groups", **env})

    def sign(self, claims):
        """An ID token with ``claims``, signed with the provider's own key."""
        return jwt.encode({"alg": "RS256", "kid": "a10flow-tests"}, claims, self.key)

    def stop(self):
        self.process.terminate()
        self.process.wait(10)
        self.process.stdout.close()
        self.log.close()


@pytest.fixture(scope="session")
def identity_provider(tmp_path_factory):
    provider = Provider(tmp_path_factory.mktemp("oidc"))
    yield provider
    provider.stop()


class AtTheProvider:
    """A person's browser at the provider's pages (without JavaScript): it keeps the provider's cookies."""

    def __init__(self):
        self.http = requests.Session()

    def follow(self, url, login=None, until=CLIENT["base"]):
        """Follow the provider's redirects from ``url``, signing in as ``login`` on its login page, up to
        the first address starting with ``until``: returned as a path with its query."""
        while not url.startswith(until):
            page = self.http.get(url, allow_redirects=False, timeout=10)
            if page.status_code == 200:
                form = re.search(r'<form[^>]*action="([^"]+)"', page.text)
                assert form, page.text[:2000]
                fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page.text))
                fields.update({"login": login, "password": "anything"} if 'name="login"' in page.text else
                              {"logout": "yes"})
                page = self.http.post(urljoin(url, form.group(1)), data=fields, allow_redirects=False, timeout=10)
            assert page.status_code in (302, 303), (page.status_code, page.text[:2000])
            url = urljoin(url, page.headers["Location"])
        parts = urlsplit(url)
        return parts.path + ("?" + parts.query if parts.query else "")


def sign_on(visitor, login, browser=None):
    """``visitor`` (tests' Visitor) signs on as ``login`` through the provider; returns the service's
    answer to the provider's redirect, and the redirect's path (to replay it)."""
    started = visitor.get("/sign-in/oidc")
    assert started.status_code == 302, started.text
    back = (browser or AtTheProvider()).follow(started.headers["Location"], login)
    return visitor.get(back), back
