package pullsim

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
)

// Timeline geometry, in SVG user units.
const (
	tlWidth     = 1000
	tlLabel     = 190 // the lane label column
	tlRight     = 20
	tlLane      = 26
	tlLaneGap   = 6
	tlMarkRow   = 13
	tlBreak     = 40               // the width of a compressed idle stretch
	tlIdle      = 10 * time.Minute // stretches longer than this are compressed
	tlMinBar    = 2.0
	tlCharWidth = 6.0 // for placing labels at font-size 10
)

// Colours of the timeline's states.
var tlColours = map[string]string{
	"creating":  "#d9d9d9", // created, no start attempt yet
	"running":   "#4caf50",
	"backoff":   "#ffb300", // a failed pull (ErrImagePull, RegistryUnavailable, ...) or ImagePullBackOff: the backoff window
	"failing":   "#e53935", // any other waiting reason (ErrImageNeverPull, InvalidImageName, ...)
	"crashloop": "#8e24aa", // CrashLoopBackOff: the container exited, the kubelet waits to restart it
	"queued":    "#90caf9", // a pull waiting for a puller slot
	"pulling":   "#1565c0",
	"push":      "#7b1fa2",
	"fault":     "#c62828",
	"clear":     "#2e7d32",
	"other":     "#616161",
}

// WriteTimeline draws the run as an SVG picture: one lane per pod per node
// over virtual time, with the pod's state after each start attempt (waiting
// for its first start, running, in image pull backoff, failing), its pulls
// (queued and pulling), failed attempts as red ticks, and vertical lines for
// tag pushes and moves, faults, side-loads, kubelet restarts and GC runs.
// Idle stretches longer than 10 minutes are drawn compressed and labelled
// with their length. Every shape has a <title> with the details. The
// output depends only on the result.
func (r *Result) WriteTimeline(w io.Writer) error {
	sc := newTimeScale(r)
	type lane struct {
		node, namespace, name string
		pods                  []PodHistory
	}
	var lanes []*lane
	for _, p := range r.Pods {
		i := slices.IndexFunc(lanes, func(l *lane) bool {
			return l.node == p.Node && l.namespace == p.Namespace && l.name == p.Name
		})
		if i < 0 {
			lanes = append(lanes, &lane{node: p.Node, namespace: p.Namespace, name: p.Name})
			i = len(lanes) - 1
		}
		lanes[i].pods = append(lanes[i].pods, p)
	}
	// Mark labels go in rows above the lanes, each in the first row where
	// it does not overlap the previous label.
	var rowEnds []float64
	markRow := make([]int, len(r.Marks))
	markEnd := make([]bool, len(r.Marks)) // label drawn to the left of its line
	for i, m := range r.Marks {
		x := sc.x(m.At)
		width := float64(len([]rune(markLabel(m))))*tlCharWidth + 8
		start := x
		if x+width > tlWidth-tlRight {
			start, markEnd[i] = x-width, true
		}
		row := slices.IndexFunc(rowEnds, func(end float64) bool { return end < start })
		if row < 0 {
			rowEnds = append(rowEnds, 0)
			row = len(rowEnds) - 1
		}
		rowEnds[row] = start + width
		markRow[i] = row
	}
	top := 34.0 + float64(len(rowEnds))*tlMarkRow
	lanesBottom := top + float64(len(lanes))*(tlLane+tlLaneGap)
	height := lanesBottom + 70

	var b bytes.Buffer
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%.0f" viewBox="0 0 %d %.0f" font-family="sans-serif" font-size="10">`+"\n", tlWidth, height, tlWidth, height)
	fmt.Fprintf(&b, `<title>%s</title>`+"\n", esc("pullsim timeline: "+r.Name))
	fmt.Fprintf(&b, `<rect width="%d" height="%.0f" fill="#ffffff"/>`+"\n", tlWidth, height)
	fmt.Fprintf(&b, `<text x="8" y="16" font-size="13" font-weight="bold">%s</text>`+"\n", esc(r.Name))

	// Compressed stretches, labelled where there is room.
	labelEnd := 0.0
	for _, br := range sc.breaks {
		x0, x1 := sc.x(br.from), sc.x(br.to)
		d := br.to.Sub(br.from)
		fmt.Fprintf(&b, `<g class="break"><title>%s</title><rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="#f5f5f5"/>`,
			esc(fmt.Sprintf("%s of idle time, compressed", d)), x0, top-4, x1-x0, lanesBottom-top+4)
		label := "≈" + short(d.Round(time.Minute))
		if w := float64(len([]rune(label))) * tlCharWidth; (x0+x1)/2-w/2 > labelEnd {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle" fill="#757575">%s</text>`, (x0+x1)/2, lanesBottom+12, esc(label))
			labelEnd = (x0+x1)/2 + w/2 + 4
		}
		b.WriteString("</g>\n")
	}

	// Lanes.
	for i, l := range lanes {
		y := top + float64(i)*(tlLane+tlLaneGap)
		label := l.name
		if l.namespace != "default" {
			label = l.namespace + "/" + label
		}
		fmt.Fprintf(&b, `<text x="8" y="%.1f">%s</text>`+"\n", y+tlLane/2+4, esc(l.node+" · "+label))
		for _, p := range l.pods {
			drawPod(&b, sc, p, y, r.End)
		}
	}

	// Marks.
	for i, m := range r.Marks {
		x := sc.x(m.At)
		colour := tlColours["other"]
		switch m.Kind {
		case MarkPush:
			colour = tlColours["push"]
		case MarkFault:
			colour = tlColours["fault"]
		case MarkClearFault:
			colour = tlColours["clear"]
		}
		label := markLabel(m)
		ly := 30 + float64(markRow[i])*tlMarkRow
		fmt.Fprintf(&b, `<g class="mark %s"><title>%s</title>`, m.Kind, esc(fmt.Sprintf("step %d at %s: %s", m.Step, m.At.Sub(r.Start), label)))
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="4 3"/>`, x, ly+2, x, lanesBottom, colour)
		if markEnd[i] {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="end" fill="%s">%s</text></g>`+"\n", x-2, ly, colour, esc(label))
		} else {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" fill="%s">%s</text></g>`+"\n", x+2, ly, colour, esc(label))
		}
	}

	// The time axis: a tick at each step's time.
	axisY := lanesBottom + 18
	fmt.Fprintf(&b, `<line x1="%d" y1="%.1f" x2="%d" y2="%.1f" stroke="#000000"/>`+"\n", tlLabel, axisY, tlWidth-tlRight, axisY)
	lastX := -100.0
	for _, t := range sc.ticks {
		x := sc.x(t)
		fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="#000000"/>`, x, axisY, x, axisY+4)
		if label := short(t.Sub(r.Start)); x-lastX > float64(len(label))*tlCharWidth+4 {
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" text-anchor="middle">%s</text>`, x, axisY+14, esc(label))
			lastX = x
		}
		b.WriteString("\n")
	}

	// Legend.
	lx, ly := float64(tlLabel), axisY+32
	for _, k := range []string{"creating", "running", "backoff", "crashloop", "failing", "queued", "pulling"} {
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="10" height="10" fill="%s"/><text x="%.1f" y="%.1f">%s</text>`+"\n", lx, ly-9, tlColours[k], lx+14, ly, k)
		lx += 14 + float64(len(k))*tlCharWidth + 16
	}
	fmt.Fprintf(&b, `<line x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"/><text x="%.1f" y="%.1f">failed attempt</text>`+"\n", lx+4, ly-10, lx+4, ly+1, tlColours["failing"], lx+10, ly)
	b.WriteString("</svg>\n")
	_, err := w.Write(b.Bytes())
	return err
}

// markLabel is the text drawn beside a mark.
func markLabel(m Mark) string {
	if m.Node != "" {
		return m.Node + ": " + m.Label
	}
	return m.Label
}

// drawPod draws one pod instance in its lane at y.
func drawPod(b *bytes.Buffer, sc *timeScale, p PodHistory, y float64, end time.Time) {
	last := end
	if p.Deleted != nil {
		last = *p.Deleted
	}
	state, from, why := "creating", p.Created, "created, not started yet"
	bar := func(to time.Time) {
		x0, x1 := sc.x(from), sc.x(to)
		if to.After(from) || state != "creating" {
			fmt.Fprintf(b, `<rect class="%s" x="%.1f" y="%.1f" width="%.1f" height="%d" fill="%s"><title>%s</title></rect>`+"\n",
				state, x0, y, max(x1-x0, tlMinBar), tlLane, tlColours[state], esc(fmt.Sprintf("%s %s–%s: %s", p.Name, short(from.Sub(sc.start)), short(to.Sub(sc.start)), why)))
		}
	}
	for _, a := range p.Attempts {
		if a.At.After(last) {
			break
		}
		next, nextWhy := "running", "container "+a.Container+" started"
		switch a.Reason {
		case "":
		case "ErrImagePull", "ImagePullBackOff", "RegistryUnavailable", "SignatureValidationFailed":
			next, nextWhy = "backoff", a.Container+": "+a.Reason+": "+a.Message
		case "CrashLoopBackOff":
			next, nextWhy = "crashloop", a.Container+": "+a.Reason+": "+a.Message
		default:
			next, nextWhy = "failing", a.Container+": "+a.Reason+": "+a.Message
		}
		if next != state || nextWhy != why {
			bar(a.At)
			state, from, why = next, a.At, nextWhy
		}
	}
	bar(last)
	for _, a := range p.Attempts {
		if a.Reason == "" || a.At.After(last) {
			continue
		}
		x := sc.x(a.At)
		fmt.Fprintf(b, `<line class="failed" x1="%.1f" y1="%.1f" x2="%.1f" y2="%.1f" stroke="%s" stroke-width="2"><title>%s</title></line>`+"\n",
			x, y-2, x, y+tlLane+2, tlColours["failing"], esc(fmt.Sprintf("%s at %s: %s: %s", a.Container, short(a.At.Sub(sc.start)), a.Reason, a.Message)))
	}
	for _, pl := range p.Pulls {
		py := y + tlLane/2 - 4
		what := "pulled"
		if pl.Err != "" {
			what = "failed: " + pl.Err
		}
		if pl.Started.After(pl.Requested) {
			x0, x1 := sc.x(pl.Requested), sc.x(pl.Started)
			fmt.Fprintf(b, `<rect class="queued" x="%.1f" y="%.1f" width="%.1f" height="8" fill="%s"><title>%s</title></rect>`+"\n",
				x0, py, max(x1-x0, tlMinBar), tlColours["queued"], esc(fmt.Sprintf("%s queued %s for a puller slot", pl.Image, pl.Started.Sub(pl.Requested))))
		}
		x0, x1 := sc.x(pl.Started), sc.x(pl.Finished)
		fmt.Fprintf(b, `<rect class="pulling" x="%.1f" y="%.1f" width="%.1f" height="8" fill="%s"><title>%s</title></rect>`+"\n",
			x0, py, max(x1-x0, tlMinBar), tlColours["pulling"], esc(fmt.Sprintf("pull %s for %s: %s, %d requests, %d bytes, %s", pl.Image, pl.Container, pl.Finished.Sub(pl.Started), pl.Requests, pl.Bytes, what)))
	}
	if p.Deleted != nil {
		x := sc.x(*p.Deleted)
		fmt.Fprintf(b, `<text class="deleted" x="%.1f" y="%.1f" text-anchor="middle" font-size="14"><title>%s</title>×</text>`+"\n",
			x, y+tlLane/2+5, esc(fmt.Sprintf("%s deleted at %s", p.Name, short(p.Deleted.Sub(sc.start)))))
	}
}

// timeScale maps virtual time to x, compressing idle stretches.
type timeScale struct {
	start  time.Time
	points []time.Time // sorted, distinct
	xs     []float64
	breaks []struct{ from, to time.Time }
	ticks  []time.Time
}

func newTimeScale(r *Result) *timeScale {
	sc := &timeScale{start: r.Start}
	pts := []time.Time{r.Start, r.End}
	for _, st := range r.Steps {
		t := r.Start.Add(st.At.Duration)
		pts = append(pts, t)
		sc.ticks = append(sc.ticks, t)
	}
	for _, p := range r.Pods {
		pts = append(pts, p.Created)
		if p.Deleted != nil {
			pts = append(pts, *p.Deleted)
		}
		for _, a := range p.Attempts {
			pts = append(pts, a.At)
		}
		for _, pl := range p.Pulls {
			pts = append(pts, pl.Requested, pl.Started, pl.Finished)
		}
	}
	for _, m := range r.Marks {
		pts = append(pts, m.At)
	}
	slices.SortFunc(pts, func(a, b time.Time) int { return a.Compare(b) })
	pts = slices.CompactFunc(pts, func(a, b time.Time) bool { return a.Equal(b) })
	slices.SortFunc(sc.ticks, func(a, b time.Time) int { return a.Compare(b) })
	sc.ticks = slices.CompactFunc(sc.ticks, func(a, b time.Time) bool { return a.Equal(b) })
	sc.points = pts
	// Weights: real length up to tlIdle; longer stretches get a fixed width.
	weights := make([]float64, len(pts))
	var total, fixed float64
	for i := 1; i < len(pts); i++ {
		d := pts[i].Sub(pts[i-1])
		if d > tlIdle {
			sc.breaks = append(sc.breaks, struct{ from, to time.Time }{pts[i-1], pts[i]})
			fixed += tlBreak
			weights[i] = -1
			continue
		}
		weights[i] = d.Seconds()
		total += weights[i]
	}
	span := float64(tlWidth-tlLabel-tlRight) - fixed
	sc.xs = make([]float64, len(pts))
	x := float64(tlLabel)
	sc.xs[0] = x
	for i := 1; i < len(pts); i++ {
		switch {
		case weights[i] < 0:
			x += tlBreak
		case total > 0:
			x += weights[i] / total * span
		}
		sc.xs[i] = x
	}
	return sc
}

// x returns the x of t, interpolating between known points.
func (sc *timeScale) x(t time.Time) float64 {
	i, found := slices.BinarySearchFunc(sc.points, t, func(a, b time.Time) int { return a.Compare(b) })
	switch {
	case found:
		return sc.xs[i]
	case i == 0:
		return sc.xs[0]
	case i >= len(sc.points):
		return sc.xs[len(sc.xs)-1]
	}
	a, b := sc.points[i-1], sc.points[i]
	f := float64(t.Sub(a)) / float64(b.Sub(a))
	return sc.xs[i-1] + f*(sc.xs[i]-sc.xs[i-1])
}

// short prints a duration without zero tails: 1m, 168h, 1h30m, 150ms.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}

func esc(s string) string {
	var b strings.Builder
	_ = xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}
