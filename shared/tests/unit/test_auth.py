from __future__ import annotations

import time

import jwt
import pytest

from federa.shared.auth import Principal, Role, TokenVerifier, mint_dev_token
from federa.shared.settings import Settings

DEV = Settings()


def _principal(*roles: Role) -> Principal:
    return Principal(subject="u", tenant="t", roles=frozenset(roles))


@pytest.mark.parametrize(
    ("role", "permission", "allowed"),
    [
        (Role.READ, "members:read", True),
        (Role.READ, "members:write", False),
        (Role.MARKETING, "communications:mailings:send", True),
        (Role.MARKETING, "members:write", False),
        (Role.MEMBER_CARD, "members:write", True),
        (Role.MEMBER_CARD, "billing:subscriptions:write", True),
        (Role.MEMBER_CARD, "billing:runs:start", False),
        (Role.ADVISOR, "members:advisory:write", True),
        (Role.ADVISOR, "communications:interactions:write", True),
        (Role.ADVISOR, "communications:mailings:send", False),
        (Role.SUPERUSER, "billing:runs:start", True),
    ],
)
def test_roles_grant_the_permissions_of_spec_2_6(
    role: Role, permission: str, allowed: bool
) -> None:
    assert _principal(role).can(permission) is allowed


def test_a_dev_token_round_trips_with_roles_tenant_and_organisations() -> None:
    token = mint_dev_token(
        DEV,
        roles=[Role.READ, Role.MARKETING],
        tenant="dgi",
        subject="kim",
        organisations=["branch-1"],
    )
    principal = TokenVerifier(DEV).verify(token)
    assert principal == Principal(
        "kim", "dgi", frozenset({Role.READ, Role.MARKETING}), frozenset({"branch-1"})
    )
    assert not principal.sees_all_organisations


def test_an_expired_token_is_refused() -> None:
    token = mint_dev_token(DEV, roles=[Role.READ], ttl_seconds=-10)
    with pytest.raises(jwt.ExpiredSignatureError):
        TokenVerifier(DEV).verify(token)


def test_a_token_with_an_unknown_role_is_refused() -> None:
    claims = {
        "sub": "u",
        "tenant": "t",
        "aud": DEV.jwt_audience,
        "roles": ["admin"],
        "exp": int(time.time()) + 60,
    }
    token = jwt.encode(claims, DEV.dev_jwt_secret, algorithm="HS256")
    with pytest.raises(jwt.InvalidTokenError, match="unknown role"):
        TokenVerifier(DEV).verify(token)


def test_a_token_for_another_audience_is_refused() -> None:
    claims = {
        "sub": "u",
        "tenant": "t",
        "aud": "someone-else",
        "roles": [],
        "exp": int(time.time()) + 60,
    }
    token = jwt.encode(claims, DEV.dev_jwt_secret, algorithm="HS256")
    with pytest.raises(jwt.InvalidAudienceError):
        TokenVerifier(DEV).verify(token)


def test_production_refuses_to_start_without_a_public_key() -> None:
    with pytest.raises(RuntimeError, match="FEDERA_JWT_PUBLIC_KEY"):
        TokenVerifier(Settings(env="production"))


def test_production_never_mints_development_tokens() -> None:
    with pytest.raises(RuntimeError):
        mint_dev_token(Settings(env="production"), roles=[Role.SUPERUSER])


def test_production_verifies_against_the_configured_public_key() -> None:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    claims = {
        "sub": "u",
        "tenant": "t",
        "aud": "federa",
        "roles": ["read"],
        "exp": int(time.time()) + 60,
    }
    verifier = TokenVerifier(Settings(env="production", jwt_public_key=public))
    assert verifier.verify(jwt.encode(claims, key, algorithm="ES256")).roles == {Role.READ}
    with pytest.raises(jwt.InvalidTokenError):
        verifier.verify(jwt.encode(claims, DEV.dev_jwt_secret, algorithm="HS256"))
