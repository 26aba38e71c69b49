package heapq_test

import (
	"fmt"
	"time"

	"github.com/pullsim/pullsim/internal/heapq"
)

// pull is a pull in flight: it finishes at a virtual time; seq, the order
// pulls started in, breaks ties so that the order is deterministic.
type pull struct {
	image    string
	finished time.Duration
	seq      int
}

func (a pull) Less(b pull) bool {
	if a.finished != b.finished {
		return a.finished < b.finished
	}
	return a.seq < b.seq
}

// A heap of pulls in flight gives them back in the order they finish, the
// earlier-started first at equal times. The zero value is ready to use.
func ExampleHeap() {
	var h heapq.Heap[pull]
	h.Push(pull{"nginx:1.28", 3 * time.Second, 1})
	h.Push(pull{"busybox", time.Second, 2})
	h.Push(pull{"redis:8", 3 * time.Second, 3})
	fmt.Println("next:", h.Min().image)
	for h.Len() > 0 {
		p := h.Pop()
		fmt.Println(p.finished, p.image)
	}
	// Output:
	// next: busybox
	// 1s busybox
	// 3s nginx:1.28
	// 3s redis:8
}

// timer is a container timer that keeps its index, so that it can be
// rescheduled or cancelled in O(log n).
type timer struct {
	name string
	at   time.Duration
	idx  int
}

func (a *timer) Less(b *timer) bool { return a.at < b.at || a.at == b.at && a.name < b.name }
func (a *timer) SetIndex(i int)     { a.idx = i }

// Elements with a SetIndex method learn where they are, so that Fix and
// Remove can find them; a removed element is told -1.
func ExampleHeap_indexed() {
	var h heapq.Heap[*timer]
	exit := &timer{name: "exit", at: 20 * time.Second}
	kill := &timer{name: "kill", at: 30 * time.Second}
	h.Push(exit)
	h.Push(kill)
	kill.at = 5 * time.Second // the grace period was cut short
	h.Fix(kill.idx)
	fmt.Println("next:", h.Min().name)
	h.Remove(exit.idx) // the container exited on its own
	fmt.Println("left:", h.Len(), "exit's index:", exit.idx)
	// Output:
	// next: kill
	// left: 1 exit's index: -1
}
