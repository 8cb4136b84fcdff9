package roster

import (
	"io"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/xuri/excelize/v2"
)

// templateText is the fixed text of the template in one language.
type templateText struct {
	roster, help       string
	helpHeader         []string
	yes, no            string
	notes              []string
	genders, relations []string
	requiredNote       string
}

var templateTexts = map[string]templateText{
	"zh-CN": {
		roster: "花名册", help: "说明",
		helpHeader: []string{"列名", "必填", "说明与可接受的值", "示例"},
		yes:        "是", no: "否",
		notes: []string{
			"第一行是表头，列的顺序不限；系统不认识的列会被忽略。第二行是示例，导入前请删除。",
			"表头也可以用英文（Student number, Name, Gender, ...）。",
			"一个文件最多 200,000 行。可以保存为 .xlsx，或 .csv（UTF-8 或 GBK 编码）。",
			"导入前先“试导入”：系统逐行列出问题（日期错误、学校未知、学籍号重复、缺少字段），确认无误后才会写入；写入要么全部成功，要么全部不写。",
			"再次导入同一文件不会重复建档：学籍号相同的学生会被更新，未变化的不作改动。",
			"监护人最多 3 位；没有的组留空即可。",
		},
		genders:      []string{"女", "男", "其他", "未知"},
		relations:    []string{"母亲", "父亲", "爷爷", "奶奶", "外公", "外婆", "亲属", "监护人", "其他"},
		requiredNote: "深色表头为必填列。",
	},
	"en": {
		roster: "Roster", help: "Instructions",
		helpHeader: []string{"Column", "Required", "What to enter", "Example"},
		yes:        "yes", no: "no",
		notes: []string{
			"Row 1 holds the headers, in any order; columns careloop does not know are ignored. Row 2 is an example: delete it before importing.",
			"Headers may also be in Chinese (学籍号, 姓名, 性别, ...).",
			"At most 200,000 rows per file. Save as .xlsx, or as .csv in UTF-8 or GBK.",
			"Run a dry run first: it lists every problem row by row (bad dates, unknown schools, duplicate student numbers, missing fields) and writes nothing. The real import writes all rows or none.",
			"Importing the same file again never duplicates students: a known student number updates that student, and unchanged rows stay as they are.",
			"Up to 3 guardians; leave a group empty when there is none.",
		},
		genders:      []string{"female", "male", "other", "unknown"},
		relations:    []string{"mother", "father", "grandparent", "relative", "guardian", "other"},
		requiredNote: "Columns with a dark header are required.",
	},
}

// Template writes a blank roster workbook for locale ("zh-CN" or "en"):
// the headers in that language with one example row of made-up data, and a
// second sheet ("说明" or "Instructions") that explains every column and the
// values it accepts. Parse reads the template back as its example row.
func Template(w io.Writer, locale string) error {
	lang := "en"
	if strings.HasPrefix(strings.ToLower(locale), "zh") {
		lang = "zh-CN"
	} else if !strings.HasPrefix(strings.ToLower(locale), "en") {
		return apperr.Invalid("roster.locale_unknown", map[string]string{"locale": "roster.locale_unknown"})
	}
	tx := templateTexts[lang]
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", tx.roster); err != nil {
		return apperr.Internal(err)
	}
	if _, err := f.NewSheet(tx.help); err != nil {
		return apperr.Internal(err)
	}
	if err := rosterSheet(f, tx, lang); err != nil {
		return apperr.Internal(err)
	}
	if err := helpSheet(f, tx, lang); err != nil {
		return apperr.Internal(err)
	}
	f.SetActiveSheet(0)
	return apperr.Internal(f.Write(w))
}

func rosterSheet(f *excelize.File, tx templateText, lang string) error {
	sheet := tx.roster
	required, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Color: "FFFFFF"},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"1F4E79"}}})
	if err != nil {
		return err
	}
	optional, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true},
		Fill: excelize.Fill{Type: "pattern", Pattern: 1, Color: []string{"DDEBF7"}}})
	if err != nil {
		return err
	}
	text, err := f.NewStyle(&excelize.Style{NumFmt: 49}) // "@": keep what is typed, e.g. 0-led numbers and dates
	if err != nil {
		return err
	}
	for i, c := range columns {
		name, _ := excelize.ColumnNumberToName(i + 1)
		head, example := c.en, c.exEN
		if lang == "zh-CN" {
			head, example = c.zh, c.exZH
		}
		style := optional
		if c.required {
			style = required
		}
		if c.text {
			if err := f.SetColStyle(sheet, name, text); err != nil {
				return err
			}
		}
		steps := []error{
			f.SetColWidth(sheet, name, name, c.width),
			f.SetCellStr(sheet, name+"1", head),
			f.SetCellStyle(sheet, name+"1", name+"1", style),
		}
		if example != "" {
			steps = append(steps, f.SetCellStr(sheet, name+"2", example))
		}
		for _, err := range steps {
			if err != nil {
				return err
			}
		}
		var list []string
		switch {
		case c.key == "gender":
			list = tx.genders
		case strings.HasSuffix(c.key, "_relation"):
			list = tx.relations
		}
		if list != nil {
			dv := excelize.NewDataValidation(true)
			dv.SetSqref(name + "2:" + name + strconv.Itoa(MaxRows+1))
			if err := dv.SetDropList(list); err != nil {
				return err
			}
			if err := f.AddDataValidation(sheet, dv); err != nil {
				return err
			}
		}
	}
	return f.SetPanes(sheet, &excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"})
}

func helpSheet(f *excelize.File, tx templateText, lang string) error {
	sheet := tx.help
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	wrap, err := f.NewStyle(&excelize.Style{Alignment: &excelize.Alignment{WrapText: true, Vertical: "top"}})
	if err != nil {
		return err
	}
	steps := []error{
		f.SetColWidth(sheet, "A", "A", 22), f.SetColWidth(sheet, "B", "B", 10),
		f.SetColWidth(sheet, "C", "C", 80), f.SetColWidth(sheet, "D", "D", 18),
		f.SetSheetRow(sheet, "A1", &tx.helpHeader), f.SetCellStyle(sheet, "A1", "D1", bold),
	}
	for i, c := range columns {
		head, help, example, req := c.en, c.helpEN, c.exEN, tx.no
		if lang == "zh-CN" {
			head, help, example = c.zh, c.helpZH, c.exZH
		}
		if c.required {
			req = tx.yes
		}
		cell := "A" + strconv.Itoa(i+2)
		steps = append(steps, f.SetSheetRow(sheet, cell, &[]string{head, req, help, example}))
	}
	last := len(columns) + 1
	steps = append(steps, f.SetCellStyle(sheet, "C2", "C"+strconv.Itoa(last), wrap))
	notes := append([]string{tx.requiredNote}, tx.notes...)
	for i, n := range notes {
		steps = append(steps, f.SetCellStr(sheet, "A"+strconv.Itoa(last+2+i), n))
	}
	for _, err := range steps {
		if err != nil {
			return err
		}
	}
	return nil
}
