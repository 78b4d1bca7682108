#!/usr/bin/env python3
"""Signed test vectors of the KafClaw wire protocol, made by a second implementation.

Python's `cryptography` package signs records and certificates exactly as PROTOCOL.md says, with
keys from fixed seeds (Ed25519 signatures are deterministic, RFC 8032), so the output never
changes; the TypeScript tests verify every vector and so prove that the two implementations agree.

  python3 make_vectors.py             writes signed/vectors.json beside this script
  python3 make_vectors.py --stdout    prints it instead (the tests compare it with the file)
  python3 make_vectors.py --verify F  verifies the signatures listed in the JSON file F (made by
                                      the TypeScript tests): exit 0 when all verify, 1 otherwise

Needs: python3 >= 3.8 and cryptography >= 3.1 (Debian: python3-cryptography; pip: cryptography).
"""

import base64
import hashlib
import json
import sys
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

RECORD_DOMAIN = b"kafclaw/1\n"
CERT_DOMAIN = b"kafclaw-cert/1\n"
GROUP = "g1"
NOW = "2026-01-15T10:00:00Z"
NOW_MS = 1768471200000  # NOW in ms since the epoch
MINUTE_MS = 60_000


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seed(name: str) -> bytes:
    """A fixed 32-byte seed: SHA-256 of a name."""
    return hashlib.sha256(f"kafclaw golden key {name}".encode()).digest()


def key(name: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(seed(name))


def public_b64(private: Ed25519PrivateKey) -> str:
    return b64url(private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))


def to_json(value) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def certificate(agent, issuer_key, issuer_id, zones=("public",), vouched=False, issuer=False,
                not_after="2027-01-01T00:00:00Z"):
    cert = {
        "agent_id": agent,
        "public_key": public_b64(key(agent)),
        "zones": list(zones),
        "vouched": vouched,
        "issuer": issuer,
        "not_after": not_after,
        "issuer_id": issuer_id,
    }
    data = to_json(cert)
    return {"cert": b64url(data), "cert_sig": b64url(issuer_key.sign(CERT_DOMAIN + data))}


def request(sender, task_id, timestamp=NOW, content="Summarise the report"):
    return {
        "type": "request",
        "correlation_id": task_id,
        "sender_id": sender,
        "timestamp": timestamp,
        "protocol": "kafclaw/1",
        "payload": {
            "task_id": task_id,
            "attempt": 1,
            "description": "summary",
            "content": content,
            "requester_id": sender,
            "delegation": {"depth": 0, "chain": []},
            "original_requester_id": sender,
            "arbiter": "requester",
        },
    }


def skill_record(sender, timestamp=NOW):
    """A skill record: a state record, keyed skill:<name>, judged by the broker's append time."""
    return {
        "type": "skill",
        "correlation_id": "skill-summarise",
        "sender_id": sender,
        "timestamp": timestamp,
        "protocol": "kafclaw/1",
        "payload": {"skill": "summarise", "providers": [{"agent_id": sender, "zones": ["public"], "since": timestamp}]},
    }


def signed(name, envelope, signer, key_id, topic=None, key_text=None, cert=None, tamper=None,
           deliver_topic=None, **extra):
    topic = topic or f"group.{GROUP}.requests"
    key_text = envelope["payload"].get("task_id", "") if key_text is None else key_text
    value = to_json(envelope)
    signature = signer.sign(RECORD_DOMAIN + topic.encode() + b"\n" + key_text.encode() + b"\n" + value)
    headers = {"kc-key-id": key_id, "kc-sig": b64url(signature)}
    if cert is not None:
        headers["kc-cert"] = cert["cert"]
        headers["kc-cert-sig"] = cert["cert_sig"]
    sent = tamper(value) if tamper else value
    vector = {"name": name, "topic": deliver_topic or topic, "key": key_text, "value": sent.decode("utf-8"),
              "headers": headers, "now": NOW_MS}
    vector.update(extra)
    return vector


def vectors():
    owner, alice, orch, carol, mallory = (key(n) for n in ("owner", "alice", "orch", "carol", "mallory"))
    alice_cert = certificate("alice", owner, "owner", vouched=True)
    orch_cert = certificate("orch", owner, "owner", zones=("public", "lab"), vouched=True, issuer=True)
    carol_cert = certificate("carol", orch, "orch", zones=("lab",))
    dave_cert = certificate("dave", owner, "owner", not_after="2025-12-31T23:59:59Z")
    forged_cert = certificate("mallory", mallory, "owner")
    greedy_cert = certificate("carol", orch, "orch", zones=("lab", "secret"))

    ok = {"ok": True}
    out = [
        signed("alice signs a request and sends her certificate along", request("alice", "t-100"),
               alice, "alice", cert=alice_cert, expect={**ok, "signer": "alice", "vouched": True}),
        signed("a receiver finds alice's certificate in its store",
               request("alice", "t-101", content="grüße, 世界 ✓"), alice, "alice",
               certificates={"alice": alice_cert}, expect={**ok, "signer": "alice"}),
        signed("carol's certificate comes from the issuer orch, whose certificate comes from the owner",
               request("carol", "t-102"), carol, "carol", topic=f"group.{GROUP}.zone.lab.requests",
               cert=carol_cert, certificates={"orch": orch_cert}, expect={**ok, "signer": "carol"}),
        signed("the owner signs the manifest", {
            "type": "roster", "correlation_id": "roster-1", "sender_id": "owner", "timestamp": NOW,
            "payload": {"group_name": GROUP, "version": 1, "owner_key": public_b64(owner),
                        "security_mode": "signed", "onboard_mode": "gated", "heartbeat_interval_ms": 10000,
                        "topics": [f"group.{GROUP}.requests"], "updated_at": NOW, "updated_by": "owner"},
        }, owner, "owner", topic=f"group.{GROUP}.control.roster", key_text="manifest",
            append_time=NOW_MS + 50, expect={**ok, "signer": "owner"}),
        signed("a state record is checked against the broker's append time, not the receiver's clock",
               skill_record("alice", timestamp="2026-01-10T08:00:00Z"), alice, "alice", cert=alice_cert,
               topic=f"group.{GROUP}.skills", key_text="skill:summarise",
               append_time=1768032030000, expect={**ok, "signer": "alice"}),
        signed("a state record far from the broker's append time, whatever the receiver's clock says",
               skill_record("alice"), alice, "alice", cert=alice_cert, topic=f"group.{GROUP}.skills",
               key_text="skill:summarise", append_time=NOW_MS + 10 * MINUTE_MS,
               expect={"ok": False, "code": "clock_skew"}),
        signed("a value changed after signing", request("alice", "t-104"), alice, "alice", cert=alice_cert,
               tamper=lambda v: v.replace(b"Summarise", b"Delete all"), expect={"ok": False, "code": "bad_signature"}),
        signed("a record signed for one topic, delivered on another", request("alice", "t-105"), alice,
               "alice", cert=alice_cert, deliver_topic=f"group.{GROUP}.agent.bob.inbox",
               expect={"ok": False, "code": "bad_signature"}),
        signed("mallory signs with alice's certificate", request("alice", "t-106"), mallory, "alice",
               cert=alice_cert, expect={"ok": False, "code": "bad_signature"}),
        signed("dave's certificate has expired", request("dave", "t-107"), key("dave"), "dave", cert=dave_cert,
               expect={"ok": False, "code": "certificate_expired"}),
        signed("alice is revoked", request("alice", "t-108"), alice, "alice", cert=alice_cert, revoked=["alice"],
               expect={"ok": False, "code": "certificate_revoked"}),
        signed("mallory signs her own certificate as if she were the owner", request("mallory", "t-109"), mallory,
               "mallory", cert=forged_cert, expect={"ok": False, "code": "untrusted_certificate"}),
        signed("alice signs a record whose sender_id says bob", request("bob", "t-111"), alice, "alice",
               cert=alice_cert, expect={"ok": False, "code": "sender_mismatch"}),
        signed("a record ten minutes older than the receiver's clock", request("alice", "t-112",
               timestamp="2026-01-15T09:50:00Z"), alice, "alice", cert=alice_cert,
               expect={"ok": False, "code": "clock_skew"}),
        signed("no certificate sent and none known", request("alice", "t-113"), alice, "alice",
               expect={"ok": False, "code": "unknown_signer"}),
        signed("carol's issuer is not known yet", request("carol", "t-114"), carol, "carol", cert=carol_cert,
               expect={"ok": False, "code": "unknown_signer"}),
        signed("an issuer hands out a zone it does not have", request("carol", "t-115"), carol, "carol",
               cert=greedy_cert, certificates={"orch": orch_cert},
               expect={"ok": False, "code": "untrusted_certificate"}),
    ]
    unsigned = signed("a record without a signature", request("alice", "t-116"), alice, "alice",
                      expect={"ok": False, "code": "unsigned"})
    unsigned["headers"] = {}
    bad_header = signed("kc-sig is not base64url", request("alice", "t-117"), alice, "alice", cert=alice_cert,
                        expect={"ok": False, "code": "bad_header"})
    bad_header["headers"]["kc-sig"] = "not base64url!"
    out += [unsigned, bad_header]
    keys = {name: {"seed_hex": seed(name).hex(), "public_key": public_b64(key(name))}
            for name in ("owner", "alice", "orch", "carol", "dave", "mallory")}
    return {
        "description": "Signed records made by make_vectors.py (Python cryptography). Each vector: "
                       "the record (topic, key, value as UTF-8 text, headers), the receiver's clock "
                       "(now, ms), on state topics the broker's append_time (ms), certificates it "
                       "already knows, revoked ids, and the expected outcome. Each replay: one record "
                       "delivered several times to one receiver with an empty replay table, each "
                       "delivery with its clocks and outcome. The owner key is keys.owner.public_key.",
        "group": GROUP,
        "keys": keys,
        "vectors": out,
        "replays": replays(alice, alice_cert),
    }


def delivery(now_ms, expect, append_ms=None):
    out = {"now": now_ms}
    if append_ms is not None:
        out["append_time"] = append_ms
    out["expect"] = expect
    return out


def replays(alice, alice_cert):
    """Byte-identical copies of one signed record (PROTOCOL.md, Replay): the window and the
    remembered ids run on the broker's append time on state topics, the receiver's clock elsewhere."""
    ok, replay, skew = {"ok": True}, {"ok": False, "code": "replay"}, {"ok": False, "code": "clock_skew"}
    hour = 60 * MINUTE_MS

    def state(name, deliveries):
        record = signed(name, skill_record("alice"), alice, "alice", cert=alice_cert,
                        topic=f"group.{GROUP}.skills", key_text="skill:summarise")
        del record["now"]
        record["deliveries"] = deliveries
        return record

    stream = signed("on a stream topic, a copy within the window of the receiver's clock is a replay",
                    request("alice", "t-120"), alice, "alice", cert=alice_cert)
    del stream["now"]
    stream["deliveries"] = [delivery(NOW_MS + 100, ok), delivery(NOW_MS + MINUTE_MS, replay),
                            delivery(NOW_MS + 3 * MINUTE_MS, skew)]
    return [
        state("a state record re-appended a minute later, read as it arrives",
              [delivery(NOW_MS + 150, ok, NOW_MS + 100),
               delivery(NOW_MS + MINUTE_MS + 50, replay, NOW_MS + MINUTE_MS)]),
        state("a reader catching up from the beginning, three hours later, sees the copy as a replay",
              [delivery(NOW_MS + 3 * hour, ok, NOW_MS + 100),
               delivery(NOW_MS + 3 * hour + 5, replay, NOW_MS + MINUTE_MS)]),
        state("a receiver whose clock runs ten minutes ahead sees the copy as a replay",
              [delivery(NOW_MS + 10 * MINUTE_MS + 100, ok, NOW_MS + 100),
               delivery(NOW_MS + 11 * MINUTE_MS, replay, NOW_MS + MINUTE_MS)]),
        state("a copy appended after the window is refused for its timestamp",
              [delivery(NOW_MS + 3 * hour, ok, NOW_MS + 100),
               delivery(NOW_MS + 3 * hour + 5, skew, NOW_MS + 3 * MINUTE_MS)]),
        stream,
    ]


def verify_file(path: str) -> int:
    """Verifies TypeScript-made signatures: [{public_key, message_b64, signature}] -> exit code."""
    failures = 0
    for item in json.loads(Path(path).read_text()):
        public = Ed25519PublicKey.from_public_bytes(b64url_decode(item["public_key"]))
        try:
            public.verify(b64url_decode(item["signature"]), b64url_decode(item["message_b64"]))
        except InvalidSignature:
            print(f"does not verify: {item.get('name', '?')}", file=sys.stderr)
            failures += 1
    return 1 if failures else 0


def main(argv):
    if len(argv) == 3 and argv[1] == "--verify":
        return verify_file(argv[2])
    text = json.dumps(vectors(), indent=2, ensure_ascii=False) + "\n"
    if len(argv) == 2 and argv[1] == "--stdout":
        sys.stdout.write(text)
    elif len(argv) == 1:
        (Path(__file__).parent / "signed" / "vectors.json").write_text(text, encoding="utf-8")
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
