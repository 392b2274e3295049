"""Password hashing with argon2 (pwdlib's recommended parameters)."""

from __future__ import annotations

from pwdlib import PasswordHash

_hasher = PasswordHash.recommended()

# A real hash to verify against when the user does not exist, so timing does not reveal accounts.
_DUMMY_HASH = _hasher.hash("agentflow-dummy-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    if password_hash is None:
        _hasher.verify(password, _DUMMY_HASH)
        return False
    return _hasher.verify(password, password_hash)
