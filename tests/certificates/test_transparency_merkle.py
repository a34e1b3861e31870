"""certificates.merkle against an independent implementation of RFC 9162 section 2.1, written here
from the RFC's recursive definitions (MTH, PATH, PROOF/SUBPROOF), for every tree size 1..70 and
every leaf index and first size."""

import hashlib

import pytest

from certificates import merkle

SIZES = range(1, 71)


def sha256(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def k_of(n: int) -> int:
    """The largest power of two smaller than n (n > 1)."""
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def mth(d: list[bytes]) -> bytes:
    if not d:
        return sha256(b"")
    if len(d) == 1:
        return sha256(b"\x00" + d[0])
    k = k_of(len(d))
    return sha256(b"\x01" + mth(d[:k]) + mth(d[k:]))


def path(m: int, d: list[bytes]) -> list[bytes]:
    if len(d) == 1:
        return []
    k = k_of(len(d))
    if m < k:
        return [*path(m, d[:k]), mth(d[k:])]
    return [*path(m - k, d[k:]), mth(d[:k])]


def subproof(m: int, d: list[bytes], b: bool) -> list[bytes]:
    n = len(d)
    if m == n:
        return [] if b else [mth(d)]
    k = k_of(n)
    if m <= k:
        return [*subproof(m, d[:k], b), mth(d[k:])]
    return [*subproof(m - k, d[k:], False), mth(d[:k])]


def leaves(n: int) -> list[bytes]:
    return [f"leaf {i}".encode() for i in range(n)]


def test_hashes_are_the_rfcs():
    assert merkle.leaf_hash(b"x") == sha256(b"\x00x")
    assert merkle.node_hash(b"a", b"b") == sha256(b"\x01ab")
    assert merkle.root([]) == sha256(b"")


@pytest.mark.parametrize("n", SIZES)
def test_root_and_inclusion_paths(n):
    d = leaves(n)
    hashes = [merkle.leaf_hash(leaf) for leaf in d]
    root = mth(d)
    assert merkle.root(hashes) == root
    for m in range(n):
        proof = merkle.inclusion_path(m, hashes)
        assert proof == path(m, d), (n, m)
        assert merkle.verify_inclusion(m, n, hashes[m], proof, root)
        # Another leaf, another index, a flipped hash or a wrong size never verify.
        if n > 1:
            assert not merkle.verify_inclusion(m, n, hashes[(m + 1) % n], proof, root)
            assert not merkle.verify_inclusion((m + 1) % n, n, hashes[m], proof, root)
        if proof:
            bad = [proof[0][:-1] + bytes([proof[0][-1] ^ 1]), *proof[1:]]
            assert not merkle.verify_inclusion(m, n, hashes[m], bad, root)


@pytest.mark.parametrize("n", SIZES)
def test_consistency_proofs(n):
    d = leaves(n)
    hashes = [merkle.leaf_hash(leaf) for leaf in d]
    root = mth(d)
    for m in range(1, n + 1):
        proof = merkle.consistency_proof(m, hashes)
        assert proof == subproof(m, d, True), (m, n)
        assert merkle.verify_consistency(m, n, mth(d[:m]), root, proof)
        if m < n:
            # A different old tree of the same size (a fork) or a different new root fails.
            assert not merkle.verify_consistency(m, n, mth([b"other", *d[1:m]]), root, proof)
            assert not merkle.verify_consistency(m, n, mth(d[:m]), mth([*d[:-1], b"other"]), proof)
            assert not merkle.verify_consistency(m, n, mth(d[:m]), root, proof[:-1])


def test_stored_subtrees_give_the_same_proofs():
    """The tree_* functions read only the complete subtrees subtrees_for_* name: O(log n) of them."""
    n = 70
    hashes = [merkle.leaf_hash(leaf) for leaf in leaves(n)]
    store = {}
    frontier = merkle.Frontier()
    for i, h in enumerate(hashes):
        store[(0, i)] = h
        for level, index, nh in frontier.push(h):
            store[(level, index)] = nh

    def only(wanted):
        def subtree(level, index):
            assert (level, index) in wanted, "read a subtree it did not name"
            return store[(level, index)]

        return subtree

    for size in range(1, n + 1):
        assert merkle.tree_root(size, only(merkle.subtrees_for_root(size))) == merkle.root(hashes[:size])
        for m in range(size):
            wanted = merkle.subtrees_for_inclusion(m, size)
            assert len(wanted) <= 2 * size.bit_length()
            assert merkle.tree_inclusion_path(m, size, only(wanted)) == merkle.inclusion_path(m, hashes[:size])
        for first in range(1, size + 1):
            wanted = merkle.subtrees_for_consistency(first, size)
            assert len(wanted) <= 3 * size.bit_length()
            proof = merkle.tree_consistency_proof(first, size, only(wanted))
            assert proof == merkle.consistency_proof(first, hashes[:size])
