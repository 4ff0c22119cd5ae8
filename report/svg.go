package report

import (
	"fmt"
	"html"
	"strings"
)

// The charts are drawn here as inline SVG: no script, no font or image from
// elsewhere, so the document renders and prints the same offline. Labels are
// escaped; they come from configuration and handlers' commands.

const (
	barColour  = "#2f6f8f"
	textColour = "#222"
	gridColour = "#ccc"
)

// columnChart draws one column per label (the months), with its value on top.
func columnChart(title string, labels []string, values []int) string {
	const w, h, top, bottom, left = 640, 220, 28, 24, 8
	maxV := maxOf(values)
	slot := float64(w-2*left) / float64(len(values))
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		w, h, w, h, html.EscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(title))
	fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`, left, h-bottom, w-left, h-bottom, gridColour)
	for i, v := range values {
		bh := 0.0
		if maxV > 0 {
			bh = float64(h-top-bottom) * float64(v) / float64(maxV)
		}
		x := float64(left) + float64(i)*slot
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s: %d</title></rect>`,
			x+slot*0.15, float64(h-bottom)-bh, slot*0.7, bh, barColour, html.EscapeString(labels[i]), v)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" font-size="12" text-anchor="middle" fill="%s" font-family="sans-serif">%d</text>`,
			x+slot/2, float64(h-bottom)-bh-4, textColour, v)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="12" text-anchor="middle" fill="%s" font-family="sans-serif">%s</text>`,
			x+slot/2, h-6, textColour, html.EscapeString(labels[i]))
	}
	b.WriteString(`</svg>`)
	return b.String()
}

// barChart draws one horizontal bar per label (the categories).
func barChart(title string, labels []string, values []int) string {
	const w, row, labelW, right = 640, 26, 250, 40
	h := row*len(values) + 8
	maxV := maxOf(values)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 %d %d" width="%d" height="%d" role="img" aria-label="%s">`,
		w, h, w, h, html.EscapeString(title))
	fmt.Fprintf(&b, `<title>%s</title>`, html.EscapeString(title))
	for i, v := range values {
		y := 4 + i*row
		bw := 0.0
		if maxV > 0 {
			bw = float64(w-labelW-right) * float64(v) / float64(maxV)
		}
		label := labels[i]
		if r := []rune(label); len(r) > 38 {
			label = string(r[:37]) + "…"
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="12" text-anchor="end" fill="%s" font-family="sans-serif">%s</text>`,
			labelW-8, y+row/2+4, textColour, html.EscapeString(label))
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%.1f" height="%d" fill="%s"><title>%s: %d</title></rect>`,
			labelW, y+3, bw, row-8, barColour, html.EscapeString(labels[i]), v)
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" font-size="12" fill="%s" font-family="sans-serif">%d</text>`,
			float64(labelW)+bw+6, y+row/2+4, textColour, v)
	}
	b.WriteString(`</svg>`)
	return b.String()
}

func maxOf(vs []int) int {
	m := 0
	for _, v := range vs {
		m = max(m, v)
	}
	return m
}
