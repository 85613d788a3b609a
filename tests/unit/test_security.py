"""Tokens, roles and linkage-key derivation."""

from app.security import roles, tokens
from app.security.linkage_keys import derive_linkage_key, link_hash


def test_tokens_are_random_and_stored_only_as_hashes():
    first, second = tokens.generate_token(), tokens.generate_token()
    assert first != second and first.startswith("vs_") and len(first) > 40
    digest = tokens.hash_token(first)
    assert first not in digest and len(digest) == 64
    assert tokens.hashes_match(digest, first)
    assert not tokens.hashes_match(digest, second)
    assert tokens.token_hint(first) == first[:10]


def test_malformed_tokens_are_refused_before_any_lookup():
    assert not tokens.is_well_formed("")
    assert not tokens.is_well_formed("short")
    assert not tokens.is_well_formed("x" * 500)
    assert not tokens.is_well_formed("has spaces in it, quite long")
    assert tokens.is_well_formed(tokens.generate_token())


def test_roles_deny_by_default():
    assert roles.may("lab", "submit")
    assert roles.may("expert-panel", "submit")
    assert not roles.may("reader", "submit")
    assert not roles.may("lab", "flag")
    assert roles.may("curator", "flag")
    assert roles.may("ehr", "call-hooks")
    assert not roles.may("lab", "call-hooks")
    assert not roles.may("lab", "no-such-permission")
    assert not roles.may("no-such-role", "read")
    assert roles.may("admin", "admin") and not roles.may("curator", "admin")


def test_linkage_keys_differ_per_institution_and_are_deterministic():
    master = "m" * 40
    a1, a2, b = derive_linkage_key(master, "tenant-a"), derive_linkage_key(master, "tenant-a"), derive_linkage_key(
        master, "tenant-b")
    assert a1 == a2 and a1 != b and len(a1) == 32
    assert link_hash(a1, "urn:mrn|123") != link_hash(b, "urn:mrn|123")
    assert link_hash(a1, "urn:mrn|123") == link_hash(a2, "urn:mrn|123")
    assert derive_linkage_key("n" * 40, "tenant-a") != a1
