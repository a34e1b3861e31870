"""Merkle trees as RFC 6962 and RFC 9162 (section 2.1) define them: pure functions, no Django.

A leaf hash is SHA-256(0x00 || leaf), a node hash SHA-256(0x01 || left || right); the tree hash of n
leaves splits at the largest power of two smaller than n; the hash of no leaves is SHA-256("").

Two ways in. The list functions (root, inclusion_path, consistency_proof) take every leaf hash and
suit tests and small trees. The tree_* functions take `subtree(level, index)`, the hash of the complete
subtree over leaves [index * 2**level, (index + 1) * 2**level), so a stored log answers a proof with
O(log n) stored hashes: every range the RFC's recursion asks for is a run of complete subtrees of
descending size (its start is aligned to a power of two at least its length), and its hash folds
them from the right. `subtrees_for_*` name the subtrees a proof reads, so a caller fetches them in one
query first.

Verification follows RFC 9162 2.1.3.2 (inclusion) and 2.1.4.2 (consistency) step by step.
"""

import hashlib
from collections.abc import Callable, Sequence

Subtree = Callable[[int, int], bytes]

EMPTY_ROOT = hashlib.sha256(b"").digest()


def leaf_hash(leaf: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + leaf).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _largest_power_of_two_below(n: int) -> int:
    """The k of the RFC's split: the largest power of two smaller than n (n > 1)."""
    return 1 << ((n - 1).bit_length() - 1)


def pieces(start: int, end: int) -> list[tuple[int, int]]:
    """The complete subtrees (level, index) covering leaves [start, end), left to right, largest first."""
    out = []
    while start < end:
        level = (end - start).bit_length() - 1
        while start % (1 << level):
            level -= 1
        out.append((level, start >> level))
        start += 1 << level
    return out


def range_hash(start: int, end: int, subtree: Subtree) -> bytes:
    """MTH of leaves [start, end) for a range of the RFC's recursion (start aligned as above)."""
    if start == end:
        return EMPTY_ROOT
    parts = pieces(start, end)
    result = subtree(*parts[-1])
    for level, index in reversed(parts[:-1]):
        result = node_hash(subtree(level, index), result)
    return result


def tree_root(size: int, subtree: Subtree) -> bytes:
    return range_hash(0, size, subtree)


def tree_inclusion_path(index: int, size: int, subtree: Subtree) -> list[bytes]:
    """PATH(m, D[n]) of RFC 6962 2.1.1, leaf first."""
    if not 0 <= index < size:
        raise ValueError(f"leaf index {index} is outside a tree of {size} leaves")
    path: list[bytes] = []
    start, end, m = 0, size, index
    # Walk down from the root, collecting siblings; the path lists them from the leaf up.
    while end - start > 1:
        k = _largest_power_of_two_below(end - start)
        if m < k:
            path.append(range_hash(start + k, end, subtree))
            end = start + k
        else:
            path.append(range_hash(start, start + k, subtree))
            start, m = start + k, m - k
    path.reverse()
    return path


def tree_consistency_proof(first: int, second: int, subtree: Subtree) -> list[bytes]:
    """PROOF(m, D[n]) of RFC 6962 2.1.2 (SUBPROOF unrolled), for 0 < first <= second."""
    if not 0 < first <= second:
        raise ValueError(f"no consistency proof from {first} to {second} leaves")
    proof: list[bytes] = []
    start, end, m, whole = 0, second, first, True
    while m != end - start:
        n = end - start
        k = _largest_power_of_two_below(n)
        if m <= k:
            proof.append(range_hash(start + k, end, subtree))
            end = start + k
        else:
            proof.append(range_hash(start, start + k, subtree))
            start, m, whole = start + k, m - k, False
    if not whole:
        proof.append(range_hash(start, end, subtree))
    proof.reverse()
    return proof


def _recorded(run: Callable[[Subtree], object]) -> list[tuple[int, int]]:
    seen: dict[tuple[int, int], None] = {}

    def record(level: int, index: int) -> bytes:
        seen[(level, index)] = None
        return EMPTY_ROOT

    run(record)
    return list(seen)


def subtrees_for_root(size: int) -> list[tuple[int, int]]:
    return pieces(0, size)


def subtrees_for_inclusion(index: int, size: int) -> list[tuple[int, int]]:
    return _recorded(lambda subtree: tree_inclusion_path(index, size, subtree))


def subtrees_for_consistency(first: int, second: int) -> list[tuple[int, int]]:
    return _recorded(lambda subtree: tree_consistency_proof(first, second, subtree))


class Frontier:
    """The complete subtrees of a growing tree's right edge (the binary decomposition of its size).
    push() adds a leaf hash and returns the subtrees it completes, as (level, index, hash): what a
    stored log writes. Start it from the stored frontier of the current size to append."""

    def __init__(self, size: int = 0, hashes: Sequence[bytes] = ()):
        self.size = size
        self.stack = [(level, bytes(h)) for (level, _index), h in zip(pieces(0, size), hashes, strict=True)]

    def push(self, leaf_hash_: bytes) -> list[tuple[int, int, bytes]]:
        made = []
        level, h = 0, leaf_hash_
        index = self.size
        while self.stack and self.stack[-1][0] == level:
            _, left = self.stack.pop()
            h = node_hash(left, h)
            level += 1
            index >>= 1
            made.append((level, index, h))
        self.stack.append((level, h))
        self.size += 1
        return made

    def root(self) -> bytes:
        if not self.stack:
            return EMPTY_ROOT
        result = self.stack[-1][1]
        for _, h in reversed(self.stack[:-1]):
            result = node_hash(h, result)
        return result


def _list_subtree(leaf_hashes: Sequence[bytes]) -> Subtree:
    def subtree(level: int, index: int) -> bytes:
        return root(leaf_hashes[index << level : (index + 1) << level])

    return subtree


def root(leaf_hashes: Sequence[bytes]) -> bytes:
    """MTH over the given leaf hashes."""
    frontier = Frontier()
    for h in leaf_hashes:
        frontier.push(h)
    return frontier.root()


def inclusion_path(index: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    return tree_inclusion_path(index, len(leaf_hashes), _list_subtree(leaf_hashes))


def consistency_proof(first: int, leaf_hashes: Sequence[bytes]) -> list[bytes]:
    return tree_consistency_proof(first, len(leaf_hashes), _list_subtree(leaf_hashes))


def verify_inclusion(index: int, size: int, leaf_hash_: bytes, path: Sequence[bytes], root_hash: bytes) -> bool:
    """RFC 9162 2.1.3.2."""
    if not 0 <= index < size:
        return False
    fn, sn, r = index, size - 1, leaf_hash_
    for p in path:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node_hash(p, r)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            r = node_hash(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root_hash


def verify_consistency(first: int, second: int, first_root: bytes, second_root: bytes, proof: Sequence[bytes]) -> bool:
    """RFC 9162 2.1.4.2 (first == second: an empty proof and equal roots)."""
    if not 0 < first <= second:
        return False
    if first == second:
        return not proof and first_root == second_root
    if not proof:
        return False
    path = list(proof)
    if first & (first - 1) == 0:
        path.insert(0, first_root)
    fn, sn = first - 1, second - 1
    while fn & 1:
        fn >>= 1
        sn >>= 1
    fr = sr = path[0]
    for c in path[1:]:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            fr = node_hash(c, fr)
            sr = node_hash(c, sr)
            if not fn & 1:
                while not fn & 1 and fn != 0:
                    fn >>= 1
                    sn >>= 1
        else:
            sr = node_hash(sr, c)
        fn >>= 1
        sn >>= 1
    return fr == first_root and sr == second_root and sn == 0
