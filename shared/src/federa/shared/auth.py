"""Bearer JWTs: roles from SPEC §2.6 and the organisations a caller may act for.

Production verifies against a configured public key or JWKS URL (an OIDC provider); development
uses a local HMAC secret that `federa token` signs with.
"""

from __future__ import annotations

import fnmatch
import time
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Annotated, Any

import jwt
from fastapi import Depends, Request

from federa.shared.http.problems import Problem
from federa.shared.settings import Settings


class Role(StrEnum):
    READ = "read"  # MEMBER BASIS
    MARKETING = "marketing"  # MEMBER MARKED
    MEMBER_CARD = "member_card"  # MEMBER MEDLEMSKORT
    ADVISOR = "advisor"  # MEMBER RÅDGIVER
    SUPERUSER = "superuser"  # MEMBER SUPER
    # The *MM Bogholder* workspace (SPEC §2.6): payments, the ledger and their setup.
    BOOKKEEPER = "bookkeeper"


# SPEC §2.6, "project permission set".
PERMISSIONS: dict[Role, frozenset[str]] = {
    Role.READ: frozenset({"members:read"}),
    Role.MARKETING: frozenset({"members:read", "communications:*"}),
    Role.MEMBER_CARD: frozenset({"members:read", "members:write", "billing:subscriptions:write"}),
    Role.ADVISOR: frozenset(
        {"members:read", "members:advisory:*", "communications:interactions:write"}
    ),
    Role.SUPERUSER: frozenset({"*"}),
    Role.BOOKKEEPER: frozenset({"members:read", "payments:*"}),
}

ALL_ORGANISATIONS = "*"


@dataclass(frozen=True)
class Principal:
    subject: str
    tenant: str
    roles: frozenset[Role]
    # Organisation ids the caller acts for; their subtrees are in scope. "*" means all.
    organisations: frozenset[str] = field(default_factory=frozenset)

    @property
    def permissions(self) -> frozenset[str]:
        return frozenset().union(*(PERMISSIONS[r] for r in self.roles))

    def can(self, permission: str) -> bool:
        return any(fnmatch.fnmatchcase(permission, granted) for granted in self.permissions)

    @property
    def sees_all_organisations(self) -> bool:
        return ALL_ORGANISATIONS in self.organisations


class TokenVerifier:
    def __init__(self, settings: Settings) -> None:
        self._audience = settings.jwt_audience
        self._jwks: jwt.PyJWKClient | None = None
        self._key: str
        self._algorithms: list[str]
        if settings.jwks_url:
            self._jwks = jwt.PyJWKClient(settings.jwks_url, cache_keys=True)
            self._algorithms = ["RS256", "ES256", "EdDSA"]
            self._key = ""
        elif settings.jwt_public_key:
            self._key = settings.jwt_public_key
            self._algorithms = ["RS256", "ES256", "EdDSA"]
        elif settings.env == "development":
            self._key = settings.dev_jwt_secret
            self._algorithms = ["HS256"]
        else:
            raise RuntimeError(
                "production needs FEDERA_JWT_PUBLIC_KEY or FEDERA_JWKS_URL to verify tokens"
            )

    def verify(self, token: str) -> Principal:
        key: Any = self._key
        if self._jwks is not None:
            key = self._jwks.get_signing_key_from_jwt(token).key
        claims = jwt.decode(
            token,
            key,
            algorithms=self._algorithms,
            audience=self._audience,
            options={"require": ["exp", "sub", "tenant"]},
        )
        try:
            roles = frozenset(Role(r) for r in claims.get("roles", []))
        except ValueError as exc:
            raise jwt.InvalidTokenError(f"unknown role: {exc}") from exc
        return Principal(
            subject=str(claims["sub"]),
            tenant=str(claims["tenant"]),
            roles=roles,
            organisations=frozenset(str(o) for o in claims.get("orgs", [])),
        )


def mint_dev_token(
    settings: Settings,
    *,
    roles: Iterable[Role],
    tenant: str = "demo",
    subject: str | None = None,
    organisations: Iterable[str] = (ALL_ORGANISATIONS,),
    ttl_seconds: int = 12 * 3600,
) -> str:
    """A development token the locally running platform accepts."""
    if settings.env != "development":
        raise RuntimeError("development tokens are refused outside FEDERA_ENV=development")
    now = int(time.time())
    claims = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": subject or f"dev-{uuid.uuid4().hex[:8]}",
        "tenant": tenant,
        "roles": [Role(r).value for r in roles],
        "orgs": list(organisations),
        "iat": now,
        "exp": now + ttl_seconds,
    }
    return jwt.encode(claims, settings.dev_jwt_secret, algorithm="HS256")


def current_principal(request: Request) -> Principal:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        raise Problem(
            401,
            "unauthenticated",
            "Authentication required",
            "Send a bearer token in the Authorization header.",
        )
    verifier: TokenVerifier = request.app.state.token_verifier
    try:
        return verifier.verify(token.strip())
    except jwt.PyJWTError as exc:
        raise Problem(401, "invalid-token", "Invalid token", str(exc)) from exc


Authenticated = Annotated[Principal, Depends(current_principal)]


def requires(permission: str) -> Callable[[Principal], Principal]:
    """Dependency: the caller must hold `permission` (e.g. "members:write")."""

    def check(principal: Authenticated) -> Principal:
        if not principal.can(permission):
            raise Problem(
                403, "forbidden", "Not allowed", f"This needs the permission {permission!r}."
            )
        return principal

    return check
