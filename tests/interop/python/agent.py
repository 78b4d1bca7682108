"""A KafClaw worker in Python, written from PROTOCOL.md alone (kafclaw/1).

It announces itself, sends heartbeats, takes requests from the group's work queue and from its
inbox, claims each one and answers it. Given --seed-file, --cert-file and --owner-key it runs
signed: every record it sends is signed over its exact bytes and carries its certificate, and it
takes only records that verify (receiving.py holds those checks and the --ask requester).
Without them it runs in open mode. Stops with a leave on SIGTERM or SIGINT.

    pip install kafka-python cryptography
    python agent.py --brokers 127.0.0.1:9092 --group g1 --id py-worker \
        [--seed-file key.seed --cert-file cert.json --owner-key=<base64url>]

Give the owner key in one word (`--owner-key=<key>`): a base64url key may begin with `-`, which
argparse would take for an option.
"""
import argparse, itertools, json, signal, time
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from kafka import KafkaConsumer, KafkaProducer
from kafka.coordinator.assignors.roundrobin import RoundRobinPartitionAssignor
from receiving import Receiver, ask, b64, refusal, say, stamp

ap = argparse.ArgumentParser()
for flag in ("--brokers", "--group", "--id"):
    ap.add_argument(flag, required=True)
for flag in ("--seed-file", "--cert-file", "--owner-key"):
    ap.add_argument(flag)
ap.add_argument("--heartbeat-ms", type=int, default=1000)
ap.add_argument("--park-ms", type=int, default=60000, help="how long a record waits for a certificate")
ap.add_argument("--ask", help="only send this request to the group, print the answer and exit")
args = ap.parse_args()
G, ME, BROKERS = args.group, args.id, args.brokers.split(",")
signed = args.seed_file is not None
if signed and None in (args.cert_file, args.owner_key): ap.error("--seed-file needs --cert-file and --owner-key")
def topic(name): return f"group.{G}.{name}"  # PROTOCOL.md, Topics


# Keys (PROTOCOL.md, Membership and trust): the seed the owner certified, or in open mode a fresh
# key, since an identity still names a public key.
key = Ed25519PrivateKey.from_private_bytes(open(args.seed_file, "rb").read()) if signed \
    else Ed25519PrivateKey.generate()
public_key = b64(key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw))
bundle = json.load(open(args.cert_file)) if signed else None  # {"cert", "cert_sig"} from the owner

# Records (PROTOCOL.md, Records): keyed so one task stays on one partition; kafka-python's
# default partitioner is murmur2, the one every language must use.
producer = KafkaProducer(bootstrap_servers=BROKERS, acks="all", max_in_flight_requests_per_connection=1)
seq = itertools.count(1)  # orders this worker's statuses of a task


def send(to, key_text, kind, correlation_id, payload):
    """One envelope (PROTOCOL.md, Envelope). Signed mode: Ed25519 over the exact bytes sent,
    "kafclaw/1\\n" + topic + "\\n" + key + "\\n" + value, with the certificate in the headers."""
    value = json.dumps({"type": kind, "correlation_id": correlation_id, "sender_id": ME,
                        "timestamp": stamp(), "protocol": "kafclaw/1", "payload": payload}).encode()
    headers = []
    if signed:
        signature = key.sign(b"kafclaw/1\n" + f"{to}\n{key_text}\n".encode() + value)
        headers = [("kc-key-id", ME.encode()), ("kc-sig", b64(signature).encode()),
                   ("kc-cert", bundle["cert"].encode()), ("kc-cert-sig", bundle["cert_sig"].encode())]
    producer.send(to, key=key_text.encode(), value=value, headers=headers).get(timeout=30)


def identity(status):
    """The AgentNode of `announce` (PROTOCOL.md, Types and payloads)."""
    return {"agent_id": ME, "agent_name": f"Python worker {ME}", "soul_summary": "echoes tasks",
            "capabilities": ["echo"], "skills": [], "channels": [], "model": "none",
            "joined_at": started, "status": status, "zones": ["public"], "public_key": public_key,
            "heartbeat_interval_ms": args.heartbeat_ms, "protocol": "kafclaw/1"}


def beat():
    """Semantics 6: a heartbeat every heartbeat_interval_ms on its own stream, with the load;
    called between records too, so a long batch never holds it up."""
    global next_beat
    if time.monotonic() < next_beat: return
    send(topic("heartbeats"), f"agent:{ME}", "heartbeat", f"hb-{ME}",
         {"agent_id": ME, "status": "active", "load": {"running": 0, "capacity": 1},
          "skills": [], "heartbeat_interval_ms": args.heartbeat_ms})
    next_beat = time.monotonic() + args.heartbeat_ms / 1000


def handle(record):
    """A record of the work queue: a request for whoever takes it."""
    envelope = receiver.read(record)
    if envelope is not None and envelope["type"] == "request": take(envelope["payload"], consumer)


def take(payload, source):
    """Semantics 3: claim (`claimed` on tasks.status), commit, then answer at once, or once the
    requester grants the claim when it arbitrates."""
    if payload.get("target_id", ME) != ME: return
    attempt = payload.get("attempt", 1)
    send(topic("tasks.status"), payload["task_id"], "task_status", payload["task_id"],
         {"task_id": payload["task_id"], "attempt": attempt, "worker_id": ME, "status": "claimed", "seq": next(seq)})
    source.commit()
    if payload.get("arbiter", "none") == "requester":  # the requester's grant comes to the inbox
        pending[(payload["task_id"], attempt)] = payload
        return say(waiting=payload["task_id"])
    answer(payload, attempt)


def grant(record):
    """The inbox: a request sent to this agent (a retry or a declined task sent on), or the
    requester's `assigned` (answer now) or `revoked` (drop it)."""
    envelope = receiver.read(record)
    if envelope is not None and envelope["type"] == "request": return take(envelope["payload"], inbox)
    if envelope is None or envelope["type"] != "task_status": return
    status = envelope["payload"]
    payload = pending.pop((status["task_id"], status.get("attempt", 1)), None)
    if payload is None: return
    if status["status"] == "assigned" and status["worker_id"] == ME:
        return answer(payload, status.get("attempt", 1))
    say(revoked=status["task_id"])


def answer(payload, attempt):
    """The `response` (completed, or rejected with the reason of semantics 5), then its final status."""
    task_id, reason = payload["task_id"], refusal(ME, payload)
    reply = {"task_id": task_id, "attempt": attempt, "responder_id": ME,
             "content": "" if reason else f"python agent {ME} read: {payload['content']}",
             "status": "rejected" if reason else "completed"}
    if reason: reply["reason"] = reason
    send(topic("responses"), task_id, "response", task_id, reply)
    send(topic("tasks.status"), task_id, "task_status", task_id,
         {"task_id": task_id, "attempt": attempt, "worker_id": ME, "status": reply["status"], "seq": next(seq)})
    say(answered=task_id, status=reply["status"])


started, stopping, pending, next_beat = stamp(), [], {}, 0.0
receiver = Receiver(ME, args.owner_key if signed else None, args.park_ms, BROKERS, topic("control.roster"), beat)
if args.ask is not None: ask(args.ask, ME, send, receiver, BROKERS, G)
signal.signal(signal.SIGTERM, lambda *_: stopping.append(1))
signal.signal(signal.SIGINT, lambda *_: stopping.append(1))
# Semantics 1: the work queue through the one shared group kafclaw.<g>.workers, whose members all
# offer the assignor `roundrobin`; the inbox through this agent's own group.
consumer = KafkaConsumer(topic("requests"), bootstrap_servers=BROKERS, group_id=f"kafclaw.{G}.workers",
                         enable_auto_commit=False, partition_assignment_strategy=[RoundRobinPartitionAssignor],
                         auto_offset_reset="earliest", session_timeout_ms=10000, heartbeat_interval_ms=1000)
inbox = KafkaConsumer(topic(f"agent.{ME}.inbox"), bootstrap_servers=BROKERS,
                      group_id=f"kafclaw.{G}.{ME}", auto_offset_reset="earliest")
# Join: the identity on `announce`, keyed agent:<id> (PROTOCOL.md, Membership and trust).
send(topic("announce"), f"agent:{ME}", "announce", f"join-{ME}", {"action": "join", "identity": identity("active")})
say(joined=ME, mode="signed" if signed else "open")
assigned = None
while not stopping:
    beat()
    receiver.read_roster()
    receiver.release()
    for source, act in ((consumer, handle), (inbox, grant)):
        for records in source.poll(timeout_ms=100).values():
            for record in records: receiver.run(record, act)
    held = sorted(p.partition for p in consumer.assignment())
    if held != assigned:
        assigned = held
        say(assigned=held)
# Leave: the same identity, `leaving`, under the same key.
send(topic("announce"), f"agent:{ME}", "announce", f"leave-{ME}", {"action": "leave", "identity": identity("leaving")})
consumer.close()
inbox.close()
producer.close()
say(left=ME)
