package mappings

import (
	"strings"
	"sync"
)

// restSrc is `columns: rest`: the cells of a tabular record that its block reads nowhere
// else, so that a mapping can keep every other column in attributes.
type restSrc struct {
	b    *block
	once sync.Once
	read map[string]bool // normalized titles the block reads
}

func (s *restSrc) eval(c *rowCtx) val {
	s.once.Do(func() {
		s.read = map[string]bool{}
		for _, t := range blockColumns(s.b) {
			s.read[strings.ToLower(strings.TrimSpace(t))] = true
		}
	})
	root, _ := c.root.(map[string]any)
	cells, ok := root["cells"].(map[string]any)
	if !ok {
		return val{}
	}
	out := make(map[string]any, len(cells))
	for k, v := range cells {
		if s.read[strings.ToLower(strings.TrimSpace(k))] {
			continue
		}
		if m, isObj := v.(map[string]any); isObj {
			if inner, has := m["value"]; has {
				v = inner // a connector may keep cells as objects ({value, displayValue, ...})
			}
		}
		if v == nil || v == "" {
			continue
		}
		out[k] = v
	}
	if len(out) == 0 {
		return val{}
	}
	return rawVal(out)
}
