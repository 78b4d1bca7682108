"""What the Python worker of agent.py does with the records it receives, and its requester role.

`Receiver` holds the checks of PROTOCOL.md "Membership and trust" in signed mode: the roster's
`cert:<id>` records (certificates the owner issued, and revocations), each record verified over
its exact bytes against its sender's certificate, the timestamp window, the replay table, and
records parked while their sender's certificate has not come yet. `refusal` is semantics 5 (what
the receiver of a request checks). `ask` is the one-shot requester behind `--ask`.
"""
import base64, datetime, hashlib, json, time
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from kafka import KafkaConsumer, TopicPartition

SKEW = 120.0  # the timestamp window, seconds (PROTOCOL.md, Envelope: clockSkew)


def b64(raw): return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
def unb64(text): return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
def now(): return datetime.datetime.now(datetime.timezone.utc)
def stamp(): return now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
def parse_time(text): return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
def headers(record): return {k: v.decode() for k, v in record.headers or []}
def say(**event): print(json.dumps(event), flush=True)
def signed_bytes(record):
    """PROTOCOL.md, Records: what `kc-sig` signs, and (hashed) a record's replay id."""
    return f"kafclaw/1\n{record.topic}\n".encode() + (record.key or b"") + b"\n" + record.value


class Unknown(Exception):
    """The sender's certificate has not reached this agent yet: its record waits (park)."""


def need(condition, why):
    """A check that stays when Python runs with -O (an `assert` would not)."""
    if not condition: raise ValueError(why)


class Receiver:
    """Reads and checks what comes in. Without an owner key it runs in open mode: every record
    of the right shape is taken as it is."""

    def __init__(self, me, owner_key, park_ms, brokers, roster_topic, tick=lambda: None):
        self.me, self.park_ms, self.tick = me, park_ms, tick
        self.signed = owner_key is not None
        self.certs = {}  # agent id -> its certificate ({"cert", "cert_sig"}), from the roster or a record
        self.revoked = set()  # agent ids whose certificate the owner revoked
        self.parked = {}  # agent id -> [(since, record, act)]: records awaiting its certificate
        self.seen = {}  # replay id (SHA-256 of the signed bytes) -> the record's time, kept within the window
        self.roster = None
        if self.signed:  # the roster's certificates, read from the beginning without a consumer group
            self.owner = Ed25519PublicKey.from_public_bytes(unb64(owner_key))
            self.roster = KafkaConsumer(roster_topic, bootstrap_servers=brokers, group_id=None,
                                        auto_offset_reset="earliest")
            self.read_roster(until_quiet=True)

    def learn(self, record):
        """A `cert:<id>` record of the roster, signed by the owner within the window of its append
        time: a certificate the owner issued, or its revocation."""
        if not (record.key or b"").startswith(b"cert:"): return
        try:
            envelope, h = json.loads(record.value), headers(record)
            need(h["kc-key-id"] == "owner" == envelope["sender_id"], "not from the owner")
            need(abs(parse_time(envelope["timestamp"]).timestamp() - record.timestamp / 1000) <= SKEW, "outside the window")
            self.owner.verify(unb64(h["kc-sig"]), signed_bytes(record))
        except Exception:
            return say(refused=record.offset, topic=record.topic)
        agent, payload = record.key[5:].decode(), envelope["payload"]
        say(certificate=agent, revoked=bool(payload.get("revoked")))
        if payload.get("revoked"):
            self.certs.pop(agent, None)
            self.revoked.add(agent)
        else:
            self.revoked.discard(agent)
            self.certs[agent] = {"cert": payload["cert"], "cert_sig": payload["cert_sig"]}

    def read_roster(self, until_quiet=False):
        """Learns the certificates on the roster; with `until_quiet`, reads until a second passes
        without a record once some came (5 s at most)."""
        if self.roster is None: return
        deadline, got = time.monotonic() + 5, False
        while True:
            batches = self.roster.poll(timeout_ms=1000 if until_quiet else 0)
            for records in batches.values():
                for record in records: self.learn(record)
            got = got or bool(batches)
            if not until_quiet or (got and not batches) or time.monotonic() > deadline: return

    def trusted(self, record, envelope):
        """Signed mode: the record verifies with a certificate the owner issued to its sender: the
        one in its headers, else the one learnt before (senders attach theirs only now and then). A
        record without one, from a sender not known yet or whose records wait already, raises Unknown."""
        h = headers(record)
        sender = h.get("kc-key-id")
        known = sender in self.certs or sender in self.revoked
        if sender and "kc-sig" in h and "kc-cert" not in h and (sender in self.parked or not known):
            raise Unknown(sender)
        try:
            need(sender not in self.revoked, "certificate revoked")
            held = {"cert": h["kc-cert"], "cert_sig": h["kc-cert-sig"]} if "kc-cert" in h else self.certs[sender]
            cert_bytes = unb64(held["cert"])
            self.owner.verify(unb64(held["cert_sig"]), b"kafclaw-cert/1\n" + cert_bytes)
            cert = json.loads(cert_bytes)
            need(cert["issuer_id"] == "owner" and cert["agent_id"] == sender == envelope["sender_id"], "not its certificate")
            need(parse_time(cert["not_after"]) > now(), "certificate expired")
            need(abs((parse_time(envelope["timestamp"]) - now()).total_seconds()) <= SKEW, "outside the window")
            Ed25519PublicKey.from_public_bytes(unb64(cert["public_key"])).verify(unb64(h["kc-sig"]), signed_bytes(record))
            replay_id = hashlib.sha256(signed_bytes(record)).hexdigest()
            need(replay_id not in self.seen, "replayed")
            self.seen[replay_id] = parse_time(envelope["timestamp"])
            self.certs.setdefault(sender, held)  # kept by certificate, whether its sender speaks or not
            return True
        except Exception as error:  # a missing header, a bad signature, an expired certificate...
            say(refused=record.offset, why=str(error) or type(error).__name__)
            return False

    def read(self, record):
        """The envelope of a task record, if its shape fits and (signed mode) it verifies; else None."""
        envelope = json.loads(record.value)
        if not isinstance(envelope.get("payload"), dict) or "task_id" not in envelope["payload"]:
            raise ValueError("not a task record")
        return envelope if not self.signed or self.trusted(record, envelope) else None

    def park(self, record, act):
        """Holds a record until its sender's certificate arrives (PROTOCOL.md, Membership and trust)."""
        queue = self.parked.setdefault(headers(record)["kc-key-id"], [])
        if len(queue) >= 100 or sum(map(len, self.parked.values())) >= 1000:
            return say(dropped=record.offset, why="too many records wait")
        queue.append((time.monotonic(), record, act))
        say(parked=record.offset)

    def release(self):
        """Runs, in the order they came, the records whose sender's certificate (or revocation) came
        since; drops those that waited longer than park_ms; forgets replay ids out of the window."""
        for sender in list(self.parked):
            if sender in self.certs or sender in self.revoked:
                for _, record, act in self.parked.pop(sender): self.run(record, act)
                continue
            while self.parked[sender] and time.monotonic() - self.parked[sender][0][0] > self.park_ms / 1000:
                say(dropped=self.parked[sender].pop(0)[1].offset, why="no certificate came")
            if not self.parked[sender]: del self.parked[sender]
        for replay_id in [i for i, at in self.seen.items() if (now() - at).total_seconds() > SKEW]:
            del self.seen[replay_id]

    def run(self, record, act):
        """`act` on a record read from a consumer; a record that is not ours is counted, not fatal."""
        self.tick()
        try:
            act(record)
        except Unknown:
            self.park(record, act)
        except (AttributeError, KeyError, TypeError, ValueError):  # not a record of ours
            say(poison=record.offset)


def refusal(me, payload):
    """Semantics 5: depth, cycle and deadline are checked by the receiver."""
    delegation = payload.get("delegation") or {"depth": payload.get("delegation_depth", 0), "chain": []}
    if delegation.get("depth", 0) >= 3: return "delegation depth reached the limit"
    if me in delegation.get("chain", []): return "the delegation chain already holds this agent"
    deadline = payload.get("deadline_at")
    if deadline and (now() - parse_time(deadline)).total_seconds() > SKEW: return "deadline passed"
    return None


def ask(text, me, send, receiver, brokers, group):
    """A requester: one request on the work queue (`send` signs it as the worker signs its own), its
    answer read from the responses stream and checked as any record is; prints it and exits."""
    task_id = f"py-{me}-{int(time.time() * 1000)}"
    send(f"group.{group}.requests", task_id, "request", task_id,
         {"task_id": task_id, "attempt": 1, "description": "asked from Python", "content": text,
          "requester_id": me, "delegation": {"depth": 0, "chain": []}, "arbiter": "none"})
    # A one-shot asker reads every partition itself from the start: no group join to wait for
    # (a join that stalled left the answer unread in some runs).
    topic = f"group.{group}.responses"
    responses = KafkaConsumer(bootstrap_servers=brokers, group_id=None, auto_offset_reset="earliest")
    responses.assign([TopicPartition(topic, p) for p in sorted(responses.partitions_for_topic(topic) or set())])
    responses.seek_to_beginning()
    deadline, held = time.monotonic() + 60, []  # held: the answer, until it verifies
    while time.monotonic() < deadline:
        receiver.read_roster()
        for records in responses.poll(timeout_ms=200).values():
            held += [record for record in records if record.key == task_id.encode()]
        for record in held:  # its sender's certificate may reach the roster after it
            try:
                verified = receiver.read(record)
            except Unknown:
                continue
            if verified:
                print(record.value.decode(), flush=True)
                raise SystemExit(0)
    raise SystemExit(f"no answer to {task_id} within 60 s")
