// A KafClaw worker in Go, written from PROTOCOL.md alone (kafclaw/1), on franz-go.
//
// It announces itself, sends heartbeats, takes requests from the group's work queue (the shared
// consumer group kafclaw.<g>.workers, balancer `roundrobin`) and from its inbox (retries, declined
// tasks sent on), claims each one and answers it. In
// signed mode (-seed-file, -cert-file and -owner-key given) every record it sends is signed over its
// exact bytes and carries its certificate, and it accepts only requests signed by a member whose
// certificate the owner issued, not expired nor revoked, each record once. A signed request whose
// sender's certificate it has not seen yet (none in the headers nor on the roster) waits, in the
// order it came, until the certificate arrives: at most 100 records a sender (1000 in all) for at
// most -park-ms; past either it is dropped and said so. Without them it runs in open mode. Stops
// with a signed leave on SIGTERM or SIGINT.
//
//	go run . -brokers 127.0.0.1:9092 -group g1 -id go-worker \
//	    [-seed-file key.seed -cert-file cert.json -owner-key=<base64url>]
package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

var (
	brokers  = flag.String("brokers", "", "bootstrap servers, comma-separated")
	group    = flag.String("group", "", "group id")
	me       = flag.String("id", "", "this agent's id")
	seedFile = flag.String("seed-file", "", "32-byte Ed25519 seed (signed mode)")
	certFile = flag.String("cert-file", "", `{"cert", "cert_sig"} issued by the owner`)
	ownerKey = flag.String("owner-key", "", "the owner's public key, base64url")
	beatMs   = flag.Int("heartbeat-ms", 1000, "heartbeat interval")
	parkMs   = flag.Int("park-ms", 60000, "how long a record waits for its sender's certificate")
	ask      = flag.String("ask", "", "only send this request to the group, print the answer and exit")
	b64      = base64.RawURLEncoding
	client   *kgo.Client // the work queue
	inbox    *kgo.Client
	key      ed25519.PrivateKey
	owner    ed25519.PublicKey
	bundle   struct {
		Cert    string `json:"cert"`
		CertSig string `json:"cert_sig"`
	}
	seq       atomic.Int64
	pending   sync.Map // "<task_id>#<attempt>" -> *envelope, claimed and awaiting the grant
	certs     sync.Map // agent id -> [cert, cert_sig], from the roster or a record
	revoked   sync.Map // agent id -> true: the owner revoked its certificate
	seen      sync.Map // replay id (SHA-256 of the signed bytes) -> the record's time, within the window
	parkMu    sync.Mutex
	parked    = map[string][]held{} // agent id -> records awaiting its certificate
	draining  = map[string]bool{}   // agent ids whose records are being released
	startedAt = stamp()
)

// held: a record waiting for its sender's certificate, and what to do with it then.
type held struct {
	since time.Time
	r     *kgo.Record
	act   func(*kgo.Record)
}

const skew = 2 * time.Minute

func stamp() string            { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00") }
func topic(name string) string { return "group." + *group + "." + name }
func signed() bool             { return *seedFile != "" }
func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "go agent:", err)
		os.Exit(1)
	}
}
func say(event map[string]any) { line, _ := json.Marshal(event); fmt.Println(string(line)) }
func parse(s string) time.Time { t, _ := time.Parse(time.RFC3339Nano, s); return t }
func headers(r *kgo.Record) map[string]string {
	h := map[string]string{}
	for _, header := range r.Headers {
		h[header.Key] = string(header.Value)
	}
	return h
}
func signedBytes(r *kgo.Record) []byte {
	return bytes.Join([][]byte{[]byte("kafclaw/1"), []byte(r.Topic), r.Key, r.Value}, []byte("\n"))
}

func send(to, k, kind, correlation string, payload map[string]any) {
	value, err := json.Marshal(map[string]any{"type": kind, "correlation_id": correlation, "sender_id": *me,
		"timestamp": stamp(), "protocol": "kafclaw/1", "payload": payload})
	check(err)
	record := &kgo.Record{Topic: to, Key: []byte(k), Value: value}
	if signed() {
		signature := ed25519.Sign(key, []byte("kafclaw/1\n"+to+"\n"+k+"\n"+string(value)))
		for _, h := range [][2]string{{"kc-key-id", *me}, {"kc-sig", b64.EncodeToString(signature)},
			{"kc-cert", bundle.Cert}, {"kc-cert-sig", bundle.CertSig}} {
			record.Headers = append(record.Headers, kgo.RecordHeader{Key: h[0], Value: []byte(h[1])})
		}
	}
	check(client.ProduceSync(context.Background(), record).FirstErr())
}

func identity(status string) map[string]any {
	return map[string]any{"agent_id": *me, "agent_name": "Go worker " + *me, "soul_summary": "echoes tasks",
		"capabilities": []string{"echo"}, "skills": []string{}, "channels": []string{}, "model": "none",
		"joined_at": startedAt, "status": status, "zones": []string{"public"},
		"public_key":            b64.EncodeToString(key.Public().(ed25519.PublicKey)),
		"heartbeat_interval_ms": *beatMs, "protocol": "kafclaw/1"}
}

type envelope struct {
	Type      string `json:"type"`
	SenderID  string `json:"sender_id"`
	Timestamp string `json:"timestamp"`
	Payload   struct {
		TaskID     string `json:"task_id"`
		Content    string `json:"content"`
		TargetID   string `json:"target_id"`
		DeadlineAt string `json:"deadline_at"`
		Attempt    int    `json:"attempt"`
		Arbiter    string `json:"arbiter"`
		Status     string `json:"status"`
		WorkerID   string `json:"worker_id"`
		Delegation *struct {
			Depth int      `json:"depth"`
			Chain []string `json:"chain"`
		} `json:"delegation"`
	} `json:"payload"`
}

// learn: a `cert:<id>` record of the roster, signed by the owner within the window of its append
// time; a certificate the owner issued, or its revocation.
func learn(r *kgo.Record) {
	var e struct {
		SenderID  string `json:"sender_id"`
		Timestamp string `json:"timestamp"`
		Payload   struct {
			Cert    string `json:"cert"`
			CertSig string `json:"cert_sig"`
			Revoked bool   `json:"revoked"`
		} `json:"payload"`
	}
	agent, isCert := strings.CutPrefix(string(r.Key), "cert:")
	if !isCert {
		return
	}
	h := headers(r)
	sig, err := b64.DecodeString(h["kc-sig"])
	err = errors.Join(err, json.Unmarshal(r.Value, &e))
	if d := r.Timestamp.Sub(parse(e.Timestamp)); err != nil || h["kc-key-id"] != "owner" ||
		e.SenderID != "owner" || d > skew || d < -skew || !ed25519.Verify(owner, signedBytes(r), sig) {
		say(map[string]any{"refused": r.Offset, "topic": r.Topic})
		return
	}
	say(map[string]any{"certificate": agent, "revoked": e.Payload.Revoked})
	if e.Payload.Revoked {
		certs.Delete(agent)
		revoked.Store(agent, true)
	} else {
		revoked.Delete(agent)
		certs.Store(agent, [2]string{e.Payload.Cert, e.Payload.CertSig})
	}
	release(agent)
}

// admit: `act` on a record once its sender's certificate is known. A signed record without one,
// from a sender not known yet or whose records wait already, is held (PROTOCOL.md, Membership and
// trust) until the roster or a later record brings it.
func admit(act func(*kgo.Record)) func(*kgo.Record) {
	return func(r *kgo.Record) {
		h := headers(r)
		sender, attached := h["kc-key-id"], h["kc-cert"] != ""
		parkMu.Lock() // learn stores a certificate, then releases under this lock: none is missed
		_, certified := certs.Load(sender)
		_, gone := revoked.Load(sender)
		queue, waiting := parked[sender]
		hold := signed() && sender != "" && h["kc-sig"] != "" && !attached && (waiting || !certified && !gone)
		total := 0
		for _, q := range parked {
			total += len(q)
		}
		if hold && len(queue) < 100 && total < 1000 {
			parked[sender] = append(queue, held{time.Now(), r, act})
		}
		parkMu.Unlock()
		if !hold {
			act(r)
		} else if len(queue) >= 100 || total >= 1000 {
			say(map[string]any{"dropped": r.Offset, "why": "too many records wait"})
		} else {
			say(map[string]any{"parked": r.Offset})
		}
	}
}

// release runs, in the order they came, the records that wait for `sender`, now that its
// certificate (or its revocation) is known; one goroutine at a time drains a sender's queue.
func release(sender string) {
	parkMu.Lock()
	if draining[sender] {
		parkMu.Unlock()
		return
	}
	draining[sender] = true
	for len(parked[sender]) > 0 {
		next := parked[sender][0]
		parked[sender] = parked[sender][1:]
		parkMu.Unlock()
		next.act(next.r)
		parkMu.Lock()
	}
	delete(parked, sender)
	delete(draining, sender)
	parkMu.Unlock()
}

// sweep drops the records that waited longer than -park-ms and forgets replay ids out of the window.
func sweep() {
	parkMu.Lock()
	for sender, queue := range parked {
		for !draining[sender] && len(queue) > 0 && time.Since(queue[0].since) > time.Duration(*parkMs)*time.Millisecond {
			say(map[string]any{"dropped": queue[0].r.Offset, "why": "no certificate came"})
			queue = queue[1:]
		}
		if parked[sender] = queue; len(queue) == 0 && !draining[sender] {
			delete(parked, sender)
		}
	}
	parkMu.Unlock()
	seen.Range(func(id, at any) bool {
		if time.Since(at.(time.Time)) > skew {
			seen.Delete(id)
		}
		return true
	})
}

// readRoster learns the roster's certificates (signed mode): those there now, then the later ones
// in the background, until ctx ends.
func readRoster(ctx context.Context) {
	roster, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.ConsumeTopics(topic("control.roster")), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	check(err)
	// Until a second passes without a record once some came (5 s at most).
	for seen, quiet, until := false, false, time.Now().Add(5*time.Second); !(seen && quiet) && time.Now().Before(until); {
		wait, cancel := context.WithTimeout(ctx, time.Second)
		fetches := roster.PollFetches(wait)
		cancel()
		quiet = fetches.NumRecords() == 0
		seen = seen || !quiet
		fetches.EachRecord(learn)
	}
	go func() {
		defer roster.Close()
		for ctx.Err() == nil {
			roster.PollFetches(ctx).EachRecord(learn)
		}
	}()
}

// trusted: the record verifies with a certificate that the owner issued to its sender, not revoked:
// the one in its headers, else the one learnt before (senders attach theirs only now and then);
// and it is not a replay of one taken within the window.
func trusted(r *kgo.Record, e *envelope) error {
	h := headers(r)
	_, attached := h["kc-cert"]
	if _, gone := revoked.Load(h["kc-key-id"]); gone {
		return fmt.Errorf("certificate revoked")
	} else if held, known := certs.Load(h["kc-key-id"]); known && !attached {
		h["kc-cert"], h["kc-cert-sig"] = held.([2]string)[0], held.([2]string)[1]
	}
	certBytes, err1 := b64.DecodeString(h["kc-cert"])
	certSig, err2 := b64.DecodeString(h["kc-cert-sig"])
	sig, err3 := b64.DecodeString(h["kc-sig"])
	if err := errors.Join(err1, err2, err3); err != nil || len(certSig) != 64 || len(sig) != 64 {
		return fmt.Errorf("unsigned or malformed headers")
	}
	if !ed25519.Verify(owner, append([]byte("kafclaw-cert/1\n"), certBytes...), certSig) {
		return fmt.Errorf("certificate not issued by the owner")
	}
	var cert struct {
		AgentID   string `json:"agent_id"`
		PublicKey string `json:"public_key"`
		NotAfter  string `json:"not_after"`
		IssuerID  string `json:"issuer_id"`
	}
	if err := json.Unmarshal(certBytes, &cert); err != nil || cert.IssuerID != "owner" ||
		cert.AgentID != h["kc-key-id"] || cert.AgentID != e.SenderID || time.Now().After(parse(cert.NotAfter)) {
		return fmt.Errorf("certificate does not fit the sender")
	}
	if d := time.Since(parse(e.Timestamp)); d > skew || d < -skew {
		return fmt.Errorf("timestamp outside the window")
	}
	public, err := b64.DecodeString(cert.PublicKey)
	if err != nil || len(public) != 32 || !ed25519.Verify(public, signedBytes(r), sig) {
		return fmt.Errorf("bad signature")
	}
	if _, replayed := seen.LoadOrStore(sha256.Sum256(signedBytes(r)), parse(e.Timestamp)); replayed {
		return fmt.Errorf("replayed")
	}
	// Kept by certificate, whether its sender speaks or not; records waiting for it go on.
	if _, known := certs.LoadOrStore(cert.AgentID, [2]string{h["kc-cert"], h["kc-cert-sig"]}); !known {
		go release(cert.AgentID)
	}
	return nil
}

// refusal: semantics 5, depth, cycle and deadline are checked by the receiver.
func refusal(e *envelope) string {
	if d := e.Payload.Delegation; d != nil && d.Depth >= 3 {
		return "delegation depth reached the limit"
	} else if d != nil && strings.Contains(","+strings.Join(d.Chain, ",")+",", ","+*me+",") {
		return "the delegation chain already holds this agent"
	}
	if e.Payload.DeadlineAt != "" && time.Since(parse(e.Payload.DeadlineAt)) > skew {
		return "deadline passed"
	}
	return ""
}

// read: the envelope of a task record, if its shape fits and (signed mode) it verifies.
func read(r *kgo.Record) *envelope {
	var e envelope
	if err := json.Unmarshal(r.Value, &e); err != nil || e.Payload.TaskID == "" {
		say(map[string]any{"poison": r.Offset})
		return nil
	}
	if signed() {
		if err := trusted(r, &e); err != nil {
			say(map[string]any{"refused": r.Offset, "why": err.Error()})
			return nil
		}
	}
	return &e
}

// handle: a request from the work queue.
func handle(r *kgo.Record) {
	if e := read(r); e != nil && e.Type == "request" {
		take(e, client)
	}
}

// take: a request read by `from`; claim it, then answer it at once or once granted.
func take(e *envelope, from *kgo.Client) {
	if e.Payload.TargetID != "" && e.Payload.TargetID != *me {
		return
	}
	task, attempt := e.Payload.TaskID, max(e.Payload.Attempt, 1)
	send(topic("tasks.status"), task, "task_status", task, status(task, attempt, "claimed"))
	// Everything read so far, never behind an earlier commit (a released record can be older).
	check(from.CommitUncommittedOffsets(context.Background()))
	if e.Payload.Arbiter == "requester" { // the requester's grant comes to the inbox
		pending.Store(fmt.Sprint(task, "#", attempt), e)
		say(map[string]any{"waiting": task})
		return
	}
	answer(e, attempt)
}

// grant: the inbox; a request sent to this agent (a retry or a declined task sent on), or the
// requester's `assigned` (answer now) or `revoked` (drop it).
func grant(r *kgo.Record) {
	s := read(r)
	if s != nil && s.Type == "request" {
		take(s, inbox)
		return
	}
	if s == nil || s.Type != "task_status" {
		return
	}
	attempt := max(s.Payload.Attempt, 1)
	e, held := pending.LoadAndDelete(fmt.Sprint(s.Payload.TaskID, "#", attempt))
	if !held {
		return
	} else if s.Payload.Status == "assigned" && s.Payload.WorkerID == *me {
		answer(e.(*envelope), attempt)
	} else {
		say(map[string]any{"revoked": s.Payload.TaskID})
	}
}

func status(task string, attempt int, s string) map[string]any {
	return map[string]any{"task_id": task, "attempt": attempt, "worker_id": *me, "status": s, "seq": seq.Add(1)}
}

func answer(e *envelope, attempt int) {
	task := e.Payload.TaskID
	reply := map[string]any{"task_id": task, "attempt": attempt, "responder_id": *me,
		"content": "go agent " + *me + " read: " + e.Payload.Content, "status": "completed"}
	if reason := refusal(e); reason != "" {
		reply["content"], reply["status"], reply["reason"] = "", "rejected", reason
	}
	send(topic("responses"), task, "response", task, reply)
	send(topic("tasks.status"), task, "task_status", task, status(task, attempt, reply["status"].(string)))
	say(map[string]any{"answered": task, "status": reply["status"]})
}

// requester: one request on the work queue, its answer read from the responses stream.
func requester() {
	var err error
	client, err = kgo.NewClient(kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.ConsumerGroup("kafclaw."+*group+"."+*me), kgo.ConsumeTopics(topic("responses")),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)))
	check(err)
	task := fmt.Sprintf("go-%s-%d", *me, time.Now().UnixMilli())
	send(topic("requests"), task, "request", task, map[string]any{"task_id": task, "attempt": 1,
		"description": "asked from Go", "content": *ask, "requester_id": *me,
		"delegation": map[string]any{"depth": 0, "chain": []string{}}, "arbiter": "none"})
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var held []*kgo.Record // the answer, until it verifies
	for ctx.Err() == nil {
		wait, next := context.WithTimeout(ctx, 200*time.Millisecond)
		client.PollFetches(wait).EachRecord(func(r *kgo.Record) {
			if string(r.Key) == task {
				held = append(held, r)
			}
		})
		next()
		for _, r := range held { // its sender's certificate may reach the roster after it
			if ctx.Err() == nil && read(r) != nil {
				fmt.Println(string(r.Value))
				cancel()
			}
		}
	}
	client.Close()
	if !errors.Is(context.Cause(ctx), context.Canceled) {
		check(fmt.Errorf("no answer to %s within 60 s", task))
	}
}

func main() {
	flag.Parse()
	if signed() {
		seed, err := os.ReadFile(*seedFile)
		check(err)
		key = ed25519.NewKeyFromSeed(seed)
		raw, err := os.ReadFile(*certFile)
		check(err)
		check(json.Unmarshal(raw, &bundle))
		o, err := b64.DecodeString(*ownerKey)
		check(err)
		owner = o
	} else { // open mode: an identity still names a public key
		_, key, _ = ed25519.GenerateKey(nil)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGTERM, syscall.SIGINT)
	defer stop()
	if signed() {
		readRoster(ctx)
	}
	if *ask != "" {
		requester()
		return
	}
	var err error
	client, err = kgo.NewClient(kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.ConsumerGroup("kafclaw."+*group+".workers"), kgo.ConsumeTopics(topic("requests")),
		kgo.Balancers(kgo.RoundRobinBalancer()), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)), // nil: Kafka's murmur2 hash
		// franz-go's default compression (snappy) is kept: the Deno agents read it.
		kgo.OnPartitionsAssigned(func(_ context.Context, c *kgo.Client, _ map[string][]int32) {
			say(map[string]any{"assigned": true})
		}))
	check(err)
	send(topic("announce"), "agent:"+*me, "announce", "join-"+*me, map[string]any{"action": "join", "identity": identity("active")})
	say(map[string]any{"joined": *me, "mode": map[bool]string{true: "signed", false: "open"}[signed()]})
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		for ticker := time.NewTicker(time.Duration(*beatMs) * time.Millisecond); ctx.Err() == nil; <-ticker.C {
			send(topic("heartbeats"), "agent:"+*me, "heartbeat", "hb-"+*me, map[string]any{"agent_id": *me,
				"status": "active", "load": map[string]int{"running": 0, "capacity": 1}, "skills": []string{},
				"heartbeat_interval_ms": *beatMs})
			sweep()
		}
	}()
	inbox, err = kgo.NewClient(kgo.SeedBrokers(strings.Split(*brokers, ",")...),
		kgo.ConsumerGroup("kafclaw."+*group+"."+*me), kgo.ConsumeTopics(topic("agent."+*me+".inbox")),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	check(err)
	granting := make(chan struct{})
	go func() {
		defer close(granting)
		for ctx.Err() == nil {
			inbox.PollFetches(ctx).EachRecord(admit(grant))
		}
	}()
	for ctx.Err() == nil {
		client.PollFetches(ctx).EachRecord(admit(handle))
	}
	<-beating
	<-granting
	inbox.Close()
	send(topic("announce"), "agent:"+*me, "announce", "leave-"+*me, map[string]any{"action": "leave", "identity": identity("leaving")})
	client.Close()
	say(map[string]any{"left": *me})
}
