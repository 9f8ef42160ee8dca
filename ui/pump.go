package ui

import (
	"sync"
	"sync/atomic"
	"time"
)

// uiInterval is the shortest time between two widget updates of a live
// view: at most ~30 updates a second, whatever the event rate.
const uiInterval = time.Second / 30

// chartInterval is the shortest time between two chart renders.
const chartInterval = 250 * time.Millisecond

// pump coalesces a liveModel into widget updates, in the manner of
// fyne-io/terminal: a ticker goroutine checks the model every uiInterval
// and, if it changed and the previous update has been applied, prepares the
// update off the UI goroutine (snapshot, chart rendering) and hands it to the
// UI with a single fyne.Do. Events never call fyne.Do themselves.
type pump struct {
	model   *liveModel
	prepare func(s liveSnapshot, final bool) any // any goroutine; may be nil
	apply   func(s liveSnapshot, prepared any)   // UI goroutine
	do      func(func())                         // hands a function to the UI goroutine

	stop     chan struct{}
	done     chan struct{}
	inflight atomic.Bool
	applied  atomic.Int64
	once     sync.Once
}

func startPump(do func(func()), m *liveModel, prepare func(liveSnapshot, bool) any, apply func(liveSnapshot, any)) *pump {
	p := &pump{model: m, prepare: prepare, apply: apply, do: do, stop: make(chan struct{}), done: make(chan struct{})}
	go p.run()
	return p
}

func (p *pump) run() {
	defer close(p.done)
	t := time.NewTicker(uiInterval)
	defer t.Stop()
	var last uint64
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
		}
		if p.inflight.Load() {
			continue // the UI has not caught up: skip this frame
		}
		s := p.model.snapshot(true)
		if s.Version == last && p.prepare == nil {
			continue
		}
		var prepared any
		if p.prepare != nil {
			prepared = p.prepare(s, false)
		}
		if s.Version == last && prepared == nil {
			continue
		}
		last = s.Version
		p.inflight.Store(true)
		p.do(func() {
			p.apply(s, prepared)
			p.applied.Add(1)
			p.inflight.Store(false)
		})
	}
}

// finish stops the ticker, waits for it, and queues the final state once.
// It uses fyne.Do, not DoAndWait: the UI goroutine may itself be waiting
// for the job to end (quitting), and the queue is FIFO, so the final state
// still lands after every earlier update.
func (p *pump) finish() {
	p.once.Do(func() {
		close(p.stop)
		<-p.done
		s := p.model.snapshot(true)
		var prepared any
		if p.prepare != nil {
			prepared = p.prepare(s, true)
		}
		p.do(func() {
			p.apply(s, prepared)
			p.applied.Add(1)
		})
	})
}
