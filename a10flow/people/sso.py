"""Single sign-on with OpenID Connect: the authorization code flow with PKCE (Authlib's Flask
client), and the person an answer names.

A person is the provider's (issuer, subject), never a name or an e-mail: a name a local account
already has is refused, not taken over. Role and groups come from the configured claims at every
sign-in, through the directory, so that each change is in the access record.
"""
from urllib.parse import urlsplit

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from flask import current_app, request
from joserfc.errors import JoseError

from ..config import address
from ..errors import Conflict, Forbidden, Invalid, ServiceError, Unavailable
from ..models import Role, User, db
from . import directory

DONE = "/sign-in/oidc/done"   # where the provider sends the browser back (its redirect URI)


class Refused(ServiceError):
    """The provider's answer cannot be trusted: nobody is signed in."""
    status, code = 401, "sign_on_refused"


def settings():
    """The A10FLOW_OIDC_* settings (a10flow.config.single_sign_on), or None: no single sign-on."""
    return current_app.config["A10FLOW_OIDC"]


def init_app(app):
    OAuth(app)   # each app its own client, registered at first use from the settings it has then


def origin():
    """The provider's scheme and host, where the pages' forms may lead (signing out), or None."""
    issuer = settings() and urlsplit(settings()["issuer"])
    return issuer and f"{issuer.scheme}://{issuer.netloc}"


def _client():
    """The provider's client, its discovery document loaded. :raises Unavailable, Refused:"""
    oauth = current_app.extensions["authlib.integrations.flask_client"]
    wanted = settings()
    client = oauth.create_client("provider") or oauth.register(
        "provider", client_id=wanted["client_id"], client_secret=wanted["client_secret"],
        server_metadata_url=wanted["issuer"] + "/.well-known/openid-configuration",
        client_kwargs={"scope": wanted["scope"], "code_challenge_method": "S256", "default_timeout": 10})
    try:
        issuer = client.load_server_metadata().get("issuer", "")
    except (requests.RequestException, ValueError):
        raise Unavailable(f"The identity provider ({wanted['issuer']}) does not answer: try again later.") from None
    if issuer.rstrip("/") != wanted["issuer"]:   # OpenID Connect Discovery 1.0, 4.3: else a mix-up
        raise Refused(f"The identity provider at A10FLOW_OIDC_ISSUER calls itself {issuer!r}: nobody can sign in "
                      "with it until the setting names it exactly.")
    return client


def begin():
    """The redirect to the provider's sign-in page (a state, a nonce and a PKCE verifier kept in the
    session). :raises Unavailable, Refused:"""
    return _client().authorize_redirect(address(current_app.config, DONE))


def finish():
    """The ID token's claims from the provider's answer to this browser's sign-in, checked: the state
    it was sent, the issuer, and the token's signature, audience, expiry and nonce.
    :raises Refused, Unavailable:"""
    client = _client()
    if request.args.get("iss", settings()["issuer"]).rstrip("/") != settings()["issuer"]:   # RFC 9207
        raise Refused(f"The answer comes from another identity provider ({request.args['iss'][:200]}) than "
                      "this service's.")
    try:   # Authlib checks the audience only if told (else only azp happens to catch it)
        token = client.authorize_access_token(claims_options={
            "iss": {"essential": True, "values": [client.load_server_metadata()["issuer"]]},
            "aud": {"essential": True, "values": [settings()["client_id"]]}})
    except requests.RequestException:
        raise Unavailable("The identity provider does not answer: try again later.") from None
    except MismatchingStateError:
        raise Refused("This answer from the identity provider belongs to no sign-in started in this browser, "
                      "or was used already. Sign in again.") from None
    except OAuthError as exc:
        raise Refused(f"The identity provider refused: {exc.description or exc.error}.") from None
    except (AuthlibBaseError, JoseError, ValueError) as exc:
        why = getattr(exc, "description", None) or getattr(exc, "error", None) or exc
        raise Refused(f"The identity provider's ID token is not valid ({why}): nobody was signed in.") from None
    if not token.get("userinfo"):
        raise Refused("The identity provider sent no ID token.")
    return token["userinfo"]


def _values(claim):
    values = [claim] if isinstance(claim, str) else claim if isinstance(claim, list) else []
    return [v for v in values if isinstance(v, str)]


def role_of(claims):
    """The first role of A10FLOW_OIDC_ROLES whose claim value the claims give; staff if none."""
    given = _values(claims.get(settings()["role_claim"]))
    return next((Role(role) for claimed, role in settings()["roles"].items() if claimed in given), Role.STAFF)


def groups_of(claims):
    """The groups the claims give: through A10FLOW_OIDC_GROUPS if set, else each value that starts
    with A10FLOW_OIDC_GROUP_PREFIX, without it."""
    given, mapping, prefix = _values(claims.get(settings()["groups_claim"])), settings()["groups"], \
        settings()["group_prefix"]
    if mapping:
        return sorted({mapping[v] for v in given if v in mapping})
    return sorted({v[len(prefix):] for v in given if v.startswith(prefix) and v != prefix})


def person(claims):
    """The user the claims name, made at their first sign-in, with the role, groups and e-mail the
    claims give now. :raises Conflict: the name is a local account's, or the change would leave no
    admin. :raises Invalid: a claim a10flow cannot take, named. :raises Forbidden: disabled."""
    wanted = {"role": role_of(claims), "groups": groups_of(claims), "email": claims.get("email")}
    found = db.session.scalar(db.select(User).where(User.oidc_issuer == claims["iss"],
                                                    User.oidc_subject == claims["sub"]))
    if found is not None and found.disabled_at is not None:
        raise Forbidden(f"{found.name}'s account is disabled: an admin can enable it again.")
    try:
        if found is not None:
            return directory.change_user(directory.IDENTITY_PROVIDER, found, **wanted)
        return directory.create_user(directory.IDENTITY_PROVIDER, claims.get(settings()["name_claim"]), **wanted,
                                     known_as=(claims["iss"], claims["sub"]))
    except Invalid as exc:
        field = exc.details[0]["field"] if exc.details else ""
        claim = {"name": settings()["name_claim"], "groups": settings()["groups_claim"],
                 "role": settings()["role_claim"]}.get(field, field)
        raise Invalid(f"The identity provider's claim {claim!r} cannot be taken: {exc.message}", exc.details) \
            from None
    except Conflict as exc:
        if not exc.details or exc.details[0].get("field") != "name":
            raise
        raise Conflict(f"An account called {claims.get(settings()['name_claim'])!r} exists already and was not "
                       "made by single sign-on: it is not taken over. An admin can rename that account, and yours "
                       "is made at your next sign-in.", exc.details) from None


def end_session_url():
    """Where the browser goes to end its session at the provider too, or None (none is offered, or
    the provider does not answer: the local session has ended all the same)."""
    try:
        client = _client()
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        return client.create_logout_url(post_logout_redirect_uri=address(current_app.config, "/sign-in"),
                                        client_id=settings()["client_id"])["url"]
    except ServiceError:
        return None
