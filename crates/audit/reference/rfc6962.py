"""Independent reference for oncodata's audit log: the Merkle tree hash (MTH) and inclusion
proofs (PATH) of RFC 6962 §2.1, written from the RFC's definitions, for trees of 1 to 13 leaves
whose data are the UTF-8 strings "event 0", "event 1", …; and `verify`, RFC 9162 §2.1.3.2, to
check a proof printed by `oncodata audit prove` against a checkpoint's root.

Run: python3 rfc6962.py > rfc6962.json
     python3 rfc6962.py --verify PROOF.json   (exit 0 when the proof leads to its checkpoint's root)
"""
import hashlib
import json
import sys


def leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def mth(d):
    n = len(d)
    if n == 0:
        return hashlib.sha256(b"").digest()
    if n == 1:
        return d[0]
    k = 1
    while k * 2 < n:
        k *= 2
    return node(mth(d[:k]), mth(d[k:]))


def path(m, d):
    n = len(d)
    if n <= 1:
        return []
    k = 1
    while k * 2 < n:
        k *= 2
    if m < k:
        return path(m, d[:k]) + [mth(d[k:])]
    return path(m - k, d[k:]) + [mth(d[:k])]


def verify(index, size, leaf_hash, proof, root):
    if index >= size:
        return False
    fn, sn, r = index, size - 1, leaf_hash
    for p in proof:
        if sn == 0:
            return False
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    return sn == 0 and r == root


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--verify":
        p = json.load(open(sys.argv[2]))
        # The leaf hash is recomputed from the event as the proof gives it (canonical JSON).
        leaf_hash = leaf(p["leaf_data"].encode()) if p.get("leaf_data") is not None else bytes.fromhex(p["leaf"])
        ok = leaf_hash.hex() == p["leaf"] and verify(
            p["index"], p["checkpoint"]["size"], leaf_hash, [bytes.fromhex(h) for h in p["path"]],
            bytes.fromhex(p["checkpoint"]["root"]))
        print("verified" if ok else "NOT verified")
        sys.exit(0 if ok else 1)
    trees = []
    for n in range(1, 14):
        d = [leaf(f"event {i}".encode()) for i in range(n)]
        root = mth(d)
        paths = [[h.hex() for h in path(m, d)] for m in range(n)]
        assert all(verify(m, n, d[m], path(m, d), root) for m in range(n))
        trees.append({"size": n, "root": root.hex(), "paths": paths})
    json.dump({"source": "RFC 6962 §2.1 MTH and PATH; leaves 'event i'", "trees": trees}, sys.stdout, indent=1)
