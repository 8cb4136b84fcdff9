package roster

import (
	"strconv"
	"strings"
	"unicode"

	"golang.org/x/text/width"
)

// Guardians is the number of guardian column groups a roster may carry.
const Guardians = 3

// column is one column a roster may have: its key, its header in each
// template language, and the other headers schools use for it.
type column struct {
	key            string
	zh, en         string
	required       bool
	aliases        []string
	width          float64
	text           bool // formatted as text in the template, so Excel keeps it as typed
	exZH, exEN     string
	helpZH, helpEN string
}

// columns lists every recognised column in template order.
var columns = buildColumns()

// byHeader maps a normalised header onto its column's key.
var byHeader = buildHeaderIndex()

func buildColumns() []column {
	cs := []column{
		{key: "student_no", zh: "学籍号", en: "Student number", required: true, width: 22, text: true,
			aliases: []string{"学号", "全国学籍号", "学生学籍号", "学籍编号", "student no", "student_no", "student id", "student number"},
			exZH:    "S2024000001", exEN: "S2024000001",
			helpZH: "全国学籍号或学校学号，4–32 位字母、数字或连字符；用于识别学生，重复导入时据此更新而不重复。",
			helpEN: "National or school student number, 4–32 letters, digits or hyphens; re-importing updates the student with this number."},
		{key: "name", zh: "姓名", en: "Name", required: true, width: 12,
			aliases: []string{"学生姓名", "student name", "full name"},
			exZH:    "王小明", exEN: "Wang Xiaoming",
			helpZH: "学生姓名，最多 50 个字。", helpEN: "The student's name, at most 50 characters."},
		{key: "gender", zh: "性别", en: "Gender", required: true, width: 8,
			aliases: []string{"sex"},
			exZH:    "男", exEN: "male",
			helpZH: "女、男、其他或未知。", helpEN: "female, male, other or unknown (also 女/男, F/M)."},
		{key: "birth_date", zh: "出生日期", en: "Birth date", required: true, width: 14, text: true,
			aliases: []string{"出生年月日", "生日", "出生年月", "date of birth", "birthdate", "dob"},
			exZH:    "2012-09-01", exEN: "2012-09-01",
			helpZH: "YYYY-MM-DD，例如 2012-09-01；也接受 2012/9/1、20120901、2012年9月1日 和 Excel 日期单元格。",
			helpEN: "YYYY-MM-DD, e.g. 2012-09-01; 2012/9/1, 20120901 and Excel date cells are also accepted."},
		{key: "school", zh: "学校", en: "School", required: true, width: 24,
			aliases: []string{"学校名称", "所在学校", "学校代码", "school name", "school code"},
			exZH:    "示例学校", exEN: "Example School",
			helpZH: "学校全称（与系统中一致）或学校代码；只能导入您有权管理的学校。",
			helpEN: "The school's name as registered in careloop, or its code; only schools you manage."},
		{key: "grade", zh: "年级", en: "Grade", required: true, width: 8,
			aliases: []string{"年级号", "grade level", "year"},
			exZH:    "初一", exEN: "7",
			helpZH: "1–12，或 一年级…六年级、初一…初三、高一…高三（初一 = 7，高三 = 12）。",
			helpEN: "1–12, or 初一–初三 (7–9) and 高一–高三 (10–12)."},
		{key: "class", zh: "班级", en: "Class", required: true, width: 10,
			aliases: []string{"班", "班级名称", "class name", "form"},
			exZH:    "1班", exEN: "7-1",
			helpZH: "班级名称，最多 20 个字，例如 1班。", helpEN: "The class name, at most 20 characters, e.g. 7-1."},
	}
	ex := [Guardians][2][3]string{ // name, relation, phone in zh and en
		{{"李红", "母亲", "13800000000"}, {"Li Hong", "mother", "13800000000"}},
		{{"王强", "父亲", "13900000000"}, {"Wang Qiang", "father", "13900000000"}},
	}
	cn := []string{"一", "二", "三"}
	for i := 1; i <= Guardians; i++ {
		n := strconv.Itoa(i)
		zh, en := "监护人"+n, "Guardian "+n
		parts := []struct{ key, zh, en, helpZH, helpEN string }{
			{"name", "姓名", "name", "监护人姓名；不填则忽略这一组。", "The guardian's name; leave the group empty if there is none."},
			{"relation", "关系", "relation", "母亲、父亲、祖父母（爷爷/奶奶/外公/外婆）、亲属、监护人或其他。",
				"mother, father, grandparent, relative, guardian or other (also 母亲/父亲/爷爷/奶奶/外公/外婆)."},
			{"phone", "电话", "phone", "手机或固定电话，6–20 位数字，可带 + 和连字符。", "Mobile or landline, 6–20 digits; + and hyphens allowed."},
		}
		for j, p := range parts {
			c := column{key: "guardian" + n + "_" + p.key, zh: zh + p.zh, en: en + " " + p.en, width: 12,
				exZH: ex[i-1][0][j], exEN: ex[i-1][1][j], helpZH: p.helpZH, helpEN: p.helpEN}
			c.aliases = []string{"监护人" + cn[i-1] + p.zh, "家长" + n + p.zh, "parent " + n + " " + p.en, "guardian" + n + "_" + p.key}
			switch p.key {
			case "relation":
				c.aliases = append(c.aliases, zh+"关系类型", zh+"与学生关系", en+" relationship", "parent "+n+" relationship")
			case "phone":
				c.width, c.text = 14, true
				c.aliases = append(c.aliases, zh+"手机", zh+"联系电话", zh+"手机号", en+" mobile", en+" telephone")
			}
			if i == 1 {
				c.aliases = append(c.aliases, "监护人"+p.zh, "家长"+p.zh, "guardian "+p.en, "parent "+p.en)
				if p.key == "phone" {
					c.aliases = append(c.aliases, "联系电话", "家长电话", "家长手机")
				}
			}
			cs = append(cs, c)
		}
	}
	return cs
}

func buildHeaderIndex() map[string]string {
	m := map[string]string{}
	add := func(h, key string) {
		h = normalizeHeader(h)
		if other, dup := m[h]; dup && other != key {
			panic("roster: header " + h + " names both " + other + " and " + key)
		}
		m[h] = key
	}
	for _, c := range columns {
		add(c.zh, c.key)
		add(c.en, c.key)
		add(c.key, c.key)
		for _, a := range c.aliases {
			add(a, c.key)
		}
	}
	return m
}

// normalizeHeader folds a header cell so that "Guardian 1 Phone",
// "guardian_1_phone" and "监护人１电话（必填）*" compare by their words: full-width
// forms are narrowed, case is folded, and spaces, punctuation and a
// trailing "(必填)"/"(required)" marker are dropped.
func normalizeHeader(h string) string {
	h = strings.ToLower(width.Fold.String(h))
	for _, mark := range []string{"(必填)", "(选填)", "(required)", "(optional)"} {
		h = strings.ReplaceAll(h, mark, "")
	}
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || r == '\ufeff' {
			return -1
		}
		return r
	}, h)
}

// label names a column for an error message, in both languages.
func label(key string) string {
	for _, c := range columns {
		if c.key == key {
			return c.zh + " (" + c.en + ")"
		}
	}
	return key
}
