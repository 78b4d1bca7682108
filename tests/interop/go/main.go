// A KafClaw worker in Go, written from PROTOCOL.md alone (kafclaw/1), on franz-go.
//
// It announces itself, sends heartbeats, takes requests from the group's work queue and from its
// inbox, claims each one and answers it. Given -seed-file, -cert-file and -owner-key it runs
// signed: every record it sends is signed over its exact bytes and carries its certificate, and it
// takes only records that verify (receiving.go holds those checks and the -ask requester; inbox.go
// what comes to its inbox). Without them it runs in open mode. Stops with a leave on SIGTERM or
// SIGINT.
//
//	go run . -brokers 127.0.0.1:9092 -group g1 -id go-worker \
//	    [-seed-file key.seed -cert-file cert.json -owner-key=<base64url>]
package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"strings"
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
	b64      = base64.RawURLEncoding
	client   *kgo.Client // the work queue (with -ask, the responses stream)
	key      ed25519.PrivateKey
	bundle   struct {
		Cert    string `json:"cert"`
		CertSig string `json:"cert_sig"`
	}
	seq     atomic.Int64 // orders this worker's statuses of a task
	started = stamp()
)

func stamp() string            { return time.Now().UTC().Format("2006-01-02T15:04:05.000Z07:00") }
func topic(name string) string { return "group." + *group + "." + name } // PROTOCOL.md, Topics
func signed() bool             { return *seedFile != "" }
func check(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "go agent:", err)
		os.Exit(1)
	}
}
func must[T any](value T, err error) T { check(err); return value }

// newClient: a franz-go client of this group's brokers.
func newClient(options ...kgo.Opt) *kgo.Client {
	return must(kgo.NewClient(append(options, kgo.SeedBrokers(strings.Split(*brokers, ",")...))...))
}

// send: one envelope (PROTOCOL.md, Envelope). Signed mode: Ed25519 over the exact bytes sent,
// "kafclaw/1\n" + topic + "\n" + key + "\n" + value, with the certificate in the headers.
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

// announce: the AgentNode on `announce`, keyed agent:<id> (PROTOCOL.md, Types and payloads).
func announce(action, status string) {
	send(topic("announce"), "agent:"+*me, "announce", action+"-"+*me, map[string]any{"action": action,
		"identity": map[string]any{"agent_id": *me, "agent_name": "Go worker " + *me, "soul_summary": "echoes tasks",
			"capabilities": []string{"echo"}, "skills": []string{}, "channels": []string{}, "model": "none",
			"joined_at": started, "status": status, "zones": []string{"public"},
			"public_key":            b64.EncodeToString(key.Public().(ed25519.PublicKey)),
			"heartbeat_interval_ms": *beatMs, "protocol": "kafclaw/1"}})
}

// take: semantics 3; claim (`claimed` on tasks.status), commit, then answer at once, or once the
// requester grants the claim when it arbitrates.
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

func status(task string, attempt int, s string) map[string]any {
	return map[string]any{"task_id": task, "attempt": attempt, "worker_id": *me, "status": s, "seq": seq.Add(1)}
}

// answer: the `response` (completed, or rejected with the reason of semantics 5), then its final status.
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

func main() {
	flag.Parse()
	if signed() && (*certFile == "" || *ownerKey == "") {
		check(fmt.Errorf("-seed-file needs -cert-file and -owner-key"))
	} else if signed() { // the seed the owner certified, its certificate, the owner's key (Membership and trust)
		key = ed25519.NewKeyFromSeed(must(os.ReadFile(*seedFile)))
		check(json.Unmarshal(must(os.ReadFile(*certFile)), &bundle))
		owner = must(b64.DecodeString(*ownerKey))
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
	// Semantics 1: the work queue through the one shared group kafclaw.<g>.workers, whose members
	// all offer the balancer `roundrobin`; records keyed by task id land where murmur2 puts them.
	client = newClient(kgo.ConsumerGroup("kafclaw."+*group+".workers"), kgo.ConsumeTopics(topic("requests")),
		kgo.Balancers(kgo.RoundRobinBalancer()), kgo.DisableAutoCommit(),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
		kgo.RecordPartitioner(kgo.StickyKeyPartitioner(nil)), // nil: Kafka's murmur2 hash
		// franz-go's default compression (snappy) is kept: the Deno agents read it.
		kgo.OnPartitionsAssigned(func(_ context.Context, c *kgo.Client, _ map[string][]int32) {
			say(map[string]any{"assigned": true})
		}))
	announce("join", "active")
	say(map[string]any{"joined": *me, "mode": map[bool]string{true: "signed", false: "open"}[signed()]})
	beating := make(chan struct{})
	go func() { // semantics 6: a heartbeat every -heartbeat-ms on its own stream, with the load
		defer close(beating)
		for ticker := time.NewTicker(time.Duration(*beatMs) * time.Millisecond); ctx.Err() == nil; <-ticker.C {
			send(topic("heartbeats"), "agent:"+*me, "heartbeat", "hb-"+*me, map[string]any{"agent_id": *me,
				"status": "active", "load": map[string]int{"running": 0, "capacity": 1}, "skills": []string{},
				"heartbeat_interval_ms": *beatMs})
			sweep()
		}
	}()
	granting := serveInbox(ctx) // inbox.go: retries, declined tasks sent on, grants
	// A request of the work queue, for whoever takes it.
	for ctx.Err() == nil {
		client.PollFetches(ctx).EachRecord(admit(func(r *kgo.Record) {
			if e := read(r); e != nil && e.Type == "request" {
				take(e, client)
			}
		}))
	}
	<-beating
	<-granting
	announce("leave", "leaving") // the same identity, `leaving`, under the same key
	client.Close()
	say(map[string]any{"left": *me})
}
