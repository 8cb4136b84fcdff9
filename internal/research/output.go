package research

import (
	"bytes"
	"encoding/csv"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/careloop/careloop/internal/db"
)

// zone is the zone dates are written in (China Standard Time).
var zone = time.FixedZone("CST", 8*3600)

// sheet is one kind's rows, de-identified.
type sheet struct {
	kind   string
	fields []string
	rows   [][]any // person, the four quasi-identifiers, then fields
}

// table de-identifies rows as they are added.
type table struct {
	key        []byte
	level      Level
	people     map[int64]*Person
	suppressed map[int64]bool
	sheets     []sheet
}

// head is the columns every sheet starts with.
var head = []string{"person", "gender", "birth", "grade", "school"}

// add de-identifies one kind's rows: the person becomes a pseudonym, the
// quasi-identifiers are generalised, dates are shifted by the person's
// days, case ids become pseudonyms; suppressed people are left out.
func (t *table) add(kind string, fields []string, rows []row) {
	sh := sheet{kind: kind, fields: fields}
	for _, r := range rows {
		p := t.people[r.student]
		if p == nil || t.suppressed[r.student] {
			continue
		}
		qi := t.level.QI(p)
		shift := time.Duration(ShiftDays(t.key, p.ID)) * 24 * time.Hour
		line := []any{Pseudonym(t.key, "P", p.ID), qi[0], qi[1], qi[2], qi[3]}
		for _, f := range fields {
			switch v := r.vals[f].(type) {
			case stamp:
				line = append(line, Week(db.FromMicro(int64(v)).Add(shift)))
			case caseRef:
				line = append(line, Pseudonym(t.key, "C", int64(v)))
			case int64:
				line = append(line, v)
			case string:
				line = append(line, safe(v))
			default:
				line = append(line, "")
			}
		}
		sh.rows = append(sh.rows, line)
	}
	sort.SliceStable(sh.rows, func(i, j int) bool { return sortKey(sh.rows[i]) < sortKey(sh.rows[j]) })
	t.sheets = append(t.sheets, sh)
}

// sortKey orders rows by their rendered values (pseudonym first), so that the
// order says nothing about record ids.
func sortKey(line []any) string {
	var b strings.Builder
	for _, v := range line {
		b.WriteString(cell(v))
		b.WriteByte(0)
	}
	return b.String()
}

// safe keeps a spreadsheet from reading a value as a formula.
func safe(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

func cell(v any) string {
	switch x := v.(type) {
	case int64:
		return strconv.FormatInt(x, 10)
	case string:
		return x
	}
	return ""
}

func (t *table) count() int {
	n := 0
	for _, sh := range t.sheets {
		n += len(sh.rows)
	}
	return n
}

// xlsx writes the README sheet and one sheet per kind.
func (t *table) xlsx(e *Extract, b built) ([]byte, error) {
	f := excelize.NewFile()
	defer f.Close()
	readme := f.GetSheetName(0)
	if err := f.SetSheetName(readme, "README"); err != nil {
		return nil, err
	}
	lines := readmeLines(e, b)
	for i, l := range lines {
		c, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("README", c, &l); err != nil {
			return nil, err
		}
	}
	for _, sh := range t.sheets {
		if _, err := f.NewSheet(sh.kind); err != nil {
			return nil, err
		}
		sw, err := f.NewStreamWriter(sh.kind)
		if err != nil {
			return nil, err
		}
		hd := []any{}
		for _, h := range append(slices.Clone(head), sh.fields...) {
			hd = append(hd, h)
		}
		if err := sw.SetRow("A1", hd); err != nil {
			return nil, err
		}
		for i, r := range sh.rows {
			c, _ := excelize.CoordinatesToCellName(1, i+2)
			if err := sw.SetRow(c, r); err != nil {
				return nil, err
			}
		}
		if err := sw.Flush(); err != nil {
			return nil, err
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// csv writes every kind's rows in one table: a kind column, the common
// columns, then a kind.field column for every chosen field.
func (t *table) csv() ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("\ufeff") // so that spreadsheets read UTF-8
	w := csv.NewWriter(&buf)
	cols := append([]string{"kind"}, head...)
	at := map[string]int{}
	for _, sh := range t.sheets {
		for _, f := range sh.fields {
			at[sh.kind+"."+f] = len(cols)
			cols = append(cols, sh.kind+"."+f)
		}
	}
	if err := w.Write(cols); err != nil {
		return nil, err
	}
	for _, sh := range t.sheets {
		for _, r := range sh.rows {
			rec := make([]string, len(cols))
			rec[0] = sh.kind
			for i := range head {
				rec[i+1] = cell(r[i])
			}
			for i, f := range sh.fields {
				rec[at[sh.kind+"."+f]] = cell(r[len(head)+i])
			}
			if err := w.Write(rec); err != nil {
				return nil, err
			}
		}
	}
	w.Flush()
	return buf.Bytes(), w.Error()
}

// readmeLines describes the extract: what it holds and how it was
// de-identified, in Chinese and English.
func readmeLines(e *Extract, b built) [][]any {
	day := func(t time.Time) string { return t.In(zone).Format("2006-01-02") }
	out := [][]any{
		{"项目 / Item", "内容 / Value"},
		{"提取编号 / Extract", e.ID},
		{"记录类别 / Record kinds", strings.Join(e.Kinds, " ")},
		{"时间范围 / Period", day(e.From) + " – " + day(e.To.Add(-time.Second))},
		{"k（每组最少人数）/ k (smallest group)", int64(e.K)},
		{"人数 / People", int64(b.persons)},
		{"因组小于 k 而删除的人数 / People suppressed (group under k)", int64(b.suppressed)},
		{"记录数 / Records", int64(b.records)},
		{"泛化 / Generalisation", b.level.String()},
		{"人员代号 / person", "每个提取使用独立随机密钥的 HMAC-SHA-256 假名；不同提取之间不可关联 / keyed pseudonym (HMAC-SHA-256, a random key per extract, never stored): stable within this extract, different in any other"},
		{"日期 / Dates", "每人所有日期平移同一随机天数（±1–180 天，不为 0），再取所在周的周一，不含时刻；间隔在平移前计算 / every date of a person is shifted by the same random number of days (1 to 180 either way), then given as the Monday of its week without the time of day; intervals are computed before"},
		{"gender", "female, male, other, unknown; * = 已泛化 / generalised"},
		{"birth", "出生年份 → 三年段 → * / birth year → three-year band → *"},
		{"grade", "年级 → 学段（primary 1–6, junior 7–9, senior 10–12）→ * / grade → stage → *"},
		{"school", "学校 → 区 → 市 / school → district → city"},
		{"", ""},
		{"字段 / Field", "说明 / Meaning"},
	}
	for _, f := range e.Fields {
		out = append(out, []any{f, fieldDocs[f]})
	}
	return out
}

// fieldDocs describes every whitelisted field for the README.
var fieldDocs = map[string]string{
	"screening.instrument":         "量表代码 / instrument code",
	"screening.instrument_version": "量表版本 / instrument version",
	"screening.score":              "总分 / total score",
	"screening.band":               "分数段代码 / score band code",
	"screening.tier":               "分层 green/yellow/orange/red / tier",
	"screening.critical":           "关键条目阳性 1/0 / critical item positive",
	"screening.validity":           "效度标记代码 / validity flag codes",
	"screening.attempt":            "第几次作答 / attempt",
	"screening.minutes_taken":      "作答分钟数 / minutes taken",
	"screening.at":                 "提交时间（已平移）/ submitted (shifted)",
	"alert.level":                  "预警等级 / alert level",
	"alert.sources":                "信号来源代码 / signal source codes",
	"alert.state":                  "状态 / state",
	"alert.decision":               "处置决定代码 / decision code",
	"alert.step":                   "升级到的层级 / escalation step reached",
	"alert.raised_at":              "产生时间（已平移）/ raised (shifted)",
	"alert.minutes_to_ack":         "至确认的分钟数 / minutes to acknowledgement",
	"alert.minutes_to_contact":     "至首次联系的分钟数 / minutes to first contact",
	"alert.minutes_to_close":       "至关闭的分钟数 / minutes to closing",
	"case.state":                   "个案状态 / case state",
	"case.opened_at":               "开案时间（已平移）/ opened (shifted)",
	"case.closed_at":               "结案时间（已平移）/ closed (shifted)",
	"case.days_open":               "开案天数 / days open",
	"case.close_reason":            "结案原因代码 / closing reason code",
	"case.reopened":                "曾重开 1/0 / reopened",
	"case.plan_versions":           "支持计划版本数 / support plan versions",
	"case.plan_frequency":          "辅导频率代码 / counselling frequency code",
	"case.tier":                    "学生当前分层 / the student's current tier",
	"case.case_ref":                "个案假名 / case pseudonym",
	"follow_up.case_ref":           "个案假名 / case pseudonym",
	"follow_up.kind":               "随访对象代码 / follow-up kind",
	"follow_up.due_at":             "应完成时间（已平移）/ due (shifted)",
	"follow_up.done_at":            "完成时间（已平移）/ done (shifted)",
	"follow_up.late":               "逾期 1/0 / late",
	"follow_up.tier_change":        "随访后分层 / tier after the follow-up",
	"counselling.kind":             "个体/团体 / individual or group",
	"counselling.held_at":          "时间（已平移）/ held (shifted)",
	"counselling.minutes":          "时长分钟 / minutes",
	"contact.channel":              "渠道代码 / channel code",
	"contact.caller_type":          "来电者类型代码 / caller type code",
	"contact.categories":           "问题类别代码 / category codes",
	"contact.risk_level":           "风险等级 / risk level",
	"contact.at":                   "开始时间（已平移）/ started (shifted)",
	"contact.minutes":              "时长分钟 / minutes",
	"incident.source":              "来源代码 / source code",
	"incident.risk_level":          "风险等级 / risk level",
	"incident.state":               "当前/最终状态 / state (outcome)",
	"incident.opened_at":           "开启时间（已平移）/ opened (shifted)",
	"incident.closed_at":           "关闭时间（已平移）/ closed (shifted)",
	"incident.minutes_to_close":    "至关闭的分钟数 / minutes to closing",
	"incident.police":              "移交公安 1/0 / handed to the police",
	"incident.state_minutes":       "各状态首次到达（开启后分钟）/ state=minutes after opening",
	"referral.urgency":             "紧急程度 / urgency",
	"referral.state":               "状态 / state",
	"referral.basis":               "依据代码 / basis code",
	"referral.to_kind":             "接收机构类型 / receiving unit kind",
	"referral.sent_at":             "发出时间（已平移）/ sent (shifted)",
	"referral.minutes_to_accept":   "至接收的分钟数 / minutes to acceptance",
	"referral.days_to_appointment": "至预约的天数 / days to appointment",
	"referral.days_to_seen":        "至就诊的天数 / days to being seen",
	"referral.days_to_feedback":    "至反馈的天数 / days to feedback",
	"referral.closed_at":           "关闭时间（已平移）/ closed (shifted)",
}
