// What comes to the inbox of the Go worker of main.go (PROTOCOL.md, Topics): a request sent to this
// agent alone (a retry, or a declined task sent on), and the requester's answer to a claim when it
// arbitrates (semantics 3).
package main

import (
	"context"
	"fmt"
	"sync"

	"github.com/twmb/franz-go/pkg/kgo"
)

var (
	inbox   *kgo.Client
	pending sync.Map // "<task_id>#<attempt>" -> *envelope, claimed and awaiting the grant
)

// serveInbox reads the inbox through this agent's own consumer group until ctx ends, then closes
// the inbox and the channel it returns.
func serveInbox(ctx context.Context) chan struct{} {
	inbox = newClient(kgo.ConsumerGroup("kafclaw."+*group+"."+*me), kgo.ConsumeTopics(topic("agent."+*me+".inbox")),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer inbox.Close()
		for ctx.Err() == nil {
			inbox.PollFetches(ctx).EachRecord(admit(grant))
		}
	}()
	return done
}

// grant: the inbox; a request sent to this agent (a retry or a declined task sent on), or the
// requester's `assigned` (answer now) or `revoked` (drop it).
func grant(r *kgo.Record) {
	s := read(r)
	if s != nil && s.Type == "request" {
		take(s, inbox)
		return
	} else if s == nil || s.Type != "task_status" {
		return
	}
	attempt := max(s.Payload.Attempt, 1)
	if e, held := pending.LoadAndDelete(fmt.Sprint(s.Payload.TaskID, "#", attempt)); !held {
		return
	} else if s.Payload.Status == "assigned" && s.Payload.WorkerID == *me {
		answer(e.(*envelope), attempt)
	} else {
		say(map[string]any{"revoked": s.Payload.TaskID})
	}
}
