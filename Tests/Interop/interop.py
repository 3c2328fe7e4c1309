#!/usr/bin/env python3
"""Drives a live Keybound server with third-party clients: authlib (client credentials and
authorization code + PKCE, then a refresh) and PyJWT's PyJWKClient (validating the access tokens
against the issuer's published JWKS). Exits non-zero, with the reason, on the first failure.

Usage: interop.py BASE_URL ISSUER_ID CLIENT_ID CLIENT_SECRET PUBLIC_CLIENT_ID USERNAME PASSWORD REDIRECT_URI
"""
import html.parser
import sys
import time
import urllib.parse

import jwt
import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from authlib.common.security import generate_token


class HiddenFields(html.parser.HTMLParser):
    """Collects the login form's hidden inputs (the authorization request and the CSRF token)."""

    def __init__(self):
        super().__init__()
        self.fields = {}

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "input" and attributes.get("type") == "hidden":
            self.fields[attributes["name"]] = attributes.get("value", "")


def check(condition, message):
    if not condition:
        print("FAIL: " + message, file=sys.stderr)
        sys.exit(1)


def validate_access_token(token, issuer, jwks_uri, audience):
    """PyJWT with PyJWKClient: signature by a key from the issuer's own JWKS, iss, aud, exp."""
    signing_key = jwt.PyJWKClient(jwks_uri).get_signing_key_from_jwt(token)
    claims = jwt.decode(token, signing_key.key, algorithms=["ES256", "ES384", "EdDSA", "RS256", "PS256"],
                        audience=audience, issuer=issuer, options={"require": ["exp", "iat", "iss", "sub", "aud", "jti"]})
    check(jwt.get_unverified_header(token).get("typ") == "at+jwt", "access token typ is not at+jwt")
    return claims


def wait_for_server(base):
    """The server may still be starting: poll /health for up to 20 seconds."""
    deadline = time.monotonic() + 20
    while True:
        try:
            if requests.get(f"{base}/health", timeout=2).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            # Not listening yet, or too busy to answer within 2 s (a loaded test machine).
            pass
        check(time.monotonic() < deadline, f"{base}/health did not answer within 20 s")
        time.sleep(0.1)


def main(argv):
    base, issuer_id, client_id, client_secret, public_client_id, username, password, redirect_uri = argv[1:9]
    wait_for_server(base)
    discovery = requests.get(f"{base}/{issuer_id}/.well-known/openid-configuration", timeout=10).json()
    issuer = discovery["issuer"]
    check(issuer == f"{base}/{issuer_id}", f"discovery issuer {issuer!r}")
    check("S256" in discovery["code_challenge_methods_supported"], "S256 not advertised")

    # The issuer's tenant: (issuer, tid), published for validators to bind.
    tenant_id, tenant_kind = discovery.get("tenant_id"), discovery.get("tenant_kind")
    check(isinstance(tenant_id, str) and tenant_id, f"discovery tenant_id {tenant_id!r}")
    check(tenant_kind in ("tenant", "consumer"), f"discovery tenant_kind {tenant_kind!r}")
    check(isinstance(discovery.get("max_token_lifetime"), (int, float)), "discovery max_token_lifetime")

    # 1. Client credentials, client_secret_basic, with authlib. A consumer realm has no
    # tenant-wide roles, so it grants no application token.
    service = OAuth2Session(client_id, client_secret, token_endpoint_auth_method="client_secret_basic",
                            scope="api://mail/.default")
    if tenant_kind == "consumer":
        try:
            service.fetch_token(discovery["token_endpoint"], grant_type="client_credentials")
            check(False, "a consumer realm granted an application token")
        except OAuthError as error:
            check(error.error == "invalid_scope", f"consumer client_credentials error {error.error!r}")
        print("client_credentials: refused (consumer realm, no tenant-wide roles)")
    else:
        token = service.fetch_token(discovery["token_endpoint"], grant_type="client_credentials")
        check(token["token_type"].lower() == "bearer", "client credentials token_type")
        claims = validate_access_token(token["access_token"], issuer, discovery["jwks_uri"], "api://mail")
        check(claims["sub"] == client_id and claims["client_id"] == client_id, "application token sub/client_id")
        check("Mail.Read.All" in claims.get("roles", []), f"application token roles {claims.get('roles')}")
        check(claims.get("tid") == tenant_id, f"application token tid {claims.get('tid')!r}")
        print(f"client_credentials: ok (kid {jwt.get_unverified_header(token['access_token'])['kid']}, roles {claims['roles']})")

    # 2. Authorization code + PKCE (S256) for the public client, signing in through the login page.
    verifier = generate_token(64)
    web = OAuth2Session(public_client_id, redirect_uri=redirect_uri, code_challenge_method="S256",
                        scope="openid profile email offline_access api://mail/Mail.Read",
                        token_endpoint_auth_method="none")
    url, state = web.create_authorization_url(discovery["authorization_endpoint"], code_verifier=verifier, nonce="interop-nonce")
    query = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    check(query["code_challenge"][0] == create_s256_code_challenge(verifier), "authlib challenge")
    browser = requests.Session()
    page = browser.get(url, timeout=10)
    check(page.status_code == 200, f"login page status {page.status_code}: {page.text[:200]}")
    form = HiddenFields()
    form.feed(page.text)
    form.fields.update({"username": username, "password": password})
    login = browser.post(discovery["authorization_endpoint"], data=form.fields, allow_redirects=False, timeout=10)
    check(login.status_code in (302, 303), f"login status {login.status_code}: {login.text[:200]}")
    callback = login.headers["Location"]
    returned = urllib.parse.parse_qs(urllib.parse.urlparse(callback).query)
    check(returned.get("state") == [state], "state round trip")
    check(returned.get("iss") == [issuer], "RFC 9207 iss parameter")
    token = web.fetch_token(discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier)
    claims = validate_access_token(token["access_token"], issuer, discovery["jwks_uri"], "api://mail")
    check("Mail.Read" in claims["scope"].split(), f"delegated scope {claims['scope']}")
    check("sid" in claims and claims.get("tid") == tenant_id, f"sid, and tid {claims.get('tid')!r} = the issuer's own, in the access token")
    # A relying party's default: ID tokens in RS256 (OpenID Connect Core §15.1), as discovery promises.
    check("RS256" in discovery["id_token_signing_alg_values_supported"], "discovery lists RS256 for ID tokens")
    check(jwt.get_unverified_header(token["id_token"])["alg"] == "RS256", "ID token signed RS256")
    id_claims = jwt.decode(token["id_token"], jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(token["id_token"]).key,
                           algorithms=["RS256"], audience=public_client_id, issuer=issuer)
    check(id_claims.get("nonce") == "interop-nonce", "ID token nonce")
    print(f"authorization_code + PKCE: ok (sub {claims['sub']}, scope {claims['scope']!r})")

    # 3. Refresh with rotation: authlib swaps in the new refresh token; the old one is then dead.
    old_refresh = token["refresh_token"]
    refreshed = web.refresh_token(discovery["token_endpoint"], refresh_token=old_refresh)
    check(refreshed["refresh_token"] != old_refresh, "refresh token rotated")
    validate_access_token(refreshed["access_token"], issuer, discovery["jwks_uri"], "api://mail")
    print("refresh rotation: ok")

    # 4. userinfo and introspection over real HTTP, then reuse detection: presenting the spent
    #    refresh token again revokes the whole chain, including the tokens just refreshed.
    userinfo = requests.get(discovery["userinfo_endpoint"], headers={"Authorization": "Bearer " + refreshed["access_token"]}, timeout=10)
    check(userinfo.status_code == 200 and userinfo.json()["sub"] == claims["sub"], f"userinfo {userinfo.status_code} {userinfo.text}")
    check(userinfo.json().get("preferred_username") == username, "userinfo preferred_username")
    auth = (client_id, client_secret)
    active = requests.post(discovery["introspection_endpoint"], data={"token": refreshed["access_token"]}, auth=auth, timeout=10).json()
    check(active.get("active") is True and active.get("sub") == claims["sub"], f"introspection {active}")
    reuse = requests.post(discovery["token_endpoint"], data={"grant_type": "refresh_token", "refresh_token": old_refresh,
                                                             "client_id": public_client_id}, timeout=10)
    check(reuse.status_code == 400 and reuse.json()["error"] == "invalid_grant", f"reuse answered {reuse.status_code} {reuse.text}")
    after = requests.post(discovery["introspection_endpoint"], data={"token": refreshed["access_token"]}, auth=auth, timeout=10).json()
    check(after == {"active": False}, f"introspection after reuse {after}")
    denied = requests.get(discovery["userinfo_endpoint"], headers={"Authorization": "Bearer " + refreshed["access_token"]}, timeout=10)
    check(denied.status_code == 401 and "invalid_token" in denied.headers.get("WWW-Authenticate", ""), f"userinfo after reuse {denied.status_code}")
    dead = requests.post(discovery["token_endpoint"], data={"grant_type": "refresh_token", "refresh_token": refreshed["refresh_token"],
                                                       "client_id": public_client_id}, timeout=10)
    check(dead.status_code == 400, f"the newer refresh token of a reused chain still works: {dead.status_code}")
    revoked = requests.post(discovery["revocation_endpoint"], data={"token": refreshed["refresh_token"], "client_id": public_client_id}, timeout=10)
    check(revoked.status_code == 200, f"revocation {revoked.status_code} {revoked.text}")
    print("userinfo, introspection, reuse detection, revocation: ok")

    # 5. A token from this issuer is not valid for another issuer name (PyJWT issuer check).
    try:
        jwt.decode(refreshed["access_token"], jwt.PyJWKClient(discovery["jwks_uri"]).get_signing_key_from_jwt(refreshed["access_token"]).key,
                   algorithms=["ES256"], audience="api://mail", issuer=issuer + "-other")
        check(False, "PyJWT accepted a wrong issuer")
    except jwt.InvalidIssuerError:
        pass
    print("interop: all passed")


if __name__ == "__main__":
    if len(sys.argv) != 9:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    main(sys.argv)
