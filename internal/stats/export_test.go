package stats

// ProtectTable runs the protection over a table given as values and
// relations (each [total, parts...]) and returns which cells it withholds.
func ProtectTable(values []int64, rels [][]int) []bool {
	p := newProtection()
	for i, v := range values {
		p.add(cell{period: string(rune('a' + i%26))}, v)
	}
	for _, r := range rels {
		p.relate(r[0], r[1:])
	}
	p.solve()
	return p.held
}
