package web

import (
	"cmp"
	"net/url"
	"strings"
)

// Lists page by cursor (keyset): a page starts after the cursor of the previous page's last
// row, so a page stays right while rows are added, and deep pages cost no more than the
// first. The query string carries the cursor (after) and the cursors the pages before
// started after (prev), so "previous" works as a plain link too.

// pager is a page's position and its neighbours' URLs ("" when there is none). Pages is 0
// when the list does not count its rows.
type pager struct {
	Page, Pages, Total int
	PrevURL, NextURL   string
}

// maxTrail bounds the prev list so a URL cannot grow without end.
const maxTrail = 400

// firstPage stands for the first page (no cursor) in a trail, so every page before the
// current one keeps its place and the page number stays right.
const firstPage = "0"

// trail is a list's paging position, read from the query string.
type trail struct {
	After string
	Prev  []string
}

// readTrail reads after and prev. A cursor is a few letters, digits, dots or dashes; a
// mangled trail starts paging back over (prev is dropped), a mangled cursor the list.
func readTrail(q url.Values) trail {
	t := trail{After: q.Get("after")}
	if !validCursor(t.After) || t.After == firstPage {
		return trail{}
	}
	if prev := q.Get("prev"); prev != "" && t.After != "" {
		for c := range strings.SplitSeq(prev, ",") {
			if !validCursor(c) || len(t.Prev) == maxTrail {
				t.Prev = nil
				break
			}
			t.Prev = append(t.Prev, c)
		}
	}
	return t
}

func validCursor(c string) bool {
	if len(c) > 40 {
		return false
	}
	for _, r := range c {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r == '.' || r == '-') {
			return false
		}
	}
	return true
}

// pager places a page that starts at t. next is the cursor after the page's last row ("" on
// the last page); total is the number of rows in all, or -1 when not counted; link is the
// list's URL for a page starting after a cursor ("" for the first page) with its trail.
func (t trail) pager(total, size int, next string, link func(after string, prev []string) string) pager {
	p := pager{Page: len(t.Prev) + 1, Total: total}
	if total >= 0 {
		p.Pages = max(1, (total+size-1)/size)
	}
	if t.After != "" {
		if n := len(t.Prev); n > 0 {
			prev := t.Prev[n-1]
			if prev == firstPage {
				prev = ""
			}
			p.PrevURL = link(prev, t.Prev[:n-1])
		} else {
			p.PrevURL = link("", nil)
			p.Page = 2 // a cursor without a trail: at least the second page
		}
	}
	if next != "" {
		p.NextURL = link(next, append(t.Prev[:len(t.Prev):len(t.Prev)], cmp.Or(t.After, firstPage)))
	}
	return p
}

// listURL is path with the filters v and the paging position after/prev.
func listURL(path string, v url.Values, after string, prev []string) string {
	q := url.Values{}
	for k, vs := range v {
		for _, s := range vs {
			if s != "" {
				q.Add(k, s)
			}
		}
	}
	if after != "" {
		q.Set("after", after)
		if len(prev) > 0 {
			q.Set("prev", strings.Join(prev, ","))
		}
	}
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
