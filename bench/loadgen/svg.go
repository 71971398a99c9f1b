package main

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// series is one line of a plot: points (x, y), x ascending.
type series struct {
	name   string
	color  string
	dashed bool
	x, y   []float64
}

// logScale maps v in [lo, hi] (both > 0) onto [a, b] logarithmically;
// values out of range are clamped.
func logScale(v, lo, hi, a, b float64) float64 {
	if hi <= lo || v <= 0 {
		return a
	}
	v = math.Min(math.Max(v, lo), hi)
	return a + (b-a)*(math.Log10(v)-math.Log10(lo))/(math.Log10(hi)-math.Log10(lo))
}

// decades are the powers of ten from below lo to above hi, for the
// bounds and grid of a log axis.
func decades(lo, hi float64) (from, to float64) {
	return math.Pow(10, math.Floor(math.Log10(lo))), math.Pow(10, math.Ceil(math.Log10(hi)))
}

// logTicks are the gridlines of a log axis: 1, 2 and 5 times each decade.
func logTicks(lo, hi float64) []float64 {
	var out []float64
	for d := lo; d <= hi*1.0001; d *= 10 {
		for _, m := range []float64{1, 2, 5} {
			if v := d * m; v >= lo*0.9999 && v <= hi*1.0001 {
				out = append(out, v)
			}
		}
	}
	return out
}

func shortNum(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%gM", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%gk", v/1e3)
	default:
		return fmt.Sprintf("%g", v)
	}
}

const (
	panelW, panelH = 420, 300
	padL, padR     = 60, 10
	padT, padB     = 30, 40
	legendW        = 170
)

// panel draws one log-log plot at horizontal offset x0.
func panel(b *strings.Builder, x0 float64, title string, ss []series) {
	var xs, ys []float64
	for _, s := range ss {
		for i := range s.x {
			if s.x[i] > 0 && s.y[i] > 0 {
				xs, ys = append(xs, s.x[i]), append(ys, s.y[i])
			}
		}
	}
	fmt.Fprintf(b, `<text x="%.0f" y="18" font-size="13" font-weight="bold">%s</text>`+"\n", x0+padL, esc(title))
	if len(xs) == 0 {
		return
	}
	xlo, xhi := decades(slices.Min(xs), slices.Max(xs))
	ylo, yhi := decades(slices.Min(ys), slices.Max(ys))
	left, right := x0+padL, x0+panelW-padR
	top, bottom := float64(padT), float64(panelH-padB)
	X := func(v float64) float64 { return logScale(v, xlo, xhi, left, right) }
	Y := func(v float64) float64 { return logScale(v, ylo, yhi, bottom, top) }
	for _, t := range logTicks(xlo, xhi) {
		fmt.Fprintf(b, `<line x1="%.1f" y1="%.0f" x2="%.1f" y2="%.0f" stroke="#ddd"/><text x="%.1f" y="%.0f" font-size="10" text-anchor="middle">%s</text>`+"\n",
			X(t), top, X(t), bottom, X(t), bottom+14, shortNum(t))
	}
	for _, t := range logTicks(ylo, yhi) {
		fmt.Fprintf(b, `<line x1="%.0f" y1="%.1f" x2="%.0f" y2="%.1f" stroke="#ddd"/><text x="%.0f" y="%.1f" font-size="10" text-anchor="end">%s</text>`+"\n",
			left, Y(t), right, Y(t), left-4, Y(t)+3, shortNum(t))
	}
	fmt.Fprintf(b, `<rect x="%.0f" y="%.0f" width="%.0f" height="%.0f" fill="none" stroke="#888"/>`+"\n", left, top, right-left, bottom-top)
	fmt.Fprintf(b, `<text x="%.0f" y="%d" font-size="11" text-anchor="middle">products in the catalogue (log)</text>`+"\n", (left+right)/2, panelH-8)
	for _, s := range ss {
		var pts []string
		for i := range s.x {
			if s.x[i] > 0 && s.y[i] > 0 {
				pts = append(pts, fmt.Sprintf("%.1f,%.1f", X(s.x[i]), Y(s.y[i])))
			}
		}
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="5,3"`
		}
		fmt.Fprintf(b, `<polyline fill="none" stroke="%s" stroke-width="1.5"%s points="%s"><title>%s</title></polyline>`+"\n", s.color, dash, strings.Join(pts, " "), esc(s.name))
		for _, p := range pts {
			xy := strings.Split(p, ",")
			fmt.Fprintf(b, `<circle cx="%s" cy="%s" r="2.5" fill="%s"/>`+"\n", xy[0], xy[1], s.color)
		}
	}
}

// plotSVG renders two log-log panels side by side (requests/s and p99
// against catalogue size) with one legend.
func plotSVG(title string, rps, p99 []series) string {
	var b strings.Builder
	w := 2*panelW + legendW
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" font-family="sans-serif">`+"\n", w, panelH+20)
	fmt.Fprintf(&b, `<rect width="100%%" height="100%%" fill="white"/>`+"\n")
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="11" fill="#555">%s</text>`+"\n", padL, panelH+14, esc(title))
	panel(&b, 0, "requests/s (log)", rps)
	panel(&b, panelW, "p99 latency, ms (log)", p99)
	for i, s := range rps {
		y := padT + 14*i
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="5,3"`
		}
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s" stroke-width="2"%s/><text x="%d" y="%d" font-size="11">%s</text>`+"\n",
			2*panelW+5, y, 2*panelW+30, y, s.color, dash, 2*panelW+35, y+4, esc(s.name))
	}
	b.WriteString("</svg>\n")
	return b.String()
}

func esc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
