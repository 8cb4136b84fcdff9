package stats

import (
	"archive/zip"
	"bytes"
	"encoding/xml"
	"io"
	"strings"
)

// Docx writes the briefing as a Word document (Office Open XML): the
// title, each section's heading and narrative with the figures in place,
// and the section's figures as a table. Fonts: SimSun for Chinese.
func (b *Briefing) Docx(locale string, w io.Writer) error {
	var body strings.Builder
	para := func(text string, size int, bold bool) {
		body.WriteString(`<w:p><w:r><w:rPr><w:rFonts w:ascii="Times New Roman" w:hAnsi="Times New Roman" w:eastAsia="SimSun"/>`)
		if bold {
			body.WriteString(`<w:b/>`)
		}
		body.WriteString(`<w:sz w:val="` + itoa(int64(size)) + `"/></w:rPr><w:t xml:space="preserve">` + esc(text) + `</w:t></w:r></w:p>`)
	}
	cell := func(text string, bold bool) {
		body.WriteString(`<w:tc><w:p><w:r><w:rPr><w:rFonts w:eastAsia="SimSun"/>`)
		if bold {
			body.WriteString(`<w:b/>`)
		}
		body.WriteString(`</w:rPr><w:t xml:space="preserve">` + esc(text) + `</w:t></w:r></w:p></w:tc>`)
	}
	para(b.Title, 36, true)
	para(b.Unit.DisplayName(locale)+" · "+b.Period.Label(locale), 21, false)
	for _, sec := range b.Sections {
		para(sec.Title, 28, true)
		var text strings.Builder
		for _, piece := range b.Render(sec.Text) {
			if piece.IsFigure {
				text.WriteString(piece.Figure.Text())
			} else {
				text.WriteString(piece.Text)
			}
		}
		for _, line := range strings.Split(text.String(), "\n") {
			if strings.TrimSpace(line) != "" {
				para(line, 24, false)
			}
		}
		if len(sec.Figures) == 0 {
			continue
		}
		body.WriteString(`<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/><w:tblBorders>` +
			`<w:top w:val="single" w:sz="4"/><w:left w:val="single" w:sz="4"/><w:bottom w:val="single" w:sz="4"/><w:right w:val="single" w:sz="4"/>` +
			`<w:insideH w:val="single" w:sz="4"/><w:insideV w:val="single" w:sz="4"/></w:tblBorders></w:tblPr>`)
		for _, id := range sec.Figures {
			f, ok := b.Figures[id]
			if !ok {
				continue
			}
			body.WriteString(`<w:tr>`)
			cell(f.Indicator.Label(locale), false)
			cell(f.Text(), true)
			body.WriteString(`</w:tr>`)
		}
		body.WriteString(`</w:tbl>`)
	}
	doc := `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
		`<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>` + body.String() +
		`<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1440" w:right="1800" w:bottom="1440" w:left="1800"/></w:sectPr></w:body></w:document>`
	files := []struct{ name, data string }{
		{"[Content_Types].xml", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
			`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>` +
			`<Default Extension="xml" ContentType="application/xml"/>` +
			`<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>`},
		{"_rels/.rels", `<?xml version="1.0" encoding="UTF-8" standalone="yes"?>` +
			`<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">` +
			`<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>`},
		{"word/document.xml", doc},
	}
	var buf bytes.Buffer
	z := zip.NewWriter(&buf)
	for _, f := range files {
		fw, err := z.Create(f.name)
		if err != nil {
			return err
		}
		if _, err := io.WriteString(fw, f.data); err != nil {
			return err
		}
	}
	if err := z.Close(); err != nil {
		return err
	}
	_, err := w.Write(buf.Bytes())
	return err
}

// esc escapes text for XML, dropping characters XML cannot hold.
func esc(s string) string {
	var b strings.Builder
	s = strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' || (r >= 0x20 && r != 0xFFFE && r != 0xFFFF) {
			return r
		}
		return -1
	}, s)
	_ = xml.EscapeText(&b, []byte(s))
	return b.String()
}
