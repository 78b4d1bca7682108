"""A KafClaw worker in Python, written from PROTOCOL.md alone (kafclaw/1).

It announces itself, sends heartbeats, takes requests from the group's work queue (the shared
consumer group kafclaw.<g>.workers, assignor `roundrobin`) and from its inbox (retries, declined
tasks sent on), claims each one and answers it. In
signed mode (--seed-file, --cert-file and --owner-key given) every record it sends is signed over
its exact bytes and carries its certificate, and it accepts only requests signed by a member whose
certificate the owner issued, not expired nor revoked, each record once. A signed request whose
sender's certificate it has not seen yet (none in the headers nor on the roster) waits, in the
order it came, until the certificate arrives: at most 100 records a sender (1000 in all) for at
most --park-ms; past either it is dropped and said so. Without them it runs in open mode. Stops
with a signed leave on SIGTERM or SIGINT.

    pip install kafka-python cryptography
    python agent.py --brokers 127.0.0.1:9092 --group g1 --id py-worker \
        [--seed-file key.seed --cert-file cert.json --owner-key=<base64url>]

Give the owner key in one word with its flag (`--owner-key=<key>`): a base64url key may begin
with `-`, which argparse would take for an option.
"""
import argparse, base64, datetime, hashlib, itertools, json, signal, time
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor

ap = argparse.ArgumentParser()
for flag in ("--brokers", "--group", "--id"):
    ap.add_argument(flag, required=True)
for flag in ("--seed-file", "--cert-file", "--owner-key"):
    ap.add_argument(flag)
ap.add_argument("--heartbeat-ms", type=int, default=1000)
ap.add_argument("--park-ms", type=int, default=60000, help="how long a record waits for a certificate")
ap.add_argument("--ask", help="only send this request to the group, print the answer and exit")
args = ap.parse_args()
G, ME, SKEW = args.group, args.id, 120.0
signed = args.seed_file is not None


def b64(raw): return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
def unb64(text): return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
def now(): return datetime.datetime.now(datetime.timezone.utc)
def stamp(): return now().isoformat(timespec="milliseconds").replace("+00:00", "Z")
def parse_time(text): return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
def topic(name): return f"group.{G}.{name}"
def headers(record): return {k: v.decode() for k, v in record.headers or []}
def signed_bytes(record):
    return f"kafclaw/1\n{record.topic}\n".encode() + (record.key or b"") + b"\n" + record.value


key = Ed25519PrivateKey.from_private_bytes(open(args.seed_file, "rb").read()) if signed \
    else Ed25519PrivateKey.generate()  # open mode: an identity still names a public key
public_key = b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
if signed:
    bundle = json.load(open(args.cert_file))
    owner = Ed25519PublicKey.from_public_bytes(unb64(args.owner_key))

producer = KafkaProducer(bootstrap_servers=args.brokers.split(","), acks="all",
                         max_in_flight_requests_per_connection=1)  # default partitioner: murmur2
seq = itertools.count(1)


def send(to, key_text, kind, correlation_id, payload):
    value = json.dumps({"type": kind, "correlation_id": correlation_id, "sender_id": ME,
                        "timestamp": stamp(), "protocol": "kafclaw/1", "payload": payload}).encode()
    headers = []
    if signed:
        signature = key.sign(b"kafclaw/1\n" + f"{to}\n{key_text}\n".encode() + value)
        headers = [("kc-key-id", ME.encode()), ("kc-sig", b64(signature).encode()),
                   ("kc-cert", bundle["cert"].encode()), ("kc-cert-sig", bundle["cert_sig"].encode())]
    producer.send(to, key=key_text.encode(), value=value, headers=headers).get(timeout=30)


def identity(status):
    return {"agent_id": ME, "agent_name": f"Python worker {ME}", "soul_summary": "echoes tasks",
            "capabilities": ["echo"], "skills": [], "channels": [], "model": "none",
            "joined_at": started, "status": status, "zones": ["public"], "public_key": public_key,
            "heartbeat_interval_ms": args.heartbeat_ms, "protocol": "kafclaw/1"}


certs = {}  # agent id -> its certificate ({"cert", "cert_sig"}), from the roster or a record
revoked = set()  # agent ids whose certificate the owner revoked
parked = {}  # agent id -> [(since, record, act)]: records awaiting its certificate
seen = {}  # replay id (SHA-256 of the signed bytes) -> the record's time, kept within the window


class Unknown(Exception):
    """The sender's certificate has not reached this agent yet: its record waits (park)."""


def need(condition, why):
    """A check that stays when Python runs with -O (an `assert` would not)."""
    if not condition: raise ValueError(why)


def learn(record):
    """A `cert:<id>` record of the roster, signed by the owner within the window of its append
    time: a certificate the owner issued, or its revocation."""
    if not (record.key or b"").startswith(b"cert:"): return
    try:
        envelope, h = json.loads(record.value), headers(record)
        need(h["kc-key-id"] == "owner" == envelope["sender_id"], "not from the owner")
        need(abs(parse_time(envelope["timestamp"]).timestamp() - record.timestamp / 1000) <= SKEW, "outside the window")
        owner.verify(unb64(h["kc-sig"]), signed_bytes(record))
    except Exception:
        return print(json.dumps({"refused": record.offset, "topic": record.topic}), flush=True)
    agent, payload = record.key[5:].decode(), envelope["payload"]
    print(json.dumps({"certificate": agent, "revoked": bool(payload.get("revoked"))}), flush=True)
    if payload.get("revoked"):
        certs.pop(agent, None)
        revoked.add(agent)
    else:
        revoked.discard(agent)
        certs[agent] = {"cert": payload["cert"], "cert_sig": payload["cert_sig"]}


def read_roster(source, until_quiet=False):
    """Learns the certificates on the roster; with `until_quiet`, reads until a second passes
    without a record once some came (5 s at most)."""
    deadline, got = time.monotonic() + 5, False
    while True:
        batches = source.poll(timeout_ms=1000 if until_quiet else 0)
        for records in batches.values():
            for record in records: learn(record)
        got = got or bool(batches)
        if not until_quiet or (got and not batches) or time.monotonic() > deadline: return


def trusted(record, envelope):
    """Signed mode: the record verifies with a certificate the owner issued to its sender: the
    one in its headers, else the one learnt before (senders attach theirs only now and then). A
    record without one, from a sender not known yet or whose records wait already, raises Unknown."""
    h = headers(record)
    sender = h.get("kc-key-id")
    known = sender in certs or sender in revoked
    if sender and "kc-sig" in h and "kc-cert" not in h and (sender in parked or not known):
        raise Unknown(sender)
    try:
        need(sender not in revoked, "certificate revoked")
        held = {"cert": h["kc-cert"], "cert_sig": h["kc-cert-sig"]} if "kc-cert" in h else certs[sender]
        cert_bytes = unb64(held["cert"])
        owner.verify(unb64(held["cert_sig"]), b"kafclaw-cert/1\n" + cert_bytes)
        cert = json.loads(cert_bytes)
        need(cert["issuer_id"] == "owner" and cert["agent_id"] == sender == envelope["sender_id"], "not its certificate")
        need(parse_time(cert["not_after"]) > now(), "certificate expired")
        need(abs((parse_time(envelope["timestamp"]) - now()).total_seconds()) <= SKEW, "outside the window")
        Ed25519PublicKey.from_public_bytes(unb64(cert["public_key"])).verify(unb64(h["kc-sig"]), signed_bytes(record))
        replay_id = hashlib.sha256(signed_bytes(record)).hexdigest()
        need(replay_id not in seen, "replayed")
        seen[replay_id] = parse_time(envelope["timestamp"])
        certs.setdefault(sender, held)  # kept by certificate, whether its sender speaks or not
        return True
    except Exception as error:  # a missing header, a bad signature, an expired certificate...
        print(json.dumps({"refused": record.offset, "why": str(error) or type(error).__name__}), flush=True)
        return False


def park(record, act):
    """Holds a record until its sender's certificate arrives (PROTOCOL.md, Membership and trust)."""
    queue = parked.setdefault(headers(record)["kc-key-id"], [])
    if len(queue) >= 100 or sum(map(len, parked.values())) >= 1000:
        return print(json.dumps({"dropped": record.offset, "why": "too many records wait"}), flush=True)
    queue.append((time.monotonic(), record, act))
    print(json.dumps({"parked": record.offset}), flush=True)


def release():
    """Runs, in the order they came, the records whose sender's certificate (or revocation) came
    since; drops those that waited longer than --park-ms; forgets replay ids out of the window."""
    for sender in list(parked):
        if sender in certs or sender in revoked:
            for _, record, act in parked.pop(sender): run(record, act)
            continue
        while parked[sender] and time.monotonic() - parked[sender][0][0] > args.park_ms / 1000:
            record = parked[sender].pop(0)[1]
            print(json.dumps({"dropped": record.offset, "why": "no certificate came"}), flush=True)
        if not parked[sender]: del parked[sender]
    for replay_id in [i for i, at in seen.items() if (now() - at).total_seconds() > SKEW]: del seen[replay_id]


def run(record, act):
    """`act` on a record read from a consumer; a record that is not ours is counted, not fatal."""
    beat()
    try:
        act(record)
    except Unknown:
        park(record, act)
    except (AttributeError, KeyError, TypeError, ValueError):  # not a record of ours
        print(json.dumps({"poison": record.offset}), flush=True)


def refusal(payload):
    """Semantics 5: depth, cycle and deadline are checked by the receiver."""
    delegation = payload.get("delegation") or {"depth": payload.get("delegation_depth", 0), "chain": []}
    if delegation.get("depth", 0) >= 3: return "delegation depth reached the limit"
    if ME in delegation.get("chain", []): return "the delegation chain already holds this agent"
    deadline = payload.get("deadline_at")
    if deadline and (now() - parse_time(deadline)).total_seconds() > SKEW: return "deadline passed"
    return None


def read(record):
    """The envelope of a record, if its shape fits and (signed mode) it verifies; else None."""
    envelope = json.loads(record.value)
    if not isinstance(envelope.get("payload"), dict) or "task_id" not in envelope["payload"]:
        raise ValueError("not a task record")
    return envelope if not signed or trusted(record, envelope) else None


def handle(record):
    """A request from the work queue."""
    envelope = read(record)
    if envelope is not None and envelope["type"] == "request": take(envelope["payload"], consumer)


def take(payload, source):
    """A request read from `source`: claim it, then answer it at once or once granted."""
    if payload.get("target_id", ME) != ME: return
    attempt = payload.get("attempt", 1)
    status = {"task_id": payload["task_id"], "attempt": attempt, "worker_id": ME}
    send(topic("tasks.status"), payload["task_id"], "task_status", payload["task_id"],
         {**status, "status": "claimed", "seq": next(seq)})
    source.commit()
    if payload.get("arbiter", "none") == "requester":  # the requester's grant comes to the inbox
        pending[(payload["task_id"], attempt)] = payload
        return print(json.dumps({"waiting": payload["task_id"]}), flush=True)
    answer(payload, attempt)


def grant(record):
    """The inbox: a request sent to this agent (a retry or a declined task sent on), or the
    requester's `assigned` (answer now) or `revoked` (drop it)."""
    envelope = read(record)
    if envelope is not None and envelope["type"] == "request": return take(envelope["payload"], inbox)
    if envelope is None or envelope["type"] != "task_status": return
    status = envelope["payload"]
    payload = pending.pop((status["task_id"], status.get("attempt", 1)), None)
    if payload is None: return
    if status["status"] == "assigned" and status["worker_id"] == ME:
        return answer(payload, status.get("attempt", 1))
    print(json.dumps({"revoked": status["task_id"]}), flush=True)


def answer(payload, attempt):
    task_id, reason = payload["task_id"], refusal(payload)
    reply = {"task_id": task_id, "attempt": attempt, "responder_id": ME,
             "content": "" if reason else f"python agent {ME} read: {payload['content']}",
             "status": "rejected" if reason else "completed"}
    if reason: reply["reason"] = reason
    send(topic("responses"), task_id, "response", task_id, reply)
    send(topic("tasks.status"), task_id, "task_status", task_id,
         {"task_id": task_id, "attempt": attempt, "worker_id": ME, "status": reply["status"], "seq": next(seq)})
    print(json.dumps({"answered": task_id, "status": reply["status"]}), flush=True)


def ask(text):
    """A requester: one request on the work queue, its answer read from the responses stream."""
    task_id = f"py-{ME}-{int(time.time() * 1000)}"
    send(topic("requests"), task_id, "request", task_id,
         {"task_id": task_id, "attempt": 1, "description": "asked from Python", "content": text,
          "requester_id": ME, "delegation": {"depth": 0, "chain": []}, "arbiter": "none"})
    # A one-shot asker reads every partition itself from the start: no group join to wait for
    # (a join that stalled left the answer unread in some runs).
    responses = KafkaConsumer(bootstrap_servers=args.brokers.split(","), group_id=None,
                              auto_offset_reset="earliest")
    parts = responses.partitions_for_topic(topic("responses")) or set()
    responses.assign([TopicPartition(topic("responses"), p) for p in sorted(parts)])
    responses.seek_to_beginning()
    deadline, held = time.monotonic() + 60, []  # held: the answer, until it verifies
    while time.monotonic() < deadline:
        if roster is not None: read_roster(roster)
        for records in responses.poll(timeout_ms=200).values():
            held += [record for record in records if record.key == task_id.encode()]
        for record in held:  # its sender's certificate may reach the roster after it
            try:
                verified = read(record)
            except Unknown:
                continue
            if verified:
                print(record.value.decode(), flush=True)
                raise SystemExit(0)
    raise SystemExit(f"no answer to {task_id} within 60 s")


started, stopping, pending = stamp(), [], {}
# The roster's certificates, read from the beginning without a consumer group (signed mode).
roster = KafkaConsumer(topic("control.roster"), bootstrap_servers=args.brokers.split(","),
                       group_id=None, auto_offset_reset="earliest") if signed else None
if roster is not None: read_roster(roster, until_quiet=True)
if args.ask is not None: ask(args.ask)
signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
consumer = KafkaConsumer(topic("requests"), bootstrap_servers=args.brokers.split(","),
                         group_id=f"kafclaw.{G}.workers", enable_auto_commit=False,
                         partition_assignment_strategy=[RoundRobinPartitionAssignor],
                         auto_offset_reset="earliest", session_timeout_ms=10000, heartbeat_interval_ms=1000)
inbox = KafkaConsumer(topic(f"agent.{ME}.inbox"), bootstrap_servers=args.brokers.split(","),
                      group_id=f"kafclaw.{G}.{ME}", auto_offset_reset="earliest")
send(topic("announce"), f"agent:{ME}", "announce", f"join-{ME}", {"action": "join", "identity": identity("active")})
print(json.dumps({"joined": ME, "mode": "signed" if signed else "open"}), flush=True)
next_beat, assigned = 0.0, None


def beat():
    """A heartbeat when one is due; also called between records, so a long batch never holds it up."""
    global next_beat
    if time.monotonic() < next_beat: return
    send(topic("heartbeats"), f"agent:{ME}", "heartbeat", f"hb-{ME}",
         {"agent_id": ME, "status": "active", "load": {"running": 0, "capacity": 1},
          "skills": [], "heartbeat_interval_ms": args.heartbeat_ms})
    next_beat = time.monotonic() + args.heartbeat_ms / 1000


while not stopping:
    beat()
    if roster is not None: read_roster(roster)
    release()
    for source, act in ((consumer, handle), (inbox, grant)):
        for records in source.poll(timeout_ms=100).values():
            for record in records: run(record, act)
    held = sorted(p.partition for p in consumer.assignment())
    if held != assigned:
        assigned = held
        print(json.dumps({"assigned": held}), flush=True)
send(topic("announce"), f"agent:{ME}", "announce", f"leave-{ME}", {"action": "leave", "identity": identity("leaving")})
consumer.close()
inbox.close()
producer.close()
print(json.dumps({"left": ME}), flush=True)
